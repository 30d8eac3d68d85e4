// Package noctest is an in-memory, scriptable noc.Source for tests: the
// NOC pages' unit, golden and browser tests put accesses into it and
// change them (a port going DOWN) while a server reads it, and its
// generator makes 100,000 accesses for the benchmarks. Every look-up is a
// map or sorted-slice index, as the daemon's Source must be.
package noctest

import (
	"cmp"
	"context"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/stadsnat/accessd/api/noc"
)

// Entry is one access and everything the pages show of it.
type Entry struct {
	Access noc.Access
	// Link nil: the access names no switch port (noc.ErrNoPort).
	Link     *noc.Link
	Bindings []noc.Binding
	// History, newest first.
	History  []noc.Interval
	Services []noc.Service
	// Orders, newest first.
	Orders []noc.Order
}

// Off names the parts that answer noc.ErrNotServed.
type Off struct {
	Links, DHCP, Orders bool
}

// Fake is a noc.Source over entries in memory. Its methods are safe for
// concurrent use.
type Fake struct {
	mu       sync.Mutex
	entries  map[string]*Entry
	byIP     map[netip.Addr]string // active binding IP ⇒ MAC
	byMAC    map[string]*noc.Binding
	ipHist   map[netip.Addr][]noc.Interval // newest first
	byCirc   map[string][]string           // circuit key ⇒ MACs of bindings
	byKey    map[string][]string           // Option82 text ⇒ AccessIds
	byHex    map[string]string             // Option 82 hex ⇒ AccessId
	byAddr   []addrKey                     // sorted
	sws      []noc.Switch                  // by address
	problems []string
	unknown  []noc.UnknownCircuit // most recently seen first
	interval noc.SwitchSummary
	off      Off
	fail     error
	calls    map[string]int
}

type addrKey struct {
	key string // lower-case address line
	id  string
}

// New returns an empty Fake.
func New() *Fake {
	return &Fake{entries: map[string]*Entry{}, byIP: map[netip.Addr]string{}, byMAC: map[string]*noc.Binding{},
		ipHist: map[netip.Addr][]noc.Interval{}, byCirc: map[string][]string{}, byKey: map[string][]string{}, byHex: map[string]string{}, calls: map[string]int{}}
}

// Put adds entries (or replaces those with the same AccessId) and
// indexes them (put many at once: each call reindexes everything).
func (f *Fake) Put(es ...Entry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range es {
		e := es[i]
		f.entries[e.Access.ID] = &e
	}
	f.reindex()
}

// Update changes an entry under the lock (a port going DOWN, a new
// binding) and reindexes. It reports whether the access exists.
func (f *Fake) Update(id string, fn func(*Entry)) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.entries[id]
	if !ok {
		return false
	}
	c := *e
	if e.Link != nil {
		l := *e.Link
		c.Link = &l
	}
	fn(&c)
	f.entries[id] = &c
	f.reindex()
	return true
}

// SetSwitches sets the polled switches, the inventory's switches that
// cannot be polled, and the poll interval.
func (f *Fake) SetSwitches(sws []noc.Switch, problems []string, s noc.SwitchSummary) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sws = slices.Clone(sws)
	slices.SortFunc(f.sws, func(a, b noc.Switch) int { return cmp.Compare(a.Address, b.Address) })
	f.problems = slices.Clone(problems)
	f.interval = s
}

// SetUnknown sets the unknown circuits.
func (f *Fake) SetUnknown(us []noc.UnknownCircuit) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unknown = slices.Clone(us)
	slices.SortStableFunc(f.unknown, func(a, b noc.UnknownCircuit) int { return b.LastSeen.Compare(a.LastSeen) })
}

// SetOff makes parts answer noc.ErrNotServed.
func (f *Fake) SetOff(o Off) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.off = o
}

// Fail makes every call fail with err (nil: answer again).
func (f *Fake) Fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}

// Calls returns how often each method was called.
func (f *Fake) Calls() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := make(map[string]int, len(f.calls))
	for k, v := range f.calls {
		c[k] = v
	}
	return c
}

// reindex rebuilds every index from the entries.
func (f *Fake) reindex() {
	clear(f.byIP)
	clear(f.byMAC)
	clear(f.ipHist)
	clear(f.byKey)
	clear(f.byCirc)
	clear(f.byHex)
	f.byAddr = f.byAddr[:0]
	for id, e := range f.entries {
		for i := range e.Bindings {
			b := &e.Bindings[i]
			f.byMAC[b.MAC] = b
			if b.Circuit != "" {
				f.byCirc[b.Circuit] = append(f.byCirc[b.Circuit], b.MAC)
			}
			if b.IP.IsValid() {
				f.byIP[b.IP] = b.MAC
			}
		}
		for _, iv := range e.History {
			f.ipHist[iv.IP] = append(f.ipHist[iv.IP], iv)
		}
		if t := strings.TrimSpace(e.Access.Option82); t != "" {
			f.byKey[t] = append(f.byKey[t], id)
			f.byHex[Option82Hex(t)] = id
		}
		f.byAddr = append(f.byAddr, addrKey{key: strings.ToLower(AddressRef(&e.Access)), id: id})
	}
	for ip := range f.ipHist {
		slices.SortFunc(f.ipHist[ip], func(a, b noc.Interval) int { return b.From.Compare(a.From) })
	}
	slices.SortFunc(f.byAddr, func(a, b addrKey) int { return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.id, b.id)) })
}

