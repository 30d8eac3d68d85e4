package integration

import (
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/ifmib"
	"github.com/stadsnat/accessd/snmp/internal/lab"
	"github.com/stadsnat/accessd/snmp/poller"
	"github.com/stadsnat/accessd/snmp/trap"
)

// sink keeps the latest state of every port and the time it arrived.
type sink struct {
	mu    sync.Mutex
	ports map[string]poller.PortState
	at    map[string]time.Time
	sws   map[string]poller.SwitchState
}

func newSink() *sink {
	return &sink{ports: map[string]poller.PortState{}, at: map[string]time.Time{}, sws: map[string]poller.SwitchState{}}
}

func (s *sink) Update(sw poller.SwitchState, changed []poller.PortState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sws[sw.Switch] = sw
	for _, p := range changed {
		s.ports[p.Port] = p
		s.at[p.Port] = time.Now()
	}
}

func (s *sink) port(name string) poller.PortState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ports[name]
}

func (s *sink) all() map[string]poller.PortState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]poller.PortState, len(s.ports))
	for k, v := range s.ports {
		out[k] = v
	}
	return out
}

func logger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

func runPoller(t *testing.T, s *sink, sw poller.Switch, interval time.Duration) *poller.Poller {
	t.Helper()
	o := poller.DefaultOptions()
	o.Interval = interval
	o.Timeout = 500 * time.Millisecond
	o.Retries = 1
	o.Logger = logger(t)
	p, err := poller.New(s, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetSwitches([]poller.Switch{sw}); err != nil {
		t.Fatal(err)
	}
	testkit.Go(t, "poller", p.Run)
	select {
	case <-p.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("poller not ready after 30 s")
	}
	return p
}

var v3user = client.USM{User: "adtv3", Auth: client.SHA256, AuthPass: "adt-auth-pass", Priv: client.AES, PrivPass: "adt-priv-pass"}

// TestPollerAgainstSnmpd: the poller reads all 48 veth ports of a real
// snmpd (v2c, and v3 authPriv SHA-256/AES), sees a pulled cable as DOWN
// within one poll interval plus snmpd's ~3 s cache, and UP again with a
// later since.
func TestPollerAgainstSnmpd(t *testing.T) {
	testkit.SkipShort(t, slow)
	for _, tc := range []struct {
		name  string
		creds client.Credentials
	}{
		{"v2c", client.Credentials{Community: "public"}},
		{"v3-authPriv", client.Credentials{V3: &v3user}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := lab.StartSnmpd(t, lab.SnmpdOptions{Users: []client.USM{v3user}, FirstPortMbps: 1000})
			s := newSink()
			const interval = 3 * time.Second
			runPoller(t, s, poller.Switch{Address: d.Addr, Group: "lab", Credentials: tc.creds, Ports: d.Ports}, interval)

			// new veths take a moment to show up and come up in snmpd
			testkit.WaitUntil(t, 15*time.Second, "all 48 ports UP", func() bool {
				all := s.all()
				for _, p := range d.Ports {
					if all[p].Link != ifmib.LinkUp {
						return false
					}
				}
				return true
			})
			if got := s.port(d.Ports[0]); got.SpeedMbps != 1000 || got.IfIndex != d.IfIndex(d.Ports[0]) || !got.Reachable {
				t.Errorf("%s = %+v, want 1000 Mbit/s at ifIndex %d", d.Ports[0], got, d.IfIndex(d.Ports[0]))
			}
			if got := s.port(d.Ports[1]); got.SpeedMbps != 10000 {
				t.Errorf("%s speed = %d, want 10000 (veth)", d.Ports[1], got.SpeedMbps)
			}

			port := d.Ports[5]
			upSince := s.port(port).Since
			pulled := time.Now()
			d.PeerDown(port)
			took := testkit.WaitUntil(t, interval+3*time.Second+2*time.Second, port+" DOWN", func() bool {
				return s.port(port).Link == ifmib.LinkDown
			})
			down := s.port(port)
			t.Logf("%s DOWN after %v (interval %v + snmpd cache ~3 s), since %v", port, took, interval, down.Since.Format(time.RFC3339Nano))
			if down.Oper != ifmib.OperDown && down.Oper != ifmib.OperLowerLayerDown || down.Admin != ifmib.AdminUp || !down.SinceExact {
				t.Errorf("pulled port = %+v", down)
			}
			if down.Since.Before(pulled.Add(-time.Second)) || down.Since.After(time.Now()) {
				t.Errorf("DOWN since %v, pulled at %v", down.Since, pulled)
			}
			d.PeerUp(port)
			testkit.WaitUntil(t, interval+5*time.Second, port+" UP again", func() bool { return s.port(port).Link == ifmib.LinkUp })
			if up := s.port(port); !up.Since.After(down.Since) || !up.Since.After(upSince) {
				t.Errorf("UP again since %v, want later than DOWN since %v and the first UP since %v", up.Since, down.Since, upSince)
			}
			for _, p := range []string{d.Ports[4], d.Ports[6]} {
				if got := s.port(p); got.Link != ifmib.LinkUp || !got.Since.Equal(s.port(p).Since) {
					t.Errorf("neighbour %s = %+v", p, got)
				}
			}
		})
	}
}

