package dhcp4

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/dhcp/option82"
)

func chaddr() [16]byte {
	var c [16]byte
	copy(c[:], testMAC)
	return c
}

func o82(subs ...option82.SubOption) []option82.Option {
	return []option82.Option{{Subs: subs}}
}

func TestDecodeTypicalRelayed(t *testing.T) {
	b := typicalRelayed(t)
	p, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := &Packet{
		Op: BootRequest, HType: 1, HLen: 6, Hops: 1, XID: 0xdeadbeef,
		CIAddr: addr("0.0.0.0"), YIAddr: addr("0.0.0.0"), SIAddr: addr("0.0.0.0"), GIAddr: addr("10.0.0.1"),
		CHAddr:      chaddr(),
		MessageType: Discover,
		Hostname:    []byte("host-1"),
		ClientID:    append([]byte{1}, testMAC...),
		Option82: o82(
			option82.SubOption{Code: option82.CircuitID, Data: []byte("eth 0/1")},
			option82.SubOption{Code: option82.RemoteID, Data: []byte("10.10.10.10")},
		),
	}
	if diff := cmp.Diff(want, p, append(cmpOpts, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Raw" }, cmp.Ignore()))...); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if string(p.Option82[0].Raw) != string(testO82) {
		t.Errorf("Raw = %x", p.Option82[0].Raw)
	}
	mac, ok := p.MAC()
	if !ok || mac != (hwaddr.MAC{0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e}) {
		t.Errorf("MAC = %v %v", mac, ok)
	}
}

func TestDecodeMessages(t *testing.T) {
	cases := []struct {
		name string
		b    []byte
		want Packet
	}{
		{
			name: "request selecting",
			b: build(t, dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest),
				dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.IPv4(10, 250, 1, 100))),
				dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IPv4(10, 250, 0, 6))),
				dhcpv4.WithBroadcast(true)),
			want: Packet{Op: 1, HType: 1, HLen: 6, XID: 0xdeadbeef, Flags: 0x8000, MessageType: Request,
				RequestedIP: addr("10.250.1.100"), ServerID: addr("10.250.0.6")},
		},
		{
			name: "request renewing",
			b:    build(t, dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest), dhcpv4.WithClientIP(net.IPv4(10, 250, 1, 100))),
			want: Packet{Op: 1, HType: 1, HLen: 6, XID: 0xdeadbeef, MessageType: Request, CIAddr: addr("10.250.1.100")},
		},
		{
			name: "ack with lease time",
			b: build(t, dhcpv4.WithMessageType(dhcpv4.MessageTypeAck), func(d *dhcpv4.DHCPv4) { d.OpCode = dhcpv4.OpcodeBootReply },
				dhcpv4.WithYourIP(net.IPv4(10, 250, 1, 100)),
				dhcpv4.WithOption(dhcpv4.OptIPAddressLeaseTime(time.Hour)),
				dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IPv4(10, 250, 0, 6)))),
			want: Packet{Op: 2, HType: 1, HLen: 6, XID: 0xdeadbeef, MessageType: Ack, YIAddr: addr("10.250.1.100"),
				ServerID: addr("10.250.0.6"), LeaseTime: 3600, HasLeaseTime: true},
		},
		{
			name: "release",
			b:    build(t, dhcpv4.WithMessageType(dhcpv4.MessageTypeRelease), dhcpv4.WithClientIP(net.IPv4(10, 250, 1, 100))),
			want: Packet{Op: 1, HType: 1, HLen: 6, XID: 0xdeadbeef, MessageType: Release, CIAddr: addr("10.250.1.100")},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.b)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			want.CHAddr = chaddr()
			for _, a := range []*netip4{{&want.CIAddr}, {&want.YIAddr}, {&want.SIAddr}, {&want.GIAddr}} {
				if !a.p.IsValid() {
					*a.p = addr("0.0.0.0")
				}
			}
			if diff := cmp.Diff(&want, got, cmpOpts...); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

type netip4 struct{ p *netip.Addr }

// opts appends raw options and an End to a hand-made header.
func withOptions(b []byte, opts ...byte) []byte { return append(append(b, opts...), OptEnd) }

