package client

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/stadsnat/accessd/snmp/ifmib"
)

// uptimeAgent answers every SNMPv2c GET on loopback with sysUpTime.0 =
// 42 and remembers the source address of every request.
type uptimeAgent struct {
	pc      net.PacketConn
	mu      sync.Mutex
	sources []string
}

func startUptimeAgent(t *testing.T) *uptimeAgent {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &uptimeAgent{pc: pc}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			req, err := gosnmp.Default.SnmpDecodePacket(buf[:n])
			if err != nil {
				continue
			}
			a.mu.Lock()
			a.sources = append(a.sources, from.String())
			a.mu.Unlock()
			resp := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: req.Community, PDUType: gosnmp.GetResponse,
				RequestID: req.RequestID, Variables: []gosnmp.SnmpPDU{{Name: ifmib.OIDSysUpTime, Type: gosnmp.TimeTicks, Value: uint32(42)}}}
			if b, err := resp.MarshalMsg(); err == nil {
				pc.WriteTo(b, from)
			}
		}
	}()
	return a
}

func (a *uptimeAgent) lastSource() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sources[len(a.sources)-1]
}

// TestIdleSessions: a session answers after Idle, from a new socket,
// while another session takes the idle one's buffer; Close after Idle is
// fine.
func TestIdleSessions(t *testing.T) {
	agent := startUptimeAgent(t)
	ctx := context.Background()
	target := Target{Address: agent.pc.LocalAddr().String(), Credentials: Credentials{Community: "public"}, Timeout: 2 * time.Second}
	sends := 0
	target.Hooks.OnSend = func() { sends++ }
	a, err := Net{}.Dial(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Net{}.Dial(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	get := func(c Client) string {
		t.Helper()
		vbs, err := c.Get(ctx, []string{ifmib.OIDSysUpTime})
		if err != nil {
			t.Fatal(err)
		}
		if len(vbs) != 1 || vbs[0].Type != ifmib.TypeTimeTicks || vbs[0].Uint != 42 {
			t.Fatalf("answer %+v, want sysUpTime 42", vbs)
		}
		return agent.lastSource()
	}
	first := get(a)
	Idle(a)
	Idle(a) // twice: nothing more to give back
	get(b)  // b's own socket
	Idle(b)
	again := get(a) // on a buffer given back
	if again == first {
		t.Errorf("after Idle the session asked from %s again, want a new socket", first)
	}
	get(b)
	if sends != 4 {
		t.Errorf("OnSend called %d times, want 4 (once a request, after every reopening too)", sends)
	}
	Idle(a)
	for _, c := range []Client{a, b} {
		if err := c.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}
}
