package nocsys_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/stadsnat/accessd/api"
	"github.com/stadsnat/accessd/cmd/accessd/internal/demosim"
	"github.com/stadsnat/accessd/cmd/accessd/internal/dhcpsys"
	"github.com/stadsnat/accessd/cmd/accessd/internal/nocsys"
	"github.com/stadsnat/accessd/cmd/accessd/internal/snmpsys"
	"github.com/stadsnat/accessd/cmd/accessd/internal/subsys"
	"github.com/stadsnat/accessd/cmd/internal/config"
	"github.com/stadsnat/accessd/dhcp/option82"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// The network of the benchmarks: 100,000 accesses, 48 to a switch (2,084
// simulated switches on loopback addresses, polled by the real poller
// every 5 minutes: the simulated switches answer in this process, on the
// same cores as the pages, so their poll cycle is kept out of the few
// seconds the benchmarks take instead of doubling the daemon's own load),
// a bound DHCP client and three older IPs on each, orders with their
// events and services on every 50th, the ports of the first switch flapped
// a dozen times (the heaviest access pages), 500 unknown circuits.
const (
	benchAccesses  = 100_000
	portsPerSwitch = 48
	benchSNMPPort  = 16161
)

func benchID(i int) string { return fmt.Sprintf("ALS%07d", i) }
func benchSwitch(i int) string {
	s := i / portsPerSwitch
	return fmt.Sprintf("127.1.%d.%d", s>>8, s&255)
}
func benchPort(i int) string { return fmt.Sprintf("ge-0/0/%d", i%portsPerSwitch) }
func benchIP(i, gen int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(64 + gen*2 + i>>16), byte(i >> 8), byte(i)})
}
func benchMAC(i int) store.MAC {
	return store.MAC{2, 0, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}
}

// fixture is the running Source and everything behind it.
type fixture struct {
	dir    string
	db     *store.DB
	router http.Handler
	stop   func()
	err    error
}

var (
	fixtureOnce sync.Once
	bench       fixture
)

