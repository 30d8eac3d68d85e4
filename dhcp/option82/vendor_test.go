package option82

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDescribe(t *testing.T) {
	// circuit-id text, remote-id binary MAC, link-selection, flags, relay port,
	// vendor-specific with a Broadband Forum block and an unknown enterprise.
	vendor, err := AppendVendor(nil,
		VendorBlock{Enterprise: EnterpriseBroadbandForum, Data: []byte{0x81, 4, 0, 0, 0x27, 0x10, 0x01, 3, 'a', 'n', '1', 0x90, 3, 1, 2, 3}},
		VendorBlock{Enterprise: 99999, Data: []byte{7, 1, 0xff}},
	)
	if err != nil {
		t.Fatal(err)
	}
	o := Option{Subs: []SubOption{
		sub(CircuitID, "ge-0/0/10"),
		{Code: RemoteID, Data: []byte{0, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e}},
		{Code: LinkSelection, Data: []byte{10, 0, 0, 0}},
		{Code: RelayAgentFlags, Data: []byte{0x80}},
		{Code: RelaySourcePort, Data: []byte{}},
		{Code: VendorSpecific, Data: vendor},
		{Code: VendorSpecific, Data: []byte{0, 0, 0, 9, 9}},
	}}
	got := Describe(o, NewVendors())
	want := []Field{
		{Code: CircuitID, Name: "circuit-id", Value: "ge-0/0/10"},
		{Code: RemoteID, Name: "remote-id", Value: "0x001a2b3c4d5e"},
		{Code: LinkSelection, Name: "link-selection", Value: "10.0.0.0"},
		{Code: RelayAgentFlags, Name: "relay-agent-flags", Value: "0x80 (unicast)"},
		{Code: RelaySourcePort, Name: "relay-source-port", Value: "(present)"},
		{Code: VendorSpecific, Name: "vendor-specific/broadband-forum/actual-data-rate-upstream", Value: "10000 kbit/s"},
		{Code: VendorSpecific, Name: "vendor-specific/broadband-forum/agent-circuit-id", Value: "an1"},
		{Code: VendorSpecific, Name: "vendor-specific/broadband-forum/access-loop-encapsulation", Value: "0x010203"},
		{Code: VendorSpecific, Name: "vendor-specific/enterprise(99999)/item(7)", Value: "0xff"},
		{Code: VendorSpecific, Name: "vendor-specific", Value: "0x0000000909 (option 82: offset 0: sub-option 9 (vendor-specific): length past the end (enterprise 9 data length 9, 0 bytes left))"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestVendorRegistry(t *testing.T) {
	v := NewVendors()
	v.Register(EnterpriseCisco, VendorSpace{Name: "cisco", Item: func(code uint8, d []byte) (string, string, bool) {
		if code == 1 {
			return "vpn", string(d), true
		}
		return "", "", false
	}})
	data, _ := AppendVendor(nil, VendorBlock{Enterprise: EnterpriseCisco, Data: []byte{1, 2, 'v', '1', 2, 1, 0}})
	got := Describe(Option{Subs: []SubOption{{Code: VendorSpecific, Data: data}}}, v)
	want := []Field{
		{Code: VendorSpecific, Name: "vendor-specific/cisco/vpn", Value: "v1"},
		{Code: VendorSpecific, Name: "vendor-specific/cisco/item(2)", Value: "0x00"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A nil registry names nothing but still decodes.
	got = Describe(Option{Subs: []SubOption{{Code: VendorSpecific, Data: data}}}, nil)
	if len(got) != 2 || got[0].Name != "vendor-specific/enterprise(9)/item(1)" {
		t.Errorf("nil registry: %+v", got)
	}
}

func TestParseVendorErrors(t *testing.T) {
	for _, tc := range []struct {
		data   []byte
		reason error
	}{
		{nil, ErrEmpty},
		{[]byte{0, 0, 0}, ErrTruncated},
		{[]byte{0, 0, 0, 9, 2, 1}, ErrLengthPastEnd},
	} {
		if _, err := ParseVendor(tc.data); !errors.Is(err, tc.reason) {
			t.Errorf("ParseVendor(%x) = %v, want %v", tc.data, err, tc.reason)
		}
	}
	b := VendorBlock{Enterprise: 1, Data: []byte{1, 5, 0}}
	if _, err := b.Items(); !errors.Is(err, ErrLengthPastEnd) {
		t.Errorf("Items = %v", err)
	}
	b = VendorBlock{Enterprise: 1, Data: []byte{1}}
	if _, err := b.Items(); !errors.Is(err, ErrTruncated) {
		t.Errorf("Items = %v", err)
	}
}
