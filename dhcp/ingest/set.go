package ingest

import (
	"bytes"
	"container/list"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/store"
)

// set is the working set: every binding the store holds, in memory, with
// its indexes, the unknown circuits, the last Option 82 per access, and
// what the writer still has to store. The processor is its only writer;
// the answers read it. One mutex guards all of it.
type set struct {
	mu       sync.RWMutex
	byMAC    map[hwaddr.MAC]*entry
	byIP     map[netip.Addr]hwaddr.MAC // active bindings
	byAccess map[string][]hwaddr.MAC   // active bindings
	expiring expiries                  // active bindings, by expiry (hints)
	states   [8]int                    // bindings by binding.State
	unknown  unknownList
	lastO82  map[string]*lastOption82
	// learned maps the Option 82 of packets that resolved (its
	// lookup.LiveKey) to the access they resolved to: the resolver's live
	// step.
	learned map[string]string
	// learnedVer counts the changes of learned (a write, a clearing), so
	// that a circuit that saw its access learned at this count need not
	// look again (circEntry.learnedVer).
	learnedVer uint64
	pending    *pending
	chunks     *sync.Pool // of pending.recs (newRecChunks)
}

type entry struct {
	rec record
	// lazyGen is the pending.lazyGen of the lazy set its MAC was put in;
	// another value: not in the current one (see pending.addLazy).
	lazyGen uint64
	// storedExpires is Expires as last committed: an expiry-only change is
	// written lazily while the stored one is far enough ahead.
	storedExpires time.Time
}

type lastOption82 struct {
	raw []byte
	// hex is raw as LastOption82 answers it (upper-case hex), made once a
	// change: port_status asks for it thousands of times a second, a
	// string a request was an allocation each.
	hex  string
	seen time.Time
	// lazyGen is the pending.lazyGen of the lazy set (lastO82Lazy) its
	// access was put in, as entry.lazyGen: no map write a packet.
	lazyGen uint64
}

// newLastOption82 is the record of raw, last seen at seen.
func newLastOption82(raw []byte, seen time.Time) *lastOption82 {
	l := &lastOption82{seen: seen}
	l.keep(raw)
	return l
}

// keep makes raw (not copied) the record's Option 82, with its hex.
func (l *lastOption82) keep(raw []byte) { l.raw, l.hex = raw, hexString(raw) }

func newSet(unknownMax int) *set {
	chunks := newRecChunks()
	return &set{
		byMAC:    map[hwaddr.MAC]*entry{},
		byIP:     map[netip.Addr]hwaddr.MAC{},
		byAccess: map[string][]hwaddr.MAC{},
		expiring: newExpiries(),
		unknown:  newUnknownList(unknownMax),
		lastO82:  map[string]*lastOption82{},
		learned:  map[string]string{},
		pending:  newPending(chunks),
		chunks:   chunks,
	}
}

// put stores r as the binding of r.MAC, moving its index entries. Call
// with mu held.
func (s *set) put(r *record) *entry { return s.putOver(s.byMAC[r.MAC], r) }

// putOver is put when the caller has looked up e, the entry of r.MAC (nil
// when none): a packet looks its binding up once.
func (s *set) putOver(e *entry, r *record) *entry {
	if e == nil || !e.rec.Expires.Equal(r.Expires) || !e.rec.State.Active() || !e.rec.IP.IsValid() {
		s.expiring.note(&r.Binding)
	}
	if e != nil && sameIndex(&e.rec.Binding, &r.Binding) {
		// Most packets repeat what is known: the indexes stay.
		s.states[e.rec.State]--
		e.rec = *r
		s.states[e.rec.State]++
		return e
	}
	if e != nil {
		s.unindex(&e.rec.Binding)
		s.states[e.rec.State]--
	} else {
		e = &entry{}
		s.byMAC[r.MAC] = e
	}
	e.rec = *r
	s.index(&e.rec.Binding)
	s.states[e.rec.State]++
	return e
}

// sameIndex reports that a and b have the same index entries.
func sameIndex(a, b *binding.Binding) bool {
	return a.State.Active() == b.State.Active() && a.IP == b.IP && a.Access == b.Access
}

// remove forgets the binding of mac. Call with mu held.
func (s *set) remove(mac hwaddr.MAC) {
	e := s.byMAC[mac]
	if e == nil {
		return
	}
	s.unindex(&e.rec.Binding)
	s.states[e.rec.State]--
	delete(s.byMAC, mac)
}

func (s *set) index(b *binding.Binding) {
	if !b.State.Active() || !b.IP.IsValid() {
		return
	}
	s.byIP[b.IP] = b.MAC
	if b.Access != "" {
		s.byAccess[b.Access] = append(s.byAccess[b.Access], b.MAC)
	}
}

func (s *set) unindex(b *binding.Binding) {
	if !b.State.Active() || !b.IP.IsValid() {
		return
	}
	if s.byIP[b.IP] == b.MAC {
		delete(s.byIP, b.IP)
	}
	if b.Access != "" {
		macs := slices.DeleteFunc(s.byAccess[b.Access], func(m hwaddr.MAC) bool { return m == b.MAC })
		if len(macs) == 0 {
			delete(s.byAccess, b.Access)
		} else {
			s.byAccess[b.Access] = macs
		}
	}
}

