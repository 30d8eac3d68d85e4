package trap

import (
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/gosnmp/gosnmp"

	"github.com/stadsnat/accessd/snmp/client"
)

var trapUser = client.USM{User: "trapuser", Auth: client.SHA256, AuthPass: "trapauthpass", Priv: client.AES, PrivPass: "trapprivpass"}

func readHex(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	pkt, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return pkt
}

func newDecoder(t testing.TB) *Decoder {
	t.Helper()
	d, err := NewDecoder([]string{"public", "second"}, []client.USM{trapUser})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDecodeRecorded decodes the datagrams net-snmp's snmptrap sent.
func TestDecodeRecorded(t *testing.T) {
	tests := []struct {
		file string
		want Trap
		err  error
	}{
		{"v2c-linkdown.hex", Trap{Version: "v2c", Kind: LinkDown, IfIndex: 5}, nil},
		{"v1-linkdown.hex", Trap{Version: "v1", Kind: LinkDown, IfIndex: 5, AgentAddr: netip.MustParseAddr("10.9.0.1")}, nil},
		{"v3-sha256-aes-linkup.hex", Trap{Version: "v3", User: "trapuser", Kind: LinkUp, IfIndex: 7}, nil},
		{"v2c-wrongcommunity.hex", Trap{}, ErrCommunity},
	}
	d := newDecoder(t)
	for _, tt := range tests {
		got, err := d.Decode(readHex(t, tt.file))
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("%s: error %v, want %v", tt.file, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.file, diff)
		}
	}
}

// TestDecodeRefusals: wrong v3 credentials, v3 or v1/v2c not configured,
// garbage.
func TestDecodeRefusals(t *testing.T) {
	v3 := readHex(t, "v3-sha256-aes-linkup.hex")
	wrongPass := trapUser
	wrongPass.AuthPass = "otherauthpass"
	otherUser := trapUser
	otherUser.User = "someone"
	tests := []struct {
		name  string
		comms []string
		users []client.USM
		pkt   []byte
		err   error
	}{
		{"v3 wrong auth pass", nil, []client.USM{wrongPass}, v3, ErrAuth},
		{"v3 unknown user", nil, []client.USM{otherUser}, v3, ErrAuth},
		{"v3 not configured", []string{"public"}, nil, v3, ErrAuth},
		{"v2c not configured", nil, []client.USM{trapUser}, readHex(t, "v2c-linkdown.hex"), ErrCommunity},
		{"empty", []string{"public"}, nil, nil, ErrMalformed},
		{"not BER", []string{"public"}, nil, []byte("hello world"), ErrMalformed},
		{"truncated", []string{"public"}, nil, readHex(t, "v2c-linkdown.hex")[:40], ErrMalformed},
		{"version 7", []string{"public"}, nil, []byte{0x30, 0x03, 0x02, 0x01, 0x07}, ErrMalformed},
	}
	for _, tt := range tests {
		d, err := NewDecoder(tt.comms, tt.users)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Decode(tt.pkt); !errors.Is(err, tt.err) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.err)
		}
	}
}

// sendTrap makes gosnmp send a trap to a loopback socket and returns the
// datagram.
func sendTrap(t *testing.T, g *gosnmp.GoSNMP, trap gosnmp.SnmpTrap) []byte {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	g.Target, g.Port = "127.0.0.1", uint16(pc.LocalAddr().(*net.UDPAddr).Port)
	g.Timeout, g.Retries = 200*time.Millisecond, 0
	if err := g.Connect(); err != nil {
		t.Fatal(err)
	}
	sent := make(chan struct{})
	defer func() {
		<-sent // Close must not race with SendTrap still waiting for an inform's answer
		g.Close()
	}()
	go func() {
		defer close(sent)
		g.SendTrap(trap) // an inform waits (Timeout) for an answer we never send
	}()
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 65535)
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

