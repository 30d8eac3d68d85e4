package ingest

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/dhcp/neigh"
	"github.com/stadsnat/accessd/store"
)

// summary is what a test compares of a binding.
type summary struct {
	IP, State, Access, Circuit string
	Confirmed                  bool
}

func sum(r store.BindingRecord) summary {
	ip := ""
	if r.IP.IsValid() {
		ip = r.IP.String()
	}
	return summary{ip, r.State.String(), r.Access, r.Circuit, r.Confirmed}
}

func (h *harness) live(m hwaddr.MAC) summary {
	h.t.Helper()
	r, ok := h.s.Binding(m)
	if !ok {
		return summary{}
	}
	return sum(r)
}

// A relayed REQUEST on a known circuit makes a tentative binding on its
// access; it is in the store one commit interval later, in one commit, and
// an ACK seen by snoop confirms it.
func TestRelayThenSnoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{}, access("A1", "10.0.0.1 ge-0/0/1"), access("A2", "rl-down"))
		defer h.stop()
		h.push(binding.SourceRelay,
			pkt{typ: dhcpv4.MessageTypeDiscover, mac: mac(1), giaddr: "10.0.0.1", option82: o82("ge-0/0/1", "10.0.0.1")},
			relayRequest(mac(1), "10.64.0.1", "ge-0/0/1", "10.0.0.1"),
			relayRequest(mac(2), "10.64.0.2", "rl-down", ""), // dhcrelay -a: circuit-id only
		)
		synctest.Wait()
		want1 := summary{"10.64.0.1", "tentative", "A1", "10.0.0.1 ge-0/0/1", false}
		if diff := cmp.Diff(want1, h.live(mac(1))); diff != "" {
			t.Errorf("live binding (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(summary{"10.64.0.2", "tentative", "A2", "rl-down", false}, h.live(mac(2))); diff != "" {
			t.Errorf("live binding of the circuit-only relay (-want +got):\n%s", diff)
		}
		if len(h.stored()) != 0 {
			t.Error("stored before the commit interval")
		}
		time.Sleep(20 * time.Millisecond)
		synctest.Wait()
		got := h.stored()
		if diff := cmp.Diff(want1, sum(got[mac(1)])); diff != "" {
			t.Errorf("stored binding (-want +got):\n%s", diff)
		}
		if r := got[mac(1)]; r.RemoteID != "10.0.0.1" || r.CircuitID != "ge-0/0/1" || r.Profile != "default" ||
			hexString(r.Option82) != "5214010867652D302F302F31020831302E302E302E31" || r.GIAddr != addr("10.0.0.1") {
			t.Errorf("stored circuit: %+v", r)
		}
		if seq, _ := h.s.CommitSeq(); seq != 1 {
			t.Errorf("commit sequence %d, want 1 (one group commit)", seq)
		}
		if n := h.counter("accessd_dhcp_packet_to_commit_seconds"); n != 2 {
			t.Errorf("packet-to-commit observations %v, want 2 (two packets made real changes)", n)
		}
		if n := h.counter("accessd_dhcp_packets_total", "source", "relay", "type", "request"); n != 2 {
			t.Errorf("relay requests counted %v", n)
		}

		h.push(binding.SourceSnoop, pkt{typ: dhcpv4.MessageTypeAck, reply: true, mac: mac(1), yiaddr: "10.64.0.1",
			lease: time.Hour, serverID: "10.0.0.254", giaddr: "10.0.0.1", option82: o82("ge-0/0/1", "10.0.0.1")})
		time.Sleep(20 * time.Millisecond)
		synctest.Wait()
		r := h.stored()[mac(1)]
		if diff := cmp.Diff(summary{"10.64.0.1", "bound", "A1", "10.0.0.1 ge-0/0/1", true}, sum(r)); diff != "" {
			t.Errorf("after the ACK (-want +got):\n%s", diff)
		}
		if !r.Expires.Equal(time.Now().Add(time.Hour-20*time.Millisecond)) || r.LeaseTime != time.Hour || r.Source != store.SourceSnoop {
			t.Errorf("bound binding: expires %v (now %v), lease %v, source %v", r.Expires, time.Now(), r.LeaseTime, r.Source)
		}
		if hx, ok := h.s.LastOption82("A1"); !ok || hx != "5214010867652D302F302F31020831302E302E302E31" {
			t.Errorf("LastOption82(A1) = %q, %v", hx, ok)
		}
		if hx, seen, ok := h.s.LastOption82Seen("A1"); !ok || hx != "5214010867652D302F302F31020831302E302E302E31" ||
			!seen.Equal(time.Now().Add(-20*time.Millisecond)) {
			t.Errorf("LastOption82Seen(A1) = %q, %v, %v (now %v)", hx, seen, ok, time.Now())
		}
	})
}

