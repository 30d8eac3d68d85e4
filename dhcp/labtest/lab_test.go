package labtest

import (
	"errors"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/dhcp4"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/dhcp/kealease"
	"github.com/stadsnat/accessd/dhcp/option82"
	"github.com/stadsnat/accessd/internal/testkit"
)

func TestRelayKeaToBinding(t *testing.T) {
	l := testkit.NewDHCPLab(t, "adt-lab", 252)

	conn, err := l.Srv.ListenUDP("0.0.0.0:67")
	if err != nil {
		t.Fatalf("listen in %s: %v", l.Srv.Name, err)
	}
	defer conn.Close()

	leases := l.KeaLeases
	l.StartKea()
	l.StartRelay()
	l.StartClient()

	dec, err := circuit.NewDecoder([]circuit.Profile{{Name: "lab-relay", Format: circuit.FormatText, Key: circuit.DefaultKey}})
	if err != nil {
		t.Fatal(err)
	}
	// dhcrelay sends no remote-id, so the key is the circuit-id alone.
	inventory := map[string]string{"rl-down": "ACC-LAB-1"}
	m := binding.New(binding.Config{})
	var cur *binding.Binding
	var requested netip.Addr
	var mac hwaddr.MAC

	// Relay copies: until a REQUEST with option 50 arrives.
	buf := make([]byte, 1500)
	deadline := time.Now().Add(30 * time.Second)
	var p dhcp4.Packet
	for !requested.IsValid() {
		if time.Now().After(deadline) {
			t.Fatal("no relayed REQUEST within 30 s")
		}
		_ = conn.SetReadDeadline(time.Now().Add(time.Second))
		n, src, err := conn.ReadFromUDPAddrPort(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Decode(buf[:n]); err != nil {
			t.Fatalf("relayed packet from %v: %v", src, err)
		}
		c, err := dec.Decode(p.GIAddr, p.Option82)
		if err != nil {
			t.Fatalf("circuit: %v", err)
		}
		ob, ok := binding.FromPacket(&p, binding.SourceRelay, time.Now(), inventory[c.Key], c.Key)
		if !ok {
			continue
		}
		r := m.Apply(cur, nil, ob)
		cur = r.Binding
		if p.MessageType == dhcp4.Request && p.RequestedIP.IsValid() {
			requested, mac = p.RequestedIP, ob.MAC
			if diff := cmp.Diff([]any{uint8(1), l.RelayDown, "rl-down", "ACC-LAB-1"},
				[]any{p.Hops, p.GIAddr.String(), c.CircuitID, ob.Access}); diff != "" {
				t.Errorf("relayed REQUEST (-want +got):\n%s", diff)
			}
		}
	}
	if cur == nil || cur.State != binding.Tentative || cur.IP != requested {
		t.Fatalf("after the relayed REQUEST: %+v", cur)
	}

	// Kea's lease file confirms it.
	var confirmed bool
	testkit.WaitUntil(t, 15*time.Second, "the lease in Kea's file", func() bool {
		f, err := os.Open(leases)
		if err != nil {
			return false
		}
		defer f.Close()
		ls, sum, err := kealease.Latest(f)
		if err != nil || sum.BadRows != 0 {
			t.Fatalf("lease file: %v, %d bad rows %v", err, sum.BadRows, sum.RowErrors)
		}
		for _, ls := range ls {
			if ls.Address != requested {
				continue
			}
			access, key := "", ""
			if o, ok, err := ls.Option82(); ok && err == nil {
				if c, err := dec.Decode(netip.Addr{}, []option82.Option{o}); err == nil {
					access, key = inventory[c.Key], c.Key
				}
			}
			if key == "" {
				t.Errorf("lease row of line %d carries no relay information", ls.Line)
			}
			ob, ok := binding.FromLease(&ls, access, key)
			if !ok {
				continue
			}
			r := m.Apply(cur, nil, ob)
			cur, confirmed = r.Binding, r.Binding.State == binding.Bound
		}
		return confirmed
	})
	got := []any{cur.State, cur.IP, cur.MAC, cur.Access, cur.Circuit}
	want := []any{binding.Bound, requested, mac, "ACC-LAB-1", "rl-down"}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("binding (-want +got):\n%s", diff)
	}
}