func TestOverloadAndLongOptions(t *testing.T) {
	b := header()
	// options field: overload=3 (file then sname), message type, first half
	// of an option 82 that is split inside the circuit-id sub-option.
	b = withOptions(b, OptOverload, 1, 3, OptMessageType, 1, byte(Request), OptRelayAgent, 4, 1, 7, 'e', 't')
	// file field: rest of option 82, then a hostname in two parts (RFC 3396).
	file := []byte{OptRelayAgent, 5, 'h', ' ', '0', '/', '1', OptHostname, 2, 'a', 'b', OptHostname, 1, 'c', OptEnd}
	copy(b[offFile:], file)
	// sname field: option 82 of a second relay, complete, and requested IP.
	sname := []byte{OptRelayAgent, 3, 2, 1, 'x', OptRequestedIP, 4, 10, 0, 0, 7, OptEnd}
	copy(b[offSname:], sname)
	p, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	got := struct {
		Overload    uint8
		Type        MessageType
		Hostname    string
		RequestedIP string
		Subs        []option82.SubOption
		Instances   int
	}{p.Overload, p.MessageType, string(p.Hostname), p.RequestedIP.String(), nil, len(p.Option82)}
	for _, o := range p.Option82 {
		got.Subs = append(got.Subs, o.Subs...)
	}
	want := got
	want.Overload, want.Type, want.Hostname, want.RequestedIP, want.Instances = 3, Request, "abc", "10.0.0.7", 1
	want.Subs = []option82.SubOption{{Code: 1, Data: []byte("eth 0/1")}, {Code: 2, Data: []byte("x")}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestTwoRelayInstances(t *testing.T) {
	b := withOptions(header(), OptMessageType, 1, 1,
		OptRelayAgent, 3, 1, 1, 'a',
		OptRelayAgent, 5, 1, 1, 'b', 2, 0)
	p, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []option82.Option{
		{Subs: []option82.SubOption{{Code: 1, Data: []byte("a")}}, Raw: []byte{1, 1, 'a'}},
		{Subs: []option82.SubOption{{Code: 1, Data: []byte("b")}, {Code: 2, Data: []byte{}}}, Raw: []byte{1, 1, 'b', 2, 0}},
	}
	if diff := cmp.Diff(want, p.Option82, cmpOpts...); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMissingEndAccepted(t *testing.T) {
	b := append(header(), OptMessageType, 1, byte(Inform), OptPad, OptPad)
	p, err := Decode(b)
	if err != nil || p.MessageType != Inform {
		t.Fatalf("Decode = %v, %v", p, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	cookie := header()
	cookie[239] = 0
	hlen := header()
	hlen[2] = 17
	cases := []struct {
		name   string
		b      []byte
		reason error
		offset int
		option int
	}{
		{"short", header()[:239], ErrShort, 239, -1},
		{"cookie", cookie, ErrMagicCookie, 236, -1},
		{"hlen", hlen, ErrHLen, 2, -1},
		{"option past end", append(header(), 12, 5, 'a'), ErrOptionTruncated, 240, 12},
		{"option without length", append(header(), 53, 1, 1, 12), ErrOptionTruncated, 243, 12},
		{"message type length", withOptions(header(), 53, 2, 1, 1), ErrOptionLength, 240, 53},
		{"message type zero", withOptions(header(), 53, 1, 0), ErrOptionLength, 240, 53},
		{"message type repeated", withOptions(header(), 53, 1, 1, 53, 1, 3), ErrOptionLength, 243, 53},
		{"requested ip length", withOptions(header(), 50, 3, 1, 2, 3), ErrOptionLength, 240, 50},
		{"lease time length", withOptions(header(), 51, 2, 1, 2), ErrOptionLength, 240, 51},
		{"server id repeated", withOptions(header(), 54, 4, 1, 2, 3, 4, 54, 4, 1, 2, 3, 4), ErrOptionLength, 246, 54},
		{"overload value", withOptions(header(), 52, 1, 4), ErrOptionLength, 240, 52},
		{"option 82 empty", withOptions(header(), 82, 0), ErrOption82, 242, 82},
		{"option 82 sub-option past end", withOptions(header(), 53, 1, 1, 82, 4, 1, 7, 'a', 'b'), ErrOption82, 245, 82},
		{"option 82 code 255", withOptions(header(), 82, 3, 255, 1, 'a'), ErrOption82, 242, 82},
		{"option 82 split, still bad", withOptions(header(), 82, 2, 1, 5, 82, 2, 'a', 'b'), ErrOption82, 242, 82},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.b)
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, tc.reason) {
				t.Fatalf("error %v, want *DecodeError with %v", err, tc.reason)
			}
			if diff := cmp.Diff([2]int{tc.offset, tc.option}, [2]int{de.Offset, de.Option}); diff != "" {
				t.Errorf("[offset option] of %q (-want +got):\n%s", err, diff)
			}
			if tc.reason == ErrOption82 {
				var pe *option82.ParseError
				if !errors.As(err, &pe) {
					t.Errorf("no *option82.ParseError inside %v", err)
				}
			}
			if ReasonLabel(err) == "other" {
				t.Errorf("no metric label for %v", err)
			}
		})
	}
}

func TestReuse(t *testing.T) {
	two := withOptions(header(), OptMessageType, 1, 1, OptRelayAgent, 3, 1, 1, 'a', OptRelayAgent, 3, 1, 1, 'b', OptHostname, 1, 'h', OptHostname, 1, 'i')
	one := typicalRelayed(t)
	var p Packet
	if err := p.Decode(two); err != nil {
		t.Fatal(err)
	}
	if err := p.Decode(one); err != nil {
		t.Fatal(err)
	}
	fresh, _ := Decode(one)
	if diff := cmp.Diff(fresh, &p, cmpOpts...); diff != "" {
		t.Errorf("reused decode differs from fresh (-want +got):\n%s", diff)
	}
	if err := p.Decode(two); err != nil {
		t.Fatal(err)
	}
	if len(p.Option82) != 2 || string(p.Hostname) != "hi" {
		t.Errorf("after reuse: %d instances, hostname %q", len(p.Option82), p.Hostname)
	}
}

func TestAllocations(t *testing.T) {
	b := typicalRelayed(t)
	var p Packet
	reuse := testing.AllocsPerRun(200, func() {
		if err := p.Decode(b); err != nil {
			t.Fatal(err)
		}
	})
	fresh := testing.AllocsPerRun(200, func() {
		if _, err := Decode(b); err != nil {
			t.Fatal(err)
		}
	})
	if reuse != 0 || fresh > 5 {
		t.Errorf("allocations: reuse %v (want 0), fresh %v (want ≤ 5)", reuse, fresh)
	}
}

func TestMessageTypeString(t *testing.T) {
	got := []string{MessageType(0).String(), Discover.String(), Inform.String(), MessageType(13).String()}
	if diff := cmp.Diff([]string{"none", "discover", "inform", "type(13)"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