// TestMain closes the benchmarks' network (it lives as long as the test
// binary).
func TestMain(m *testing.M) {
	code := m.Run()
	if bench.stop != nil {
		bench.stop()
	}
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

func realSource(b *testing.B) http.Handler {
	fixtureOnce.Do(func() { bench.err = bench.build() })
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.router
}

const benchConfig = `state_dir: %s
users: [{name: noc, password: pw, apis: [noc]}]
dhcp: {unknown_circuits_max: 1000}
snmp:
  interval: 5m
  timeout: 2s
  retries: 1
  port: %d
  groups: [{name: bench, community: public, match: ["127.0.0.0/8"]}]
  traps: {listen: "127.0.0.1:0", community: public}
`

func (f *fixture) build() error {
	start := time.Now()
	var err error
	if f.dir, err = os.MkdirTemp("", "p-noc-bench-"); err != nil {
		return err
	}
	cfg, err := config.Parse("bench.yaml", []byte(fmt.Sprintf(benchConfig, f.dir, benchSNMPPort)))
	if err != nil {
		return err
	}
	if f.db, err = store.Open(filepath.Join(f.dir, store.FileName), store.Options{NoSync: true}); err != nil {
		return err
	}
	if err := fillStore(f.db); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	g, gctx := errgroup.WithContext(ctx)
	f.stop = func() { cancel(); g.Wait(); f.db.Close() }
	sws, err := startSwitches(gctx, g)
	if err != nil {
		return err
	}
	reg := subsys.Env{Log: slog.New(slog.DiscardHandler), Sockets: subsys.Sockets{}, Location: time.UTC}
	dhcp, err := dhcpsys.New(cfg.DHCP, f.db, reg)
	if err != nil {
		return err
	}
	snmp, err := snmpsys.New(cfg.SNMP, f.db, reg, nil, nil)
	if err != nil {
		return err
	}
	noc, err := nocsys.New(f.db, reg, nocsys.Peers{DHCP: dhcp.NOC(), Links: snmp.NOC()})
	if err != nil {
		return err
	}
	parts := []subsys.Parts{dhcp.Parts(), snmp.Parts(), noc.Parts()}
	if err := runAll(gctx, g, parts); err != nil {
		return err
	}
	if err := flapFirstSwitch(sws[0], snmp); err != nil {
		return err
	}
	var groups []api.Group
	for _, p := range parts {
		if p.Groups != nil {
			groups = append(groups, p.Groups()...)
		}
	}
	f.router = api.New(api.Options{Users: []api.User{{Name: "noc", Password: "pw", APIs: []string{"noc"}}}}, groups...)
	fmt.Fprintf(os.Stderr, "benchmark network: %d accesses, %d simulated switches, ready in %v\n", benchAccesses, len(sws),
		time.Since(start).Round(time.Second))
	return nil
}

// fillStore imports the inventory and writes what the DHCP writer and the
// order engine would have written: bindings, history, unknown circuits,
// orders, services.
func fillStore(db *store.DB) error {
	in := make([]store.Incoming, benchAccesses)
	streets := []string{"Storgatan", "Kyrkvägen", "Östra Långgatan", "Skolgatan", "Järnvägsgatan", "Ringvägen", "Parkvägen", "Björkvägen"}
	for i := range in {
		in[i] = store.Incoming{Line: i + 2, Access: inventory.Access{AccessID: benchID(i), StreetName: streets[i%len(streets)],
			StreetNumber: fmt.Sprint(i/len(streets)%250 + 1), PostalCode: fmt.Sprintf("%03d%02d", 100+i%800, i%97), City: "Stadby",
			CountryCode: "SE", PremisesType: "MDU_APARTMENT", MDUApartmentNumber: fmt.Sprint(1001 + i%40), Activatable: "YES",
			Sellable: "YES", Option82: benchSwitch(i) + " " + benchPort(i), PortSpeedMbps: 1000, Media: "FTTH",
			CPERouter: "Zyxel VMG8825-T50"}}
	}
	if _, err := db.Inventory().Import(in, store.ImportOptions{}); err != nil {
		return err
	}
	now := time.Now()
	for lo := 0; lo < benchAccesses; lo += 10_000 {
		c := &store.BindingCommit{}
		for i := lo; i < lo+10_000; i++ {
			c.Bindings = append(c.Bindings, benchBinding(i, now))
			for gen := 1; gen <= 3; gen++ {
				from := now.Add(-time.Duration(gen) * 7 * 24 * time.Hour)
				c.History = append(c.History, store.BindingInterval{IP: benchIP(i, gen), MAC: benchMAC(i), Access: benchID(i),
					Circuit: benchSwitch(i) + " " + benchPort(i), From: from, To: from.Add(6 * 24 * time.Hour), Confirmed: true})
			}
		}
		if lo == 0 {
			for j := range 500 {
				key := fmt.Sprintf("127.9.%d.%d ge-0/0/%d", j/200, j%200, j%48)
				c.Unknown = append(c.Unknown, store.UnknownCircuit{Key: key, Reason: "no access", Profile: "default",
					RemoteID: strings.Fields(key)[0], CircuitID: strings.Fields(key)[1], Count: uint64(1 + j), FirstSeen: now.Add(-time.Hour),
					LastSeen: now.Add(-time.Duration(j) * time.Second), LastMAC: benchMAC(900_000 + j)})
			}
		}
		if _, err := db.Bindings().Commit(c); err != nil {
			return err
		}
	}
	return fillOrders(db)
}

func benchBinding(i int, now time.Time) store.BindingRecord {
	remote, circ := benchSwitch(i), benchPort(i)
	tlv, _ := option82.EncodeTLV(option82.Option{Subs: []option82.SubOption{{Code: option82.CircuitID, Data: []byte(circ)},
		{Code: option82.RemoteID, Data: []byte(remote)}}})
	return store.BindingRecord{MAC: benchMAC(i), IP: benchIP(i, 0), State: store.BindingBound, Access: benchID(i), Circuit: remote + " " + circ,
		GIAddr: netip.MustParseAddr("10.0.0.1"), FirstSeen: now.Add(-30 * 24 * time.Hour), LastSeen: now, Since: now.Add(-24 * time.Hour),
		Expires: now.Add(24 * time.Hour), LeaseTime: 48 * time.Hour, Confirmed: true, Source: store.SourceRelay, RemoteID: remote,
		CircuitID: circ, Profile: "default", Option82: tlv}
}

// fillOrders gives every 50th access ten orders (each created, run and
// failed or done: three events) and two services.
func fillOrders(db *store.DB) error {
	var fns []func(*store.OrderTx) error
	for i := 0; i < benchAccesses; i += 50 {
		fns = append(fns, func(o *store.OrderTx) error {
			for j := range 10 {
				ord := &store.Order{ID: fmt.Sprintf("%s-o%02d", benchID(i), j), Owner: "bredbandsleverantoren", Channel: "on-api-2.6",
					AccessID: benchID(i), Service: "BB1000", Operation: store.Activate, Due: time.Now()}
				if err := o.CreateOrder(ord, ""); err != nil {
					return err
				}
				final := store.DoneSuccess
				if j%3 == 0 {
					final = store.DoneFailed
				}
				for _, st := range []store.OrderState{store.InProgress, final} {
					ord.State, ord.Message = st, "activation hook: the CPE answered on the management VLAN after 2 attempts"
					if err := o.UpdateOrder(ord); err != nil {
						return err
					}
				}
			}
			for j := range 2 {
				s := &store.Service{SubscriptionID: fmt.Sprintf("%s-s%d", benchID(i), j), AccessID: benchID(i), UID: "BB1000",
					Name: "Bredband 1000/1000", Type: fmt.Sprintf("broadband%d", j), Owner: "bredbandsleverantoren", Origin: "on-api-2.6",
					Activated: "2026-01-15", OrderID: fmt.Sprintf("%s-o%02d", benchID(i), j), Since: time.Now(),
					Equipment: []store.Equipment{{VendorID: "zyxel", MACAddress: "00:1A:2B:3C:4D:5E"}}}
				if err := o.PutService(s); err != nil {
					return err
				}
			}
			return nil
		})
		if len(fns) == 200 || i+50 >= benchAccesses {
			for _, err := range db.Orders().Batch(fns) {
				if err != nil {
					return err
				}
			}
			fns = nil
		}
	}
	return nil
}

// startSwitches runs a simulated switch for every switch of the inventory.
func startSwitches(ctx context.Context, g *errgroup.Group) ([]*demosim.Switch, error) {
	var sws []*demosim.Switch
	ports := make([]string, portsPerSwitch)
	for p := range ports {
		ports[p] = benchPort(p)
	}
	for i := 0; i < benchAccesses; i += portsPerSwitch {
		sw, err := demosim.NewSwitch(demosim.SwitchOptions{Listen: fmt.Sprintf("%s:%d", benchSwitch(i), benchSNMPPort), Ports: ports,
			FlapEvery: -1, Down: []string{benchPort(7), benchPort(31)}})
		if err != nil {
			return nil, err
		}
		ready := make(chan struct{})
		g.Go(func() error { return sw.Run(ctx, func() { close(ready) }) })
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		sws = append(sws, sw)
	}
	return sws, nil
}

// runAll runs the subsystems' tasks until the benchmarks end and waits
// until all are ready (the poller has polled every switch once).
func runAll(ctx context.Context, g *errgroup.Group, parts []subsys.Parts) error {
	var wg sync.WaitGroup
	for _, p := range parts {
		for _, t := range p.Tasks {
			wg.Add(1)
			var once sync.Once
			g.Go(func() error {
				err := t.Run(ctx, func() { once.Do(wg.Done) })
				once.Do(wg.Done)
				if err != nil && ctx.Err() == nil {
					return fmt.Errorf("%s: %w", t.Name, err)
				}
				return nil
			})
		}
	}
	wg.Wait()
	return ctx.Err()
}

// flapFirstSwitch unplugs and plugs every port of the first switch twelve
// times and polls, so its accesses have long transition lists and flap
// timelines.
func flapFirstSwitch(sw *demosim.Switch, snmp *snmpsys.System) error {
	for range 12 {
		for _, up := range []bool{false, true} {
			for p := range portsPerSwitch {
				if err := sw.SetLink(benchPort(p), up && p != 7 && p != 31); err != nil {
					return err
				}
			}
			if err := snmp.PollNow(context.Background()); err != nil {
				return err
			}
		}
	}
	l, err := snmp.NOC().Link(context.Background(), benchID(1), 20)
	if err != nil || len(l.Transitions) < 20 {
		return fmt.Errorf("the first switch's flaps were not recorded: %d transitions, %v", len(l.Transitions), err)
	}
	return nil
}

// firstByte is a ResponseWriter that drops the body and notes when the
// first byte was written: the pages are rendered whole before they are
// written, so that is the time to the first byte.
type firstByte struct {
	h     http.Header
	start time.Time
	first time.Duration
	n     int
	code  int
}

func (w *firstByte) Header() http.Header { return w.h }

func (w *firstByte) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *firstByte) Write(b []byte) (int, error) {
	if w.n == 0 {
		w.first = time.Since(w.start)
		if w.code == 0 {
			w.code = 200
		}
	}
	w.n += len(b)
	return len(b), nil
}

