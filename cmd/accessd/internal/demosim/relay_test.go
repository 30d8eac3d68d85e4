package demosim

import (
	"context"
	"encoding/csv"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/dhcp4"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
)

// demoOption82 returns the Option82 texts of the repository's demo
// inventory (the CSV the daemon's -demo embeds a copy of).
func demoOption82(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../../../../testdata/demo/accesses.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(rows[0], "option82")
	if col < 0 {
		t.Fatal("demo inventory has no option82 column")
	}
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[col])
	}
	return out
}

func TestCircuitsFromDemoInventory(t *testing.T) {
	texts := demoOption82(t)
	var want []string
	var wantCircuits []Circuit
	for i := range 12 {
		p := "acc" + strconv.Itoa(i)
		want = append(want, p)
		wantCircuits = append(wantCircuits, Circuit{RemoteID: "127.0.0.1", CircuitID: p})
	}
	if diff := cmp.Diff(want, PortsFromOption82(texts, "127.0.0.1")); diff != "" {
		t.Errorf("ports of 127.0.0.1 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantCircuits, CircuitsFromOption82(texts, "127.0.0.1")); diff != "" {
		t.Errorf("circuits of 127.0.0.1 (-want +got):\n%s", diff)
	}
	// every switch: the 12 loopback circuits and the 11 of 192.168.248.85;
	// "rl-down" names no switch; repeats are dropped
	all := CircuitsFromOption82(append(texts, texts[0]), "")
	if len(all) != 23 || all[12].String() != "192.168.248.85 ge-0/0/10" {
		t.Errorf("all circuits: %d, the 13th %v", len(all), all[12])
	}
}

func demoRelay(t *testing.T, o RelayOptions) *Relay {
	t.Helper()
	if o.Target == "" {
		o.Target = "127.0.0.1:6767"
	}
	if o.Circuits == nil {
		o.Circuits = CircuitsFromOption82(demoOption82(t), "127.0.0.1")
	}
	r, err := NewRelay(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRelayClients: the plan documentation relies on.
func TestRelayClients(t *testing.T) {
	r := demoRelay(t, RelayOptions{})
	cl := r.Clients()
	perCircuit := map[string]int{}
	for _, c := range cl {
		perCircuit[c.Circuit.CircuitID]++
	}
	wantPer := map[string]int{"acc99": 1}
	for i := range 12 {
		wantPer["acc"+strconv.Itoa(i)] = []int{2, 3, 1}[i%3]
	}
	if diff := cmp.Diff(wantPer, perCircuit); diff != "" {
		t.Errorf("clients per circuit (-want +got):\n%s", diff)
	}
	type c struct {
		Circuit   string
		Known     bool
		MAC       string
		IP, AltIP string
	}
	conv := func(x Client) c {
		alt := ""
		if x.AltIP.IsValid() {
			alt = x.AltIP.String()
		}
		return c{x.Circuit.String(), x.Known, x.MAC.String(), x.IP.String(), alt}
	}
	got := []c{conv(cl[0]), conv(cl[1]), conv(cl[2]), conv(cl[len(cl)-2]), conv(cl[len(cl)-1])}
	want := []c{
		{"127.0.0.1 acc0", true, "02:67:00:00:00:00", "10.67.0.10", ""},
		{"127.0.0.1 acc0", true, "02:67:00:00:00:01", "10.67.0.11", "10.67.0.111"},
		{"127.0.0.1 acc1", true, "02:67:00:00:01:00", "10.67.1.10", ""},
		{"127.0.0.1 acc11", true, "02:67:00:00:0b:00", "10.67.11.10", ""},
		{"127.0.0.1 acc99", false, "02:67:00:00:ff:00", "10.67.255.10", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("clients (-want +got):\n%s", diff)
	}
	if r2 := demoRelay(t, RelayOptions{MoveEvery: -1}); r2.Clients()[1].AltIP.IsValid() {
		t.Error("MoveEvery < 0: the second client still has another address")
	}
}

type sent struct {
	at time.Duration
	b  []byte
}

// TestRelayTraffic: on the fake clock, three minutes of the relay's
// packets decode with accessd's decoder as relayed BOOTREQUESTs whose
// Option 82 renders as the clients' circuits, arrive on schedule, and,
// applied to accessd's binding machine, leave every client bound to its
// address and access and the moving client with a history.
func TestRelayTraffic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := demoRelay(t, RelayOptions{})
		var pkts []sent
		start := time.Now()
		atReady := -1
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() {
			done <- r.run(ctx, func(b []byte) error {
				pkts = append(pkts, sent{time.Since(start), slices.Clone(b)})
				return nil
			}, func() { atReady = len(pkts) })
		}()
		time.Sleep(181 * time.Second)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		clients := r.Clients()
		if first := 2*len(clients) + 1 + 2; atReady != first {
			t.Errorf("ready after %d packets, want the first round's %d", atReady, first)
		}
		checkSchedule(t, pkts)
		checkBindings(t, r, pkts)
	})
}

// kindOf names a relayed packet: discover, selecting, renewal.
func kindOf(p *dhcp4.Packet) string {
	switch {
	case p.MessageType == dhcp4.Discover:
		return "discover"
	case p.MessageType == dhcp4.Request && p.RequestedIP.IsValid() && p.ServerID.IsValid():
		return "selecting"
	case p.MessageType == dhcp4.Request && p.CIAddr.IsValid() && !p.CIAddr.IsUnspecified():
		return "renewal"
	}
	return "other " + p.MessageType.String()
}

// checkSchedule counts the packets by second and kind.
func checkSchedule(t *testing.T, pkts []sent) {
	t.Helper()
	got := map[string]int{}
	for _, s := range pkts {
		p, err := dhcp4.Decode(s.b)
		if err != nil {
			t.Fatalf("packet at %v: %v", s.at, err)
		}
		got[strconv.Itoa(int(s.at/time.Second))+"s "+kindOf(p)]++
	}
	want := map[string]int{"0s discover": 26, "0s selecting": 26, "0s renewal": 1, "180s discover": 1, "180s selecting": 1}
	for _, s := range []int{2, 32, 62, 92, 122, 152} {
		want[strconv.Itoa(s)+"s renewal"] = 25
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packets by second and kind (-want +got):\n%s", diff)
	}
}

// checkBindings checks each packet's relay fields and Option 82 and
// applies it to the binding machine.
func checkBindings(t *testing.T, r *Relay, pkts []sent) {
	t.Helper()
	dec, err := circuit.NewDecoder([]circuit.Profile{circuit.DefaultProfile()})
	if err != nil {
		t.Fatal(err)
	}
	circuitOf := map[hwaddr.MAC]Circuit{}
	known := map[string]bool{}
	for _, c := range r.Clients() {
		circuitOf[hwaddr.MAC(c.MAC)] = c.Circuit
		known[c.Circuit.String()] = c.Known
	}
	m := binding.New(binding.Config{})
	byMAC := map[hwaddr.MAC]*binding.Binding{}
	holder := map[netip.Addr]hwaddr.MAC{}
	closed := map[hwaddr.MAC][]binding.Interval{}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, s := range pkts {
		p, _ := dhcp4.Decode(s.b)
		mac, _ := p.MAC()
		if p.Op != 1 || p.Hops != 1 || p.GIAddr != netip.MustParseAddr("10.67.0.1") {
			t.Fatalf("packet of %v: op %d hops %d giaddr %v, want a relayed BOOTREQUEST via 10.67.0.1", mac, p.Op, p.Hops, p.GIAddr)
		}
		if !option82Last(s.b) {
			t.Fatalf("packet of %v: option 82 is not the last option", mac)
		}
		c, err := dec.Decode(p.GIAddr, p.Option82)
		if err != nil || c.Key != circuitOf[mac].String() || c.CircuitID != circuitOf[mac].CircuitID || c.RemoteID != "127.0.0.1" {
			t.Fatalf("packet of %v: circuit %+v (%v), want %v", mac, c, err, circuitOf[mac])
		}
		access := ""
		if known[c.Key] {
			access = c.Key
		}
		ob, ok := binding.FromPacket(p, binding.SourceRelay, t0.Add(s.at), access, c.Key)
		if !ok {
			t.Fatalf("packet of %v: nothing to learn", mac)
		}
		ip := ob.RequestedIP
		if !ip.IsValid() {
			ip = ob.CIAddr
		}
		res := m.Apply(byMAC[mac], byMAC[holder[ip]], ob)
		if res.Binding != nil {
			byMAC[mac] = res.Binding
			holder[res.Binding.IP] = mac
		}
		closed[mac] = append(closed[mac], res.Closed...)
	}
	type state struct {
		IP, Access, State string
		Closed            []string
	}
	got, want := map[string]state{}, map[string]state{}
	for i, c := range r.Clients() {
		mac := hwaddr.MAC(c.MAC)
		b := byMAC[mac]
		st := state{IP: b.IP.String(), Access: b.Access, State: b.State.String()}
		for _, iv := range closed[mac] {
			st.Closed = append(st.Closed, iv.IP.String()+" "+iv.Access+" "+iv.To.Sub(t0).Round(time.Second).String())
		}
		got[c.MAC.String()] = st
		w := state{IP: r.Current(i).String(), State: "bound"}
		if c.Known {
			w.Access = c.Circuit.String()
		}
		if c.AltIP.IsValid() {
			// left its first (confirmed) address at once, and its own
			// address at the move of 180 s; tentative until it renews
			w.State = "tentative"
			w.Closed = []string{"10.67.0.111 127.0.0.1 acc0 0s", "10.67.0.11 127.0.0.1 acc0 3m0s"}
			if w.IP != "10.67.0.111" {
				t.Errorf("moving client is on %s after its second move, want 10.67.0.111", w.IP)
			}
		}
		want[c.MAC.String()] = w
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bindings after 181 s (-want +got):\n%s", diff)
	}
}

// option82Last reports whether option 82 is the last option before End.
func option82Last(b []byte) bool {
	last := byte(0)
	for i := 240; i < len(b); {
		switch b[i] {
		case 0:
			i++
			continue
		case 255:
			return last == 82
		}
		if i+1 >= len(b) {
			return false
		}
		last = b[i]
		i += 2 + int(b[i+1])
	}
	return false
}

// TestRelayOverUDP: the first round arrives over real UDP from 127.0.0.1,
// every packet decodable, before ready is called.
func TestRelayOverUDP(t *testing.T) {
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	rx.SetReadBuffer(1 << 20)
	r := demoRelay(t, RelayOptions{Target: rx.LocalAddr().String()})
	ctx, cancel := context.WithCancel(t.Context())
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() { done <- r.Run(ctx, func() { close(ready) }) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Run ended before ready: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not ready after 10 s")
	}
	want := 2*len(r.Clients()) + 1 + 2
	kinds := map[string]int{}
	buf := make([]byte, 1500)
	rx.SetReadDeadline(time.Now().Add(5 * time.Second))
	for range want {
		n, from, err := rx.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("after %v packets: %v", kinds, err)
		}
		if !from.IP.Equal(net.IPv4(127, 0, 0, 1)) {
			t.Errorf("packet from %v, want 127.0.0.1", from)
		}
		p, err := dhcp4.Decode(buf[:n])
		if err != nil {
			t.Fatal(err)
		}
		kinds[kindOf(p)]++
	}
	if diff := cmp.Diff(map[string]int{"discover": 26, "selecting": 26, "renewal": 1}, kinds); diff != "" {
		t.Errorf("first round (-want +got):\n%s", diff)
	}
}

