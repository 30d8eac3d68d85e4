package ingest

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/lookup"
	"github.com/stadsnat/accessd/dhcp/option82"
)

// The live step follows the last packet of an Option 82, though its
// circuit remembers what it learned: the same port-only Option 82 through
// two relays (a giaddr profile) is two accesses, in turn.
func TestLearnedFollowsTheLastPacket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		profiles := []circuit.Profile{{Name: "by-giaddr", GIAddr: []netip.Prefix{netip.MustParsePrefix("10.8.0.0/16")}, Key: "{giaddr}/{circuit_id}"}}
		h := newHarness(t, Config{Profiles: profiles}, access("GI1", "10.8.0.1/port-7"), access("GI2", "10.8.0.2/port-7"))
		defer h.stop()
		live, ok := lookup.LiveKey([]option82.Option{{Subs: []option82.SubOption{{Code: 1, Data: []byte("port-7")}}}})
		if !ok {
			t.Fatal("no live key")
		}
		for i, relay := range []string{"10.8.0.1", "10.8.0.2", "10.8.0.1", "10.8.0.1", "10.8.0.2"} {
			p := relayRequest(mac(1), "10.64.0.1", "port-7", "")
			p.giaddr = relay
			h.push(binding.SourceRelay, p)
			synctest.Wait()
			want := map[string]string{"10.8.0.1": "GI1", "10.8.0.2": "GI2"}[relay]
			if got, ok := h.s.LiveAccess(live); got != want || !ok {
				t.Errorf("packet %d, through %s: learned %q, %v; want %q", i+1, relay, got, ok, want)
			}
		}
	})
}

// An access's last Option 82 is seen again by every packet: each lazy
// write stores when the last one came, not only the first lazy write.
func TestLastOption82SeenInEveryLazyWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{LazyInterval: time.Minute}, access("A1", "10.0.0.1 ge-0/0/1"))
		defer h.stop()
		req := relayRequest(mac(1), "10.64.0.1", "ge-0/0/1", "10.0.0.1")
		h.push(binding.SourceRelay, req)
		for round := range 3 {
			time.Sleep(time.Second)
			h.push(binding.SourceRelay, req) // the same Option 82: a lazy write
			seen := time.Now()
			time.Sleep(time.Minute + time.Second)
			synctest.Wait()
			l, err := h.db.Bindings().LastOption82Of("A1")
			if err != nil || !l.Seen.Equal(seen) {
				t.Errorf("round %d: stored last Option 82 seen %v, %v; want %v", round+1, l.Seen, err, seen)
			}
		}
	})
}
