package ingest

import (
	"encoding/binary"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/store"
)

// frame joins packets into one fuzz input: per packet one source byte
// (even relay, odd snoop) and a 2-byte length.
func frame(t testing.TB, src binding.Source, ps ...pkt) []byte {
	var out []byte
	for _, p := range ps {
		b := p.build(t)
		out = append(out, byte(src-1))
		out = binary.BigEndian.AppendUint16(out, uint16(len(b)))
		out = append(out, b...)
	}
	return out
}

func unframe(in []byte) (srcs []binding.Source, pkts [][]byte) {
	for len(in) >= 3 {
		src := binding.SourceRelay + binding.Source(in[0]&1)
		n := int(binary.BigEndian.Uint16(in[1:3]))
		in = in[3:]
		n = min(n, len(in))
		srcs, pkts = append(srcs, src), append(pkts, in[:n])
		in = in[n:]
	}
	return srcs, pkts
}

// FuzzPacketToStore runs arbitrary packets through the whole path —
// decode, profile, inventory, binding machine, working set, group commit —
// and checks that nothing panics, that the working set's indexes hold
// only active bindings, and that what a restart loads from the store is
// exactly the working set that was written (with the store's IP index
// pointing at the same clients).
//
// Inputs are whole packets (hundreds of bytes): let the fuzzer skip
// minimising them, or it spends its time there:
//
//	go test ./dhcp/ingest -run '^$' -fuzz FuzzPacketToStore -fuzztime 60s -fuzzminimizetime 0s
func FuzzPacketToStore(f *testing.F) {
	f.Add(frame(f, binding.SourceRelay,
		pkt{typ: dhcpv4.MessageTypeDiscover, mac: mac(1), giaddr: "10.0.0.1", option82: o82("ge-0/0/1", "10.0.0.1")},
		relayRequest(mac(1), "10.64.0.1", "ge-0/0/1", "10.0.0.1"),
		relayRequest(mac(2), "10.64.0.1", "ge-0/0/2", "10.0.0.1"),
		pkt{typ: dhcpv4.MessageTypeRequest, mac: mac(1), ciaddr: "10.64.0.1", giaddr: "10.0.0.1", option82: o82("ge-0/0/1", "10.0.0.1")},
		pkt{typ: dhcpv4.MessageTypeRelease, mac: mac(1), ciaddr: "10.64.0.1"},
	))
	f.Add(frame(f, binding.SourceSnoop,
		relayRequest(mac(3), "10.64.0.3", "rl-down", ""),
		pkt{typ: dhcpv4.MessageTypeAck, reply: true, mac: mac(3), yiaddr: "10.64.0.3", lease: time.Hour, giaddr: "10.0.0.1", option82: o82("rl-down", "")},
		pkt{typ: dhcpv4.MessageTypeAck, reply: true, mac: mac(4), yiaddr: "10.64.0.3", lease: time.Hour, giaddr: "10.0.0.1", option82: o82("ge-0/0/9", "10.0.0.1")},
		pkt{typ: dhcpv4.MessageTypeNak, reply: true, mac: mac(4)},
		pkt{typ: dhcpv4.MessageTypeDecline, mac: mac(3), requested: "10.64.0.3"},
	))
	f.Add([]byte{0, 0, 3, 1, 2, 3})
	f.Fuzz(func(t *testing.T, in []byte) {
		srcs, pkts := unframe(in)
		if len(pkts) > 64 {
			return
		}
		// No goroutines: the processor and the writer are called in turn,
		// so that coverage depends on the input only (the fuzzer
		// minimises every input whose coverage looks new).
		db := openDB(t, filepath.Join(t.TempDir(), store.FileName))
		defer db.Close()
		importAccesses(t, db, access("A1", "10.0.0.1 ge-0/0/1"), access("A2", "10.0.0.1 ge-0/0/2"), access("RL", "rl-down"))
		s, err := New(Config{Bindings: db.Bindings(), Inventory: db.Inventory(), QueueSize: 128})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.load(); err != nil {
			t.Fatal(err)
		}
		for i := range pkts {
			s.Push(srcs[i], time.Unix(1_700_000_000+int64(i), 0), pkts[i:i+1])
			if i%8 == 7 {
				s.drain()
			}
		}
		s.drain()
		s.sweep(time.Unix(1_700_000_000+3600, 0))
		if err := s.commit(true); err != nil {
			t.Fatal(err)
		}
		before := liveSet(t, s)
		s2, err := New(Config{Bindings: db.Bindings(), Inventory: db.Inventory(), QueueSize: 128})
		if err != nil {
			t.Fatal(err)
		}
		if err := s2.load(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, liveSet(t, s2), addrCmp); diff != "" {
			t.Errorf("working set after a restart (-written +loaded):\n%s", diff)
		}
		for m, r := range before {
			if !r.State.Active() || !r.IP.IsValid() {
				continue
			}
			got, err := db.Bindings().ByIP(r.IP)
			if err != nil || got.MAC != store.MAC(m) {
				t.Errorf("store IP index of %v: %v, %v; want %v", r.IP, got.MAC, err, m)
			}
		}
	})
}

// liveSet copies the working set and checks its indexes.
func liveSet(t *testing.T, s *Service) map[hwaddr.MAC]store.BindingRecord {
	t.Helper()
	st := s.set
	st.mu.RLock()
	defer st.mu.RUnlock()
	out := map[hwaddr.MAC]store.BindingRecord{}
	var states [8]int
	for m, e := range st.byMAC {
		out[m] = e.rec.toStore()
		states[e.rec.State]++
		if e.rec.Hostname != "" {
			t.Errorf("hostname kept for %v", m)
		}
		if e.rec.State.Active() && e.rec.IP.IsValid() && st.byIP[e.rec.IP] != m {
			t.Errorf("active binding %v on %v is not in the IP index (which has %v)", m, e.rec.IP, st.byIP[e.rec.IP])
		}
	}
	for ip, m := range st.byIP {
		e := st.byMAC[m]
		if e == nil || !e.rec.State.Active() || e.rec.IP != ip {
			t.Errorf("IP index %v ⇒ %v does not point at an active binding of that IP", ip, m)
		}
	}
	if states != st.states {
		t.Errorf("state counts %v, recounted %v", st.states, states)
	}
	return out
}