// Repeats that change only LastSeen or move the expiry later are written
// lazily, not within the commit interval.
func TestLazyWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{LazyInterval: time.Minute}, access("A1", "10.0.0.1 ge-0/0/1"))
		defer h.stop()
		req := relayRequest(mac(1), "10.64.0.1", "ge-0/0/1", "10.0.0.1")
		h.push(binding.SourceRelay, req)
		time.Sleep(30 * time.Millisecond)
		synctest.Wait()
		first := h.stored()[mac(1)]
		for range 10 {
			time.Sleep(time.Second)
			h.push(binding.SourceRelay, req)
		}
		time.Sleep(30 * time.Millisecond)
		synctest.Wait()
		if seq, _ := h.s.CommitSeq(); seq != 1 {
			t.Errorf("commit sequence %d after repeats, want 1", seq)
		}
		live, _ := h.s.Binding(mac(1))
		if !live.LastSeen.After(first.LastSeen) || !live.Expires.After(first.Expires) {
			t.Errorf("live LastSeen/Expires did not move: %v/%v", live.LastSeen, live.Expires)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := h.stored()[mac(1)]; !got.LastSeen.Equal(live.LastSeen) || !got.Expires.Equal(live.Expires) {
			t.Errorf("after the lazy interval: stored LastSeen %v Expires %v, want %v %v", got.LastSeen, got.Expires, live.LastSeen, live.Expires)
		}
	})
}

// An expiry that would run out before the next lazy write is written
// promptly.
func TestExpiryWrittenBeforeItLapses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{LazyInterval: time.Minute, TentativeLifetime: 3 * time.Minute}, access("A1", "10.0.0.1 ge-0/0/1"))
		defer h.stop()
		req := relayRequest(mac(1), "10.64.0.1", "ge-0/0/1", "10.0.0.1")
		h.push(binding.SourceRelay, req)
		time.Sleep(30 * time.Millisecond)
		time.Sleep(90 * time.Second) // the stored expiry is 90 s ahead: less than two lazy intervals
		h.push(binding.SourceRelay, req)
		time.Sleep(30 * time.Millisecond)
		synctest.Wait()
		if seq, _ := h.s.CommitSeq(); seq < 2 {
			t.Errorf("commit sequence %d: the extended expiry was not written promptly", seq)
		}
		live, _ := h.s.Binding(mac(1))
		if got := h.stored()[mac(1)]; !got.Expires.Equal(live.Expires) {
			t.Errorf("stored expiry %v, live %v", got.Expires, live.Expires)
		}
	})
}