// TestTrapReflectedWithin1s: with a poll interval of a minute, a linkDown
// trap sent by snmptrap to the listener makes the poller read the port at
// once: DOWN (source trap) within 1 s. v2c and a v3 authPriv trap.
func TestTrapReflectedWithin1s(t *testing.T) {
	testkit.SkipShort(t, slow)
	testkit.RequireCommands(t, "snmptrap")
	d := lab.StartSnmpd(t, lab.SnmpdOptions{Ports: 8})
	s := newSink()
	p := runPoller(t, s, poller.Switch{Address: d.Addr, Credentials: client.Credentials{Community: "public"}, Ports: d.Ports}, time.Minute)
	trapUser := client.USM{User: "adttrap", Auth: client.SHA512, AuthPass: "adt-trap-auth", Priv: client.AES256, PrivPass: "adt-trap-priv"}
	l, err := trap.New(trap.Config{Listen: "127.0.0.1:0", Communities: []string{"traps"}, Users: []client.USM{trapUser}, Logger: logger(t)}, p)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Go(t, "trap listener", l.Run)
	<-l.Ready()
	testkit.WaitUntil(t, 15*time.Second, "ports UP", func() bool { return s.port(d.Ports[7]).Link == ifmib.LinkUp })
	// the trap needs the poller to know that 127.0.0.1 is this switch
	if !p.LinkTrap(netip.MustParseAddr("127.0.0.1"), 0) {
		t.Fatal("poller does not know the switch by 127.0.0.1")
	}

	send := func(args ...string) {
		t.Helper()
		cmd := exec.Command("snmptrap", args...)
		cmd.Env = append(os.Environ(), "MIBS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("snmptrap %v: %v\n%s", args, err, out)
		}
	}
	for _, tc := range []struct {
		name string
		kind string // notification OID
		link ifmib.Link
		auth []string
		act  func(string)
		want string // ifOperStatus snmpd must show first
	}{
		{"v2c linkDown", ".1.3.6.1.6.3.1.1.5.3", ifmib.LinkDown, []string{"-v2c", "-c", "traps"}, d.PeerDown, "2"},
		{"v3 linkUp", ".1.3.6.1.6.3.1.1.5.4", ifmib.LinkUp, []string{"-v3", "-e", "0x80000000010a0b0c0d", "-u", trapUser.User,
			"-a", "SHA-512", "-A", trapUser.AuthPass, "-x", "AES-256", "-X", trapUser.PrivPass, "-l", "authPriv"}, d.PeerUp, "1"},
	} {
		port := d.Ports[3]
		idx := strconv.Itoa(d.IfIndex(port))
		tc.act(port)
		// snmpd caches its ifTable (~3 s): the trap's GET can only see the
		// change once snmpd does, as on a switch that sends it.
		testkit.WaitUntil(t, 10*time.Second, "snmpd to show the change", func() bool { return d.Oper("public", port) == tc.want })
		sent := time.Now()
		target := l.Addr().String()
		send(append(tc.auth, target, "", tc.kind,
			".1.3.6.1.2.1.2.2.1.1."+idx, "i", idx, ".1.3.6.1.2.1.2.2.1.8."+idx, "i", tc.want)...)
		testkit.WaitUntil(t, 3*time.Second, tc.name+" reflected", func() bool {
			st := s.port(port)
			return st.Link == tc.link && st.Source == poller.SourceTrap
		})
		s.mu.Lock()
		took := s.at[port].Sub(sent) // from starting snmptrap to the sink's update
		s.mu.Unlock()
		t.Logf("%s: %s %s %v after snmptrap was started", tc.name, port, tc.link, took)
		if took > time.Second || took < 0 {
			t.Errorf("%s reflected after %v, want within 1 s", tc.name, took)
		}
	}
}

// TestFrozenAgentTurnsUnknown: an snmpd that stops answering (SIGSTOP)
// turns its ports UNKNOWN, never a stale UP; once resumed they are UP.
func TestFrozenAgentTurnsUnknown(t *testing.T) {
	testkit.SkipShort(t, slow)
	d := lab.StartSnmpd(t, lab.SnmpdOptions{Ports: 4})
	s := newSink()
	const interval = 2 * time.Second
	runPoller(t, s, poller.Switch{Address: d.Addr, Credentials: client.Credentials{Community: "public"}, Ports: d.Ports}, interval)
	testkit.WaitUntil(t, 15*time.Second, "ports UP", func() bool { return s.port(d.Ports[3]).Link == ifmib.LinkUp })
	d.Stop()
	t.Cleanup(d.Cont)
	stopped := time.Now()
	// one interval, then the walk and the probe time out (0.5 s × 2 each)
	took := testkit.WaitUntil(t, interval+3*time.Second, "ports UNKNOWN", func() bool {
		for _, p := range d.Ports {
			if st := s.port(p); st.Link != ifmib.LinkUnknown || st.Reachable {
				return false
			}
		}
		return true
	})
	t.Logf("all ports UNKNOWN %v after SIGSTOP", took)
	if st := s.port(d.Ports[0]); st.Since.Before(stopped.Add(-interval)) || st.Since.After(time.Now()) {
		t.Errorf("UNKNOWN since %v, agent stopped at %v", st.Since, stopped)
	}
	d.Cont()
	testkit.WaitUntil(t, interval+5*time.Second, "ports UP again", func() bool {
		for _, p := range d.Ports {
			if st := s.port(p); st.Link != ifmib.LinkUp || !st.Reachable {
				return false
			}
		}
		return true
	})
}
