package binding

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/dhcp4"
	"github.com/stadsnat/accessd/dhcp/kealease"
	"github.com/stadsnat/accessd/dhcp/option82"
)

// TestLabPath runs the packets dhcrelay relayed in the lab and then Kea's
// lease file of the same lab through decode → circuit → observation →
// binding, as the daemon will.
func TestLabPath(t *testing.T) {
	dec, err := circuit.NewDecoder([]circuit.Profile{{Name: "lab", Format: circuit.FormatText, Key: circuit.DefaultKey}})
	if err != nil {
		t.Fatal(err)
	}
	inventory := map[string]string{"rl-down": "ACC-LAB-1"} // circuit key → access
	w := newWorld(New(Config{}))
	names := []string{"lab-dhclient-discover.bin", "lab-dhclient-request.bin", "lab-dhclient-renew.bin"}
	for i, n := range names {
		raw, err := os.ReadFile(filepath.Join("..", "dhcp4", "testdata", n))
		if err != nil {
			t.Fatal(err)
		}
		p, err := dhcp4.Decode(raw)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		c, err := dec.Decode(p.GIAddr, p.Option82)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		o, ok := FromPacket(p, SourceRelay, at(time.Duration(i)*20*time.Second), inventory[c.Key], c.Key)
		if !ok {
			t.Fatalf("%s: no observation", n)
		}
		if _, err := w.apply(o); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(filepath.Join("..", "kealease", "testdata", "kea-2.2-lab.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := kealease.NewReader(f)
	var last Result
	for rd.Next() {
		l := rd.Lease()
		access, key := "", ""
		if opt, ok, err := l.Option82(); ok && err == nil {
			c, err := dec.Decode(netip.Addr{}, []option82.Option{opt})
			if err == nil {
				access, key = inventory[c.Key], c.Key
			}
		}
		o, ok := FromLease(&l, access, key)
		if !ok {
			continue
		}
		if last, err = w.apply(o); err != nil {
			t.Fatal(err)
		}
	}
	if rd.Err() != nil {
		t.Fatal(rd.Err())
	}
	b := w.bindings[last.Binding.MAC]
	got := []any{b.IP.String(), b.State, b.Access, b.Circuit, b.MAC.String()}
	want := []any{"10.250.1.100", Bound, "ACC-LAB-1", "rl-down", "86:23:9d:48:62:37"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFromPacketAndLease(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "dhcp4", "testdata", "lab-udhcpc-request.bin"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := dhcp4.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	o, ok := FromPacket(p, SourceSnoop, t0, "A", "k")
	if !ok {
		t.Fatal("no observation")
	}
	got := []any{o.Kind, o.RequestedIP.String(), o.ServerID.String(), o.Hostname, o.GIAddr.String(), o.MAC.String()}
	want := []any{Request, "10.250.1.100", "10.250.0.6", "labcli", "10.250.1.1", "86:23:9d:48:62:37"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	p.HType = 6 // not Ethernet
	if _, ok := FromPacket(p, SourceSnoop, t0, "", ""); ok {
		t.Error("observation from a non-Ethernet chaddr")
	}
	p.HType, p.MessageType = 1, 0
	if _, ok := FromPacket(p, SourceSnoop, t0, "", ""); ok {
		t.Error("observation from a BOOTP packet")
	}

	l := kealease.Lease{Address: ipX, HWAddr: macA[:], ValidLifetime: time.Hour, Expire: at(time.Hour)}
	cases := []struct {
		mod  func(*kealease.Lease)
		kind Kind
	}{
		{func(*kealease.Lease) {}, LeaseActive},
		{func(l *kealease.Lease) { l.ValidLifetime = 0 }, LeaseReleased},
		{func(l *kealease.Lease) { l.State = kealease.StateExpiredReclaimed }, LeaseReclaimed},
		{func(l *kealease.Lease) { l.State = kealease.StateDeclined }, LeaseDeclined},
	}
	for _, tc := range cases {
		c := l
		tc.mod(&c)
		o, ok := FromLease(&c, "", "")
		if !ok || o.Kind != tc.kind || !o.Time.Equal(c.CLTT()) {
			t.Errorf("FromLease(%+v) = %v %v", c, o.Kind, ok)
		}
	}
	l.HWAddr = nil
	if _, ok := FromLease(&l, "", ""); ok {
		t.Error("observation from a lease without hwaddr")
	}
}

func seedPackets(f *testing.F) [][]byte {
	files, _ := filepath.Glob(filepath.Join("..", "dhcp4", "testdata", "lab-*.bin"))
	var out [][]byte
	for _, n := range files {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}
