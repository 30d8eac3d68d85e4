package poller

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/client/fakeagent"
	"github.com/stadsnat/accessd/snmp/ifmib"
	"github.com/stadsnat/accessd/snmp/internal/walkfile"
)

// recorder is a Sink that keeps every update.
type recorder struct {
	mu      sync.Mutex
	updates []update
}

type update struct {
	sw      SwitchState
	changed []PortState
}

func (r *recorder) Update(sw SwitchState, changed []PortState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, update{sw, slices.Clone(changed)})
}

// take returns the updates since the last take.
func (r *recorder) take() []update {
	r.mu.Lock()
	defer r.mu.Unlock()
	u := r.updates
	r.updates = nil
	return u
}

// changedPorts flattens the changed ports of updates, by port name (the
// last state wins).
func changedPorts(us []update) map[string]PortState {
	out := map[string]PortState{}
	for _, u := range us {
		for _, p := range u.changed {
			out[p.Port] = p
		}
	}
	return out
}

func loadAgent(t *testing.T, name string) *fakeagent.Agent {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vbs, err := walkfile.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return fakeagent.New(vbs)
}

// synthAgent makes an agent with n ports "p1".."pN" at ifIndex base+i, all
// up at 1000 Mbit/s, ifLastChange 100, sysUpTime 360000 (1 h).
func synthAgent(n, base int) *fakeagent.Agent {
	vbs := []ifmib.Varbind{
		{OID: ifmib.OIDSysUpTime, Type: ifmib.TypeTimeTicks, Uint: 360000},
		{OID: ifmib.OIDIfTableLastChange, Type: ifmib.TypeTimeTicks, Uint: 50},
	}
	for i := 1; i <= n; i++ {
		vbs = append(vbs, synthRow(base+i, "p"+itoa(i))...)
	}
	return fakeagent.New(vbs)
}

// synthRow is one up 1 Gbit/s interface.
func synthRow(idx int, name string) []ifmib.Varbind {
	return []ifmib.Varbind{
		{OID: ifmib.ColName.Instance(idx), Type: ifmib.TypeOctetString, Bytes: []byte(name)},
		{OID: ifmib.ColDescr.Instance(idx), Type: ifmib.TypeOctetString, Bytes: []byte("Port " + name)},
		{OID: ifmib.ColAlias.Instance(idx), Type: ifmib.TypeOctetString, Bytes: []byte{}},
		{OID: ifmib.ColAdmin.Instance(idx), Type: ifmib.TypeInteger, Int: 1},
		{OID: ifmib.ColOper.Instance(idx), Type: ifmib.TypeInteger, Int: 1},
		{OID: ifmib.ColHighSpeed.Instance(idx), Type: ifmib.TypeGauge32, Uint: 1000},
		{OID: ifmib.ColSpeed.Instance(idx), Type: ifmib.TypeGauge32, Uint: 1e9},
		{OID: ifmib.ColLastChange.Instance(idx), Type: ifmib.TypeTimeTicks, Uint: 100},
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "p" + itoa(i+1)
	}
	return out
}

func v2c() client.Credentials { return client.Credentials{Community: "public"} }

// testOptions are fast, deterministic options over a fake network.
func testOptions(net client.Dialer, reg prometheus.Registerer) Options {
	o := DefaultOptions()
	o.Interval = 10 * time.Second
	o.Timeout = time.Second
	o.Retries = 1
	o.Dialer = net
	o.Registerer = reg
	return o
}

// start runs p in the bubble and returns a stop function.
func start(t *testing.T, p *Poller) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	return func() {
		cancel()
		<-done
	}
}

// gather returns the value of a metric with the given labels (0 if
// absent).
func gather(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return 0
}

// newPoller makes a poller over net reporting to a new recorder; a poller
// that cannot be made fails the test.
func newPoller(t *testing.T, net client.Dialer, reg prometheus.Registerer) (*Poller, *recorder) {
	t.Helper()
	rec := &recorder{}
	p, err := New(rec, testOptions(net, reg))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p, rec
}