// benchPages serves the paths in turn through the router (HTTP Basic as
// the NOC user) and reports the bytes of a page, the mean, the 99th
// percentile and the worst time to its first byte.
func benchPages(b *testing.B, paths func(i int) string) {
	h := realSource(b)
	var total, worst time.Duration
	var firsts []time.Duration
	var bytes, n, most int
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("GET", paths(n), nil)
		req.SetBasicAuth("noc", "pw")
		w := &firstByte{h: http.Header{}, start: time.Now()}
		h.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatalf("%s: %d", req.URL, w.code)
		}
		total += w.first
		worst = max(worst, w.first)
		firsts = append(firsts, w.first)
		bytes += w.n
		most = max(most, w.n)
		n++
	}
	b.ReportMetric(float64(bytes)/float64(n), "B/page")
	b.ReportMetric(float64(most), "B/largest-page")
	b.ReportMetric(float64(total.Microseconds())/float64(n), "µs-first-byte")
	slices.Sort(firsts)
	b.ReportMetric(float64(firsts[len(firsts)*99/100].Microseconds()), "µs-p99-first-byte")
	b.ReportMetric(float64(worst.Microseconds()), "µs-worst-first-byte")
}

// spread is access i of a run: accesses all over the network.
func spread(i int) int { return i * 7919 % benchAccesses }

