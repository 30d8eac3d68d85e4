package binding

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/dhcp4"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
)

// FuzzTransitions drives the machine with arbitrary observation sequences
// (7 bytes each: kind, MAC, IP, access, time step, flags, lease) and
// sweeps, checking the invariants of world.check after every step.
func FuzzTransitions(f *testing.F) {
	f.Add([]byte{3, 0, 0, 1, 1, 1, 0, 3, 0, 0, 1, 10, 2, 0, 0})
	f.Add([]byte{5, 0, 0, 1, 0, 0, 60, 3, 1, 0, 2, 5, 1, 0, 7, 0, 0, 0, 9, 2, 0})
	f.Add([]byte{9, 0, 1, 0, 0, 0, 10, 10, 0, 1, 0, 50, 0, 0, 11, 0, 1, 0, 0, 0, 10})
	f.Fuzz(func(t *testing.T, b []byte) {
		w := newWorld(New(Config{TentativeLifetime: time.Minute, DefaultLeaseTime: 10 * time.Minute}))
		macs := []hwaddr.MAC{{2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}, {2, 0, 0, 0, 0, 3}}
		ips := []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.IPv4Unspecified(), {}}
		accesses := []string{"", "a1", "a2"}
		now := t0
		for len(b) >= 7 {
			op, mac, ip, acc, step, flags, lease := b[0], macs[int(b[1])%len(macs)], ips[int(b[2])%len(ips)], accesses[int(b[3])%len(accesses)], b[4], b[5], b[6]
			b = b[7:]
			now = now.Add(time.Duration(step) * 10 * time.Second)
			if flags&0x80 != 0 {
				now = now.Add(-time.Duration(step) * 20 * time.Second) // out of order / old Kea rows
			}
			if op%14 == 13 {
				if err := w.sweep(now); err != nil {
					t.Fatal(err)
				}
				continue
			}
			o := Observation{Source: Source(flags%3 + 1), Kind: Kind(op%13 + 1), Time: now, MAC: mac, Access: acc, Circuit: acc}
			switch {
			case flags&1 != 0:
				o.CIAddr = ip
			case flags&2 != 0:
				o.RequestedIP = ip
			default:
				o.YIAddr = ip
			}
			if flags&4 != 0 {
				o.ServerID = srv
			}
			o.LeaseTime = time.Duration(lease) * time.Minute
			o.Expire = now.Add(o.LeaseTime)
			if _, err := w.apply(o); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// FuzzPacketPath is the "whole packet-to-binding path": arbitrary
// bytes as a relayed or snooped packet through the decoder, the circuit
// profiles and the machine; nothing panics and the invariants hold.
func FuzzPacketPath(f *testing.F) {
	f.Add(make([]byte, 240), uint8(0))
	for _, s := range seedPackets(f) {
		f.Add(s, uint8(1))
	}
	dec, err := circuit.NewDecoder([]circuit.Profile{
		{Name: "cisco", GIAddr: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}, Format: circuit.FormatCisco},
		{Name: "juniper", GIAddr: []netip.Prefix{netip.MustParsePrefix("10.2.0.0/16")}, Format: circuit.FormatJuniper},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte, step uint8) {
		w := newWorld(New(Config{}))
		var p dhcp4.Packet
		now := t0
		// The same bytes twice (a retransmission) and once more later.
		for i := range 3 {
			if err := p.Decode(b); err != nil {
				return
			}
			access, key := "", ""
			if c, err := dec.Decode(p.GIAddr, p.Option82); err == nil {
				access, key = "acc:"+c.Key, c.Key
			}
			o, ok := FromPacket(&p, Source(i%2+1), now, access, key)
			if !ok {
				return
			}
			if _, err := w.apply(o); err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Duration(step) * time.Minute)
		}
		if err := w.sweep(now.Add(24 * time.Hour)); err != nil {
			t.Fatal(err)
		}
		for _, b := range w.bindings {
			if b.State.Active() {
				t.Fatalf("binding still active a day later: %+v", b)
			}
		}
	})
}
