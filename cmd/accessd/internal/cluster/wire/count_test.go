package wire_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// fullBatch is a batch of up to max bindings, as an edge packs them.
func fullBatch(t testing.TB, max int) []byte {
	t.Helper()
	var b wire.Batch
	for i := range max {
		m := examples()["binding"]
		m.Seq = uint64(i + 1)
		enc, err := wire.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		if !b.Fits(len(enc)) {
			break
		}
		if err := b.Add(m, enc); err != nil {
			t.Fatal(err)
		}
	}
	data, err := b.Encode(t0)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// FactCount counts what decoding counts, for every golden message, a
// batch and the refusals.
func TestFactCount(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	inputs := map[string][]byte{"batch of 256": fullBatch(t, 256), "batch of 1": fullBatch(t, 1)}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		inputs[p] = b
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			t.Fatal(err)
		}
		inputs[p+" compact"] = compact.Bytes()
	}
	for _, tc := range badCases() {
		inputs["bad: "+tc.name] = tc.data(t)
	}
	decoded := 0
	for name, data := range inputs {
		want := 1 // a message refused counts as one
		if m, err := wire.Decode(data); err == nil {
			want = len(m.Facts())
			decoded++
		}
		if got := wire.FactCount(data); got != want {
			t.Errorf("%s: FactCount = %d, want %d", name, got, want)
		}
	}
	if decoded < 4 {
		t.Errorf("only %d inputs decode: the test checks too little", decoded)
	}
	data := fullBatch(t, 256)
	if got := wire.FactCount(data); got < 100 {
		t.Errorf("a full batch counts %d facts", got)
	}
	for name, bad := range map[string][]byte{
		"cut short":  data[:len(data)-3],
		"other id":   bytes.Replace(data, []byte(`/facts/`), []byte(`/facts/1`), 1),
		"not a fact": bytes.Replace(data, []byte(`,"payload":{"facts":[{`), []byte(`,"payload":{"facts":[7,{`), 1),
	} {
		if got := wire.FactCount(bad); got != 1 {
			t.Errorf("%s: FactCount = %d, want 1 (refused)", name, got)
		}
	}
}

// Run the fuzzer (about a minute on a shared machine):
//
//	go test ./cmd/accessd/internal/cluster/wire -run '^$' -fuzz FuzzFactCount -fuzztime 60s
//
// FuzzFactCount holds FactCount's reading by hand to decoding: a message
// Decode takes counts its facts exactly; any other counts at least one
// and never more facts than its bytes could hold.
func FuzzFactCount(f *testing.F) {
	for _, m := range testdataMessages(f) {
		f.Add(m.compact)
	}
	for _, k := range []int{1, 2, 5} {
		data := fullBatch(f, k)
		f.Add(data)
		f.Add(data[:len(data)/2])
		f.Add(bytes.Replace(data, []byte(`},{`), []byte(`},"x",{`), 1))
	}
	for _, tc := range badCases() {
		f.Add(tc.data(f))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got := wire.FactCount(data)
		if m, err := wire.Decode(data); err == nil {
			if want := len(m.Facts()); got != want {
				t.Fatalf("FactCount = %d, Decode's message holds %d facts", got, want)
			}
			return
		}
		if got < 1 || got > 1 && got > len(data)/2 {
			t.Fatalf("FactCount of a refused message of %d bytes = %d", len(data), got)
		}
	})
}

// BenchmarkFactCount counts the facts of a full batch by reading its
// envelope by hand ("count") and by decoding it, the route before
// ("decode"); ns/op is per batch.
//
//	go test ./cmd/accessd/internal/cluster/wire -run '^$' -bench FactCount -benchtime 20000x
func BenchmarkFactCount(b *testing.B) {
	data := fullBatch(b, 256)
	want := wire.FactCount(data)
	b.Run("count", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for range b.N {
			if wire.FactCount(data) != want {
				b.Fatal("miscounted")
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for range b.N {
			m, err := wire.Decode(data)
			if err != nil || len(m.Facts()) != want {
				b.Fatal(err)
			}
		}
	})
}
