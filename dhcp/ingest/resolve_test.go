package ingest

import (
	"errors"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/option82"
	"github.com/stadsnat/accessd/store"
)

func TestResolver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		profiles := []circuit.Profile{
			// Binary Cisco circuits from relays in 10.9.0.0/16.
			{Name: "cisco", GIAddr: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}, Format: circuit.FormatCisco, Key: "{remote_id} {module}/{port}"},
			// Relays that send only the port: the relay address is the switch.
			{Name: "by-giaddr", GIAddr: []netip.Prefix{netip.MustParsePrefix("10.8.0.0/16")}, Key: "{giaddr}/{circuit_id}"},
		}
		h := newHarness(t, Config{Profiles: profiles},
			access("SPEC", "10.10.10.10 eth 0/1"), access("CISCO", "bs3g2 4/4"), access("GI", "10.8.0.1/port-7"),
			access("RL", "rl-down"), access("S1", "10.0.0.5 shared"), access("S2", "10.0.0.6 shared"))
		defer h.stop()
		res := h.s.Resolver()
		hexOf := func(s string) []option82.Option {
			o, err := option82.ParseHex(s)
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		for _, c := range []struct {
			name     string
			opts     []option82.Option
			cid, rid string
			want     string
			err      error
		}{
			{name: "PI-API spec example (inventory text)", opts: hexOf("5216010765746820302F31020B31302E31302E31302E3130"), want: "SPEC"},
			{name: "dhcplookup circuit-id only", cid: "rl-down", want: "RL"},
			{name: "dhcplookup pair", cid: "eth 0/1", rid: "10.10.10.10", want: "SPEC"},
			{name: "Cisco binary through its profile", opts: hexOf("52110106000409490404020701056273336732"), want: "CISCO"},
			{name: "giaddr profile before any packet", opts: []option82.Option{{Subs: []option82.SubOption{{Code: 1, Data: []byte("port-7")}}}}, err: store.ErrNotFound},
			{name: "shared circuit-id", cid: "shared", err: store.ErrAmbiguous},
			{name: "nothing", cid: "nowhere", rid: "10.1.1.1", err: store.ErrNotFound},
		} {
			id, err := res.Resolve(c.opts, c.cid, c.rid)
			if id != c.want || (c.err == nil) != (err == nil) || (c.err != nil && !errors.Is(err, c.err)) {
				t.Errorf("%s: Resolve = %q, %v; want %q, %v", c.name, id, err, c.want, c.err)
			}
		}
		// A packet through the giaddr profile teaches the live step.
		p := relayRequest(mac(1), "10.64.0.1", "port-7", "")
		p.giaddr = "10.8.0.1"
		h.push(binding.SourceRelay, p)
		synctest.Wait()
		if got := h.live(mac(1)); got.Access != "GI" {
			t.Fatalf("packet through the giaddr profile: %+v", got)
		}
		id, err := res.Resolve([]option82.Option{{Subs: []option82.SubOption{{Code: 1, Data: []byte("port-7")}}}}, "", "")
		if id != "GI" || err != nil {
			t.Errorf("after a packet: Resolve = %q, %v; want GI", id, err)
		}
		// The inventory changes: what was learned is forgotten.
		if err := h.db.Inventory().RemoveAccess("GI"); err != nil {
			t.Fatal(err)
		}
		h.push(binding.SourceRelay, relayRequest(mac(2), "10.64.0.2", "rl-down", ""))
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if id, err := res.Resolve([]option82.Option{{Subs: []option82.SubOption{{Code: 1, Data: []byte("port-7")}}}}, "", ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after removing the access: Resolve = %q, %v", id, err)
		}
	})
}

// New profiles apply to the next packets (SIGHUP).
func TestSetProfiles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{}, access("A1", "10.0.0.1 ge-0/0/1"), access("P1", "ge-0/0/1"))
		defer h.stop()
		h.push(binding.SourceRelay, relayRequest(mac(1), "10.64.0.1", "ge-0/0/1", "10.0.0.1"))
		synctest.Wait()
		if err := h.s.SetProfiles([]circuit.Profile{{Name: "port", Key: "{circuit_id}"}}, map[string]string{"port": "bb"}); err != nil {
			t.Fatal(err)
		}
		h.push(binding.SourceRelay, relayRequest(mac(2), "10.64.0.2", "ge-0/0/1", "10.0.0.1"))
		synctest.Wait()
		if a1, a2 := h.live(mac(1)).Access, h.live(mac(2)).Access; a1 != "A1" || a2 != "P1" {
			t.Errorf("accesses %q, %q; want A1 (old profile), P1 (new)", a1, a2)
		}
		if ls := h.s.Leases("P1"); len(ls) != 1 || ls[0].ServiceType != "bb" {
			t.Errorf("leases of P1: %+v", ls)
		}
		if err := h.s.SetProfiles([]circuit.Profile{{Name: "bad", Key: "{nope}"}}, nil); err == nil {
			t.Error("a bad key template was accepted")
		}
	})
}
