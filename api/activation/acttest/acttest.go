// Package acttest builds activation engines over real stores for the
// tests of the engine and of the APIs on top of it: a standard catalogue
// and inventory, a settable clock, sequential ids, and fakes for the
// activation hook, SNMP and DHCP.
package acttest

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/catalog"
	"github.com/stadsnat/accessd/store/inventory"
)

// Services is the standard test catalogue.
func Services() []catalog.Service {
	return []catalog.Service{
		{UID: "BB100100", Name: "Bredband 100/100", Type: "broadband", Media: []string{"FTTH", "FTTB"}, CapacityKbit: 100000,
			Hardware: "CPE", DirectActivation: true, CommitmentMonths: 12},
		{UID: "BB1000", Name: "Bredband 1000/1000", Type: "broadband", Media: []string{"FTTH"}, CapacityKbit: 1000000,
			Hardware: "CPE", DirectActivation: true},
		{UID: "IPTV", Name: "IP-TV", Type: "tv", CapacityKbit: 20000, DirectActivation: true, MaxPerAccess: 2, IPTV: true},
		{UID: "IPTV2", Name: "IP-TV extra", Type: "tv", CapacityKbit: 20000, DirectActivation: true, MaxPerAccess: 2, IPTV: true},
		{UID: "VOIP", Name: "IP-telefoni", Type: "voip", Hardware: "DRG"},
	}
}

// Access makes a deliverable FTTH access with a 1000 Mbit/s port, a CPE
// router and IPTV.
func Access(id, opt82 string) inventory.Access {
	return inventory.Access{
		AccessID: id, StreetName: "Testvägen", StreetNumber: "1", PostalCode: "12345", City: "Ankeborg", CountryCode: "SE",
		PremisesType: inventory.ResidentialHouse, Activatable: inventory.Yes, Sellable: inventory.Yes, Option82: opt82,
		Media: "FTTH", PortSpeedMbps: 1000, CPERouter: "DRG-1", Outlet: "1", IPTV: true,
	}
}

// Accesses is the standard inventory:
//
//	A1  FTTH, 1000 Mbit/s, CPE router
//	A2  FTTB, 100 Mbit/s, CPE switch only
//	A3  DSL, 10 Mbit/s, no CPE
//	A4  FTTH, not sellable
//	A5  FTTH, population Studentbostäder
func Accesses() []inventory.Access {
	a1 := Access("A1", "10.0.0.1 ge-0/0/1")
	a2 := Access("A2", "10.0.0.1 ge-0/0/2")
	a2.Media, a2.PortSpeedMbps, a2.CPERouter, a2.CPESwitch = "FTTB", 100, "", "SW-1"
	a3 := Access("A3", "10.0.0.1 ge-0/0/3")
	a3.Media, a3.PortSpeedMbps, a3.CPERouter = "DSL", 10, ""
	a4 := Access("A4", "10.0.0.1 ge-0/0/4")
	a4.Sellable, a4.Activatable = inventory.No, inventory.No
	a5 := Access("A5", "10.0.0.1 ge-0/0/5")
	a5.Population = "Studentbostäder"
	return []inventory.Access{a1, a2, a3, a4, a5}
}

// Clock is a settable clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Set moves the clock.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// IDs makes ids 0001, 0002, … with a prefix.
type IDs struct {
	mu     sync.Mutex
	n      int
	Prefix string
}

// Next returns the next id.
func (s *IDs) Next() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return fmt.Sprintf("%s%04d", s.Prefix, s.n)
}

// Hook is a fake activation hook: it records its inputs and fails the
// orders whose access id is in Fail, with that message.
type Hook struct {
	mu    sync.Mutex
	Calls []activation.HookInput
	Fail  map[string]string
	Msg   string
}

// Run implements activation.Hook.
func (h *Hook) Run(_ context.Context, in activation.HookInput) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Calls = append(h.Calls, in)
	if m, ok := h.Fail[in.AccessID]; ok {
		return "", &activation.HookError{Message: m}
	}
	return h.Msg, nil
}

// Called returns "ORDER OPERATION ACCESS SERVICE" of every run so far.
func (h *Hook) Called() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, c := range h.Calls {
		out = append(out, fmt.Sprintf("%s %s %s %s", c.Order, c.Operation, c.AccessID, c.Service))
	}
	return out
}

// Port is what the fake SNMP knows of one port.
type Port struct {
	SpeedMbps int
	Up        bool
}

// Ports is a fake activation.Ports.
type Ports map[string]Port

// Port implements activation.Ports.
func (p Ports) Port(id string) (int, bool, bool) {
	x, ok := p[id]
	return x.SpeedMbps, x.Up, ok
}

// DHCP is a fake activation.DHCPSeen.
type DHCP map[string]string

// LastOption82 implements activation.DHCPSeen.
func (d DHCP) LastOption82(id string) (string, bool) { h, ok := d[id]; return h, ok }

// Fixture is an engine over a real store.
type Fixture struct {
	DB     *store.DB
	Engine *activation.Engine
	Clock  *Clock // nil when the real (or synctest) clock is used
	Hook   *Hook
	Loc    *time.Location
}

// Stockholm loads Europe/Stockholm.
func Stockholm(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Config adjusts a fixture's options before the engine is made.
type Config func(*activation.Options)

// New makes a store in a temporary directory with Accesses imported and an
// engine with the standard catalogue and a fake hook. clock nil means
// time.Now (what synctest fakes).
func New(t testing.TB, clock *Clock, cfgs ...Config) *Fixture {
	t.Helper()
	f := &Fixture{Clock: clock, Hook: &Hook{}, Loc: Stockholm(t)}
	now := time.Now
	if clock != nil {
		now = clock.Now
	}
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{Now: now, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.DB = db
	in := make([]store.Incoming, 0, 8)
	for _, a := range Accesses() {
		in = append(in, store.Incoming{Access: a})
	}
	if _, err := db.Inventory().Import(in, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	ids := &IDs{}
	o := activation.Options{
		Orders: db.Orders(), Location: f.Loc, Log: slog.New(slog.DiscardHandler), Now: now, NewID: ids.Next,
		Settings: activation.Settings{Catalog: catalog.New(Services()), Media: catalog.NewMediaCodes(nil), Hook: f.Hook},
	}
	for _, c := range cfgs {
		c(&o)
	}
	f.Engine = activation.New(o)
	return f
}

// RunDue runs the engine's scheduler until no order due by the fixture's
// clock is left RECEIVED or IN_PROGRESS (at most 10 s).
func (f *Fixture) RunDue(t testing.TB) {
	t.Helper()
	now := time.Now
	if f.Clock != nil {
		now = f.Clock.Now
	}
	open := func() int {
		n := 0
		f.DB.Orders().View(func(o *store.OrderTx) error {
			due, _ := o.Due(now(), 0)
			prog, _ := o.InProgress()
			n = len(due) + len(prog)
			return nil
		})
		return n
	}
	if open() == 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Engine.Run(ctx, func() {}) }()
	deadline := time.Now().Add(10 * time.Second)
	for open() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("due orders still open after 10s")
		}
		time.Sleep(2 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
