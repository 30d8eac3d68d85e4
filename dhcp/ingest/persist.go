package ingest

import (
	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/store"
)

// The edge between the binding state machine and the store: the store
// defines the persisted forms of bindings (store.BindingRecord, its state
// and source bytes, history intervals, event kinds) and imports no DHCP
// package, so the service converts here, explicitly, value by value. The
// working set keeps the machine's form; only the writer, the loader and
// the answers convert.

// record is a binding in the working set: the state machine's binding and
// what the circuit decoder made of the client's last Option 82.
type record struct {
	binding.Binding
	// RemoteID and CircuitID are the decoded sub-options ("" when absent),
	// Profile the decoder profile that read them.
	RemoteID  string
	CircuitID string
	Profile   string
	// Option82 holds every option 82 instance of the last packet that set
	// the circuit, as concatenated TLVs.
	Option82 []byte
}

// toStore is the record as the store keeps it. The hostname is dropped:
// personal data accessd has no use for (the store has no field for it).
func (r *record) toStore() store.BindingRecord {
	b := &r.Binding
	return store.BindingRecord{
		MAC: store.MAC(b.MAC), IP: b.IP, State: storeState(b.State), Access: b.Access, Circuit: b.Circuit,
		GIAddr: b.GIAddr, FirstSeen: b.FirstSeen, LastSeen: b.LastSeen, Since: b.Since, Ended: b.Ended,
		Expires: b.Expires, LeaseTime: b.LeaseTime, Confirmed: b.Confirmed, Source: storeSource(b.Source),
		RemoteID: r.RemoteID, CircuitID: r.CircuitID, Profile: r.Profile, Option82: r.Option82,
	}
}

// fromStore is a stored binding in the working set's form.
func fromStore(s *store.BindingRecord) record {
	return record{
		Binding: binding.Binding{
			MAC: hwaddr.MAC(s.MAC), IP: s.IP, State: bindingState(s.State), Access: s.Access, Circuit: s.Circuit,
			GIAddr: s.GIAddr, FirstSeen: s.FirstSeen, LastSeen: s.LastSeen, Since: s.Since, Ended: s.Ended,
			Expires: s.Expires, LeaseTime: s.LeaseTime, Confirmed: s.Confirmed, Source: bindingSource(s.Source),
		},
		RemoteID: s.RemoteID, CircuitID: s.CircuitID, Profile: s.Profile, Option82: s.Option82,
	}
}

// storeState converts a machine state to its stored byte; the zero (no
// state) stays zero.
func storeState(s binding.State) store.BindingState {
	switch s {
	case binding.Tentative:
		return store.BindingTentative
	case binding.Bound:
		return store.BindingBound
	case binding.Released:
		return store.BindingReleased
	case binding.Expired:
		return store.BindingExpired
	case binding.Declined:
		return store.BindingDeclined
	}
	return 0
}

// bindingState reverses storeState; a byte no state has (a corrupt or a
// newer file) is the zero state, which is not active.
func bindingState(s store.BindingState) binding.State {
	switch s {
	case store.BindingTentative:
		return binding.Tentative
	case store.BindingBound:
		return binding.Bound
	case store.BindingReleased:
		return binding.Released
	case store.BindingExpired:
		return binding.Expired
	case store.BindingDeclined:
		return binding.Declined
	}
	return 0
}

func storeSource(s binding.Source) store.BindingSource {
	switch s {
	case binding.SourceRelay:
		return store.SourceRelay
	case binding.SourceSnoop:
		return store.SourceSnoop
	case binding.SourceKea:
		return store.SourceKea
	}
	return 0
}

func bindingSource(s store.BindingSource) binding.Source {
	switch s {
	case store.SourceRelay:
		return binding.SourceRelay
	case store.SourceSnoop:
		return binding.SourceSnoop
	case store.SourceKea:
		return binding.SourceKea
	}
	return 0
}

// storeEventKind gives the stored kind of the machine's events the NOC
// reads; ok is false for the others (started, confirmed, ended), which
// are only counted.
func storeEventKind(k binding.EventKind) (kind store.BindingEventKind, ok bool) {
	switch k {
	case binding.MACMoved:
		return store.EventMACMoved, true
	case binding.IPTakenOver:
		return store.EventIPTakenOver, true
	case binding.IPClaimed:
		return store.EventIPClaimed, true
	case binding.IPChanged:
		return store.EventIPChanged, true
	}
	return "", false
}

func storeInterval(iv *binding.Interval) store.BindingInterval {
	return store.BindingInterval{IP: iv.IP, MAC: store.MAC(iv.MAC), Access: iv.Access, Circuit: iv.Circuit,
		From: iv.From, To: iv.To, Confirmed: iv.Confirmed}
}

func bindingInterval(iv *store.BindingInterval) binding.Interval {
	return binding.Interval{IP: iv.IP, MAC: hwaddr.MAC(iv.MAC), Access: iv.Access, Circuit: iv.Circuit,
		From: iv.From, To: iv.To, Confirmed: iv.Confirmed}
}

func storeMACs(macs []hwaddr.MAC) []store.MAC {
	out := make([]store.MAC, len(macs))
	for i, m := range macs {
		out[i] = store.MAC(m)
	}
	return out
}

func storeIntervals(ivs []binding.Interval) []store.BindingInterval {
	out := make([]store.BindingInterval, len(ivs))
	for i := range ivs {
		out[i] = storeInterval(&ivs[i])
	}
	return out
}
