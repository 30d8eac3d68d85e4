package dhcpsys

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/dhcp/option82"
	"github.com/stadsnat/accessd/store"
)

// admin registers accessctl lookup, bindings, history, circuits --unknown,
// events, and what the store holds (for the crash test).
func (s *System) admin(m *admin.Mux) {
	m.Handle("GET "+admin.PathLookup, s.adminLookup)
	m.Handle("GET "+admin.PathBindings+"{access}", s.adminBindings)
	m.Handle("GET "+admin.PathHistory, s.adminHistory)
	m.Handle("GET "+admin.PathCircuits, s.adminCircuits)
	m.Handle("GET "+admin.PathEvents, s.adminEvents)
	m.Handle("GET "+admin.PathCommitted, s.adminCommitted)
}

// adminLookup answers accessctl lookup. Its errors are logged by the admin
// mux, so they never repeat an IP or MAC (personal data).
func (s *System) adminLookup(w http.ResponseWriter, r *http.Request) error {
	kind, value := r.URL.Query().Get("kind"), strings.TrimSpace(r.URL.Query().Get("value"))
	if value == "" {
		return admin.Errorf(http.StatusBadRequest, "no value to look up")
	}
	res := admin.Lookup{Kind: kind, Value: value, Bindings: []admin.Binding{}}
	var err error
	switch kind {
	case "ip":
		err = s.lookupIP(&res, value)
	case "mac":
		err = s.lookupMAC(&res, value)
	case "circuit":
		s.lookupCircuit(&res, value)
		if res.Access == "" && len(res.Bindings) == 0 && len(res.Unknown) == 0 {
			err = admin.Errorf(http.StatusNotFound, "circuit %q: %s", value, res.AccessNote)
		}
	case "option82":
		err = s.lookupOption82(&res, value)
	default:
		err = admin.Errorf(http.StatusBadRequest, "kind %q: want ip, mac, circuit or option82", kind)
	}
	if err != nil {
		return err
	}
	return admin.WriteJSON(w, res)
}

func (s *System) lookupIP(res *admin.Lookup, value string) error {
	ip, err := netip.ParseAddr(value)
	if err != nil {
		return admin.Errorf(http.StatusBadRequest, "not an IP address")
	}
	if b, ok := s.svc.BindingOfIP(ip); ok {
		res.Bindings = append(res.Bindings, fromRecord(&b))
		res.Access, res.AccessNote = b.Access, "the access of the active binding holding the IP"
		if b.Access == "" {
			res.AccessNote = "the binding's circuit matches no access"
		}
		return nil
	}
	a, err := s.svc.AccessOfIP(ip)
	if err != nil {
		return admin.Errorf(http.StatusNotFound, "%v", err)
	}
	res.Access, res.AccessNote = a, "no binding holds the IP: the neighbour table's MAC for it, and that MAC's binding"
	return nil
}

func (s *System) lookupMAC(res *admin.Lookup, value string) error {
	m, err := hwaddr.Parse(value)
	if err != nil {
		return admin.Errorf(http.StatusBadRequest, "not a MAC address (want 00:1a:2b:3c:4d:5e)")
	}
	b, ok := s.svc.Binding(m)
	if !ok {
		return admin.Errorf(http.StatusNotFound, "no binding of this MAC")
	}
	res.Bindings = append(res.Bindings, fromRecord(&b))
	res.Access = b.Access
	return nil
}

func (s *System) lookupOption82(res *admin.Lookup, value string) error {
	opts, err := option82.ParseHex(value)
	if err != nil {
		return admin.Errorf(http.StatusBadRequest, "option82 %q: %v", value, err)
	}
	for _, dc := range s.svc.DecodeAll(opts) {
		res.Decoded = append(res.Decoded, fromCircuit(dc.Profile, &dc.Circuit, dc.Err))
		if dc.Err == nil {
			if u, ok := s.svc.UnknownCircuit(dc.Circuit.Key); ok && !hasKey(res.Unknown, u.Key) {
				res.Unknown = append(res.Unknown, fromUnknown(&u))
			}
		}
	}
	a, err := s.svc.Resolver().Resolve(opts, "", "")
	if err != nil {
		res.AccessNote = err.Error()
	} else {
		res.Access, res.AccessNote = a, "as the option82 and dhcplookup APIs answer"
		res.Bindings = fromRecords(s.svc.BindingsOnAccess(a))
	}
	return nil
}

func hasKey(us []admin.UnknownCircuit, key string) bool {
	for _, u := range us {
		if u.Key == key {
			return true
		}
	}
	return false
}