// A circuit that matches no access is never guessed: the binding has no
// access, and the circuit is listed with its counts until the inventory
// learns it.
func TestUnknownCircuits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{UnknownCircuitsMax: 2}, access("A1", "10.0.0.1 ge-0/0/1"))
		defer h.stop()
		start := time.Now()
		h.push(binding.SourceRelay, relayRequest(mac(1), "10.64.0.1", "ge-0/0/9", "10.0.0.1"))
		time.Sleep(time.Second)
		h.push(binding.SourceRelay, relayRequest(mac(2), "10.64.0.2", "ge-0/0/9", "10.0.0.1"))
		time.Sleep(30 * time.Millisecond)
		synctest.Wait()
		if diff := cmp.Diff(summary{"10.64.0.1", "tentative", "", "10.0.0.1 ge-0/0/9", false}, h.live(mac(1))); diff != "" {
			t.Errorf("binding on an unknown circuit (-want +got):\n%s", diff)
		}
		want := store.UnknownCircuit{Key: "10.0.0.1 ge-0/0/9", Reason: "no access", Profile: "default", RemoteID: "10.0.0.1",
			CircuitID: "ge-0/0/9", GIAddr: addr("10.0.0.1"), Option82: "5214010867652D302F302F39020831302E302E302E31",
			Count: 2, FirstSeen: start, LastSeen: start.Add(time.Second), LastMAC: store.MAC(mac(2))}
		if diff := cmp.Diff([]store.UnknownCircuit{want}, h.s.UnknownCircuits(), addrCmp); diff != "" {
			t.Errorf("unknown circuits (-want +got):\n%s", diff)
		}
		// Stored at once (it is new); the count catches up lazily.
		if us, _ := h.db.Bindings().UnknownCircuits(); len(us) != 1 || us[0].Key != want.Key {
			t.Errorf("stored unknown circuits: %+v", us)
		}
		// The list is bounded: the least recently seen goes first.
		h.push(binding.SourceRelay, relayRequest(mac(3), "10.64.0.3", "ge-0/0/10", "10.0.0.1"))
		h.push(binding.SourceRelay, relayRequest(mac(4), "10.64.0.4", "ge-0/0/11", "10.0.0.1"))
		time.Sleep(30 * time.Millisecond)
		synctest.Wait()
		var keys []string
		for _, u := range h.s.UnknownCircuits() {
			keys = append(keys, u.Key)
		}
		if diff := cmp.Diff([]string{"10.0.0.1 ge-0/0/11", "10.0.0.1 ge-0/0/10"}, keys); diff != "" {
			t.Errorf("bounded list (-want +got):\n%s", diff)
		}
		// The inventory learns ge-0/0/10: its next packet finds the access
		// and the circuit leaves the list (and the store).
		importAccesses(t, h.db, access("A10", "10.0.0.1 ge-0/0/10"))
		h.push(binding.SourceRelay, relayRequest(mac(3), "10.64.0.3", "ge-0/0/10", "10.0.0.1"))
		time.Sleep(30 * time.Millisecond)
		synctest.Wait()
		if got := h.live(mac(3)); got.Access != "A10" {
			t.Errorf("after the import: access %q, want A10", got.Access)
		}
		if _, ok := h.s.UnknownCircuit("10.0.0.1 ge-0/0/10"); ok {
			t.Error("the circuit is still listed as unknown")
		}
		us, _ := h.db.Bindings().UnknownCircuits()
		if len(us) != 1 || us[0].Key != "10.0.0.1 ge-0/0/11" {
			t.Errorf("stored unknown circuits: %+v", us)
		}
		if n := h.counter("accessd_dhcp_unknown_circuit_packets_total"); n != 4 {
			t.Errorf("unknown circuit packets %v, want 4", n)
		}
	})
}

// Two accesses claim one circuit: with the key template "{circuit_id}",
// one access has the key as its Option82 text while another has the
// circuit-id / remote-id pair. The key's access wins, and the conflict is
// an event, recorded once.
func TestCircuitConflict(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{Profiles: []circuit.Profile{{Name: "port-only", Key: "{circuit_id}"}}},
			access("A1", "10.0.0.1 ge-0/0/1"), access("C1", "ge-0/0/1"))
		defer h.stop()
		h.push(binding.SourceRelay, relayRequest(mac(1), "10.64.0.1", "ge-0/0/1", "10.0.0.1"),
			relayRequest(mac(2), "10.64.0.2", "ge-0/0/1", "10.0.0.1"))
		time.Sleep(30 * time.Millisecond)
		synctest.Wait()
		if got := h.live(mac(1)).Access; got != "C1" {
			t.Errorf("access %q, want C1 (the key's)", got)
		}
		evs, err := h.db.Bindings().LastEvents(10)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.BindingEvent{{Seq: 1, Kind: "circuit-conflict", Time: time.Now().Add(-30 * time.Millisecond),
			Access: "C1", Circuit: "ge-0/0/1", Accesses: []string{"C1", "A1"}}}
		if diff := cmp.Diff(want, evs, addrCmp); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
	})
}

