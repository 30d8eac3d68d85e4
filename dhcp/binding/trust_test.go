package binding

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A RELEASE or DECLINE ends a binding only when it names the binding's MAC
// and IP and comes through its circuit; a forged one changes nothing, not
// even LastSeen.
func TestEndNeedsTheBindingsCircuit(t *testing.T) {
	m := New(Config{TentativeLifetime: 2 * time.Minute, DefaultLeaseTime: time.Hour})
	bound := func() *Binding {
		r := m.Apply(nil, nil, ack(macA, 0, ipX, time.Hour, "acc1"))
		return r.Binding
	}
	other := func(k Kind) Observation { return relayedEnd(k, macA, time.Minute, ipX, ipX, "acc2") }
	noOpt82 := func(src Source, k Kind) Observation {
		o := msg(k, macA, time.Minute, ipX, ipX)
		o.Source = src
		return o
	}
	undecodable := relayedEnd(Release, macA, time.Minute, ipX, netip.Addr{}, "acc1")
	undecodable.Circuit, undecodable.Access = "", ""
	snoopOther := other(Release)
	snoopOther.Source = SourceSnoop
	for _, tc := range []struct {
		name    string
		ob      Observation
		refused bool
		state   State
	}{
		{"relayed RELEASE through the binding's circuit", relayedEnd(Release, macA, time.Minute, ipX, netip.Addr{}, "acc1"), false, Released},
		{"relayed DECLINE through the binding's circuit", relayedEnd(Decline, macA, time.Minute, zero, ipX, "acc1"), false, Declined},
		{"relayed RELEASE through another port", other(Release), true, Bound},
		{"relayed DECLINE through another port", other(Decline), true, Bound},
		{"relay copy of a RELEASE without option 82", noOpt82(SourceRelay, Release), true, Bound},
		{"relayed RELEASE whose option 82 does not decode", undecodable, true, Bound},
		{"snooped unicast RELEASE of the client (no option 82)", noOpt82(SourceSnoop, Release), false, Released},
		{"snooped RELEASE with another port's option 82", snoopOther, true, Bound},
		{"Kea's released row", kea(LeaseReleased, macA, time.Minute, ipX, 0), false, Released},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur := bound()
			before := *cur
			res := m.Apply(cur, nil, tc.ob)
			if res.Refused != tc.refused || res.Binding == nil || res.Binding.State != tc.state {
				t.Fatalf("refused %v, binding %+v; want refused %v, state %v", res.Refused, res.Binding, tc.refused, tc.state)
			}
			if tc.refused {
				if diff := cmp.Diff(before, *res.Binding, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" || res.Changed || len(res.Events) > 0 || len(res.Closed) > 0 {
					t.Errorf("a refused end changed the binding (-before +after):\n%s\nchanged %v events %v", diff, res.Changed, res.Events)
				}
			}
		})
	}
}
