package activation

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/catalog"
	"github.com/stadsnat/accessd/store/inventory"
)

// Ports tells what SNMP knows of an access's switch port. known is false
// when the port is not polled or its switch is unreachable.
type Ports interface {
	Port(accessID string) (speedMbps int, linkUp bool, known bool)
}

// DHCPSeen tells the Option 82 last seen in DHCP on an access, as the hex
// of the whole option (52 LL …).
type DHCPSeen interface {
	LastOption82(accessID string) (hex string, ok bool)
}

// Settings are what a configuration reload may change.
type Settings struct {
	Catalog *catalog.Catalog
	Media   catalog.MediaCodes
	Rules   []Rule
	// Hook runs the KO's provisioning; nil completes orders at once.
	Hook Hook
}

// Options configure New.
type Options struct {
	DB       *store.DB
	Location *time.Location // dates are local dates here (Europe/Stockholm); nil = UTC
	Log      *slog.Logger   // nil discards
	Now      func() time.Time
	// NewID makes order and subscription ids; nil = 32 random hex digits.
	NewID func() string
	Ports Ports    // nil: nothing known from SNMP
	DHCP  DHCPSeen // nil: nothing known from DHCP
	// Concurrency bounds the hooks running at once (orders of one access
	// always run one at a time); 0 = 4.
	Concurrency int
	// MaxBatch bounds the orders one transaction commits; 0 = 512.
	MaxBatch int
	Settings Settings
	// Observe, when set, is told of every order that reached a final
	// state (for metrics).
	Observe func(o store.Order, took time.Duration)
}

// Engine takes, checks, stores and runs orders.
type Engine struct {
	db       *store.DB
	loc      *time.Location
	cal      inventory.Calendar
	log      *slog.Logger
	now      func() time.Time
	newID    func() string
	ports    Ports
	dhcp     DHCPSeen
	conc     int
	observe  func(store.Order, time.Duration)
	settings atomic.Pointer[Settings]
	commit   *committer
	wake     chan struct{}
}

// New makes an engine. Call Run to have due orders run.
func New(o Options) *Engine {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewID == nil {
		o.NewID = randomID
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 512
	}
	if o.Settings.Catalog == nil {
		o.Settings.Catalog = catalog.New(nil)
	}
	e := &Engine{
		db: o.DB, loc: o.Location, cal: inventory.NewCalendar(o.Location), log: o.Log, now: o.Now, newID: o.NewID,
		ports: o.Ports, dhcp: o.DHCP, conc: o.Concurrency, observe: o.Observe,
		commit: &committer{db: o.DB, max: o.MaxBatch},
		wake:   make(chan struct{}, 1),
	}
	s := o.Settings
	e.settings.Store(&s)
	return e
}

// SetSettings swaps in a new catalogue, rules and hook (configuration
// reload). Orders already stored keep what they were placed with.
func (e *Engine) SetSettings(s Settings) {
	if s.Catalog == nil {
		s.Catalog = catalog.New(nil)
	}
	e.settings.Store(&s)
}

// Settings returns the current settings.
func (e *Engine) Settings() Settings { return *e.settings.Load() }

// Catalog is the current service catalogue.
func (e *Engine) Catalog() *catalog.Catalog { return e.settings.Load().Catalog }

// Today is the local date now.
func (e *Engine) Today() inventory.Date { return e.cal.Today(e.now()) }

// Midnight is the instant the local date d begins.
func (e *Engine) Midnight(d inventory.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, e.loc)
}

// addMonths adds n months to d, keeping the day within the month (31
// January + 1 month = 28 or 29 February).
func addMonths(d inventory.Date, n int) inventory.Date {
	t := time.Date(d.Year, d.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return inventory.Date{Year: t.Year(), Month: t.Month(), Day: min(d.Day, last)}
}

func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// poke wakes the scheduler.
func (e *Engine) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Observer of the engine's figures for status output.
type Stats struct {
	Orders map[store.OrderState]int
	// NextDue is when the next scheduled order is due (zero: none).
	NextDue time.Time
}

// Stats reads the order counts.
func (e *Engine) Stats() (Stats, error) {
	var s Stats
	err := e.db.OrderView(func(o *store.OrderTx) error {
		s.Orders = o.OrderStats()
		if t, ok := o.NextDue(); ok {
			s.NextDue = t
		}
		return nil
	})
	return s, err
}

// PortStatus is what port_status tells about an access.
type PortStatus struct {
	Access   store.AccessRecord
	Services []store.Service
	// SpeedMbps is the port speed: SNMP's when SpeedKnown, else the
	// inventory's portSpeed (0: unknown).
	SpeedMbps  int
	SpeedKnown bool
	LinkUp     bool
	// Option82Hex is the Option 82 last seen in DHCP on the access ("" when
	// none was seen).
	Option82Hex string
	// Message is for the end customer: the message of the first rule
	// without a service list that holds for the access.
	Message string
}

// HasAccess reports whether the access is in the inventory (and not
// removed).
func (e *Engine) HasAccess(accessID string) bool {
	return e.db.OrderView(func(o *store.OrderTx) error { _, err := o.Access(accessID); return err }) == nil
}

// PortStatus reads an access and its active services; a missing or
// removed access is store.ErrNotFound.
func (e *Engine) PortStatus(accessID string) (PortStatus, error) {
	var ps PortStatus
	err := e.db.OrderView(func(o *store.OrderTx) error {
		rec, err := o.Access(accessID)
		if err != nil {
			return err
		}
		ps.Access = rec
		ps.Services, err = o.Services(accessID)
		return err
	})
	if err != nil {
		return PortStatus{}, err
	}
	speed, up, known := e.port(accessID)
	ps.SpeedMbps, ps.SpeedKnown, ps.LinkUp = speed, known, up
	if !known {
		ps.SpeedMbps = ps.Access.PortSpeedMbps
	}
	if e.dhcp != nil {
		ps.Option82Hex, _ = e.dhcp.LastOption82(accessID)
	}
	state := ps.Access.State(e.cal, e.now())
	for _, r := range e.settings.Load().Rules {
		if len(r.Services) == 0 && ruleHolds(r, &ps.Access.Access, state, up, known) {
			ps.Message = r.Message
			break
		}
	}
	return ps, nil
}