// Another MAC confirmed on an IP takes it over: the holder ends, its
// interval goes to history, and the take-over is an event.
func TestTakeOverAndHistory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{}, access("A1", "10.0.0.1 ge-0/0/1"), access("A2", "10.0.0.1 ge-0/0/2"))
		defer h.stop()
		t1 := time.Now()
		h.push(binding.SourceSnoop, pkt{typ: dhcpv4.MessageTypeAck, reply: true, mac: mac(1), yiaddr: "10.64.0.1", lease: time.Hour,
			giaddr: "10.0.0.1", option82: o82("ge-0/0/1", "10.0.0.1")})
		time.Sleep(time.Hour / 2)
		t2 := time.Now()
		h.push(binding.SourceSnoop, pkt{typ: dhcpv4.MessageTypeAck, reply: true, mac: mac(2), yiaddr: "10.64.0.1", lease: time.Hour,
			giaddr: "10.0.0.1", option82: o82("ge-0/0/2", "10.0.0.1")})
		time.Sleep(30 * time.Millisecond)
		synctest.Wait()
		got := h.stored()
		if diff := cmp.Diff(map[string]summary{
			"1": {"10.64.0.1", "expired", "A1", "10.0.0.1 ge-0/0/1", true},
			"2": {"10.64.0.1", "bound", "A2", "10.0.0.1 ge-0/0/2", true},
		}, map[string]summary{"1": sum(got[mac(1)]), "2": sum(got[mac(2)])}); diff != "" {
			t.Errorf("stored (-want +got):\n%s", diff)
		}
		if r, err := h.db.Bindings().ByIP(addr("10.64.0.1")); err != nil || r.MAC != store.MAC(mac(2)) {
			t.Errorf("IP index: %v, %v", r.MAC, err)
		}
		ivs, _, err := h.s.History(addr("10.64.0.1"), time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := []binding.Interval{
			{IP: addr("10.64.0.1"), MAC: mac(1), Access: "A1", Circuit: "10.0.0.1 ge-0/0/1", From: t1, To: t2, Confirmed: true},
			{IP: addr("10.64.0.1"), MAC: mac(2), Access: "A2", Circuit: "10.0.0.1 ge-0/0/2", From: t2, Confirmed: true},
		}
		if diff := cmp.Diff(want, ivs, addrCmp); diff != "" {
			t.Errorf("history (-want +got):\n%s", diff)
		}
		if newest, older, _ := h.s.History(addr("10.64.0.1"), time.Time{}, 1); len(newest) != 1 || newest[0].MAC != mac(2) || !older {
			t.Errorf("newest interval: %+v, older %v; want the live one and older true", newest, older)
		}
		at, _, _ := h.s.History(addr("10.64.0.1"), t1.Add(time.Minute), 0)
		if len(at) != 1 || at[0].MAC != mac(1) {
			t.Errorf("who had it at t1+1m: %+v", at)
		}
		evs, _ := h.db.Bindings().LastEvents(10)
		if len(evs) != 1 || evs[0].Kind != "ip-taken-over" || evs[0].MAC != store.MAC(mac(2)) || evs[0].PrevMAC != store.MAC(mac(1)) {
			t.Errorf("events: %+v", evs)
		}
		if a, err := h.s.AccessOfIP(addr("10.64.0.1")); a != "A2" || err != nil {
			t.Errorf("AccessOfIP = %q, %v", a, err)
		}
	})
}