// holderOf returns the active binding holding ip, if any. Call with mu held.
func (s *set) holderOf(ip netip.Addr) *entry {
	if !ip.IsValid() {
		return nil
	}
	mac, ok := s.byIP[ip]
	if !ok {
		return nil
	}
	return s.byMAC[mac]
}

// seeOption82 records raw as the last Option 82 of access, l, and reports
// whether it differs from the previous one (a prompt write).
func (s *set) seeOption82(access string, raw []byte, at time.Time) (l *lastOption82, changed bool) {
	l = s.lastO82[access]
	if l == nil {
		l = &lastOption82{}
		s.lastO82[access] = l
	}
	if !bytes.Equal(l.raw, raw) {
		l.keep(bytes.Clone(raw))
		changed = true
	}
	if at.After(l.seen) {
		l.seen = at
	}
	return l, changed
}

// pending is what the writer has not stored yet.
type pending struct {
	// dirty: written within commit_interval; each MAC's value is
	// recs.at(i), the binding as it is now (the processor copies it at
	// every change), so that the writer converts nothing under the
	// working set's lock.
	dirty map[hwaddr.MAC]int
	recs  recLog
	lazy  map[hwaddr.MAC]struct{} // LastSeen / expiry only: written every lazy interval
	// lazyGen names the lazy set: a new one gets a new number, so an
	// entry's lazyGen tells that its MAC is in it without a map write
	// per packet.
	lazyGen      uint64
	forget       []hwaddr.MAC
	history      []binding.Interval
	events       []store.BindingEvent
	unknown      map[string]struct{}
	unknownLazy  map[string]struct{}
	unknownGone  map[string]struct{}
	lastO82      map[string]struct{}
	lastO82Lazy  map[string]struct{}
	received     []int64 // receive times (unix ns) of packets that made prompt changes
	armed        bool    // the writer has been told about prompt changes
	full         bool    // the writer has been told there are fullBatch of them
	droppedEvent int     // events not kept because too many were pending
}

func newPending(chunks *sync.Pool) *pending {
	return &pending{
		recs:  recLog{pool: chunks},
		dirty: map[hwaddr.MAC]int{}, lazy: map[hwaddr.MAC]struct{}{}, lazyGen: 1,
		unknown: map[string]struct{}{}, unknownLazy: map[string]struct{}{}, unknownGone: map[string]struct{}{},
		lastO82: map[string]struct{}{}, lastO82Lazy: map[string]struct{}{},
	}
}

// addLazy puts e's MAC in the lazy set (unless it is there).
func (p *pending) addLazy(e *entry) {
	if e.lazyGen == p.lazyGen {
		return
	}
	p.lazy[e.rec.MAC] = struct{}{}
	e.lazyGen = p.lazyGen
}

// dropLazy takes e's MAC out of the lazy set.
func (p *pending) dropLazy(e *entry) {
	delete(p.lazy, e.rec.MAC)
	e.lazyGen = 0
}

// prompt reports whether there is something to write within commit_interval.
func (p *pending) prompt() bool {
	return len(p.dirty)+len(p.forget)+len(p.history)+len(p.events)+len(p.unknown)+len(p.unknownGone)+len(p.lastO82) > 0
}

// maxPendingEvents bounds the events kept while the writer cannot keep up
// (a stuck disk): beyond it they are counted and dropped.
const maxPendingEvents = 100_000

// unknownList is the bounded list of circuits that match no access, most
// recently seen first; the least recently seen one is evicted when full.
type unknownList struct {
	max int
	m   map[string]*list.Element // Value: *store.UnknownCircuit
	lru list.List
}

func newUnknownList(max int) unknownList {
	return unknownList{max: max, m: map[string]*list.Element{}}
}

// touch returns the entry of key, creating it (and evicting the least
// recently seen one when full) if needed.
func (u *unknownList) touch(key string) (c *store.UnknownCircuit, created bool, evicted string) {
	if el, ok := u.m[key]; ok {
		u.lru.MoveToFront(el)
		return el.Value.(*store.UnknownCircuit), false, ""
	}
	if u.max > 0 && len(u.m) >= u.max {
		last := u.lru.Back()
		old := last.Value.(*store.UnknownCircuit)
		evicted = old.Key
		u.lru.Remove(last)
		delete(u.m, evicted)
	}
	c = &store.UnknownCircuit{Key: key}
	u.m[key] = u.lru.PushFront(c)
	return c, true, evicted
}

// load appends a stored entry (at start; the caller loads them most
// recently seen first).
func (u *unknownList) load(c store.UnknownCircuit) {
	if _, ok := u.m[c.Key]; ok || (u.max > 0 && len(u.m) >= u.max) {
		return
	}
	u.m[c.Key] = u.lru.PushBack(&c)
}

func (u *unknownList) remove(key string) bool {
	el, ok := u.m[key]
	if !ok {
		return false
	}
	u.lru.Remove(el)
	delete(u.m, key)
	return true
}

func (u *unknownList) get(key string) (store.UnknownCircuit, bool) {
	el, ok := u.m[key]
	if !ok {
		return store.UnknownCircuit{}, false
	}
	return *el.Value.(*store.UnknownCircuit), true
}

// all returns copies, most recently seen first.
func (u *unknownList) all() []store.UnknownCircuit {
	out := make([]store.UnknownCircuit, 0, len(u.m))
	for el := u.lru.Front(); el != nil; el = el.Next() {
		out = append(out, *el.Value.(*store.UnknownCircuit))
	}
	return out
}

func (u *unknownList) len() int { return len(u.m) }
