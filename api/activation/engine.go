package activation

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/stadsnat/accessd/api/activation/rules"
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
	// Orders is the store's order domain: orders, services, their log.
	Orders   store.Orders
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
	// Queue: orders are carried out from a queue shared by several
	// instances (a hub's), through RunOrder; Run schedules nothing.
	Queue bool
}

// CustomerCheck asks, when an order runs, the service provider that placed
// it for the customer of the service (PI-API 2.3's access_customer_info or
// query_sp: Netadmin's "fetch customer data at activation"). It answers
// (nil, nil) for a provider that is not asked. An error fails the order
// before the hook runs; its text is the order's message, so it must name
// the provider, the access and why, and carry no personal data.
type CustomerCheck interface {
	CheckActivation(ctx context.Context, owner, accessID, service, spReference string) (*ProviderCustomer, error)
}

// ProviderCustomer is the customer a provider gave at activation. It is
// personal data: it goes to the hook's input and nowhere else (never
// stored, never logged).
type ProviderCustomer struct {
	Name        string `json:"name"`
	Email       string `json:"email,omitempty"`
	Phone       string `json:"phone,omitempty"`
	MobilePhone string `json:"mobilePhone,omitempty"`
}

// String keeps the data out of formatted output.
func (ProviderCustomer) String() string { return "[customer data redacted]" }

// LogValue keeps the data out of logs.
func (ProviderCustomer) LogValue() slog.Value { return slog.StringValue("[customer data redacted]") }

// Engine takes, checks, stores and runs orders.
type Engine struct {
	orders    store.Orders
	loc       *time.Location
	cal       inventory.Calendar
	log       *slog.Logger
	now       func() time.Time
	newID     func() string
	ports     Ports
	dhcp      DHCPSeen
	conc      int
	observe   func(store.Order, time.Duration)
	settings  atomic.Pointer[Settings]
	commit    *committer
	wake      chan struct{}
	custCheck atomic.Pointer[checkBox]
	queue     bool // Options.Queue
}

type checkBox struct{ c CustomerCheck }

// SetCustomerCheck sets (nil: removes) the customer check of activations;
// the upstream subsystem sets it, and again on a reload of the providers.
func (e *Engine) SetCustomerCheck(c CustomerCheck) { e.custCheck.Store(&checkBox{c}) }

// customerCheck asks the order's provider for the customer of an ACTIVATE.
func (e *Engine) customerCheck(ctx context.Context, ord *store.Order) (*ProviderCustomer, error) {
	b := e.custCheck.Load()
	if b == nil || b.c == nil || ord.Operation != store.Activate {
		return nil, nil
	}
	return b.c.CheckActivation(ctx, ord.Owner, ord.AccessID, ord.Service, ord.SPReference)
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
		orders: o.Orders, loc: o.Location, cal: inventory.NewCalendar(o.Location), log: o.Log, now: o.Now, newID: o.NewID,
		ports: o.Ports, dhcp: o.DHCP, conc: o.Concurrency, observe: o.Observe,
		commit: &committer{orders: o.Orders, max: o.MaxBatch},
		wake:   make(chan struct{}, 1), queue: o.Queue,
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

// Fingerprint identifies what answers about services are computed from:
// the catalogue, the media codes and the rules (not the hook). Two
// settings with the same fingerprint give the same answers.
func (s Settings) Fingerprint() string {
	cat := s.Catalog
	if cat == nil {
		cat = catalog.New(nil)
	}
	b, _ := json.Marshal(struct {
		Services []catalog.Service
		Media    map[string]int
		Rules    []Rule
	}{cat.All(), s.Media.Map(), s.Rules})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
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
	err := e.orders.View(func(o *store.OrderTx) error {
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
	has, err := e.orders.HasAccess(accessID)
	return err == nil && has
}

// PortStatus reads an access and its active services; a missing or
// removed access is store.ErrNotFound.
func (e *Engine) PortStatus(accessID string) (PortStatus, error) {
	v, err := e.orders.AccessServices(accessID)
	if err != nil {
		return PortStatus{}, err
	}
	// The store's answer is shared (kept for its generation): the services
	// are copied, the access is a value.
	ps := PortStatus{Access: v.Access, Services: slices.Clone(v.Services)}
	p := e.port(accessID)
	ps.SpeedMbps, ps.SpeedKnown, ps.LinkUp = p.SpeedMbps, p.Known, p.Up
	if !p.Known {
		ps.SpeedMbps = ps.Access.PortSpeedMbps
	}
	if e.dhcp != nil {
		ps.Option82Hex, _ = e.dhcp.LastOption82(accessID)
	}
	f := rules.Facts{Access: &ps.Access.Access, Port: p}
	rs := e.settings.Load().Rules
	if rules.NeedsToday(rs, f.Access) { // (else the clock is not read: the answer is the same on any day)
		f.Today = e.cal.Today(e.now())
	}
	ps.Message = rules.Message(rs, &f)
	return ps, nil
}