// Option82Hex is the upper-case TLV hex of an Option82 text "REMOTE
// CIRCUIT" (a text of one word is a circuit-id alone): what a relay sends
// for the access.
func Option82Hex(text string) string {
	remote, circuit, ok := strings.Cut(text, " ")
	if !ok {
		remote, circuit = "", text
	}
	v := append([]byte{1, byte(len(circuit))}, circuit...)
	if remote != "" {
		v = append(v, 2, byte(len(remote)))
		v = append(v, remote...)
	}
	return strings.ToUpper(hex.EncodeToString(append([]byte{82, byte(len(v))}, v...)))
}

// AddressRef is the address line the search lists.
func AddressRef(a *noc.Access) string {
	s := strings.Join(strings.Fields(a.StreetName+" "+a.StreetNumber+" "+a.StreetLittera), " ")
	if a.Apartment != "" {
		s += ", lgh " + a.Apartment
	}
	return s + ", " + strings.Join(strings.Fields(a.PostalCode+" "+a.City), " ")
}

// enter counts a call and returns the error every call gets, if any.
func (f *Fake) enter(ctx context.Context, method string) error {
	f.calls[method]++
	if err := ctx.Err(); err != nil {
		return err
	}
	return f.fail
}

func (f *Fake) entry(ctx context.Context, method, id string) (*Entry, error) {
	if err := f.enter(ctx, method); err != nil {
		return nil, err
	}
	e, ok := f.entries[id]
	if !ok {
		return nil, fmt.Errorf("access %s: %w", id, noc.ErrNotFound)
	}
	return e, nil
}

// Access implements noc.Source.
func (f *Fake) Access(ctx context.Context, id string) (noc.Access, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, err := f.entry(ctx, "Access", id)
	if err != nil {
		return noc.Access{}, err
	}
	return e.Access, nil
}

// Link implements noc.Source.
func (f *Fake) Link(ctx context.Context, id string, limit int) (noc.Link, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, err := f.entry(ctx, "Link", id)
	switch {
	case err != nil:
		return noc.Link{}, err
	case f.off.Links:
		return noc.Link{}, fmt.Errorf("link: %w", noc.ErrNotServed)
	case e.Link == nil:
		return noc.Link{}, fmt.Errorf("access %s: %w", id, noc.ErrNoPort)
	}
	l := *e.Link
	l.Transitions = l.Transitions[:min(limit, len(l.Transitions))]
	return l, nil
}

// Bindings implements noc.Source.
func (f *Fake) Bindings(ctx context.Context, id string) ([]noc.Binding, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, err := f.entry(ctx, "Bindings", id)
	switch {
	case err != nil:
		return nil, err
	case f.off.DHCP:
		return nil, fmt.Errorf("bindings: %w", noc.ErrNotServed)
	}
	return slices.Clone(e.Bindings), nil
}

// History implements noc.Source.
func (f *Fake) History(ctx context.Context, id string, limit int) ([]noc.Interval, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, err := f.entry(ctx, "History", id)
	switch {
	case err != nil:
		return nil, false, err
	case f.off.DHCP:
		return nil, false, fmt.Errorf("history: %w", noc.ErrNotServed)
	}
	n := min(limit, len(e.History))
	return slices.Clone(e.History[:n]), len(e.History) > n, nil
}

// Services implements noc.Source.
func (f *Fake) Services(ctx context.Context, id string) ([]noc.Service, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, err := f.entry(ctx, "Services", id)
	switch {
	case err != nil:
		return nil, err
	case f.off.Orders:
		return nil, fmt.Errorf("services: %w", noc.ErrNotServed)
	}
	return slices.Clone(e.Services), nil
}

// Orders implements noc.Source.
func (f *Fake) Orders(ctx context.Context, id string, limit, eventLimit int) ([]noc.Order, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, err := f.entry(ctx, "Orders", id)
	switch {
	case err != nil:
		return nil, false, err
	case f.off.Orders:
		return nil, false, fmt.Errorf("orders: %w", noc.ErrNotServed)
	}
	n := min(limit, len(e.Orders))
	out := slices.Clone(e.Orders[:n])
	for i := range out {
		if evs := out[i].Events; len(evs) > eventLimit {
			out[i].Events, out[i].MoreEvents = evs[len(evs)-eventLimit:], true
		}
	}
	return out, len(e.Orders) > n, nil
}

// Entry returns a copy of an access's entry (the zero Entry when none).
func (f *Fake) Entry(id string) Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.entries[id]
	if !ok {
		return Entry{}
	}
	c := *e
	if e.Link != nil {
		l := *e.Link
		c.Link = &l
	}
	return c
}
