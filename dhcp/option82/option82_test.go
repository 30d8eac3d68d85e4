package option82

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := DecodeHex(s)
	if err != nil {
		t.Fatalf("DecodeHex(%q): %v", s, err)
	}
	return b
}

func sub(c Code, data string) SubOption { return SubOption{Code: c, Data: []byte(data)} }

// validTLVs are the test vectors (complete TLVs in hex); they seed the fuzz
// targets too.
var validTLVs = []struct {
	name string
	hex  string
	want [][]SubOption
}{
	{
		// PI-API 2.3 option82.md example: circuit-id "eth 0/1", remote-id "10.10.10.10".
		name: "pi-api example",
		hex:  "5216010765746820302F31020B31302E31302E31302E3130",
		want: [][]SubOption{{sub(CircuitID, "eth 0/1"), sub(RemoteID, "10.10.10.10")}},
	},
	{
		// PI-API 2.3 files/option82-2.png, the Cisco example. The picture labels:
		// 52 = DHCP option 82; 11 = length of all sub-options (17); 01 = sub-option
		// 1 (circuit-id); 06 = its length; 00 = circuit-id type 0; 04 = circuit-id
		// length 4; 0949 = VLAN 2377; 04 = module 4; 04 = port 4; 02 = sub-option 2
		// (remote-id); 07 = its length; 01 = remote-id type 1; 05 = remote-id
		// length 5; 6273336732 = "bs3g2". (The issue text writes the remote-id
		// length as "01 05", i.e. type 1 length 5, as the picture does.)
		name: "cisco picture",
		hex:  "52 11 01 06 00 04 09 49 04 04 02 07 01 05 62 73 33 67 32",
		want: [][]SubOption{{
			{Code: CircuitID, Data: []byte{0x00, 0x04, 0x09, 0x49, 0x04, 0x04}},
			{Code: RemoteID, Data: []byte{0x01, 0x05, 'b', 's', '3', 'g', '2'}},
		}},
	},
	{
		// ON-API 2.6 dataformats.md option82 example.
		name: "on-api example",
		hex:  "520A01036162630203313233",
		want: [][]SubOption{{sub(CircuitID, "abc"), sub(RemoteID, "123")}},
	},
	{
		// ISC dhcrelay -a in the lab: circuit-id = downstream interface name.
		name: "dhcrelay",
		hex:  "5209 0107 726c2d646f776e",
		want: [][]SubOption{{sub(CircuitID, "rl-down")}},
	},
	{
		// Two relays, one block each, in hop order.
		name: "two relays",
		hex:  "520F010765746820312F32020431302E31" + "520A01083078303030303031",
		want: [][]SubOption{
			{sub(CircuitID, "eth 1/2"), sub(RemoteID, "10.1")},
			{sub(CircuitID, "0x000001")},
		},
	},
	{
		name: "duplicate circuit-id kept in order",
		hex:  "520E" + "0103616161" + "020162" + "0104" + "62626262",
		want: [][]SubOption{{sub(CircuitID, "aaa"), sub(RemoteID, "b"), sub(CircuitID, "bbbb")}},
	},
	{
		// Zero-length sub-options are valid (RFC 3046 2.0; RFC 8357's 19 has length 0).
		name: "zero-length relay source port and unassigned code",
		hex:  "52081300010141140141",
		want: [][]SubOption{{{Code: RelaySourcePort, Data: []byte{}}, sub(CircuitID, "A"), sub(20, "A")}},
	},
	{
		// Vendor-specific (9) with a Broadband Forum block: actual upstream rate 1024 kbit/s.
		name: "vendor-specific broadband forum",
		hex:  "5210 010141" + "090B 00000DE9 06 8104 00000400",
		want: [][]SubOption{{sub(CircuitID, "A"), {Code: VendorSpecific, Data: []byte{0, 0, 0x0d, 0xe9, 6, 0x81, 4, 0, 0, 4, 0}}}},
	},
}

