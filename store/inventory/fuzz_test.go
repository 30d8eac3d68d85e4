package inventory_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/store/inventory"
)

// Run the fuzzers (one at a time, about a minute each on a shared machine):
//
//	go test ./store/inventory -run '^$' -fuzz FuzzReadCSV -fuzztime 60s -fuzzminimizetime 5s
//	go test ./store/inventory -run '^$' -fuzz FuzzReadJSON -fuzztime 60s -fuzzminimizetime 5s
//
// Without -fuzzminimizetime, minimising a new interesting input (the seeds
// are whole files) can pause the exec counter for a minute: that is not a
// hang.

// fuzzRead reads data in format f and checks what every input must satisfy:
// no panic, only *Problems as errors, problems with lines, accepted
// accesses normalised, valid and unique, and a stable round trip through
// the writer.
func fuzzRead(t *testing.T, f inventory.Format, data []byte) {
	var got []inventory.Access
	err := inventory.Read(f, bytes.NewReader(data), func(line int, a inventory.Access) error {
		if line < 1 {
			t.Errorf("access %q yielded with line %d", a.AccessID, line)
		}
		if err := inventory.Validate(a, f); err != nil {
			t.Errorf("accepted access does not validate: %v", err)
		}
		if n := inventory.Normalize(a); n != a {
			t.Errorf("accepted access is not normalised (-got +normalised):\n%s", cmp.Diff(a, n))
		}
		got = append(got, a)
		return nil
	})
	if err != nil {
		var ps *inventory.Problems
		if !errors.As(err, &ps) || len(ps.List) == 0 {
			t.Fatalf("error is not a non-empty *Problems: %v", err)
		}
		for _, p := range ps.List {
			if p.Line < 1 || p.Message == "" {
				t.Errorf("problem without line or message: %#v", p)
			}
		}
	}
	var out1, out2 bytes.Buffer
	write := func(w *bytes.Buffer, as []inventory.Access) {
		var err error
		if f == inventory.CSV {
			err = inventory.WriteCSV(w, sliceSeq(as), inventory.ExtendedCSVColumns()...)
		} else {
			err = inventory.WriteJSON(w, sliceSeq(as))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	write(&out1, got)
	var again []inventory.Access
	if err := inventory.Read(f, bytes.NewReader(out1.Bytes()), func(_ int, a inventory.Access) error {
		again = append(again, a)
		return nil
	}); err != nil {
		t.Fatalf("reading the written %s: %v\n%s", f, err, out1.String())
	}
	if diff := cmp.Diff(got, again); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	write(&out2, again)
	if !bytes.Equal(out1.Bytes(), out2.Bytes()) {
		t.Fatalf("second write differs:\n%s\n%s", out1.String(), out2.String())
	}
}

func sliceSeq(as []inventory.Access) func(func(inventory.Access) bool) {
	return func(yield func(inventory.Access) bool) {
		for _, a := range as {
			if !yield(a) {
				return
			}
		}
	}
}

func seedFiles(f *testing.F, names ...string) {
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte(specExample))
	f.Add([]byte("\ufeff" + specExample))
	seedFiles(f, demoCSV, badCSV)
	for _, tc := range badCSVCases() {
		f.Add([]byte(csvHeader + tc.row))
	}
	f.Add([]byte(""))
	f.Add([]byte(csvHeader))
	f.Add([]byte("accessId,streetName,postalCode,city,countryCode,premisesType,option82,activationDate,salesStartDate,ipv4CircuitId,ipv4RemoteId,legacyAccessId,media,priceGroup,accessState,nationalAddressUUID\n" +
		"A1,G,123 45,S,se,33,o,yes,2024-02-29,c,r,L-1,FTTH,2,connected,1ce88c93-b310-11eb-bdc2-000c29f11131\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, inventory.CSV, data) })
}

func FuzzReadJSON(f *testing.F) {
	f.Add([]byte(onapiExample))
	f.Add([]byte("[" + onapiExample + "," + small("B1") + "]"))
	seedFiles(f, demoJSON)
	for _, tc := range badJSONCases() {
		f.Add([]byte(tc.in))
	}
	f.Add([]byte("\ufeff[]"))
	if plant, err := os.ReadFile("testdata/plant.json"); err == nil {
		f.Add([]byte(withPlant("P1", string(plant))))
	}
	f.Add([]byte(withPlant("P2", `{"meteringPointId":"1","address":{"postalCode":485},"x":1}`)))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, inventory.JSON, data) })
}
