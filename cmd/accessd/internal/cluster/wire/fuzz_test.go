package wire_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// Run the fuzzer (about a minute on a shared machine):
//
//	go test ./cmd/accessd/internal/cluster/wire -run '^$' -fuzz FuzzDecode -fuzztime 60s
//
// FuzzDecode checks what every input must satisfy: no panic, an *Error
// with a known reason when refused, and an accepted message that encodes
// again and decodes to the same message (so what a receiver applies is
// exactly what the format can carry).
func FuzzDecode(f *testing.F) {
	for _, m := range testdataMessages(f) {
		f.Add(m.written)
		// As senders write it too: batches have a reading of their own
		// for that layout (readBatch).
		f.Add(m.compact)
	}
	for _, tc := range badCases() {
		f.Add(tc.data(f))
	}
	reasons := map[wire.Reason]bool{wire.ReasonMalformed: true, wire.ReasonVersion: true, wire.ReasonKind: true, wire.ReasonInvalid: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := wire.Decode(data)
		checkDecodeKind(t, data, m, err)
		if err != nil {
			e, ok := err.(*wire.Error)
			if !ok || !reasons[e.Reason] {
				t.Fatalf("error %T %v is not a *wire.Error with a Decode reason", err, err)
			}
			return
		}
		checkBatch(t, data, m)
		enc, err := wire.Encode(m)
		if err != nil {
			t.Fatalf("accepted message does not encode: %v", err)
		}
		back, err := wire.Decode(enc)
		if err != nil {
			t.Fatalf("re-encoded message refused: %v\n%s", err, enc)
		}
		if diff := cmp.Diff(m, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
		if enc2, _ := wire.Encode(back); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding not stable:\n%s\n%s", enc, enc2)
		}
	})
}

// checkDecodeKind holds DecodeKind to Decode's answer (m, err) for every
// fact kind: the same refusal, the same message, and a message it takes
// that Decode refuses (a payload given twice) passes every check.
func checkDecodeKind(t *testing.T, data []byte, m *wire.Message, err error) {
	t.Helper()
	for _, k := range []wire.Kind{wire.KindBinding, wire.KindLink, wire.KindUnknownCircuit, wire.KindOrderOutcome, wire.KindFacts} {
		got, gerr := wire.DecodeKind(data, k)
		if gerr == nil {
			checkBatch(t, data, got)
		}
		switch {
		case gerr != nil && err == nil:
			t.Fatalf("DecodeKind(%s) refused what Decode took: %v", k, gerr)
		case gerr != nil && wire.ReasonOf(gerr) != wire.ReasonOf(err):
			t.Fatalf("DecodeKind(%s) refused for %v, Decode for %v", k, gerr, err)
		case gerr == nil && err == nil:
			if diff := cmp.Diff(m, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("DecodeKind(%s) (-Decode +DecodeKind):\n%s", k, diff)
			}
		case gerr == nil:
			enc, eerr := wire.Encode(got)
			if eerr != nil {
				t.Fatalf("DecodeKind(%s) took a message that does not encode: %v", k, eerr)
			}
			if _, derr := wire.Decode(enc); derr != nil {
				t.Fatalf("DecodeKind(%s) took a message Decode refuses once encoded: %v", k, derr)
			}
		}
	}
}

// checkBatch holds an accepted batch to its rules: facts only, at least
// one, all of the batch's origin, seqs increasing up to the batch's own,
// within the size bound.
func checkBatch(t *testing.T, data []byte, m *wire.Message) {
	t.Helper()
	b, ok := m.Payload.(*wire.Facts)
	if !ok {
		return
	}
	if len(data) > wire.MaxMessageBytes || len(b.Facts) == 0 {
		t.Fatalf("accepted a batch of %d bytes, %d facts", len(data), len(b.Facts))
	}
	for i, f := range b.Facts {
		if !f.Kind().IsFact() || f.Origin() != m.Origin() || i > 0 && f.Seq <= b.Facts[i-1].Seq {
			t.Fatalf("accepted a batch whose fact %d is %s of %s", i, f.ID(), f.Origin())
		}
		if _, err := wire.Encode(f); err != nil {
			t.Fatalf("accepted a batch whose fact %d does not encode: %v", i, err)
		}
	}
	if last := b.Facts[len(b.Facts)-1].Seq; last != m.Seq || m.ID() != m.Origin()+"/facts/"+strconv.FormatUint(last, 10) {
		t.Fatalf("accepted batch %s ends at fact %d", m.ID(), last)
	}
}

// testdataMessage is a message of testdata/*.json as the file holds it
// (indented) and compacted, as senders write it.
type testdataMessage struct{ written, compact []byte }

// testdataMessages reads the messages of testdata/*.json, the fuzz
// targets' seeds.
func testdataMessages(f *testing.F) []testdataMessage {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	var out []testdataMessage
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			f.Fatalf("%s: %v", p, err)
		}
		out = append(out, testdataMessage{b, compact.Bytes()})
	}
	return out
}
