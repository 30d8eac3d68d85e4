package wire_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
)

// A batch built by appending encoded facts is byte for byte the message
// Encode writes of the same facts, and decodes to them.
func TestBatchIsWhatEncodeWrites(t *testing.T) {
	m := exampleFacts()
	want, err := wire.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	var b wire.Batch
	for _, f := range m.Payload.(*wire.Facts).Facts {
		enc, err := wire.Encode(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Add(f, enc); err != nil {
			t.Fatal(err)
		}
	}
	got, err := b.Encode(t0)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%v\n got %s\nwant %s", err, got, want)
	}
	if b.ID() != "pop-norr/facts/43" || b.Last() != 43 || b.Len() != 2 {
		t.Errorf("id %s last %d len %d", b.ID(), b.Last(), b.Len())
	}
	for _, k := range []wire.Kind{"", wire.KindFacts, wire.KindBinding} {
		back, err := wire.DecodeKind(got, k)
		if err != nil {
			t.Fatalf("DecodeKind(%q): %v", k, err)
		}
		if diff := cmp.Diff(m, back); diff != "" {
			t.Errorf("DecodeKind(%q) (-sent +got):\n%s", k, diff)
		}
	}
	b.Reset()
	if _, err := b.Encode(t0); wire.ReasonOf(err) != wire.ReasonInvalid {
		t.Errorf("empty batch: %v", err)
	}
}

// Add keeps a batch to the format's rules, and Fits to its size.
func TestBatchAddRefuses(t *testing.T) {
	ex := examples()
	enc := func(m *wire.Message) []byte {
		b, err := wire.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var b wire.Batch
	if err := b.Add(ex["link"], enc(ex["link"])); err != nil { // seq 43
		t.Fatal(err)
	}
	for name, m := range map[string]*wire.Message{
		"not after the last": ex["binding"], "another origin": ex["unknown_circuit"], "not a fact": ex["order"],
	} {
		if err := b.Add(m, enc(m)); err == nil {
			t.Errorf("%s: Add took %s", name, m.ID())
		}
	}
	big := &wire.Message{Site: "pop-norr", Seq: 44, At: t0, Payload: &wire.Link{Switch: "s", Port: "p", Link: "UP",
		Since: t0, PolledAt: t0, Problem: strings.Repeat("x", 2000)}}
	n := 0
	for seq := uint64(44); ; seq++ {
		big.Seq = seq
		e := enc(big)
		if !b.Fits(len(e)) {
			break
		}
		if err := b.Add(big, e); err != nil {
			t.Fatal(err)
		}
		n++
	}
	out, err := b.Encode(t0)
	if err != nil || len(out) > wire.MaxMessageBytes || len(out) < wire.MaxMessageBytes-4096 || n < 20 {
		t.Fatalf("a full batch: %d facts, %d bytes, %v", n, len(out), err)
	}
	if _, err := wire.Decode(out); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkDecodeBatch reads a batch of 100 bindings as the hub does
// (DecodeKind with the subject's kind), against the same bindings one
// message each; ns/op is per fact.
//
//	go test ./cmd/accessd/internal/cluster/wire -run '^$' -bench DecodeBatch
func BenchmarkDecodeBatch(b *testing.B) {
	const n = 100
	var batch wire.Batch
	var single [][]byte
	for i := range n {
		m := examples()["binding"]
		m.Seq = uint64(i + 1)
		enc, err := wire.Encode(m)
		if err != nil {
			b.Fatal(err)
		}
		if err := batch.Add(m, enc); err != nil {
			b.Fatal(err)
		}
		single = append(single, enc)
	}
	data, err := batch.Encode(t0)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("batch", func(b *testing.B) {
		b.SetBytes(int64(len(data) / n))
		for i := 0; i < b.N; i += n {
			if _, err := wire.DecodeKind(data, wire.KindFacts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("single", func(b *testing.B) {
		b.SetBytes(int64(len(single[0])))
		for i := range b.N {
			if _, err := wire.DecodeKind(single[i%n], wire.KindBinding); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Message.Facts is a batch's facts, or the message itself.
func TestMessageFacts(t *testing.T) {
	one := &wire.Message{Site: "pop-norr", Seq: 7}
	if got := one.Facts(); len(got) != 1 || got[0] != one {
		t.Errorf("a single fact: %v", got)
	}
	a, b := &wire.Message{Seq: 1}, &wire.Message{Seq: 2}
	batch := &wire.Message{Payload: &wire.Facts{Facts: []*wire.Message{a, b}}}
	if got := batch.Facts(); len(got) != 2 || got[0] != a || got[1] != b {
		t.Errorf("a batch: %v", got)
	}
}
