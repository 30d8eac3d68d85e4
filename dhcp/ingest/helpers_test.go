package ingest

import (
	"context"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/dhcp/kealease"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

var addrCmp = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func mac(i byte) hwaddr.MAC { return hwaddr.MAC{0x02, 0, 0, 0, 0, i} }

// o82 is an option 82 value with a text circuit-id and remote-id ("" left out).
func o82(circuitID, remoteID string) []byte {
	var v []byte
	if circuitID != "" {
		v = append(append(v, 1, byte(len(circuitID))), circuitID...)
	}
	if remoteID != "" {
		v = append(append(v, 2, byte(len(remoteID))), remoteID...)
	}
	return v
}

// pkt is a packet spec for build.
type pkt struct {
	typ       dhcpv4.MessageType
	mac       hwaddr.MAC
	requested string // option 50
	ciaddr    string
	yiaddr    string
	serverID  string
	lease     time.Duration // option 51
	giaddr    string
	option82  []byte // value; nil = none
	hostname  string
	reply     bool
}

func (p pkt) build(t testing.TB) []byte {
	t.Helper()
	mods := []dhcpv4.Modifier{
		dhcpv4.WithHwAddr(net.HardwareAddr(p.mac[:])),
		dhcpv4.WithMessageType(p.typ),
	}
	ip4 := func(s string) net.IP { return net.IP(netip.MustParseAddr(s).AsSlice()) }
	if p.reply {
		mods = append(mods, dhcpv4.WithReply(&dhcpv4.DHCPv4{OpCode: dhcpv4.OpcodeBootRequest, HWType: 1, ClientHWAddr: net.HardwareAddr(p.mac[:])}))
		mods = append(mods, dhcpv4.WithMessageType(p.typ))
	}
	if p.requested != "" {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(ip4(p.requested))))
	}
	if p.ciaddr != "" {
		mods = append(mods, dhcpv4.WithClientIP(ip4(p.ciaddr)))
	}
	if p.yiaddr != "" {
		mods = append(mods, dhcpv4.WithYourIP(ip4(p.yiaddr)))
	}
	if p.serverID != "" {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptServerIdentifier(ip4(p.serverID))))
	}
	if p.lease > 0 {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptIPAddressLeaseTime(p.lease)))
	}
	if p.giaddr != "" {
		mods = append(mods, dhcpv4.WithGatewayIP(ip4(p.giaddr)), func(d *dhcpv4.DHCPv4) { d.HopCount = 1 })
	}
	if p.hostname != "" {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptHostName(p.hostname)))
	}
	if p.option82 != nil {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.OptionRelayAgentInformation, p.option82)))
	}
	d, err := dhcpv4.New(mods...)
	if err != nil {
		t.Fatal(err)
	}
	return d.ToBytes()
}

// relayRequest is the SELECTING REQUEST a relay copies to us.
func relayRequest(m hwaddr.MAC, ip, circuitID, remoteID string) pkt {
	return pkt{typ: dhcpv4.MessageTypeRequest, mac: m, requested: ip, serverID: "10.0.0.254", giaddr: "10.0.0.1",
		option82: o82(circuitID, remoteID)}
}

func access(id, option82 string) inventory.Access {
	return inventory.Access{
		AccessID: id, StreetName: "Testvägen", StreetNumber: "1", PostalCode: "10000", City: "Ankeborg",
		CountryCode: "SE", PremisesType: inventory.ResidentialHouse, Activatable: inventory.Yes,
		Sellable: inventory.Yes, Option82: option82,
	}
}

func importAccesses(t testing.TB, db *store.DB, as ...inventory.Access) {
	t.Helper()
	in := make([]store.Incoming, len(as))
	for i, a := range as {
		in[i] = store.Incoming{Line: i + 2, Access: a}
	}
	if _, err := db.Inventory().Import(in, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
}

func openDB(t testing.TB, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path, store.Options{NoSync: true, LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// harness runs a Service on a test store.
type harness struct {
	t      testing.TB
	path   string
	db     *store.DB
	s      *Service
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan error
}

func newHarness(t testing.TB, cfg Config, as ...inventory.Access) *harness {
	t.Helper()
	path := filepath.Join(t.TempDir(), store.FileName)
	db := openDB(t, path)
	if len(as) > 0 {
		importAccesses(t, db, as...)
	}
	return startHarness(t, path, db, cfg)
}

func startHarness(t testing.TB, path string, db *store.DB, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, path: path, db: db, reg: prometheus.NewRegistry()}
	cfg.Bindings, cfg.Inventory, cfg.Registerer = db.Bindings(), db.Inventory(), h.reg
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	ready := make(chan struct{})
	go func() { h.done <- s.Run(ctx, func() { close(ready) }) }()
	select {
	case <-ready:
	case err := <-h.done:
		t.Fatalf("Run: %v", err)
	}
	return h
}

// stop stops the service (it writes what is pending) and closes the store.
func (h *harness) stop() {
	h.t.Helper()
	if h.cancel == nil {
		return
	}
	h.cancel()
	if err := <-h.done; err != nil {
		h.t.Errorf("Run: %v", err)
	}
	h.cancel = nil
	if err := h.db.Close(); err != nil {
		h.t.Error(err)
	}
}

// restart stops the service and starts a new one on the same file.
func (h *harness) restart(cfg Config) *harness {
	h.t.Helper()
	h.stop()
	return startHarness(h.t, h.path, openDB(h.t, h.path), cfg)
}

func (h *harness) push(src binding.Source, ps ...pkt) {
	h.t.Helper()
	bs := make([][]byte, len(ps))
	for i, p := range ps {
		bs[i] = p.build(h.t)
	}
	h.s.Push(src, time.Now(), bs)
}

// stored returns the bindings the store holds, by MAC.
func (h *harness) stored() map[hwaddr.MAC]store.BindingRecord {
	h.t.Helper()
	out := map[hwaddr.MAC]store.BindingRecord{}
	if _, err := h.db.Bindings().Load(func(r *store.BindingRecord) error { out[hwaddr.MAC(r.MAC)] = *r; return nil }); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// liveHostname is the hostname the working set keeps for m (the store's
// record has no field for one).
func (h *harness) liveHostname(m hwaddr.MAC) string {
	h.s.set.mu.RLock()
	defer h.s.set.mu.RUnlock()
	if e := h.s.set.byMAC[m]; e != nil {
		return e.rec.Hostname
	}
	return ""
}

func (h *harness) counter(name string, labels ...string) float64 {
	h.t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue metric
				}
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return 0
}

func keaRows(t testing.TB, csv string) []kealease.Lease {
	t.Helper()
	r := kealease.NewReader(strings.NewReader(csv))
	var out []kealease.Lease
	for r.Next() {
		out = append(out, r.Lease())
	}
	if r.Err() != nil || r.BadRows() > 0 {
		t.Fatalf("lease rows: %v %v", r.Err(), r.RowErrors())
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