func TestNewRelayErrors(t *testing.T) {
	cs := []Circuit{{"127.0.0.1", "acc0"}}
	long := Circuit{"127.0.0.1", string(make([]byte, 250))}
	for name, o := range map[string]RelayOptions{
		"no target":       {Circuits: cs},
		"bad source":      {Target: "127.0.0.1:6767", Source: "x", Circuits: cs},
		"no circuits":     {Target: "127.0.0.1:6767"},
		"empty circuit":   {Target: "127.0.0.1:6767", Circuits: []Circuit{{"127.0.0.1", ""}}},
		"long circuit":    {Target: "127.0.0.1:6767", Circuits: []Circuit{long}},
		"IPv6 network":    {Target: "127.0.0.1:6767", Circuits: cs, Network: netip.MustParsePrefix("fd00::/16")},
		"/24 network":     {Target: "127.0.0.1:6767", Circuits: cs, Network: netip.MustParsePrefix("10.67.0.0/24")},
		"too many":        {Target: "127.0.0.1:6767", Circuits: cs, MaxClients: 91},
		"negative renew":  {Target: "127.0.0.1:6767", Circuits: cs, Renew: -time.Second},
		"IPv6 server id":  {Target: "127.0.0.1:6767", Circuits: cs, ServerID: netip.MustParseAddr("::1")},
		"256 circuits":    {Target: "127.0.0.1:6767", Circuits: make([]Circuit, 256)},
		"negative spread": {Target: "127.0.0.1:6767", Circuits: cs, Spread: -time.Millisecond},
	} {
		if _, err := NewRelay(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
