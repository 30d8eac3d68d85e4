package circuit

import (
	"errors"
	"net/netip"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stadsnat/accessd/dhcp/option82"
)

func tlvs(t testing.TB, hex string) []option82.Option {
	t.Helper()
	opts, err := option82.ParseHex(hex)
	if err != nil {
		t.Fatalf("ParseHex(%q): %v", hex, err)
	}
	return opts
}

// build returns option 82 TLV hex for the given sub-options.
func build(t testing.TB, subs ...option82.SubOption) string {
	t.Helper()
	s, err := option82.FormatHex(option82.Option{Subs: subs})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func so(c option82.Code, b ...byte) option82.SubOption { return option82.SubOption{Code: c, Data: b} }
func st(c option82.Code, s string) option82.SubOption {
	return option82.SubOption{Code: c, Data: []byte(s)}
}

var giaddr = netip.MustParseAddr("10.0.0.1")

// ignoreRaw leaves the raw byte fields out of comparisons (they are checked
// separately).
var ignoreRaw = cmpopts.IgnoreFields(Circuit{}, "Raw", "CircuitIDRaw", "RemoteIDRaw")

type vector struct {
	name    string
	profile Profile
	hex     string
	want    Circuit
}

func vectors(t testing.TB) []vector {
	mac := []byte{0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e}
	return []vector{
		{
			name:    "text: PI-API example",
			profile: Profile{Name: "p", Format: FormatText},
			hex:     "5216010765746820302F31020B31302E31302E31302E3130",
			want: Circuit{Profile: "p", RemoteID: "10.10.10.10", CircuitID: "eth 0/1", Switch: "10.10.10.10",
				Key: "10.10.10.10 eth 0/1"},
		},
		{
			name:    "text: PI V1 Option82 text",
			profile: Profile{Name: "p"},
			hex:     build(t, st(1, "ge-0/0/10"), st(2, "192.168.248.85")),
			want: Circuit{Profile: "p", RemoteID: "192.168.248.85", CircuitID: "ge-0/0/10", Switch: "192.168.248.85",
				Key: "192.168.248.85 ge-0/0/10"},
		},
		{
			name:    "text: no remote-id drops it with its separator",
			profile: Profile{Name: "p"},
			hex:     build(t, st(1, "ge-0/0/10")),
			want:    Circuit{Profile: "p", CircuitID: "ge-0/0/10", Key: "ge-0/0/10"},
		},
		{
			name:    "text: trailing NULs trimmed, binary MAC remote-id",
			profile: Profile{Name: "p"},
			hex:     build(t, st(1, "rl-down\x00"), so(2, mac...)),
			want: Circuit{Profile: "p", RemoteID: "00:1a:2b:3c:4d:5e", CircuitID: "rl-down", Switch: "00:1a:2b:3c:4d:5e",
				Key: "00:1a:2b:3c:4d:5e rl-down"},
		},
		{
			name:    "cisco: option82-2.png",
			profile: Profile{Name: "c", Format: FormatCisco},
			hex:     "52 11 01 06 00 04 09 49 04 04 02 07 01 05 62 73 33 67 32",
			want: Circuit{Profile: "c", RemoteID: "bs3g2", CircuitID: "000409490404", Switch: "bs3g2",
				Module: "4", Port: "4", VLAN: 2377, Key: "bs3g2 000409490404"},
		},
		{
			name:    "cisco: port offset -2 and a structured key",
			profile: Profile{Name: "c", Format: FormatCisco, PortOffset: -2, Key: "{remote_id} Gi{module}/0/{port} vlan {vlan}"},
			hex:     "52 11 01 06 00 04 09 49 04 04 02 07 01 05 62 73 33 67 32",
			want: Circuit{Profile: "c", RemoteID: "bs3g2", CircuitID: "000409490404", Switch: "bs3g2",
				Module: "4", Port: "2", VLAN: 2377, Key: "bs3g2 Gi4/0/2 vlan 2377"},
		},
		{
			name:    "cisco: string circuit-id",
			profile: Profile{Name: "c", Format: FormatCisco},
			hex:     build(t, so(1, append([]byte{1, 6}, "Gi1/0/"...)...), so(2, append([]byte{0, 6}, mac...)...)),
			want: Circuit{Profile: "c", RemoteID: "00:1a:2b:3c:4d:5e", CircuitID: "Gi1/0/", Switch: "00:1a:2b:3c:4d:5e",
				Key: "00:1a:2b:3c:4d:5e Gi1/0/"},
		},
		{
			name:    "dlink: VLAN 100 module 0 port 5, MAC remote-id",
			profile: Profile{Name: "d", Format: FormatDLink, Key: "{remote_id} {port}"},
			hex:     build(t, so(1, 0, 4, 0, 100, 0, 5), so(2, append([]byte{0, 6}, mac...)...)),
			want: Circuit{Profile: "d", RemoteID: "00:1a:2b:3c:4d:5e", CircuitID: "000400640005", Switch: "00:1a:2b:3c:4d:5e",
				Module: "0", Port: "5", VLAN: 100, Key: "00:1a:2b:3c:4d:5e 5"},
		},
		{
			name:    "huawei extend: VLAN 4000, slot 2 subslot 1, port 24",
			profile: Profile{Name: "h", Format: FormatHuawei, Key: "{switch} GE{module}/{port}"},
			hex:     build(t, so(1, 0, 4, 0x0f, 0xa0, 2<<3|1, 24), so(2, append([]byte{0, 6}, mac...)...)),
			want: Circuit{Profile: "h", RemoteID: "00:1a:2b:3c:4d:5e", CircuitID: "00040fa01118", Switch: "00:1a:2b:3c:4d:5e",
				Module: "2/1", Port: "24", VLAN: 4000, Key: "00:1a:2b:3c:4d:5e GE2/1/24"},
		},
		{
			name:    "zyxel: slot 0 port 7 VLAN 10 system name",
			profile: Profile{Name: "z", Format: FormatZyxel, Key: "{switch} {port}"},
			hex:     build(t, so(1, append([]byte{0, 7, 0, 10}, "GS1350-a"...)...), so(2, mac...)),
			want: Circuit{Profile: "z", RemoteID: "00:1a:2b:3c:4d:5e", CircuitID: "0007000a475331333530" + "2d61",
				Switch: "GS1350-a", Module: "0", Port: "7", VLAN: 10, Key: "GS1350-a 7"},
		},
		{
			name:    "zyxel: without system name",
			profile: Profile{Name: "z", Format: FormatZyxel},
			hex:     build(t, so(1, 1, 3, 0x0f, 0xff), st(2, "sw-12")),
			want: Circuit{Profile: "z", RemoteID: "sw-12", CircuitID: "01030fff", Switch: "sw-12",
				Module: "1", Port: "3", VLAN: 4095, Key: "sw-12 01030fff"},
		},
		{
			name:    "tr101: eth with VLAN",
			profile: Profile{Name: "t", Format: FormatTR101, Key: "{switch} {interface}"},
			hex:     build(t, st(1, "an1 eth 1/2:100")),
			want: Circuit{Profile: "t", CircuitID: "an1 eth 1/2:100", Switch: "an1", Module: "1", Port: "2", VLAN: 100,
				Interface: "eth 1/2", Key: "an1 eth 1/2"},
		},
		{
			name:    "tr101: atm",
			profile: Profile{Name: "t", Format: FormatTR101},
			hex:     build(t, st(1, "SYSNAME atm 0/10:0.33"), st(2, "10.0.0.9")),
			want: Circuit{Profile: "t", RemoteID: "10.0.0.9", CircuitID: "SYSNAME atm 0/10:0.33", Switch: "SYSNAME", Module: "0", Port: "10",
				Interface: "atm 0/10", Key: "10.0.0.9 SYSNAME atm 0/10:0.33"},
		},
		{
			name:    "tr101: five-level path, no VLAN",
			profile: Profile{Name: "t", Format: FormatTR101, Key: "{switch}/{module}/{port}"},
			hex:     build(t, st(1, "OLT-7 eth 1/1/3/0/14")),
			want: Circuit{Profile: "t", CircuitID: "OLT-7 eth 1/1/3/0/14", Switch: "OLT-7", Module: "1/1/3/0", Port: "14",
				Interface: "eth 1/1/3/0/14", Key: "OLT-7/1/1/3/0/14"},
		},
		{
			name:    "juniper: ge-1/0/1.0:43",
			profile: Profile{Name: "j", Format: FormatJuniper, Key: "{remote_id} {interface}"},
			hex:     build(t, st(1, "ge-1/0/1.0:43"), st(2, "192.168.248.85")),
			want: Circuit{Profile: "j", RemoteID: "192.168.248.85", CircuitID: "ge-1/0/1.0:43", Switch: "192.168.248.85",
				Module: "1/0", Port: "1", VLAN: 43, Interface: "ge-1/0/1", Key: "192.168.248.85 ge-1/0/1"},
		},
		{
			name:    "juniper: ge-0/0/10 with a VLAN name",
			profile: Profile{Name: "j", Format: FormatJuniper},
			hex:     build(t, st(1, "ge-0/0/10.0:default"), st(2, "192.168.248.85")),
			want: Circuit{Profile: "j", RemoteID: "192.168.248.85", CircuitID: "ge-0/0/10.0:default", Switch: "192.168.248.85",
				Module: "0/0", Port: "10", Interface: "ge-0/0/10", Key: "192.168.248.85 ge-0/0/10.0:default"},
		},
		{
			name:    "juniper: ge-0/0/10:100",
			profile: Profile{Name: "j", Format: FormatJuniper, Key: "{remote_id} {interface}:{vlan}"},
			hex:     build(t, st(1, "ge-0/0/10:100")),
			want: Circuit{Profile: "j", CircuitID: "ge-0/0/10:100", Module: "0/0", Port: "10", VLAN: 100,
				Interface: "ge-0/0/10", Key: "ge-0/0/10:100"},
		},
		{
			name:    "hex",
			profile: Profile{Name: "x", Format: FormatHex, Key: "{circuit_id}|{remote_id}"},
			hex:     "52 11 01 06 00 04 09 49 04 04 02 07 01 05 62 73 33 67 32",
			want: Circuit{Profile: "x", RemoteID: "01056273336732", CircuitID: "000409490404", Switch: "01056273336732",
				Key: "000409490404|01056273336732"},
		},
		{
			name:    "two relays: first circuit-id and remote-id win",
			profile: Profile{Name: "p", Key: "{remote_id} {circuit_id} {giaddr} {circuit_hex}"},
			hex:     build(t, st(1, "eth 1/2")) + build(t, st(1, "uplink"), st(2, "10.1")),
			want: Circuit{Profile: "p", RemoteID: "10.1", CircuitID: "eth 1/2", Switch: "10.1",
				Key: "10.1 eth 1/2 10.0.0.1 65746820312f32"},
		},
	}
}

func TestDecodeVectors(t *testing.T) {
	for _, v := range vectors(t) {
		t.Run(v.name, func(t *testing.T) {
			d, err := NewDecoder([]Profile{v.profile})
			if err != nil {
				t.Fatal(err)
			}
			opts := tlvs(t, v.hex)
			got, err := d.Decode(giaddr, opts)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want := v.want
			want.GIAddr = giaddr
			if diff := cmp.Diff(want, got, ignoreRaw, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			// Raw is the option82 hex of the API, and independent of the input.
			rawHex := string(option82.AppendHex(nil, got.Raw, true))
			wantHex, _ := option82.DecodeHex(v.hex)
			if rawHex != string(option82.AppendHex(nil, wantHex, true)) {
				t.Errorf("Raw = %s, want %s", rawHex, v.hex)
			}
			cid, _ := option82.First(opts, option82.CircuitID)
			if diff := cmp.Diff(cid, got.CircuitIDRaw, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("CircuitIDRaw (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSelection(t *testing.T) {
	profiles := []Profile{
		{Name: "cisco-access", GIAddr: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}, Format: FormatCisco},
		{Name: "juniper-by-name", RemoteID: regexp.MustCompile(`^192\.168\.248\.`), Format: FormatJuniper},
		{Name: "both", GIAddr: []netip.Prefix{netip.MustParsePrefix("10.2.0.0/16")}, RemoteID: regexp.MustCompile(`^sw`), Format: FormatText},
		{Name: "no-remote", RemoteID: regexp.MustCompile(`^$`), Format: FormatText, Key: "{giaddr} {circuit_id}"},
	}
	d, err := NewDecoder(profiles)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		giaddr string
		hex    string
		want   string
	}{
		{"10.1.2.3", build(t, st(1, "x"), st(2, "192.168.248.85")), "cisco-access"},
		{"10.9.2.3", build(t, st(1, "x"), st(2, "192.168.248.85")), "juniper-by-name"},
		{"10.2.0.1", build(t, st(1, "x"), st(2, "sw1")), "both"},
		{"10.3.0.1", build(t, st(1, "x"), st(2, "sw1")), "default"},
		{"10.3.0.1", build(t, st(1, "x")), "no-remote"},
		{"0.0.0.0", build(t, st(1, "x"), st(2, "r")), "default"},
	}
	for _, tc := range cases {
		got := d.Select(netip.MustParseAddr(tc.giaddr), tlvs(t, tc.hex))
		if got != tc.want {
			t.Errorf("Select(%s, %s) = %q, want %q", tc.giaddr, tc.hex, got, tc.want)
		}
	}
	c, err := d.Decode(netip.MustParseAddr("10.3.0.1"), tlvs(t, build(t, st(1, "ge-0/0/1"))))
	if err != nil || c.Key != "10.3.0.1 ge-0/0/1" {
		t.Errorf("no-remote key = %q, %v", c.Key, err)
	}
	var names []string
	for _, p := range d.Profiles() {
		names = append(names, p.Name+":"+string(p.Format)+":"+p.Key)
	}
	wantNames := []string{"cisco-access:cisco:" + DefaultKey, "juniper-by-name:juniper:" + DefaultKey, "both:text:" + DefaultKey, "no-remote:text:{giaddr} {circuit_id}"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("Profiles (-want +got):\n%s", diff)
	}
	if tm, ok := d.Template("default"); !ok || tm.String() != DefaultKey {
		t.Errorf("default template = %v %v", tm, ok)
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name    string
		profile Profile
		hex     string // "" = no option 82 at all
		reason  error
		field   string
		offset  int
	}{
		{"no option 82", Profile{Name: "p"}, "", ErrNoOption82, "", -1},
		{"no identity", Profile{Name: "p"}, build(t, so(19), st(6, "sub")), ErrNoIdentity, "", -1},
		{"binary circuit-id in text profile", Profile{Name: "p"}, build(t, so(1, 'a', 0x01, 'b')), ErrNotText, "circuit-id", 1},
		{"cisco wrong length", Profile{Name: "c", Format: FormatCisco}, build(t, so(1, 0, 4, 0, 1, 2)), ErrFormat, "circuit-id", 1},
		{"cisco unknown type", Profile{Name: "c", Format: FormatCisco}, build(t, so(1, 7, 4, 0, 1, 2, 3)), ErrFormat, "circuit-id", 0},
		{"cisco negative port", Profile{Name: "c", Format: FormatCisco, PortOffset: -5}, build(t, so(1, 0, 4, 0, 1, 2, 3)), ErrFormat, "circuit-id", 5},
		{"huawei wrong type", Profile{Name: "h", Format: FormatHuawei}, build(t, so(1, 1, 4, 0, 1, 2, 3)), ErrFormat, "circuit-id", 0},
		{"zyxel short", Profile{Name: "z", Format: FormatZyxel}, build(t, so(1, 0, 1, 0)), ErrFormat, "circuit-id", 0},
		{"zyxel binary name", Profile{Name: "z", Format: FormatZyxel}, build(t, so(1, 0, 1, 0, 1, 'a', 2)), ErrNotText, "circuit-id", 5},
		{"tr101 no eth/atm", Profile{Name: "t", Format: FormatTR101}, build(t, st(1, "an1 xe 1/2")), ErrFormat, "circuit-id", 0},
		{"tr101 bad vlan", Profile{Name: "t", Format: FormatTR101}, build(t, st(1, "an1 eth 1/2:5000")), ErrFormat, "circuit-id", 12},
		{"tr101 atm without vci", Profile{Name: "t", Format: FormatTR101}, build(t, st(1, "an1 atm 1/2:8")), ErrFormat, "circuit-id", 11},
		{"juniper no media", Profile{Name: "j", Format: FormatJuniper}, build(t, st(1, "0/0/10")), ErrFormat, "circuit-id", 0},
		{"juniper two levels", Profile{Name: "j", Format: FormatJuniper}, build(t, st(1, "ge-0/10")), ErrFormat, "circuit-id", 3},
		{"juniper bad unit", Profile{Name: "j", Format: FormatJuniper}, build(t, st(1, "ge-0/0/10.x")), ErrFormat, "circuit-id", 10},
		{"no key part present", Profile{Name: "p", Key: "{vlan}"}, build(t, st(1, "x")), ErrNoKey, "", -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDecoder([]Profile{tc.profile})
			if err != nil {
				t.Fatal(err)
			}
			var opts []option82.Option
			if tc.hex != "" {
				opts = tlvs(t, tc.hex)
			}
			_, err = d.Decode(giaddr, opts)
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, tc.reason) {
				t.Fatalf("error %v, want a *DecodeError with %v", err, tc.reason)
			}
			if diff := cmp.Diff([]any{tc.profile.Name, tc.field, tc.offset}, []any{de.Profile, de.Field, de.Offset}); diff != "" {
				t.Errorf("[profile field offset] of %q (-want +got):\n%s", err, diff)
			}
		})
	}
}

func TestNewDecoderRejects(t *testing.T) {
	for _, ps := range [][]Profile{
		{{Name: ""}},
		{{Name: "a", Format: "fancy"}},
		{{Name: "a", Key: "{nope}"}},
		{{Name: "a"}, {Name: "a"}},
		{{Name: "a", GIAddr: []netip.Prefix{netip.MustParsePrefix("2001:db8::/32")}}},
		{{Name: "a", GIAddr: []netip.Prefix{{}}}},
	} {
		if _, err := NewDecoder(ps); err == nil {
			t.Errorf("NewDecoder(%+v) accepted", ps)
		}
	}
}

// A zero-length circuit-id or remote-id identifies nothing: the circuit is
// the same as without it, also when a later instance carries the real one.
func TestEmptySubOptionsAreAbsent(t *testing.T) {
	d, err := NewDecoder(nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := d.Decode(giaddr, tlvs(t, build(t, st(1, "ge-0/0/1"), st(2, "sw1"))))
	if err != nil {
		t.Fatal(err)
	}
	for _, hex := range []string{
		build(t, so(1), st(1, "ge-0/0/1"), st(2, "sw1")),
		build(t, st(1, "ge-0/0/1"), so(2), st(2, "sw1")),
		build(t, so(1), so(2)) + build(t, st(1, "ge-0/0/1"), st(2, "sw1")),
		build(t, so(1), st(2, "sw1")) + build(t, st(1, "ge-0/0/1"), so(2)),
	} {
		got, err := d.Decode(giaddr, tlvs(t, hex))
		if err != nil {
			t.Errorf("%s: %v", hex, err)
			continue
		}
		if diff := cmp.Diff(want, got, ignoreRaw, cmpopts.EquateComparable(netip.Addr{})); diff != "" || string(got.CircuitIDRaw) != "ge-0/0/1" || string(got.RemoteIDRaw) != "sw1" {
			t.Errorf("%s (-want +got):\n%s", hex, diff)
		}
	}
	if _, err := d.Decode(giaddr, tlvs(t, build(t, so(1), so(2)))); !errors.Is(err, ErrNoIdentity) {
		t.Errorf("only empty sub-options: %v, want ErrNoIdentity", err)
	}
}