func linkVars(kind string, idx int) []gosnmp.SnmpPDU {
	return []gosnmp.SnmpPDU{
		{Name: ".1.3.6.1.6.3.1.1.4.1.0", Type: gosnmp.ObjectIdentifier, Value: kind},
		{Name: ".1.3.6.1.2.1.2.2.1.7." + itoa(idx), Type: gosnmp.Integer, Value: 1},
		{Name: ".1.3.6.1.2.1.2.2.1.8." + itoa(idx), Type: gosnmp.Integer, Value: 2},
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestDecodeGosnmpSent: traps and an inform as gosnmp encodes them; the
// ifIndex comes from ifOperStatus.N when no ifIndex varbind is sent; the
// inform gets a response with its request-id.
func TestDecodeGosnmpSent(t *testing.T) {
	d := newDecoder(t)
	g := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Community: "second"}
	got, err := d.Decode(sendTrap(t, g, gosnmp.SnmpTrap{Variables: linkVars(".1.3.6.1.6.3.1.1.5.3", 42)}))
	if err != nil || got.Kind != LinkDown || got.IfIndex != 42 || got.Version != "v2c" {
		t.Errorf("v2c trap = %+v, %v", got, err)
	}
	g = &gosnmp.GoSNMP{Version: gosnmp.Version2c, Community: "public"}
	inform := sendTrap(t, g, gosnmp.SnmpTrap{IsInform: true, Variables: linkVars(".1.3.6.1.6.3.1.1.5.4", 9)})
	got, err = d.Decode(inform)
	if err != nil || got.Kind != LinkUp || got.IfIndex != 9 || !got.Inform || len(got.Reply) == 0 {
		t.Fatalf("v2c inform = %+v, %v", got, err)
	}
	resp, err := (&gosnmp.GoSNMP{}).SnmpDecodePacket(got.Reply)
	if err != nil || resp.PDUType != gosnmp.GetResponse {
		t.Errorf("inform reply decodes as %+v, %v", resp, err)
	}
	// v3 authNoPriv with SHA-512 from another engine
	u := client.USM{User: "np", Auth: client.SHA512, AuthPass: "sha512pass!"}
	d3, err := NewDecoder(nil, []client.USM{u})
	if err != nil {
		t.Fatal(err)
	}
	g = &gosnmp.GoSNMP{Version: gosnmp.Version3, SecurityModel: gosnmp.UserSecurityModel, MsgFlags: gosnmp.AuthNoPriv,
		SecurityParameters: &gosnmp.UsmSecurityParameters{UserName: "np", AuthenticationProtocol: gosnmp.SHA512,
			AuthenticationPassphrase: "sha512pass!", AuthoritativeEngineID: "\x80\x00\x00\x00\x01\x09\x09\x09"}}
	got, err = d3.Decode(sendTrap(t, g, gosnmp.SnmpTrap{Variables: linkVars(".1.3.6.1.6.3.1.1.5.4", 3)}))
	if err != nil || got.Kind != LinkUp || got.IfIndex != 3 || got.User != "np" {
		t.Errorf("v3 authNoPriv trap = %+v, %v", got, err)
	}
	// the same user without authentication is refused
	g = &gosnmp.GoSNMP{Version: gosnmp.Version3, SecurityModel: gosnmp.UserSecurityModel, MsgFlags: gosnmp.NoAuthNoPriv,
		SecurityParameters: &gosnmp.UsmSecurityParameters{UserName: "np", AuthoritativeEngineID: "\x80\x00\x00\x00\x01\x09\x09\x09"}}
	if _, err := d3.Decode(sendTrap(t, g, gosnmp.SnmpTrap{Variables: linkVars(".1.3.6.1.6.3.1.1.5.4", 3)})); !errors.Is(err, ErrAuth) {
		t.Errorf("v3 noAuthNoPriv trap: error %v, want ErrAuth", err)
	}
}

// FuzzDecode: no datagram makes the decoder panic, and an accepted one
// is a link trap with a valid ifIndex or another kind.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.hex"))
	for _, file := range files {
		f.Add(readHex(f, filepath.Base(file)))
	}
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x01})
	f.Add([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x03})
	d := newDecoder(f)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		tr, err := d.Decode(pkt)
		if err != nil {
			return
		}
		if tr.IfIndex < 0 || (tr.Kind != LinkUp && tr.Kind != LinkDown && tr.Kind != Other) {
			t.Fatalf("accepted %+v", tr)
		}
	})
}
