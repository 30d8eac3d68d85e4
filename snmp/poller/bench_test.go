package poller

import (
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/snmp/client/fakeagent"
)

// BenchmarkCycle measures the poller's own cost (no network: fake agents
// answer in memory) of one cycle over 50 switches × 48 ports.
//
//	go test -run XXX -bench Cycle -benchtime 2s ./snmp/poller/
func BenchmarkCycle(b *testing.B) {
	for _, tc := range []struct {
		name string
		full bool
	}{{"idle", false}, {"full", true}} {
		b.Run(tc.name, func(b *testing.B) {
			const switches, ports = 50, 48
			net := fakeagent.NewNetwork()
			var sws []Switch
			for i := range switches {
				addr := "10.8.0." + itoa(i+1) + ":161"
				net.Add(addr, synthAgent(ports, 0))
				sws = append(sws, Switch{Address: addr, Credentials: v2c(), Ports: names(ports)})
			}
			o := testOptions(net, nil)
			o.Interval = time.Hour
			p, err := New(&recorder{}, o)
			if err != nil {
				b.Fatal(err)
			}
			if err := p.SetSwitches(sws); err != nil {
				b.Fatal(err)
			}
			ctx := b.Context()
			defer testkit.Go(b, "poller", p.Run).Stop()
			<-p.Ready()
			p.PollNow(ctx, tc.full) // let the budget settle
			b.ResetTimer()
			for b.Loop() {
				if err := p.PollNow(ctx, tc.full); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(switches*ports/1000.0), "ns/1000ports")
		})
	}
}