// BenchmarkRealAccessPage100k: access pages all over the network (every
// 50th with ten orders and two services; goal: first byte under 20 ms,
// page under 50 KB).
func BenchmarkRealAccessPage100k(b *testing.B) {
	benchPages(b, func(i int) string { return "/noc/access/" + benchID(spread(i)) })
}

// BenchmarkRealAccessPageBusy100k: the heaviest access pages: the first
// switch's ports, each flapped twelve times, ALS0000000 with orders.
func BenchmarkRealAccessPageBusy100k(b *testing.B) {
	benchPages(b, func(i int) string { return "/noc/access/" + benchID(i%portsPerSwitch) })
}

// BenchmarkRealSearchIP100k: "who has this IP", untyped.
func BenchmarkRealSearchIP100k(b *testing.B) {
	benchPages(b, func(i int) string { return "/noc/?q=" + benchIP(spread(i), 0).String() })
}

// BenchmarkRealSearchOldIP100k: an IP only the history knows.
func BenchmarkRealSearchOldIP100k(b *testing.B) {
	benchPages(b, func(i int) string { return "/noc/?q=" + benchIP(spread(i), 2).String() })
}

// BenchmarkRealSearchMAC100k: a client MAC, untyped.
func BenchmarkRealSearchMAC100k(b *testing.B) {
	benchPages(b, func(i int) string { return "/noc/?q=" + url.QueryEscape(benchMAC(spread(i)).String()) })
}

// BenchmarkRealSearchAddress100k: the start of a street thousands of
// accesses share (the page lists 50).
func BenchmarkRealSearchAddress100k(b *testing.B) {
	benchPages(b, func(i int) string { return "/noc/?q=Storgatan+1" })
}

// BenchmarkRealSearchOption82_100k: an access's Option 82 hex, untyped.
func BenchmarkRealSearchOption82_100k(b *testing.B) {
	benchPages(b, func(i int) string {
		return "/noc/?q=" + strings.ToUpper(fmt.Sprintf("%x", benchBinding(spread(i), time.Time{}).Option82))
	})
}

// BenchmarkRealSearchCircuit100k: a circuit key, typed.
func BenchmarkRealSearchCircuit100k(b *testing.B) {
	benchPages(b, func(i int) string {
		return "/noc/?kind=circuit&q=" + url.QueryEscape(benchSwitch(spread(i))+" "+benchPort(spread(i)))
	})
}

// BenchmarkRealSwitches100k: the first page of the 2,084 switches.
func BenchmarkRealSwitches100k(b *testing.B) {
	benchPages(b, func(i int) string { return "/noc/switches" })
}

// BenchmarkRealSwitchesTrouble100k: the switches in trouble.
func BenchmarkRealSwitchesTrouble100k(b *testing.B) {
	benchPages(b, func(i int) string { return "/noc/switches?trouble=1" })
}

// BenchmarkRealCircuits100k: the first page of 500 unknown circuits.
func BenchmarkRealCircuits100k(b *testing.B) {
	benchPages(b, func(i int) string { return "/noc/circuits" })
}
