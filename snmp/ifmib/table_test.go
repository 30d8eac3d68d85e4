package ifmib_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/internal/testkit"
	"github.com/stadsnat/accessd/snmp/ifmib"
	"github.com/stadsnat/accessd/snmp/internal/walkfile"
)

func readWalk(t testing.TB, name string) []ifmib.Varbind {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vbs, err := walkfile.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return vbs
}

// golden is the JSON form of a decoded walk.
type golden struct {
	SysUpTime       *uint32  `json:"sysUpTime"`
	TableLastChange *uint32  `json:"ifTableLastChange"`
	Rows            []rowOut `json:"rows"`
}

type rowOut struct {
	IfIndex    int    `json:"ifIndex"`
	Name       string `json:"ifName"`
	Descr      string `json:"ifDescr"`
	Alias      string `json:"ifAlias"`
	Admin      string `json:"admin"`
	Oper       string `json:"oper"`
	Link       string `json:"link"`
	Mbps       uint64 `json:"mbps"`
	LastChange uint32 `json:"ifLastChange"`
}

func toGolden(tab *ifmib.Table) golden {
	var g golden
	if tab.HasSysUpTime {
		v := tab.SysUpTime
		g.SysUpTime = &v
	}
	if tab.HasTableLastChange {
		v := tab.TableLastChange
		g.TableLastChange = &v
	}
	for _, r := range tab.Sorted() {
		mbps, _ := r.SpeedMbps()
		g.Rows = append(g.Rows, rowOut{r.IfIndex, r.Name, r.Descr, r.Alias, r.Admin.String(), r.Oper.String(),
			string(r.Oper.Link()), mbps, r.LastChange})
	}
	return g
}

// TestDecodeRecordedWalks decodes every recorded walk of snmp/testdata and
// compares the rows with the golden <walk>.rows.json beside it (regenerate
// with ACCESSD_UPDATE_GOLDEN=1 go test ./snmp/ifmib -run TestDecodeRecordedWalks).
func TestDecodeRecordedWalks(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "*.walk"))
	if len(files) == 0 {
		t.Fatal("no recorded walks")
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			tab, err := ifmib.Decode(readWalk(t, name))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			got, err := json.MarshalIndent(toGolden(tab), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			testkit.Golden(t, strings.TrimSuffix(f, ".walk")+".rows.json", string(got)+"\n")
		})
	}
}

func TestDecodeRealSnmpdValues(t *testing.T) {
	// Facts of the recorded real snmpd walk the poller relies on.
	tab, err := ifmib.Decode(readWalk(t, "snmpd-4ports.walk"))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]ifmib.Row{}
	for _, r := range tab.Sorted() {
		byName[r.Name] = r
	}
	type fact struct {
		Link ifmib.Link
		Mbps uint64
	}
	got := map[string]fact{}
	for _, n := range []string{"adtx0", "adtx1", "adtx2", "adtx3"} {
		mbps, _ := byName[n].SpeedMbps()
		got[n] = fact{byName[n].Oper.Link(), mbps}
	}
	want := map[string]fact{
		"adtx0": {ifmib.LinkUp, 1000},    // speed set with snmpd's interface directive
		"adtx1": {ifmib.LinkUp, 10000},   // veth: ifSpeed 4294967295, ifHighSpeed 10000
		"adtx2": {ifmib.LinkDown, 10000}, // peer down
		"adtx3": {ifmib.LinkDown, 10000}, // admin down
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if byName["adtx3"].Admin != ifmib.AdminDown || byName["adtx2"].Admin != ifmib.AdminUp {
		t.Errorf("admin adtx2=%v adtx3=%v, want up, down", byName["adtx2"].Admin, byName["adtx3"].Admin)
	}
}