// The sweep ends a tentative binding that was never confirmed.
func TestSweepExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{TentativeLifetime: time.Minute}, access("A1", "10.0.0.1 ge-0/0/1"))
		defer h.stop()
		h.push(binding.SourceRelay, relayRequest(mac(1), "10.64.0.1", "ge-0/0/1", "10.0.0.1"))
		time.Sleep(time.Minute + 10*time.Second)
		synctest.Wait()
		if got := sum(h.stored()[mac(1)]); got.State != "expired" {
			t.Errorf("after the tentative lifetime: %+v", got)
		}
		if _, ok := h.s.BindingOfIP(addr("10.64.0.1")); ok {
			t.Error("an expired binding still holds its IP")
		}
		ivs, _, _ := h.db.Bindings().History(addr("10.64.0.1"), time.Time{}, 0)
		if len(ivs) != 1 || ivs[0].Confirmed {
			t.Errorf("history: %+v", ivs)
		}
	})
}

// Everything committed is loaded again after a restart; a clean stop
// writes the lazy changes too.
func TestRestartLoadsEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{}, access("A1", "10.0.0.1 ge-0/0/1"))
		h.push(binding.SourceRelay,
			relayRequest(mac(1), "10.64.0.1", "ge-0/0/1", "10.0.0.1"),
			relayRequest(mac(2), "10.64.0.2", "ge-0/0/7", "10.0.0.7"))
		time.Sleep(30 * time.Millisecond)
		h.push(binding.SourceRelay, relayRequest(mac(1), "10.64.0.1", "ge-0/0/1", "10.0.0.1")) // lazy: LastSeen only
		synctest.Wait()
		before, _ := h.s.Binding(mac(1))
		unknown := h.s.UnknownCircuits()
		o82Before, _ := h.s.LastOption82("A1")
		h = h.restart(Config{})
		defer h.stop()
		after, ok := h.s.Binding(mac(1))
		if diff := cmp.Diff(before, after, addrCmp); !ok || diff != "" {
			t.Errorf("binding after restart (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(unknown, h.s.UnknownCircuits(), addrCmp); diff != "" {
			t.Errorf("unknown circuits after restart (-before +after):\n%s", diff)
		}
		if o, _ := h.s.LastOption82("A1"); o != o82Before {
			t.Errorf("last option 82 after restart %q, want %q", o, o82Before)
		}
		if rs := h.s.BindingsOnAccess("A1"); len(rs) != 1 || rs[0].MAC != store.MAC(mac(1)) {
			t.Errorf("BindingsOnAccess after restart: %+v", rs)
		}
	})
}

// Kea's lease rows confirm bindings and carry the relay information.
func TestKeaRows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{}, access("A2", "rl-down"))
		defer h.stop()
		rows := keaRows(t, `address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context
10.250.1.100,02:00:00:00:00:05,,3600,`+itoa(time.Now().Add(time.Hour).Unix())+`,1,0,0,privat-namn,0,{ "ISC": { "relay-agent-info": "0x0107726C2D646F776E" } }
`)
		if err := h.s.KeaRows(t.Context(), rows); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Millisecond)
		synctest.Wait()
		r := h.stored()[mac(5)]
		if diff := cmp.Diff(summary{"10.250.1.100", "bound", "A2", "rl-down", true}, sum(r)); diff != "" {
			t.Errorf("binding from Kea (-want +got):\n%s", diff)
		}
		if hn := h.liveHostname(mac(5)); hn != "" || r.Source != store.SourceKea {
			t.Errorf("hostname %q kept, source %v", hn, r.Source)
		}
	})
}

// A full queue drops and counts; it never blocks the source.
func TestQueueFullDrops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{QueueSize: 4}, access("A1", "10.0.0.1 ge-0/0/1"))
		defer h.stop()
		ps := make([]pkt, 10)
		for i := range ps {
			ps[i] = relayRequest(mac(byte(i)), "10.64.0.1", "ge-0/0/1", "10.0.0.1")
		}
		h.push(binding.SourceRelay, ps...)
		synctest.Wait()
		if d, r := h.counter("accessd_dhcp_dropped_packets_total", "source", "relay"), h.counter("accessd_dhcp_received_packets_total", "source", "relay"); d != 6 || r != 10 {
			t.Errorf("dropped %v of %v received, want 6 of 10", d, r)
		}
	})
}

