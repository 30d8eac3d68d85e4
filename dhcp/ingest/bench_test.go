package ingest

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// loadPackets builds packets as cmd/dhcpload sends them: client i on
// circuit i mod (switches × ports), half DISCOVER, half SELECTING REQUEST.
func loadPackets(b testing.TB, clients, switches, ports int) [][]byte {
	out := make([][]byte, 0, clients)
	for i := range clients {
		c := i % (switches * ports)
		rid, cid := fmt.Sprintf("10.0.0.%d", c/ports+1), fmt.Sprintf("ge-0/0/%d", c%ports+1)
		var m hwaddr.MAC
		m[0] = 2
		binary.BigEndian.PutUint32(m[2:], uint32(i))
		ip := fmt.Sprintf("10.%d.%d.%d", 64+i>>16&63, i>>8&255, i&255)
		p := relayRequest(m, ip, cid, rid)
		if i%2 == 0 {
			p = pkt{typ: dhcpv4.MessageTypeDiscover, mac: m, giaddr: "10.0.0.1", option82: o82(cid, rid)}
		}
		out = append(out, p.build(b))
	}
	return out
}

func benchInventory(b testing.TB, db *store.DB, switches, ports int) {
	var as []inventory.Access
	for s := 1; s <= switches; s++ {
		for p := 1; p <= ports; p++ {
			as = append(as, access(fmt.Sprintf("B%03d%03d", s, p), fmt.Sprintf("10.0.0.%d ge-0/0/%d", s, p)))
		}
	}
	importAccesses(b, db, as...)
}

// BenchmarkProcess is the processor's cost per packet (decode, profile,
// inventory, binding machine, working set) on a warm working set of
// 20,000 clients: every packet repeats what is known, as in a storm.
//
//	go test ./dhcp/ingest -run '^$' -bench Process -benchmem
func BenchmarkProcess(b *testing.B) { benchProcess(b, 0) }

// BenchmarkProcessLive is BenchmarkProcess with the clock running (a
// millisecond a batch of 256), as packets arrive: each one moves its
// binding's LastSeen, a lazy write.
func BenchmarkProcessLive(b *testing.B) { benchProcess(b, time.Millisecond) }

func benchProcess(b *testing.B, tick time.Duration) {
	db := openDB(b, filepath.Join(b.TempDir(), store.FileName))
	defer db.Close()
	benchInventory(b, db, 10, 48)
	s, err := New(Config{Bindings: db.Bindings(), Inventory: db.Inventory(), QueueSize: 1024})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.load(); err != nil {
		b.Fatal(err)
	}
	pkts := loadPackets(b, 20000, 10, 48)
	at := time.Unix(1_700_000_000, 0)
	for i := 0; i < len(pkts); i += 256 {
		s.Push(binding.SourceRelay, at, pkts[i:min(i+256, len(pkts))])
		s.drain()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += 256 {
		at = at.Add(tick)
		j := i % len(pkts)
		s.Push(binding.SourceRelay, at, pkts[j:min(j+256, len(pkts))])
		s.drain()
	}
}

// BenchmarkCommitNew is one group commit of new bindings (with fsync) per
// op, 1,000 new clients each, into a store that grows by as much each time.
//
//	go test ./dhcp/ingest -run '^$' -bench CommitNew -benchtime 100x
func BenchmarkCommitNew(b *testing.B) {
	db, err := store.Open(filepath.Join(b.TempDir(), store.FileName), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	benchInventory(b, db, 10, 48)
	s, err := New(Config{Bindings: db.Bindings(), Inventory: db.Inventory(), QueueSize: 2048})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.load(); err != nil {
		b.Fatal(err)
	}
	const per = 1000
	pkts := loadPackets(b, per*(b.N+1)*2, 10, 48)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		batch := pkts[i*2*per : (i+1)*2*per]
		for j := 0; j < len(batch); j += 256 {
			s.Push(binding.SourceRelay, time.Now(), batch[j:min(j+256, len(batch))])
			s.drain()
		}
		b.StartTimer()
		if err := s.commit(false); err != nil {
			b.Fatal(err)
		}
	}
}