func TestParseTLVVectors(t *testing.T) {
	for _, tc := range validTLVs {
		t.Run(tc.name, func(t *testing.T) {
			b := mustHex(t, tc.hex)
			opts, err := ParseTLV(b)
			if err != nil {
				t.Fatalf("ParseTLV: %v", err)
			}
			var got [][]SubOption
			for _, o := range opts {
				got = append(got, o.Subs)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("sub-options (-want +got):\n%s", diff)
			}
			enc, err := EncodeTLV(opts...)
			if err != nil {
				t.Fatalf("EncodeTLV: %v", err)
			}
			if !bytes.Equal(enc, b) {
				t.Errorf("round trip: got %x, want %x", enc, b)
			}
			hexOpts, err := ParseHex(tc.hex)
			if err != nil {
				t.Fatalf("ParseHex: %v", err)
			}
			if diff := cmp.Diff(opts, hexOpts, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ParseHex differs from ParseTLV (-want +got):\n%s", diff)
			}
			// Raw keeps the value bytes.
			var raw []byte
			for _, o := range opts {
				raw = append(append(raw, TLVCode, byte(len(o.Raw))), o.Raw...)
			}
			if !bytes.Equal(raw, b) {
				t.Errorf("Raw: got %x, want %x", raw, b)
			}
		})
	}
}

func TestCiscoPictureFields(t *testing.T) {
	opts, err := ParseHex("521101060004094904040207010562733367 32")
	if err != nil {
		t.Fatal(err)
	}
	cid, _ := opts[0].CircuitID()
	rid, _ := opts[0].RemoteID()
	got := struct {
		VLAN, Module, Port int
		Remote             string
	}{int(cid[2])<<8 | int(cid[3]), int(cid[4]), int(cid[5]), string(rid[2:])}
	want := struct {
		VLAN, Module, Port int
		Remote             string
	}{2377, 4, 4, "bs3g2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFormatHex(t *testing.T) {
	o := Option{Subs: []SubOption{sub(CircuitID, "eth 0/1"), sub(RemoteID, "10.10.10.10")}}
	got, err := FormatHex(o)
	if err != nil {
		t.Fatal(err)
	}
	if want := "5216010765746820302F31020B31302E31302E31302E3130"; got != want {
		t.Errorf("FormatHex = %s, want %s", got, want)
	}
}

type errCase struct {
	name   string
	hex    string // a value for Parse, or TLVs for ParseTLV
	tlv    bool
	offset int
	code   int
	reason error
}

var errCases = []errCase{
	{name: "empty value", hex: "", offset: 0, code: -1, reason: ErrEmpty},
	{name: "zero-length option", hex: "5200", tlv: true, offset: 0, code: -1, reason: ErrEmpty},
	{name: "truncated header", hex: "01", offset: 0, code: 1, reason: ErrTruncated},
	{name: "truncated second header", hex: "01014102", offset: 3, code: 2, reason: ErrTruncated},
	{name: "length past the end", hex: "01076574", offset: 0, code: 1, reason: ErrLengthPastEnd},
	{name: "tlv length past the end", hex: "5216010765", tlv: true, offset: 0, code: -1, reason: ErrLengthPastEnd},
	{name: "tlv without length", hex: "52", tlv: true, offset: 0, code: -1, reason: ErrTruncated},
	{name: "sub-option length past end inside tlv", hex: "5203010541", tlv: true, offset: 2, code: 1, reason: ErrLengthPastEnd},
	{name: "sub-option code 0", hex: "000141", offset: 0, code: 0, reason: ErrReservedCode},
	{name: "sub-option code 255", hex: "010141ff", offset: 3, code: 255, reason: ErrReservedCode},
	{name: "not option 82", hex: "350101", tlv: true, offset: 0, code: -1, reason: ErrNotOption82},
	{name: "second tlv not option 82", hex: "52030101413501", tlv: true, offset: 5, code: -1, reason: ErrNotOption82},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			b := mustHexAllowEmpty(t, tc.hex)
			var err error
			if tc.tlv {
				_, err = ParseTLV(b)
			} else {
				_, err = Parse(b)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if !errors.Is(err, tc.reason) {
				t.Errorf("error %v: want reason %v", err, tc.reason)
			}
			got := [2]int{pe.Offset, pe.Code}
			if diff := cmp.Diff([2]int{tc.offset, tc.code}, got); diff != "" {
				t.Errorf("[offset code] of %q (-want +got):\n%s", err, diff)
			}
			if err.Error() == "" {
				t.Error("empty message")
			}
		})
	}
}