// AccessOfIP falls back to the neighbour table for a static address.
func TestAccessOfIPNeighbour(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nt := neigh.Static{addr("192.0.2.7"): {IP: addr("192.0.2.7"), MAC: mac(1)}}
		h := newHarness(t, Config{Neighbours: nt}, access("A1", "10.0.0.1 ge-0/0/1"))
		defer h.stop()
		h.push(binding.SourceRelay, relayRequest(mac(1), "10.64.0.1", "ge-0/0/1", "10.0.0.1"))
		synctest.Wait()
		if a, err := h.s.AccessOfIP(addr("192.0.2.7")); a != "A1" || err != nil {
			t.Errorf("AccessOfIP(static) = %q, %v", a, err)
		}
		if _, err := h.s.AccessOfIP(addr("192.0.2.8")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AccessOfIP(unknown) err = %v", err)
		}
		bs, _ := h.s.BindingsOf("A1")
		if len(bs) != 1 || bs[0].MAC != mac(1) || bs[0].IP != addr("10.64.0.1") {
			t.Errorf("BindingsOf = %+v", bs)
		}
		ls := h.s.Leases("A1")
		if len(ls) != 1 || ls[0].ServiceType != "unknown" || !ls[0].LastRenew.IsZero() || ls[0].IP != addr("10.64.0.1") {
			t.Errorf("Leases = %+v", ls)
		}
	})
}

// Undecodable packets and option 82 are counted by reason.
func TestDecodeErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{}, access("A1", "10.0.0.1 ge-0/0/1"))
		defer h.stop()
		h.s.Push(binding.SourceRelay, time.Now(), [][]byte{[]byte("short")})
		bad := relayRequest(mac(1), "10.64.0.1", "", "")
		bad.option82 = []byte{9, 1, 0x80} // vendor sub-option only: no identity
		h.push(binding.SourceRelay, bad)
		synctest.Wait()
		if n := h.counter("accessd_dhcp_decode_errors_total", "reason", "short"); n != 1 {
			t.Errorf("short packets %v", n)
		}
		if n := h.counter("accessd_dhcp_decode_errors_total", "reason", "circuit_no_identity"); n != 1 {
			t.Errorf("circuits without identity %v", n)
		}
		us := h.s.UnknownCircuits()
		if len(us) != 1 || !strings.HasPrefix(us[0].Key, "hex:5203090180") || !strings.HasPrefix(us[0].Reason, "undecodable: ") {
			t.Errorf("undecodable circuit listed as %+v", us)
		}
	})
}

// A full group (fullBatch changed bindings) is committed at once, without
// waiting for the commit interval.
func TestFullGroupCommitsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{CommitInterval: time.Second}, access("A1", "10.0.0.1 ge-0/0/1"))
		defer h.stop()
		ps := make([]pkt, fullBatch)
		for i := range ps {
			m := mac(0)
			m[4], m[5] = byte(i>>8), byte(i)
			ps[i] = relayRequest(m, fmt.Sprintf("10.64.%d.%d", i>>8, i&255), "ge-0/0/1", "10.0.0.1")
		}
		h.push(binding.SourceRelay, ps...)
		synctest.Wait()
		if seq, _ := h.s.CommitSeq(); seq != 1 || len(h.stored()) != fullBatch {
			t.Errorf("after %d new bindings and no time: commit %d, %d stored", fullBatch, seq, len(h.stored()))
		}
		h.push(binding.SourceRelay, relayRequest(mac(1), "10.65.0.1", "ge-0/0/1", "10.0.0.1"))
		synctest.Wait()
		if seq, _ := h.s.CommitSeq(); seq != 1 {
			t.Errorf("one more binding was committed before the commit interval (commit %d)", seq)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if seq, _ := h.s.CommitSeq(); seq != 2 {
			t.Errorf("after the commit interval: commit %d, want 2", seq)
		}
	})
}

