package inventory_test

import (
	"bufio"
	"io"
	"strings"
	"testing"

	"github.com/stadsnat/accessd/store/inventory"
)

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]inventory.Format{"csv": inventory.CSV, "JSON": inventory.JSON, " Csv ": inventory.CSV} {
		if got, err := inventory.ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "xml", "csv1.1"} {
		if got, err := inventory.ParseFormat(in); err == nil {
			t.Errorf("ParseFormat(%q) = %q, want an error", in, got)
		}
	}
}

func TestDetectFormat(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		want          inventory.Format
	}{
		{"accesses.csv", "[not json", inventory.CSV}, // the extension wins
		{"ACCESSES.JSON", "accessId,", inventory.JSON},
		{"dir.json/accesses", "accessId,city\n", inventory.CSV},
		{"-", "  \n\t[{}]", inventory.JSON},
		{"-", "\ufeff{\"accessId\":\"A\"}", inventory.JSON},
		{"inventory.txt", "\ufeff accessId,city", inventory.CSV},
		{"-", "", inventory.CSV},
		{"-", strings.Repeat(" ", 3000) + "{", inventory.JSON}, // beyond the first peek
		{"-", strings.Repeat("\n", 5000), inventory.CSV},
	} {
		br := bufio.NewReaderSize(strings.NewReader(tc.content), 4096)
		got, err := inventory.DetectFormat(tc.name, br)
		if err != nil || got != tc.want {
			t.Errorf("DetectFormat(%q, %.20q) = %q, %v; want %q", tc.name, tc.content, got, err, tc.want)
		}
		rest, _ := io.ReadAll(br)
		if string(rest) != tc.content {
			t.Errorf("DetectFormat(%q) consumed input", tc.name)
		}
	}
	if got := inventory.SniffFormat([]byte("\r\n[")); got != inventory.JSON {
		t.Errorf("SniffFormat = %q, want json", got)
	}
	if err := inventory.Read("xml", strings.NewReader(""), nil); err == nil {
		t.Error("Read with an unknown format succeeded")
	}
}