func mustHexAllowEmpty(t *testing.T, s string) []byte {
	if s == "" {
		return nil
	}
	return mustHex(t, s)
}

func TestDecodeHex(t *testing.T) {
	good := map[string][]byte{
		"5216":        {0x52, 0x16},
		"52:16":       {0x52, 0x16},
		"52 16\n":     {0x52, 0x16},
		"0x52ab":      {0x52, 0xab},
		"0X52AB":      {0x52, 0xab},
		"52-aB":       {0x52, 0xab},
		" :52::16 : ": {0x52, 0x16},
	}
	for in, want := range good {
		got, err := DecodeHex(in)
		if err != nil {
			t.Errorf("DecodeHex(%q): %v", in, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("DecodeHex(%q) (-want +got):\n%s", in, diff)
		}
	}
	bad := []struct {
		in     string
		offset int
		reason error
	}{
		{"", 0, ErrEmpty},
		{"0x", 0, ErrEmpty},
		{"521", 2, ErrHex},
		{"5 2", 1, ErrHex},
		{"52g1", 2, ErrHex},
		{"5g", 1, ErrHex},
		{"52.16", 2, ErrHex},
	}
	for _, tc := range bad {
		_, err := DecodeHex(tc.in)
		var pe *ParseError
		if !errors.As(err, &pe) || !errors.Is(err, tc.reason) || pe.Offset != tc.offset {
			t.Errorf("DecodeHex(%q) = %v, want %v at offset %d", tc.in, err, tc.reason, tc.offset)
		}
	}
}

func TestCodeNames(t *testing.T) {
	got := map[Code]string{}
	for _, c := range []Code{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 151, 152, 255} {
		got[c] = c.String()
	}
	want := map[Code]string{
		0: "reserved(0)", 1: "circuit-id", 2: "remote-id", 3: "unassigned(3)", 4: "docsis-device-class",
		5: "link-selection", 6: "subscriber-id", 7: "radius-attributes", 8: "authentication",
		9: "vendor-specific", 10: "relay-agent-flags", 11: "server-id-override", 12: "relay-id",
		13: "access-technology-type", 14: "access-network-name", 15: "access-point-name",
		16: "access-point-bssid", 17: "operator-id", 18: "operator-realm", 19: "relay-source-port",
		20: "unassigned(20)", 151: "vss-information", 152: "vss-control", 255: "reserved(255)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestEncodeRefuses(t *testing.T) {
	long := make([]byte, 256)
	cases := []struct {
		o      Option
		reason error
	}{
		{Option{Subs: []SubOption{{Code: 1, Data: long}}}, ErrTooLong},
		{Option{Subs: []SubOption{{Code: 0, Data: []byte{1}}}}, ErrReservedCode},
		{Option{}, ErrEmpty},
		{Option{Subs: []SubOption{{Code: 1, Data: long[:200]}, {Code: 2, Data: long[:60]}}}, ErrTooLong},
	}
	for i, tc := range cases {
		if _, err := tc.o.AppendTLV(nil); !errors.Is(err, tc.reason) {
			t.Errorf("case %d: AppendTLV error %v, want %v", i, err, tc.reason)
		}
	}
}

func TestCloneIsIndependent(t *testing.T) {
	b := mustHex(t, "5216010765746820302F31020B31302E31302E31302E3130")
	opts, _ := ParseTLV(b)
	c := opts[0].Clone()
	for i := range b {
		b[i] = 0
	}
	if got, _ := c.CircuitID(); string(got) != "eth 0/1" {
		t.Errorf("clone changed with input: %q", got)
	}
	if len(c.Raw) != 22 {
		t.Errorf("clone Raw has %d bytes", len(c.Raw))
	}
}

func TestAccessors(t *testing.T) {
	opts, _ := ParseHex(validTLVs[4].hex) // two relays
	if d, ok := First(opts, RemoteID); !ok || string(d) != "10.1" {
		t.Errorf("First remote-id = %q %v", d, ok)
	}
	var all []string
	for d := range opts[0].All(CircuitID) {
		all = append(all, string(d))
	}
	if diff := cmp.Diff([]string{"eth 1/2"}, all); diff != "" {
		t.Errorf("All (-want +got):\n%s", diff)
	}
	if _, ok := First(opts, SubscriberID); ok {
		t.Error("found a subscriber-id")
	}
}

func TestFirstNonEmpty(t *testing.T) {
	opts := []Option{
		{Subs: []SubOption{{Code: CircuitID}, {Code: RemoteID, Data: []byte("r1")}}},
		{Subs: []SubOption{{Code: CircuitID, Data: []byte("c2")}, {Code: RemoteID, Data: []byte("r2")}}},
	}
	if d, ok := opts[0].FirstNonEmpty(CircuitID); ok || d != nil {
		t.Errorf("instance 0 circuit-id: %q, %v; want none", d, ok)
	}
	if d, ok := opts[0].First(CircuitID); !ok || len(d) != 0 {
		t.Errorf("First still sees the empty circuit-id: %q, %v", d, ok)
	}
	if d, ok := FirstNonEmpty(opts, CircuitID); !ok || string(d) != "c2" {
		t.Errorf("circuit-id across instances: %q, %v; want c2", d, ok)
	}
	if d, ok := FirstNonEmpty(opts, RemoteID); !ok || string(d) != "r1" {
		t.Errorf("remote-id across instances: %q, %v; want r1", d, ok)
	}
	if _, ok := FirstNonEmpty(opts, 9); ok {
		t.Error("found a vendor sub-option that is not there")
	}
}

// TestScratchParseHexAllocs: what relays send parses into a Scratch with
// no allocation (a look-up parses one per request); more than its room
// still parses, into new memory.
func TestScratchParseHexAllocs(t *testing.T) {
	var sc Scratch
	for _, tc := range validTLVs {
		want, err := ParseHex(tc.hex)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := sc.ParseHex(tc.hex); err != nil || !cmp.Equal(got, want, cmpopts.EquateEmpty()) {
			t.Errorf("%s: Scratch.ParseHex = %v, %v; want %v", tc.hex, got, err, want)
		}
		if n := testing.AllocsPerRun(100, func() { sc.ParseHex(tc.hex) }); n != 0 {
			t.Errorf("%s: %v allocations, want 0", tc.hex, n)
		}
	}
	// Six hops of 255 bytes: past the room of raw bytes, hops and sub-options.
	var long []Option
	for range 6 {
		var subs []SubOption
		for range 5 {
			subs = append(subs, SubOption{Code: CircuitID, Data: bytes.Repeat([]byte{'x'}, 49)})
		}
		long = append(long, Option{Subs: subs})
	}
	h, err := FormatHex(long...)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ParseHex(h)
	if got, err := sc.ParseHex(h); err != nil || !cmp.Equal(got, want, cmpopts.EquateEmpty()) || len(got) != 6 {
		t.Errorf("beyond the scratch's room: %d options, %v; want 6 as ParseHex", len(got), err)
	}
}
