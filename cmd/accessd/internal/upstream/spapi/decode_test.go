package spapi

import (
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const specRef = "WloKMvmArcCFiV679uhWpAAtNgyvHxma"

var kalle = Customer{Name: "Kalle Anka", Email: "karl@ankeborg.se"}

func read(t testing.TB, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var accessCases = []struct {
	name, in string
	want     []Service
	err      string
}{
	{"spec example", "@access_customer_info.json", []Service{{Service: "BB-1000-100", Customer: kalle, AccessID: "STTA0001"}}, ""},
	{"no services", `{}`, nil, ""},
	{"2.3.1's accessId ignored", `{"IPTV":{"customer":{"name":"","email":"","phone":"","mobilePhone":""},"spReference":"r1","accessId":"STTA0001"}}`,
		[]Service{{Service: "IPTV", SPReference: "r1", AccessID: "STTA0001"}}, ""},
	{"spec's typo", `{"BB":{"customer":{"name":"","email":"","phone":"","mobilePhone":""},"spReference: ""}}`, nil,
		`malformed access answer: service "BB": is not an object`},
	{"customer missing", `{"BB":{"spReference":""}}`, nil,
		`malformed access answer: service "BB": customer: is missing; the customer object is always sent`},
	{"attribute missing", `{"BB":{"customer":{"name":"","email":"","phone":""},"spReference":""}}`, nil,
		`malformed access answer: service "BB": customer.mobilePhone: is missing; every field must be present`},
	{"attribute null", `{"BB":{"customer":{"name":null,"email":"","phone":"","mobilePhone":""},"spReference":""}}`, nil,
		`malformed access answer: service "BB": customer.name: is null; no field may be null`},
	{"reference missing", `{"BB":{"customer":{"name":"","email":"","phone":"","mobilePhone":""}}}`, nil,
		`malformed access answer: service "BB": spReference: is missing; every field must be present`},
	{"reference number", `{"BB":{"customer":{"name":"","email":"","phone":"","mobilePhone":""},"spReference":7}}`, nil,
		`malformed access answer: service "BB": spReference: is not a string`},
	{"array", `[]`, nil, "malformed access answer: not a JSON object keyed by service"},
	{"trailing", `{} {}`, nil, "malformed access answer: data after the JSON object"},
	{"cut", `{"BB":`, nil, `malformed access answer: service "BB": is not an object`},
}

func input(t testing.TB, in string) []byte {
	if in != "" && in[0] == '@' {
		return read(t, in[1:])
	}
	return []byte(in)
}

func TestDecodeAccess(t *testing.T) {
	for _, tc := range accessCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeAccess(input(t, tc.in), "STTA0001")
			checkDecoded(t, tc.want, got, tc.err, err)
		})
	}
}

func checkDecoded(t *testing.T, want, got []Service, wantErr string, err error) {
	t.Helper()
	if wantErr != "" {
		var fe *FormatError
		if !errors.As(err, &fe) || err.Error() != wantErr {
			t.Fatalf("error %v, want FormatError %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	// Customer formats as [redacted]: compare its fields.
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b Customer) bool { return a == b })); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

var servicesCases = []struct {
	name, in string
	want     []Service
	err      string
}{
	{"spec example", "@query_sp.ldjson", []Service{
		{Service: "BB-1000-100", Customer: kalle, AccessID: "STTA0001", SPReference: specRef},
		{Service: "IPTV", Customer: kalle, AccessID: "STTA0001", SPReference: specRef},
	}, ""},
	{"empty", "", nil, ""},
	{"blank lines", "\n\r\n", nil, ""},
	{"other reference", `{"service":"IPTV","customer":{"name":"","email":"","phone":"","mobilePhone":""},"accessId":"A1","spReference":"other"}`, nil,
		"malformed services answer: line 1: spReference: is not the spReference asked for"},
	{"access missing", "\n" + `{"service":"IPTV","customer":{"name":"","email":"","phone":"","mobilePhone":""},"spReference":"` + specRef + `"}`, nil,
		"malformed services answer: line 2: accessId: is missing; every field must be present"},
	{"json array", `[{"service":"IPTV"}]`, nil, "malformed services answer: line 1: not a JSON object"},
	{"service empty", `{"service":"","customer":{},"accessId":"A","spReference":"x"}`, nil, "malformed services answer: line 1: service: is empty"},
}

func TestDecodeServices(t *testing.T) {
	for _, tc := range servicesCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeServices(input(t, tc.in), specRef)
			checkDecoded(t, tc.want, got, tc.err, err)
		})
	}
}

func FuzzDecodeAccess(f *testing.F) {
	for _, tc := range accessCases {
		f.Add(input(f, tc.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		svcs, err := DecodeAccess(b, "A1")
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not a FormatError", err, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, s := range svcs {
			if s.Service == "" || seen[s.Service] || s.AccessID != "A1" {
				t.Fatalf("bad service %+v in %q", s, b)
			}
			seen[s.Service] = true
		}
	})
}

func FuzzDecodeServices(f *testing.F) {
	for _, tc := range servicesCases {
		f.Add(input(f, tc.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		svcs, err := DecodeServices(b, specRef)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not a FormatError", err, err)
			}
			return
		}
		for _, s := range svcs {
			if s.SPReference != specRef || s.Service == "" || s.AccessID == "" {
				t.Fatalf("bad service %+v", s)
			}
		}
	})
}