// lookupCircuit answers for a circuit key as the inventory spells it
// ("192.168.248.85 ge-0/0/10", "rl-down").
func (s *System) lookupCircuit(res *admin.Lookup, key string) {
	var lr lookupResult
	s.resolveCircuit(&lr, key)
	res.Access, res.AccessNote = lr.access, lr.note
	res.Bindings = fromRecords(s.svc.BindingsOnCircuit(key))
	if u, ok := s.svc.UnknownCircuit(key); ok {
		res.Unknown = append(res.Unknown, fromUnknown(&u))
	}
}

// lookupResult is the access a circuit key leads to and how.
type lookupResult struct{ access, note string }

// resolveCircuit finds the access of a circuit key as the inventory
// spells it: the remote-id before the first space, the circuit-id after
// it.
func (s *System) resolveCircuit(res *lookupResult, key string) {
	remote, circ, ok := strings.Cut(key, " ")
	if !ok {
		remote, circ = "", key
	}
	m, err := s.db.Inventory().ResolveCircuit(key, strings.TrimSpace(circ), remote)
	switch {
	case err != nil:
		res.note = err.Error()
	case m.ByKey != "":
		res.access, res.note = m.ByKey, "the access whose Option82 text is the key"
		if m.ByPair != "" && m.ByPair != m.ByKey {
			res.note += fmt.Sprintf("; access %s claims it too by circuit-id/remote-id", m.ByPair)
		}
	case m.ByPair != "":
		res.access, res.note = m.ByPair, "the access with this circuit-id and remote-id"
	case m.PairAmbiguous:
		res.note = "several accesses have this circuit-id or remote-id"
	default:
		res.note = "no access has this circuit"
	}
}

func (s *System) adminBindings(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("access")
	if _, err := s.db.Inventory().Access(id); errors.Is(err, store.ErrNotFound) {
		return admin.Errorf(http.StatusNotFound, "no access %q", id)
	} else if err != nil {
		return err
	}
	res := admin.AccessBindings{Access: id, Bindings: fromRecords(s.svc.BindingsOnAccess(id))}
	if l, err := s.db.Bindings().LastOption82Of(id); err == nil {
		res.LastOption82, res.LastOption82Seen = l.Hex, &l.Seen
	}
	if hex, ok := s.svc.LastOption82(id); ok {
		res.LastOption82 = hex
	}
	return admin.WriteJSON(w, res)
}

// historyLimit bounds an answer of accessctl history: the newest
// intervals of the IP.
const historyLimit = 1000

func (s *System) adminHistory(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ip, err := netip.ParseAddr(q.Get("ip"))
	if err != nil {
		return admin.Errorf(http.StatusBadRequest, "ip: not an IP address")
	}
	res := admin.History{IP: ip.String(), Intervals: []admin.Interval{}}
	var at time.Time
	if v := q.Get("at"); v != "" {
		if at, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return admin.Errorf(http.StatusBadRequest, "at %q: want RFC 3339 time", v)
		}
		res.At = &at
	}
	ivs, older, err := s.svc.History(ip, at, historyLimit)
	if err != nil {
		return admin.Errorf(http.StatusBadRequest, "%v", err)
	}
	res.Older = older
	for i := range ivs {
		res.Intervals = append(res.Intervals, fromInterval(&ivs[i]))
	}
	return admin.WriteJSON(w, res)
}

func (s *System) adminCircuits(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Query().Get("unknown") != "1" {
		return admin.Errorf(http.StatusBadRequest, "only the unknown circuits are listed: add unknown=1")
	}
	return admin.WriteJSON(w, fromUnknowns(s.svc.UnknownCircuits()))
}

func (s *System) adminEvents(w http.ResponseWriter, r *http.Request) error {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			return admin.Errorf(http.StatusBadRequest, "limit %q: want 1 to 100000", v)
		}
		limit = n
	}
	evs, err := s.db.Bindings().LastEvents(limit)
	if err != nil {
		return err
	}
	out := make([]admin.BindingEvent, len(evs))
	for i := range evs {
		out[i] = fromEvent(&evs[i])
	}
	return admin.WriteJSON(w, out)
}

// adminCommitted lists what the store holds, from one read transaction:
// every binding in it was committed (fsynced) by commitSeq, so a test
// that kills the daemon can check that all of it survives.
func (s *System) adminCommitted(w http.ResponseWriter, r *http.Request) error {
	res := admin.Committed{Bindings: []admin.CommittedBinding{}}
	seq, err := s.db.Bindings().Load(func(b *store.BindingRecord) error {
		res.Bindings = append(res.Bindings, admin.CommittedBinding{MAC: b.MAC.String(), IP: addrText(b.IP), State: b.State.String(), Access: b.Access})
		return nil
	})
	if err != nil {
		return err
	}
	res.CommitSeq = seq
	return admin.WriteJSON(w, res)
}