// A commit that fails keeps everything pending; the next one writes it.
func TestFailedCommitIsRetried(t *testing.T) {
	path := filepath.Join(t.TempDir(), store.FileName)
	db := openDB(t, path)
	importAccesses(t, db, access("A1", "10.0.0.1 ge-0/0/1"))
	s, err := New(Config{Bindings: db.Bindings(), Inventory: db.Inventory(), QueueSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.load(); err != nil {
		t.Fatal(err)
	}
	s.Push(binding.SourceRelay, time.Now(), [][]byte{
		relayRequest(mac(1), "10.64.0.1", "ge-0/0/1", "10.0.0.1").build(t),
		relayRequest(mac(2), "10.64.0.1", "ge-0/0/1", "10.0.0.1").build(t), // takes the IP over: history, event
	})
	s.drain()
	db.Close()
	if err := s.commit(true); err == nil {
		t.Fatal("commit to a closed store succeeded")
	}
	s.set.mu.RLock()
	dirty, hist, evs := len(s.set.pending.dirty), len(s.set.pending.history), len(s.set.pending.events)
	s.set.mu.RUnlock()
	if dirty != 2 || hist != 1 || evs != 1 {
		t.Errorf("after the failed commit: %d bindings, %d intervals, %d events pending; want 2, 1, 1", dirty, hist, evs)
	}
	db = openDB(t, path)
	defer db.Close()
	s.bindings, s.inv = db.Bindings(), db.Inventory()
	if err := s.commit(true); err != nil {
		t.Fatal(err)
	}
	if r, err := db.Bindings().ByIP(addr("10.64.0.1")); err != nil || r.MAC != store.MAC(mac(2)) {
		t.Errorf("after the retry: %v, %v", r.MAC, err)
	}
	if evs, _ := db.Bindings().LastEvents(10); len(evs) != 1 || evs[0].Kind != "ip-taken-over" {
		t.Errorf("events after the retry: %+v", evs)
	}
}

// A change that would be lazy on its own, to a binding already waiting
// for its prompt write, is written with it: the store gets the binding as
// it is at the commit, not as it was when it first changed.
func TestPromptWriteCarriesLaterLazyChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{CommitInterval: 20 * time.Millisecond, LazyInterval: time.Minute, TentativeLifetime: 10 * time.Minute},
			access("A1", "10.0.0.1 ge-0/0/1"))
		defer h.stop()
		h.push(binding.SourceRelay, relayRequest(mac(1), "10.64.0.1", "ge-0/0/1", "10.0.0.1"))
		time.Sleep(time.Second) // committed: the stored expiry is 10 min ahead
		req := relayRequest(mac(1), "10.64.0.2", "ge-0/0/1", "10.0.0.1")
		h.push(binding.SourceRelay, req) // another IP: prompt
		time.Sleep(5 * time.Millisecond)
		h.push(binding.SourceRelay, req) // LastSeen and an expiry far from lapsing: lazy on its own
		time.Sleep(50 * time.Millisecond)
		synctest.Wait()
		if seq, _ := h.s.CommitSeq(); seq != 2 {
			t.Fatalf("commit sequence %d, want 2 (no lazy write yet)", seq)
		}
		live, _ := h.s.Binding(mac(1))
		if got := h.stored()[mac(1)]; got.IP != addr("10.64.0.2") || !got.LastSeen.Equal(live.LastSeen) || !got.Expires.Equal(live.Expires) {
			t.Errorf("stored %v LastSeen %v Expires %v, live %v %v %v", got.IP, got.LastSeen, got.Expires, live.IP, live.LastSeen, live.Expires)
		}
	})
}

