package demosim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gosnmp/gosnmp"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/ifmib"
)

// newFront returns a front over a fresh switch's agent (no socket).
func newFront(t testing.TB, maxSize int) *front {
	t.Helper()
	s, err := NewSwitch(SwitchOptions{Listen: "127.0.0.1:0", Ports: demoPorts, FlapEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := s.net.Dial(context.Background(), client.Target{Address: agentAddr, Credentials: client.Credentials{Community: "public"}, Timeout: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return &front{community: []byte("public"), maxSize: maxSize, sess: sess}
}

func request(t testing.TB, typ gosnmp.PDUType, community string, nonRep uint8, maxReps uint32, oids ...string) []byte {
	t.Helper()
	p := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: community, PDUType: typ, RequestID: 4711,
		NonRepeaters: nonRep, MaxRepetitions: maxReps}
	for _, o := range oids {
		p.Variables = append(p.Variables, gosnmp.SnmpPDU{Name: o, Type: gosnmp.Null})
	}
	b, err := p.MarshalMsg()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeResponse(t *testing.T, b []byte) *gosnmp.SnmpPacket {
	t.Helper()
	p, err := (&gosnmp.GoSNMP{Version: gosnmp.Version2c}).SnmpDecodePacket(b)
	if err != nil {
		t.Fatalf("decode response: %v", err)
	}
	if p.PDUType != gosnmp.GetResponse || p.RequestID != 4711 || p.Community != "public" {
		t.Fatalf("response header: type %v, request-id %d, community %q", p.PDUType, p.RequestID, p.Community)
	}
	return p
}

func names(p *gosnmp.SnmpPacket) []string {
	var out []string
	for _, v := range p.Variables {
		out = append(out, v.Name)
	}
	return out
}

// TestFrontBulkShortened: a GETBULK whose answer does not fit is cut to
// whole repetitions after the non-repeaters; one that asks for none gets
// the non-repeaters only.
func TestFrontBulkShortened(t *testing.T) {
	f := newFront(t, 484)
	cols := []string{ifmib.ColName.OID(), ifmib.ColDescr.OID(), ifmib.ColOper.OID(), ifmib.ColHighSpeed.OID()}
	out, err := f.handle(t.Context(), request(t, gosnmp.GetBulkRequest, "public", 1, 50, append([]string{ifmib.OIDSysUpTimeObject}, cols...)...))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > 484 {
		t.Errorf("response of %d bytes, over the 484-byte limit", len(out))
	}
	p := decodeResponse(t, out)
	n := len(p.Variables)
	if p.Error != gosnmp.NoError || n < 1+4 || (n-1)%4 != 0 {
		t.Fatalf("shortened GETBULK: error %v, %d varbinds (want 1 + whole rows of 4)", p.Error, n)
	}
	if p.Variables[0].Name != ifmib.OIDSysUpTime || p.Variables[1].Name != ifmib.ColName.Instance(1) {
		t.Errorf("first varbinds %v", names(p)[:2])
	}

	out, err = f.handle(t.Context(), request(t, gosnmp.GetBulkRequest, "public", 1, 0, ifmib.OIDSysUpTimeObject, ifmib.ColName.OID()))
	if err != nil {
		t.Fatal(err)
	}
	if got := names(decodeResponse(t, out)); !cmp.Equal(got, []string{ifmib.OIDSysUpTime}) {
		t.Errorf("GETBULK max-repetitions 0 answered %v, want sysUpTime.0 only", got)
	}
}

// TestFrontGetTooBig: a GET whose answer cannot fit is tooBig with no
// varbinds (RFC 3416 4.2.1).
func TestFrontGetTooBig(t *testing.T) {
	f := newFront(t, 484)
	var oids []string
	for i := range 40 {
		oids = append(oids, ifmib.ColName.Instance(i%5+1))
	}
	out, err := f.handle(t.Context(), request(t, gosnmp.GetRequest, "public", 0, 0, oids...))
	if err != nil {
		t.Fatal(err)
	}
	p := decodeResponse(t, out)
	if p.Error != gosnmp.TooBig || len(p.Variables) != 0 {
		t.Errorf("oversized GET: error %v with %d varbinds, want tooBig with none", p.Error, len(p.Variables))
	}
}

// TestFrontGetNextAndSet: GETNEXT answers the successors (endOfMibView at
// the end); SET is refused with notWritable.
func TestFrontGetNextAndSet(t *testing.T) {
	f := newFront(t, 65507)
	out, err := f.handle(t.Context(), request(t, gosnmp.GetNextRequest, "public", 0, 0, ifmib.ColOper.Instance(5), ".1.3.6.1.2.1.31.1.5.0", "1.9"))
	if err != nil {
		t.Fatal(err)
	}
	p := decodeResponse(t, out)
	got := []string{}
	for _, v := range p.Variables {
		got = append(got, v.Name+" "+v.Type.String())
	}
	// ifTableLastChange.0 is the last object the switch has; an
	// endOfMibView varbind names the OID asked for
	want := []string{ifmib.ColLastChange.Instance(1) + " TimeTicks", ".1.3.6.1.2.1.31.1.5.0 EndOfMibView", ".1.9 EndOfMibView"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GETNEXT (-want +got):\n%s", diff)
	}

	out, err = f.handle(t.Context(), request(t, gosnmp.SetRequest, "public", 0, 0, ifmib.ColAdmin.Instance(1)))
	if err != nil {
		t.Fatal(err)
	}
	if p := decodeResponse(t, out); p.Error != gosnmp.NotWritable || p.ErrorIndex != 1 {
		t.Errorf("SET answered error %v index %d, want notWritable index 1", p.Error, p.ErrorIndex)
	}
}

// TestFrontNoAnswer: what an agent ignores gets no answer.
func TestFrontNoAnswer(t *testing.T) {
	f := newFront(t, 65507)
	v1 := &gosnmp.SnmpPacket{Version: gosnmp.Version1, Community: "public", PDUType: gosnmp.GetRequest, RequestID: 1,
		Variables: []gosnmp.SnmpPDU{{Name: ifmib.OIDSysUpTime, Type: gosnmp.Null}}}
	v1b, _ := v1.MarshalMsg()
	for name, pkt := range map[string][]byte{
		"empty":           nil,
		"not BER":         []byte("hello"),
		"truncated":       request(t, gosnmp.GetRequest, "public", 0, 0, ifmib.OIDSysUpTime)[:20],
		"wrong community": request(t, gosnmp.GetRequest, "private", 0, 0, ifmib.OIDSysUpTime),
		"v1":              v1b,
		"a response":      request(t, gosnmp.GetResponse, "public", 0, 0, ifmib.OIDSysUpTime),
	} {
		if out, err := f.handle(t.Context(), pkt); !errors.Is(err, errNoAnswer) {
			t.Errorf("%s: answered %d bytes, err %v", name, len(out), err)
		}
	}
}

// FuzzFrontHandle: any datagram either gets no answer or an answer that
// decodes as a v2c response to it; nothing panics.
func FuzzFrontHandle(f *testing.F) {
	f.Add(request(f, gosnmp.GetRequest, "public", 0, 0, ifmib.OIDSysUpTime, ifmib.ColOper.Instance(2)))
	f.Add(request(f, gosnmp.GetNextRequest, "public", 0, 0, ifmib.ColName.OID()))
	f.Add(request(f, gosnmp.GetBulkRequest, "public", 1, 10, ifmib.OIDSysUpTimeObject, ifmib.ColName.OID(), ifmib.ColOper.OID()))
	f.Add(request(f, gosnmp.SetRequest, "public", 0, 0, ifmib.ColAdmin.Instance(1)))
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x01})
	fr := newFront(f, 1500)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		out, err := fr.handle(context.Background(), pkt)
		if err != nil {
			if !errors.Is(err, errNoAnswer) && out != nil {
				t.Fatalf("error %v with an answer", err)
			}
			return
		}
		if len(out) > 1500 {
			t.Fatalf("answer of %d bytes over the limit", len(out))
		}
		p, err := (&gosnmp.GoSNMP{Version: gosnmp.Version2c}).SnmpDecodePacket(out)
		if err != nil || p.PDUType != gosnmp.GetResponse {
			t.Fatalf("answer does not decode as a response: %v", err)
		}
	})
}