func TestDecodeBadVarbinds(t *testing.T) {
	vbs := []ifmib.Varbind{
		{OID: ifmib.OIDSysUpTime, Type: ifmib.TypeInteger, Int: 5},
		{OID: ifmib.ColOper.Instance(3), Type: ifmib.TypeOctetString, Bytes: []byte("up")},
		{OID: ifmib.ColAdmin.Instance(3), Type: ifmib.TypeInteger, Int: 9},
		{OID: ifmib.ColName.Instance(3), Type: ifmib.TypeOctetString, Bytes: []byte("ge-0/0/3\x00")},
		{OID: ifmib.ColHighSpeed.Instance(3), Type: ifmib.TypeInteger, Int: -1},
		{OID: ifmib.ColLastChange.Instance(3), Type: ifmib.TypeCounter64, Uint: 1 << 40},
		{OID: ifmib.ColDescr.Instance(3), Type: ifmib.TypeNoSuchInstance},
		{OID: ".1.3.6.1.2.1.2.2.1.10.3", Type: ifmib.TypeCounter32, Uint: 7}, // ifInOctets: ignored
	}
	tab, err := ifmib.Decode(vbs)
	if err == nil {
		t.Fatal("Decode accepted bad varbinds")
	}
	for _, want := range []string{"varbind 0: sysUpTime", "varbind 1: ifOperStatus.3: want INTEGER",
		"varbind 2: ifAdminStatus.3: value 9 out of range", "varbind 4: ifHighSpeed.3: negative",
		"varbind 5: ifLastChange.3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	want := []ifmib.Row{{IfIndex: 3, Name: "ge-0/0/3", Has: ifmib.Columns(0).Set(ifmib.ColName)}}
	if diff := cmp.Diff(want, tab.Sorted()); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if tab.HasSysUpTime {
		t.Error("bad sysUpTime applied")
	}
}

func TestSpeedMbps(t *testing.T) {
	hs, sp := ifmib.Columns(0).Set(ifmib.ColHighSpeed), ifmib.Columns(0).Set(ifmib.ColSpeed)
	tests := []struct {
		name   string
		row    ifmib.Row
		want   uint64
		wantOK bool
	}{
		{"highspeed", ifmib.Row{HighSpeed: 1000, Speed: 1e9, Has: hs | sp}, 1000, true},
		{"highspeed only", ifmib.Row{HighSpeed: 100, Has: hs}, 100, true},
		{"speed fallback", ifmib.Row{Speed: 100_000_000, Has: sp}, 100, true},
		{"speed rounding", ifmib.Row{Speed: 9_600_000, Has: sp}, 10, true},
		{"highspeed zero, speed set", ifmib.Row{HighSpeed: 0, Speed: 10_000_000, Has: hs | sp}, 10, true},
		{"speed saturated", ifmib.Row{HighSpeed: 0, Speed: 0xffffffff, Has: hs | sp}, 0, true},
		{"saturated uses highspeed", ifmib.Row{HighSpeed: 25000, Speed: 0xffffffff, Has: hs | sp}, 25000, true},
		{"both zero", ifmib.Row{Has: hs | sp}, 0, true},
		{"saturated no highspeed", ifmib.Row{Speed: 0xffffffff, Has: sp}, 0, false},
		{"none", ifmib.Row{}, 0, false},
	}
	for _, tt := range tests {
		got, ok := tt.row.SpeedMbps()
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: SpeedMbps() = %d, %v; want %d, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestOperLink(t *testing.T) {
	got := map[ifmib.OperStatus]ifmib.Link{}
	for o := ifmib.OperStatus(0); o <= 8; o++ {
		got[o] = o.Link()
	}
	want := map[ifmib.OperStatus]ifmib.Link{
		0: ifmib.LinkUnknown, 1: ifmib.LinkUp, 2: ifmib.LinkDown, 3: ifmib.LinkUnknown, 4: ifmib.LinkUnknown,
		5: ifmib.LinkUp, 6: ifmib.LinkDown, 7: ifmib.LinkDown, 8: ifmib.LinkUnknown,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestIndexUnder(t *testing.T) {
	tests := []struct {
		oid  string
		want int
		ok   bool
	}{
		{".1.3.6.1.2.1.2.2.1.8.5", 5, true},
		{".1.3.6.1.2.1.2.2.1.8.2147483647", 2147483647, true},
		{".1.3.6.1.2.1.2.2.1.8.2147483648", 0, false},
		{".1.3.6.1.2.1.2.2.1.8.0", 0, false},
		{".1.3.6.1.2.1.2.2.1.8.05", 0, false},
		{".1.3.6.1.2.1.2.2.1.8.5.1", 0, false},
		{".1.3.6.1.2.1.2.2.1.8", 0, false},
		{".1.3.6.1.2.1.2.2.1.80.5", 0, false},
		{".1.3.6.1.2.1.2.2.1.8.", 0, false},
	}
	for _, tt := range tests {
		got, ok := ifmib.ColOper.Index(tt.oid)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ColOper.Index(%q) = %d, %v; want %d, %v", tt.oid, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzDecode feeds arbitrary walk text through the walk reader and the
// decoder: no panics, and every decoded row is a valid ifIndex.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "*.walk"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(string(b))
		}
	}
	f.Add(".1.3.6.1.2.1.2.2.1.8.3 = STRING: \"up\"\n.1.3.6.1.2.1.2.2.1.7.3 = INTEGER: 9\n")
	f.Add(".1.3.6.1.2.1.1.3.0 = Gauge32: 5\n.1.3.6.1.2.1.2.2.1.9.1 = Counter64: 99999999999\n")
	f.Fuzz(func(t *testing.T, s string) {
		vbs, err := walkfile.Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		tab, _ := ifmib.Decode(vbs)
		for idx, r := range tab.Rows {
			if idx < 1 || r.IfIndex != idx || r.Has == 0 {
				t.Fatalf("row %d: %+v", idx, r)
			}
			r.SpeedMbps()
			_ = r.Oper.Link()
		}
	})
}

func TestCompareOID(t *testing.T) {
	tests := []struct {
		x, y string
		want int
	}{
		{".1.3.6", ".1.3.6", 0},
		{".1.3.6", ".1.3.6.1", -1},
		{".1.3.6.1", ".1.3.6", 1},
		{".1.3.6.2", ".1.3.6.10", -1},
		{".1.3.6.1.2.1.1.3.0", ".1.3.6.1.2.1.2.2.1.9", -1},
		{".1.3.6.1.2.1.31.1.5", ".1.3.6.1.2.1.31.1.5.0", -1},
		{"1.3.6", ".1.3.6", 0},
	}
	for _, tt := range tests {
		if got := ifmib.CompareOID(tt.x, tt.y); got != tt.want {
			t.Errorf("CompareOID(%q, %q) = %d, want %d", tt.x, tt.y, got, tt.want)
		}
	}
}
