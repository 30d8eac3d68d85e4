package source

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/bpf"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/kealease"
	"github.com/stadsnat/accessd/internal/testkit"
)

// ipUDP builds an IPv4/UDP packet around payload.
func ipUDP(sport, dport uint16, payload []byte, mods ...func([]byte)) []byte {
	b := make([]byte, 20+8+len(payload))
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	b[8], b[9] = 64, 17
	copy(b[12:], []byte{10, 0, 0, 1})
	copy(b[16:], []byte{10, 0, 0, 2})
	binary.BigEndian.PutUint16(b[20:], sport)
	binary.BigEndian.PutUint16(b[22:], dport)
	binary.BigEndian.PutUint16(b[24:], uint16(8+len(payload)))
	copy(b[28:], payload)
	for _, m := range mods {
		m(b)
	}
	return b
}

type payloadCase struct {
	name    string
	pkt     []byte
	payload string // "" with err
	err     string
	filter  bool // the BPF filter accepts it
}

func payloadCases() []payloadCase {
	withOptions := func() []byte {
		b := ipUDP(68, 67, []byte("dhcp"))
		out := append(append([]byte{0x46}, b[1:20]...), 1, 1, 1, 0)
		out = append(out, b[20:]...)
		binary.BigEndian.PutUint16(out[2:], uint16(len(out)))
		return out
	}
	return []payloadCase{
		{name: "client to server", pkt: ipUDP(68, 67, []byte("dhcp")), payload: "dhcp", filter: true},
		{name: "relay to server", pkt: ipUDP(67, 67, []byte("relayed")), payload: "relayed", filter: true},
		{name: "server to client", pkt: ipUDP(67, 68, []byte("ack")), payload: "ack", filter: true},
		{name: "IP options", pkt: withOptions(), payload: "dhcp", filter: true},
		{name: "ethernet padding after the datagram", pkt: append(ipUDP(67, 68, []byte("ack")), 0, 0, 0, 0), payload: "ack", filter: true},
		{name: "DNS", pkt: ipUDP(5353, 53, []byte("dns")), err: "not DHCP ports"},
		{name: "TCP", pkt: ipUDP(68, 67, nil, func(b []byte) { b[9] = 6 }), err: "not UDP"},
		{name: "IPv6", pkt: ipUDP(68, 67, nil, func(b []byte) { b[0] = 0x65 }), err: "not IPv4"},
		{name: "later fragment", pkt: ipUDP(68, 67, nil, func(b []byte) { b[7] = 8 }), err: "a fragment"},
		{name: "first fragment", pkt: ipUDP(68, 67, nil, func(b []byte) { b[6] = 0x20 }), err: "a fragment", filter: true},
		{name: "short", pkt: []byte{0x45, 0}, err: "shorter than an IPv4 header"},
		{name: "total length past the end", pkt: ipUDP(68, 67, nil, func(b []byte) { b[3] = 200 }), err: "total length 200", filter: true},
		{name: "UDP length past the end", pkt: ipUDP(68, 67, []byte("x"), func(b []byte) { b[25] = 99 }), err: "UDP length 99", filter: true},
		{name: "header length too small", pkt: ipUDP(68, 67, nil, func(b []byte) { b[0] = 0x44 }), err: "header length 16"},
	}
}

func TestDHCPPayload(t *testing.T) {
	for _, c := range payloadCases() {
		p, err := DHCPPayload(c.pkt)
		got, gotErr := string(p), ""
		if err != nil {
			got, gotErr = "", err.Error()
			var ie *IPError
			if !errors.As(err, &ie) {
				t.Errorf("%s: error %T is not an *IPError", c.name, err)
			}
		}
		if got != c.payload || (c.err == "") != (gotErr == "") || !strings.Contains(gotErr, c.err) {
			t.Errorf("%s: DHCPPayload = %q, %q; want %q, error containing %q", c.name, got, gotErr, c.payload, c.err)
		}
	}
}

// The kernel runs the filter; here the reference VM of x/net/bpf does.
func TestDHCPFilter(t *testing.T) {
	vm, err := bpf.NewVM(DHCPFilter())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range payloadCases() {
		if c.name == "short" || c.name == "header length too small" {
			continue // the kernel's IPv4 layer has dropped those already
		}
		n, err := vm.Run(c.pkt)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := n > 0; got != c.filter {
			t.Errorf("%s: filter accepts %v, want %v", c.name, got, c.filter)
		}
	}
}

