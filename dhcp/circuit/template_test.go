package circuit

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTemplateRender(t *testing.T) {
	full := Circuit{RemoteID: "192.168.248.85", CircuitID: "ge-0/0/10", Switch: "sw1", Module: "0/0", Port: "10", VLAN: 43,
		Interface: "ge-0/0/10", GIAddr: netip.MustParseAddr("10.0.0.1"), CircuitIDRaw: []byte{0xab}, RemoteIDRaw: []byte{0x01, 0x02}}
	noRemote := full
	noRemote.RemoteID = ""
	noCircuit := full
	noCircuit.CircuitID = ""
	noModule := full
	noModule.Module = ""
	noVLAN := full
	noVLAN.VLAN = 0
	cases := []struct {
		tmpl string
		c    Circuit
		want string
		ok   bool
	}{
		{"{remote_id} {circuit_id}", full, "192.168.248.85 ge-0/0/10", true},
		{"{remote_id} {circuit_id}", noRemote, "ge-0/0/10", true},
		{"{remote_id} {circuit_id}", noCircuit, "192.168.248.85", true},
		{"{remote_id} {circuit_id}", Circuit{}, "", false},
		{"{switch}/{module}/{port}:{vlan}", full, "sw1/0/0/10:43", true},
		{"{switch}/{module}/{port}:{vlan}", noModule, "sw1/10:43", true},
		{"{switch}/{module}/{port}:{vlan}", noVLAN, "sw1/0/0/10", true},
		{"<{port}>", full, "<10>", true},
		{"<{port}>", Circuit{}, "", false},
		{"{{{interface}}} {giaddr}", full, "{ge-0/0/10} 10.0.0.1", true},
		{"{circuit_hex}-{remote_hex}", full, "ab-0102", true},
		{"{giaddr}", Circuit{GIAddr: netip.IPv4Unspecified()}, "", false},
	}
	for _, tc := range cases {
		tm, err := ParseTemplate(tc.tmpl)
		if err != nil {
			t.Fatalf("ParseTemplate(%q): %v", tc.tmpl, err)
		}
		got, ok := tm.Render(&tc.c)
		if diff := cmp.Diff([]any{tc.want, tc.ok}, []any{got, ok}); diff != "" {
			t.Errorf("%q on %+v (-want +got):\n%s", tc.tmpl, tc.c, diff)
		}
	}
}

func TestTemplateParseErrors(t *testing.T) {
	cases := []struct {
		in     string
		offset int
	}{
		{"{remote_id", 0},
		{"{remote_id} {nope}", 13},
		{"a}b {port}", 1},
		{"no parts", 0},
		{"", 0},
		{"{port}{", 6},
	}
	for _, tc := range cases {
		_, err := ParseTemplate(tc.in)
		var te *TemplateError
		if !errors.As(err, &te) || !errors.Is(err, ErrBadTemplate) {
			t.Errorf("ParseTemplate(%q) = %v, want *TemplateError", tc.in, err)
			continue
		}
		if te.Offset != tc.offset {
			t.Errorf("ParseTemplate(%q) offset %d, want %d (%v)", tc.in, te.Offset, tc.offset, err)
		}
	}
	tm := MustParseTemplate("{port}-{vlan}")
	if diff := cmp.Diff([]Part{PartPort, PartVLAN}, tm.Parts()); diff != "" {
		t.Errorf("Parts (-want +got):\n%s", diff)
	}
	if PartRemoteHex.String() != "remote_hex" || Part(99).String() != "part(99)" {
		t.Error("Part names")
	}
}

func TestTemplateAppendDoesNotAllocate(t *testing.T) {
	tm := MustParseTemplate("{remote_id} {circuit_id} {vlan} {giaddr} {circuit_hex}")
	c := Circuit{RemoteID: "192.168.248.85", CircuitID: "ge-0/0/10", VLAN: 4000, GIAddr: netip.MustParseAddr("10.0.0.1"), CircuitIDRaw: []byte{1, 2, 3}}
	buf := make([]byte, 0, 128)
	allocs := testing.AllocsPerRun(100, func() {
		buf, _ = tm.Append(buf[:0], &c)
	})
	if allocs != 0 {
		t.Errorf("Append allocates %v times", allocs)
	}
}
