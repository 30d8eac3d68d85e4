package walkfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/snmp/ifmib"
)

var lineTests = []struct {
	name string
	line string
	want ifmib.Varbind
	err  string
}{
	{"timeticks", ".1.3.6.1.2.1.1.3.0 = Timeticks: (2380) 0:00:23.80",
		ifmib.Varbind{OID: ".1.3.6.1.2.1.1.3.0", Type: ifmib.TypeTimeTicks, Uint: 2380}, ""},
	{"string", `.1.3.6.1.2.1.2.2.1.2.1 = STRING: "lo"`,
		ifmib.Varbind{OID: ".1.3.6.1.2.1.2.2.1.2.1", Type: ifmib.TypeOctetString, Bytes: []byte("lo")}, ""},
	{"escaped string", `.1.3.6.1.2.1.31.1.1.1.18.5 = STRING: "a \"b\" c\\"`,
		ifmib.Varbind{OID: ".1.3.6.1.2.1.31.1.1.1.18.5", Type: ifmib.TypeOctetString, Bytes: []byte(`a "b" c\`)}, ""},
	{"empty string", `.1.3.6.1.2.1.31.1.1.1.18.1 = ""`,
		ifmib.Varbind{OID: ".1.3.6.1.2.1.31.1.1.1.18.1", Type: ifmib.TypeOctetString, Bytes: []byte{}}, ""},
	{"hex string", `.1.3.6.1.2.1.2.2.1.6.5 = Hex-STRING: 02 00 00 00 00 01`,
		ifmib.Varbind{OID: ".1.3.6.1.2.1.2.2.1.6.5", Type: ifmib.TypeOctetString, Bytes: []byte{2, 0, 0, 0, 0, 1}}, ""},
	{"integer", ".1.3.6.1.2.1.2.2.1.8.5 = INTEGER: 2",
		ifmib.Varbind{OID: ".1.3.6.1.2.1.2.2.1.8.5", Type: ifmib.TypeInteger, Int: 2}, ""},
	{"enum integer", ".1.3.6.1.2.1.2.2.1.8.5 = INTEGER: lowerLayerDown(7)",
		ifmib.Varbind{OID: ".1.3.6.1.2.1.2.2.1.8.5", Type: ifmib.TypeInteger, Int: 7}, ""},
	{"gauge", ".1.3.6.1.2.1.31.1.1.1.15.5 = Gauge32: 10000",
		ifmib.Varbind{OID: ".1.3.6.1.2.1.31.1.1.1.15.5", Type: ifmib.TypeGauge32, Uint: 10000}, ""},
	{"counter64", ".1.3.6.1.2.1.31.1.1.1.6.5 = Counter64: 18446744073709551615",
		ifmib.Varbind{OID: ".1.3.6.1.2.1.31.1.1.1.6.5", Type: ifmib.TypeCounter64, Uint: 18446744073709551615}, ""},
	{"no such object", ".1.3.6.1.2.1.31.1.5.0 = No Such Object available on this agent at this OID",
		ifmib.Varbind{OID: ".1.3.6.1.2.1.31.1.5.0", Type: ifmib.TypeNoSuchObject}, ""},
	{"end of mib", ".1.3.6.1.2.1.31.1.5.0 = No more variables left in this MIB View (It is past the end of the MIB tree)",
		ifmib.Varbind{OID: ".1.3.6.1.2.1.31.1.5.0", Type: ifmib.TypeEndOfMibView}, ""},
	{"oid", ".1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.8072.3.2.10",
		ifmib.Varbind{OID: ".1.3.6.1.2.1.1.2.0", Type: ifmib.TypeObjectIdentifier, Bytes: []byte(".1.3.6.1.4.1.8072.3.2.10")}, ""},
	{"symbolic oid", "IF-MIB::ifName.1 = STRING: lo", ifmib.Varbind{}, "not numeric"},
	{"no equals", ".1.3.6.1 STRING: x", ifmib.Varbind{}, `no " = "`},
	{"bad ticks", ".1.3.6.1.2.1.1.3.0 = Timeticks: 12", ifmib.Varbind{}, "bad Timeticks"},
	{"huge ticks", ".1.3.6.1.2.1.1.3.0 = Timeticks: (4294967296) x", ifmib.Varbind{}, "bad Timeticks value"},
	{"unknown type", ".1.3.6.1 = Frobnitz: 3", ifmib.Varbind{}, "unknown type"},
	{"bad integer", ".1.3.6.1 = INTEGER: x", ifmib.Varbind{}, "bad INTEGER value"},
}

func TestParseLine(t *testing.T) {
	for _, tt := range lineTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLine(tt.line)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseLine(%q) error = %v, want one containing %q", tt.line, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseLine(%q): %v", tt.line, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseLine(%q) (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}

func TestParseMultiLineAndComments(t *testing.T) {
	in := "# recorded with snmpbulkwalk -On\n\n" +
		".1.3.6.1.2.1.1.1.0 = STRING: \"line one\nline two\"\n" +
		".1.3.6.1.2.1.1.3.0 = Timeticks: (5) 0:00:00.05\n"
	got, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []ifmib.Varbind{
		{OID: ".1.3.6.1.2.1.1.1.0", Type: ifmib.TypeOctetString, Bytes: []byte("line one\nline two")},
		{OID: ".1.3.6.1.2.1.1.3.0", Type: ifmib.TypeTimeTicks, Uint: 5},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func TestParseErrorNamesLine(t *testing.T) {
	_, err := Parse(strings.NewReader("# c\n.1.3.6.1.2.1.1.3.0 = Timeticks: (1) x\n.1.3 = INTEGER: z\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "line 3:") {
		t.Fatalf("error = %v, want one starting with line 3:", err)
	}
	_, err = Parse(strings.NewReader(".1.3 = STRING: \"open\n"))
	if err == nil || !strings.Contains(err.Error(), "line 1: unterminated") {
		t.Fatalf("error = %v, want line 1: unterminated", err)
	}
}

func TestParseRecordedWalks(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/*.walk")
	if len(files) == 0 {
		t.Fatal("no recorded walks in snmp/testdata")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		vbs, err := Parse(strings.NewReader(string(b)))
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if len(vbs) == 0 {
			t.Errorf("%s: no varbinds", f)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, tt := range lineTests {
		f.Add(tt.line)
	}
	files, _ := filepath.Glob("../../testdata/*.walk")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		vbs, err := Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, vb := range vbs {
			if vb.OID == "" || vb.OID[0] != '.' {
				t.Fatalf("accepted OID %q", vb.OID)
			}
		}
	})
}
