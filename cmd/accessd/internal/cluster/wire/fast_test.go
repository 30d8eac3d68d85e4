package wire_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// Encode writes the envelope by hand: byte for byte what json.Marshal
// writes of it.
func TestEncodeIsWhatJSONMarshalWrites(t *testing.T) {
	for name, m := range examples() {
		got, err := wire.Encode(m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := json.Marshal(struct {
			V        int          `json:"v"`
			Site     string       `json:"site"`
			Instance string       `json:"instance,omitempty"`
			Kind     wire.Kind    `json:"kind"`
			Seq      uint64       `json:"seq"`
			ID       string       `json:"id"`
			At       time.Time    `json:"at"`
			Payload  wire.Payload `json:"payload"`
		}{wire.Version, m.Site, m.Instance, m.Kind(), m.Seq, m.ID(), m.At, m.Payload})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

// A payload kept in its JSON form is sent as it is: the same message as
// from the typed payload.
func TestEncodeOfAnEncodedPayload(t *testing.T) {
	for name, m := range examples() {
		raw, err := json.Marshal(m.Payload)
		if err != nil {
			t.Fatal(err)
		}
		want, err := wire.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := wire.Encode(&wire.Message{Site: m.Site, Instance: m.Instance, Seq: m.Seq, At: m.At,
			Payload: &wire.Encoded{K: m.Kind(), JSON: raw}})
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %v\n got %s\nwant %s", name, err, got, want)
		}
	}
	for _, bad := range []*wire.Encoded{{K: wire.KindBinding, JSON: []byte(`"x"`)}, {K: wire.KindBinding},
		{K: "nope", JSON: []byte(`{}`)}} {
		if _, err := wire.Encode(&wire.Message{Site: "a", Seq: 1, At: t0, Payload: bad}); wire.ReasonOf(err) != wire.ReasonInvalid {
			t.Errorf("Encode of %q %q: %v, want an invalid-message error", bad.K, bad.JSON, err)
		}
	}
}

// DecodeKind answers as Decode: every golden message of every kind asked
// as every fact kind, and every refusal.
func TestDecodeKindAnswersAsDecode(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m, err := wire.Decode(data)
		checkDecodeKind(t, data, m, err)
		for _, k := range []wire.Kind{wire.KindBinding, wire.KindLink, wire.KindUnknownCircuit, wire.KindOrderOutcome} {
			got, gerr := wire.DecodeKind(data, k)
			if diff := cmp.Diff(m, got); diff != "" || gerr != nil {
				t.Errorf("%s as %s: %v (-Decode +DecodeKind):\n%s", p, k, gerr, diff)
			}
		}
	}
	for _, tc := range badCases() {
		data := tc.data(t)
		m, err := wire.Decode(data)
		checkDecodeKind(t, data, m, err)
	}
	// No payload is no empty payload.
	if _, err := wire.DecodeKind([]byte(`{"v":1,"site":"a","kind":"binding","seq":1,"id":"a/binding/1","at":"2026-03-01T12:00:00Z"}`),
		wire.KindBinding); wire.ReasonOf(err) != wire.ReasonMalformed {
		t.Errorf("a message without payload: %v, want malformed", err)
	}
}