// A sweep over more active bindings than one stride (it lets queued
// packets in between strides) ends every expired one, in the working set
// and in the store.
func TestSweepOverManyStrides(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{TentativeLifetime: time.Minute}, access("A1", "10.0.0.1 ge-0/0/1"))
		defer h.stop()
		n := 2*sweepStride + 1
		macs := make([]hwaddr.MAC, n)
		ps := make([]pkt, n)
		for i := range n {
			macs[i] = hwaddr.MAC{2, 0, 0, 1, byte(i >> 8), byte(i)}
			ps[i] = relayRequest(macs[i], fmt.Sprintf("10.64.%d.%d", i>>8, i&0xff), "ge-0/0/1", "10.0.0.1")
		}
		for i := 0; i < n; i += 256 {
			h.push(binding.SourceRelay, ps[i:min(i+256, n)]...)
		}
		time.Sleep(time.Minute + 10*time.Second)
		synctest.Wait()
		stored := h.stored()
		for _, m := range macs {
			if got := sum(stored[m]); got.State != "expired" {
				t.Fatalf("%v after the tentative lifetime: stored %+v", m, got)
			}
			if live := h.live(m); live.State != "expired" {
				t.Fatalf("%v after the tentative lifetime: live %+v", m, live)
			}
		}
	})
}

// A binding renewed before it lapses is not ended at its first expiry
// (the sweep's list of expiries still names it there), but at its new
// one.
func TestSweepFollowsRenewals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{TentativeLifetime: time.Minute}, access("A1", "10.0.0.1 ge-0/0/1"))
		defer h.stop()
		req := relayRequest(mac(1), "10.64.0.1", "ge-0/0/1", "10.0.0.1")
		h.push(binding.SourceRelay, req)
		time.Sleep(50 * time.Second)
		h.push(binding.SourceRelay, req) // expires 50 s later than it did
		time.Sleep(30 * time.Second)
		synctest.Wait()
		if got := h.live(mac(1)); got.State != "tentative" {
			t.Errorf("after its first expiry: %+v, want still tentative", got)
		}
		time.Sleep(40 * time.Second)
		synctest.Wait()
		if got := h.live(mac(1)); got.State != "expired" {
			t.Errorf("after its renewed expiry: %+v", got)
		}
		if got := sum(h.stored()[mac(1)]); got.State != "expired" {
			t.Errorf("stored after its renewed expiry: %+v", got)
		}
	})
}

// A binding the hourly clean-up forgot and whose client came back before
// the forgetting was committed is kept: the commit does not write it and
// then delete it.
func TestForgottenBindingSeenAgainIsKept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{CommitInterval: 10 * time.Second, SweepInterval: 5 * time.Second,
			TentativeLifetime: time.Minute, HistoryRetention: 2 * time.Minute}, access("A1", "10.0.0.1 ge-0/0/1"))
		defer h.stop()
		h.push(binding.SourceRelay, relayRequest(mac(1), "10.64.0.1", "ge-0/0/1", "10.0.0.1"))
		// Never confirmed: ended at about 65 s; the clean-up after the
		// first (at 5 s) comes an hour later, at 3,605 s, and its commit
		// 10 s after that.
		time.Sleep(3607 * time.Second)
		synctest.Wait()
		if _, ok := h.s.Binding(mac(1)); ok {
			t.Fatal("the ended binding was not forgotten by the hourly clean-up")
		}
		if _, ok := h.stored()[mac(1)]; !ok {
			t.Fatal("the forgetting was committed already: the test would prove nothing")
		}
		h.push(binding.SourceRelay, relayRequest(mac(1), "10.64.0.1", "ge-0/0/1", "10.0.0.1"))
		time.Sleep(20 * time.Second)
		synctest.Wait()
		live, ok := h.s.Binding(mac(1))
		if !ok {
			t.Fatal("the client that came back is not in the working set")
		}
		got, ok := h.stored()[mac(1)]
		if !ok || !got.LastSeen.Equal(live.LastSeen) {
			t.Errorf("stored %+v (%v), want the binding of the client that came back (last seen %v)", sum(got), ok, live.LastSeen)
		}
	})
}
