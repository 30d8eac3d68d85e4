package ingest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/store"
)

// Every state, source and event kind of the machine has exactly one stored
// form with the same name, and converts back to itself; every stored one
// has a machine value.
func TestStoreEnums(t *testing.T) {
	for s := binding.Tentative; s <= binding.Declined; s++ {
		ss := storeState(s)
		if ss.String() != s.String() || bindingState(ss) != s {
			t.Errorf("state %v: stored as %v, back %v", s, ss, bindingState(ss))
		}
	}
	for _, ss := range store.BindingStates {
		if s := bindingState(ss); s == 0 || storeState(s) != ss {
			t.Errorf("stored state %v has no machine state (%v)", ss, s)
		}
	}
	if storeState(0) != 0 || bindingState(0) != 0 || bindingState(99) != 0 || bindingState(99).Active() {
		t.Error("the zero and unknown states must stay zero and inactive")
	}
	for s := binding.SourceRelay; s <= binding.SourceKea; s++ {
		ss := storeSource(s)
		if ss.String() != s.String() || bindingSource(ss) != s {
			t.Errorf("source %v: stored as %v, back %v", s, ss, bindingSource(ss))
		}
	}
	for _, ss := range store.BindingSources {
		if s := bindingSource(ss); s == 0 || storeSource(s) != ss {
			t.Errorf("stored source %v has no machine source (%v)", ss, s)
		}
	}
	var kept []string
	for k := binding.Started; k <= binding.Ended; k++ {
		sk, ok := storeEventKind(k)
		if !ok {
			continue
		}
		if string(sk) != k.String() {
			t.Errorf("event %v stored as %q", k, sk)
		}
		kept = append(kept, string(sk))
	}
	if diff := cmp.Diff([]string{"ip-changed", "mac-moved", "ip-taken-over", "ip-claimed"}, kept); diff != "" {
		t.Errorf("events kept for the NOC (-want +got):\n%s", diff)
	}
}

// A binding survives the trip through the store's form, but for its
// hostname, which is never stored.
func TestRecordToStore(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	r := record{
		Binding: binding.Binding{MAC: mac(7), IP: addr("10.64.0.7"), State: binding.Bound, Access: "A7", Circuit: "c7",
			GIAddr: addr("10.0.0.1"), Hostname: "familjen-svensson", FirstSeen: t0, LastSeen: t0.Add(time.Minute),
			Since: t0, Ended: t0.Add(time.Hour), Expires: t0.Add(2 * time.Hour), LeaseTime: time.Hour, Confirmed: true,
			Source: binding.SourceSnoop},
		RemoteID: "10.0.0.1", CircuitID: "ge-0/0/7", Profile: "default", Option82: []byte{82, 3, 1, 1, '7'},
	}
	s := r.toStore()
	if s.State != store.BindingBound || s.Source != store.SourceSnoop || s.MAC.String() != mac(7).String() {
		t.Errorf("stored %+v", s)
	}
	want := r
	want.Hostname = ""
	if diff := cmp.Diff(want, fromStore(&s), addrCmp); diff != "" {
		t.Errorf("back from the store (-want +got):\n%s", diff)
	}
	iv := binding.Interval{IP: addr("10.64.0.7"), MAC: mac(7), Access: "A7", Circuit: "c7", From: t0, To: t0.Add(time.Hour), Confirmed: true}
	siv := storeInterval(&iv)
	if diff := cmp.Diff(iv, bindingInterval(&siv), addrCmp); diff != "" {
		t.Errorf("interval back from the store (-want +got):\n%s", diff)
	}
}