func FuzzDHCPPayload(f *testing.F) {
	for _, c := range payloadCases() {
		f.Add(c.pkt)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DHCPPayload(b)
		if err != nil {
			return
		}
		if len(p) > len(b)-28 {
			t.Errorf("payload of %d bytes from a %d-byte packet", len(p), len(b))
		}
	})
}

// sink collects pushed packets.
type sink struct {
	mu        sync.Mutex
	pkts      []string
	srcs      []binding.Source
	rows      []kealease.Lease
	bad       int
	untrusted int
}

func (s *sink) Push(src binding.Source, _ time.Time, pkts [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range pkts {
		s.pkts = append(s.pkts, string(p))
		s.srcs = append(s.srcs, src)
	}
}

func (s *sink) KeaRows(_ context.Context, rows []kealease.Lease) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rows = append(s.rows, rows...)
	return nil
}

func (s *sink) KeaBadRows(n int) { s.mu.Lock(); s.bad += n; s.mu.Unlock() }

func (s *sink) Untrusted(_ binding.Source, n int) { s.mu.Lock(); s.untrusted += n; s.mu.Unlock() }

func (s *sink) count() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.pkts) }

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// The relay listener reads what is sent to it, and never answers.
func TestRelayLoopback(t *testing.T) {
	c, err := ListenRelay("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{}
	r := NewRelay([]*net.UDPConn{c}, []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, s, quiet())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	out, err := net.DialUDP("udp4", nil, c.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var want []string
	for i := range 100 {
		p := strings.Repeat(string(rune('a'+i%26)), 300+i)
		want = append(want, p)
		if _, err := out.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	// A datagram longer than maxPacket is cut there (and then fails to
	// decode).
	long := strings.Repeat("z", maxPacket+1000)
	want = append(want, long[:maxPacket])
	if _, err := out.Write([]byte(long)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.count() < len(want) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	out.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := out.Read(make([]byte, 10)); err == nil {
		t.Errorf("the relay listener answered %d bytes", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if diff := cmp.Diff(want, s.pkts); diff != "" {
		t.Errorf("packets (-want +got):\n%s", diff)
	}
	for _, src := range s.srcs {
		if src != binding.SourceRelay {
			t.Fatalf("source %v", src)
		}
	}
}

const keaHeader = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n"

func keaRow(ip, mac string) string {
	return ip + "," + mac + ",,3600,1900000000,1,0,0,,0,\n"
}

func (s *sink) addresses() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.rows {
		out = append(out, r.Address.String())
	}
	return out
}

// The Kea file is read at start, followed by appends (whole lines only),
// and read again when lease file cleanup replaces it.
func TestKeaFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kea-leases4.csv")
	write := func(name, text string, flag int) {
		f, err := os.OpenFile(filepath.Join(dir, name), flag|os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(text)
		f.Close()
	}
	write("kea-leases4.csv", keaHeader+keaRow("10.0.0.1", "02:00:00:00:00:01"), os.O_TRUNC)
	s := &sink{}
	k := NewKeaFile(path, time.Hour, s, quiet())
	ctx := t.Context()
	if err := k.poll(ctx); err != nil {
		t.Fatal(err)
	}
	// An append, and half of the next line.
	write("kea-leases4.csv", keaRow("10.0.0.2", "02:00:00:00:00:02")+"10.0.0.3,02:00:00:00:", os.O_APPEND)
	if err := k.poll(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"10.0.0.1", "10.0.0.2"}, s.addresses()); diff != "" {
		t.Errorf("after an append (-want +got):\n%s", diff)
	}
	write("kea-leases4.csv", "00:00:03,,3600,1900000000,1,0,0,,0,\nnot,a,row\n", os.O_APPEND)
	if err := k.poll(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}, s.addresses()); diff != "" {
		t.Errorf("after the line was finished (-want +got):\n%s", diff)
	}
	if s.bad != 1 {
		t.Errorf("bad rows %d, want 1", s.bad)
	}
	// Lease file cleanup: a new file renamed over the old one.
	write("kea-leases4.csv.2", keaHeader+keaRow("10.0.0.9", "02:00:00:00:00:09"), os.O_TRUNC)
	if err := os.Rename(filepath.Join(dir, "kea-leases4.csv.2"), path); err != nil {
		t.Fatal(err)
	}
	if err := k.poll(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.9"}, s.addresses()); diff != "" {
		t.Errorf("after replacement (-want +got):\n%s", diff)
	}
	// Nothing new: nothing read.
	if err := k.poll(ctx); err != nil || len(s.addresses()) != 4 {
		t.Errorf("idle poll: %v, %d rows", err, len(s.addresses()))
	}
}

// offsetSink records the file offset the follower had reached at each
// batch of rows.
type offsetSink struct {
	sink
	k       *KeaFile
	offsets []int64
}

func (s *offsetSink) KeaRows(ctx context.Context, rows []kealease.Lease) error {
	s.offsets = append(s.offsets, s.k.offset)
	return s.sink.KeaRows(ctx, rows)
}

// A big lease file (Kea without lease file cleanup only grows) is read in
// bounded chunks of whole lines, not into memory at once; a line longer
// than a chunk is one bad row, and the rows after it are read.
func TestKeaFileReadsInChunks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kea-leases4.csv")
	var b strings.Builder
	b.WriteString(keaHeader)
	n := 0
	for b.Len() < 2*keaReadChunk+keaReadChunk/2 {
		n++
		b.WriteString(keaRow(fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255), "02:00:00:00:00:01"))
	}
	b.WriteString("10.255.255.1," + strings.Repeat("x", keaReadChunk+100) + ",,3600,1900000000,1,0,0,,0,\n")
	b.WriteString(keaRow("10.255.255.2", "02:00:00:00:00:02"))
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &offsetSink{}
	k := NewKeaFile(path, time.Hour, s, quiet())
	s.k = k
	if err := k.poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := len(s.addresses()); got != n+1 {
		t.Fatalf("%d rows read, want %d", got, n+1)
	}
	if last := s.addresses()[n]; last != "10.255.255.2" {
		t.Errorf("last row %s, want 10.255.255.2 (after the over-long line)", last)
	}
	if s.bad != 1 {
		t.Errorf("%d bad rows, want 1 (the over-long line)", s.bad)
	}
	if k.offset != int64(b.Len()) || k.lines != n+3 {
		t.Errorf("offset %d lines %d, want %d and %d", k.offset, k.lines, b.Len(), n+3)
	}
	chunked := false
	for _, off := range s.offsets {
		chunked = chunked || (off > 0 && off < int64(b.Len()))
	}
	if !chunked {
		t.Errorf("every batch of rows came from the one read at offset 0: the file was read at once (offsets %v)", s.offsets)
	}
}

// Run keeps going when the file does not exist yet.
func TestKeaFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kea-leases4.csv")
	s := &sink{}
	k := NewKeaFile(path, 10*time.Millisecond, s, quiet())
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx, func() { close(ready) }) }()
	<-ready
	os.WriteFile(path, []byte(keaHeader+keaRow("10.0.0.1", "02:00:00:00:00:01")), 0o644)
	deadline := time.Now().Add(5 * time.Second)
	for len(s.addresses()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil || len(s.addresses()) != 1 {
		t.Errorf("Run: %v, rows %v", err, s.addresses())
	}
}

// A real AF_PACKET socket on the loopback interface with the filter in
// the kernel: it hands over the datagram to port 67 and nothing else.
func TestSnoopLoopback(t *testing.T) {
	testkit.RequireRoot(t, "an AF_PACKET socket (CAP_NET_RAW)")
	s := &sink{}
	sn, err := OpenSnoop("lo", s, quiet())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- sn.Run(ctx) }()
	marker := fmt.Sprintf("accessd-snoop-test-%d", os.Getpid())
	send := func(port int, text string) {
		c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte(text))
		c.Close()
	}
	send(9, marker+"-discard")
	send(67, marker)
	deadline := time.Now().Add(5 * time.Second)
	found := false
	for !found && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		s.mu.Lock()
		for i, p := range s.pkts {
			if strings.HasPrefix(p, marker) {
				if p != marker || s.srcs[i] != binding.SourceSnoop {
					t.Errorf("captured %q from %v", p, s.srcs[i])
				}
				found = true
			}
		}
		s.mu.Unlock()
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if !found {
		t.Error("the datagram to port 67 was not captured")
	}
}
