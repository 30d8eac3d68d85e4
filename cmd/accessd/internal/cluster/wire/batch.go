package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Facts is the payload of a batch (kind facts): complete fact messages
// of the batch's origin, each as it would travel alone, in increasing
// seq; the envelope's seq is the last one's. Inner messages are checked
// as they are encoded ([Encode]) and decoded; a batch with one that fails
// is refused whole.
type Facts struct {
	Facts []*Message
}

// Kind is facts.
func (*Facts) Kind() Kind { return KindFacts }

// Facts are the facts m carries: a batch's, or m itself.
func (m *Message) Facts() []*Message {
	if b, ok := m.Payload.(*Facts); ok {
		return b.Facts
	}
	return []*Message{m}
}

// validate checks what the batch alone can: at least one fact, facts
// only (no batch in a batch), increasing seqs.
func (f *Facts) validate(v *validator) {
	if len(f.Facts) == 0 {
		v.fail("facts", "no fact")
		return
	}
	for i, m := range f.Facts {
		field := "facts[" + strconv.Itoa(i) + "]"
		switch {
		case m == nil || m.Payload == nil:
			v.fail(field, "missing")
		case !m.Kind().IsFact():
			v.fail(field+".kind", "%s is not a fact", clip(string(m.Kind())))
		case i > 0 && f.Facts[i-1] != nil && m.Seq <= f.Facts[i-1].Seq:
			v.fail(field+".seq", "%d does not follow %d", m.Seq, f.Facts[i-1].Seq)
		}
	}
}

// validateIn checks the facts against their envelope m: its origin, and
// its seq is the last fact's.
func (f *Facts) validateIn(m *Message, v *validator) {
	for i, fm := range f.Facts {
		if fm.Site != m.Site || fm.Instance != m.Instance {
			v.fail("facts["+strconv.Itoa(i)+"]", "origin %s is not the batch's %s", clip(fm.Origin()), m.Origin())
			return
		}
	}
	if last := f.Facts[len(f.Facts)-1].Seq; last != m.Seq {
		v.fail("facts", "the last fact's seq %d is not the batch's %d", last, m.Seq)
	}
}

// appendJSON appends the payload's JSON: every fact as [Encode] writes it.
func (f *Facts) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"facts":[`...)
	for i, m := range f.Facts {
		enc, err := Encode(m)
		if err != nil {
			return nil, inFact(i, err)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, enc...)
	}
	return append(b, "]}"...), nil
}

// MarshalJSON writes the payload as Encode does.
func (f *Facts) MarshalJSON() ([]byte, error) { return f.appendJSON(nil) }

// UnmarshalJSON reads the facts, each checked as a message of its own;
// a message that is not a fact (a batch in a batch) is refused before its
// payload is read.
func (f *Facts) UnmarshalJSON(b []byte) error {
	var fj factsJSON
	if err := json.Unmarshal(b, &fj); err != nil {
		return err
	}
	return fj.into(f)
}

// factsJSON is a batch's payload as it is read: the decoder hands each
// fact to decodeFact where it finds it, without copying it aside and
// scanning it again.
type factsJSON struct {
	Facts []rawFact `json:"facts"`
}

// rawFact is one fact of a batch being read: its message, or why it was
// refused (kept, so the refusal names the fact's place).
type rawFact struct {
	m   *Message
	err error
}

func (r *rawFact) UnmarshalJSON(b []byte) error {
	r.m, r.err = decodeFact(b)
	return nil
}

// into sets f to the facts read, or returns the first refusal.
func (fj *factsJSON) into(f *Facts) error {
	f.Facts = make([]*Message, len(fj.Facts))
	for i, r := range fj.Facts {
		if r.err != nil {
			return inFact(i, r.err)
		}
		f.Facts[i] = r.m
	}
	return nil
}

// decodeFact decodes one fact of a batch: in one reading when its kind
// is where Encode writes it, else by its envelope.
func decodeFact(data []byte) (*Message, error) {
	if k := guessKind(data); k.IsFact() {
		if m, ok := decodeKindFast(data, k); ok {
			return m, nil
		}
	}
	env, err := decodeEnvelope(data)
	if err != nil {
		return nil, err
	}
	if !env.Kind.IsFact() {
		return nil, &Error{Reason: ReasonKind, Field: "kind", Err: fmt.Errorf("%q is not a fact", clip(string(env.Kind)))}
	}
	return env.decodePayload()
}

// guessKind is the value of the first "kind" key: where Encode writes the
// envelope's kind. A guess only: decodeKindFast checks it.
func guessKind(data []byte) Kind {
	const key = `"kind":"`
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		return ""
	}
	rest := data[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || j > 32 {
		return ""
	}
	return Kind(rest[:j])
}

// inFact puts a fact's error under its place in the batch.
func inFact(i int, err error) error {
	field := "facts[" + strconv.Itoa(i) + "]"
	if e, ok := errors.AsType[*Error](err); ok {
		return &Error{Reason: e.Reason, Field: joinField(field, e.Field), Err: e.Err}
	}
	return &Error{Reason: ReasonInvalid, Field: field, Err: err}
}

// batchHeadroom is what a batch's envelope may take beyond its payload
// (names of 64 bytes, an id of two names and two 20-digit numbers, a time).
const batchHeadroom = 512

// Batch builds a batch message from facts already encoded, by appending:
// nothing is marshalled again. The zero value is ready; Reset empties it
// for another batch.
type Batch struct {
	site, instance string
	body           []byte // the facts, joined by commas
	n              int
	last           uint64
}

// Len is how many facts the batch holds.
func (b *Batch) Len() int { return b.n }

// Size is how long the batch's message would be, at most.
func (b *Batch) Size() int { return batchHeadroom + len(b.body) }

// Last is the seq of the batch's last fact, its own seq.
func (b *Batch) Last() uint64 { return b.last }

// ID is the batch's message id, "<origin>/facts/<last seq>".
func (b *Batch) ID() string {
	return Origin(b.site, b.instance) + "/" + string(KindFacts) + "/" + strconv.FormatUint(b.last, 10)
}

// Fits reports whether a fact encoded in n bytes still fits the message.
func (b *Batch) Fits(n int) bool { return b.Size()+1+n+len(`{"facts":[]}`) <= MaxMessageBytes }

// Add appends fact m, whose encoding (by [Encode]) is enc. m must be a
// fact of the batch's origin with a seq above the last one's, and fit.
func (b *Batch) Add(m *Message, enc []byte) error {
	switch {
	case !m.Kind().IsFact():
		return fmt.Errorf("batch: %s is not a fact", m.Kind())
	case b.n > 0 && (m.Site != b.site || m.Instance != b.instance):
		return fmt.Errorf("batch: %s is not of origin %s", m.ID(), Origin(b.site, b.instance))
	case b.n > 0 && m.Seq <= b.last:
		return fmt.Errorf("batch: %s does not follow seq %d", m.ID(), b.last)
	case !b.Fits(len(enc)):
		return fmt.Errorf("batch: %s does not fit", m.ID())
	}
	if b.n > 0 {
		b.body = append(b.body, ',')
	}
	b.site, b.instance = m.Site, m.Instance
	b.body = append(b.body, enc...)
	b.n++
	b.last = m.Seq
	return nil
}

// Reset empties the batch, keeping its buffer.
func (b *Batch) Reset() {
	b.body, b.n, b.last = b.body[:0], 0, 0
}

// Encode writes the batch's message, made at time at.
func (b *Batch) Encode(at time.Time) ([]byte, error) {
	if b.n == 0 {
		return nil, &Error{Reason: ReasonInvalid, Field: "payload.facts", Err: errors.New("no fact")}
	}
	atJSON, err := at.UTC().MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encode batch: at: %w", err)
	}
	out := make([]byte, 0, b.Size()+16)
	out = append(out, `{"v":`...)
	out = strconv.AppendInt(out, Version, 10)
	out = append(out, `,"site":"`...)
	out = append(out, b.site...)
	if b.instance != "" {
		out = append(out, `","instance":"`...)
		out = append(out, b.instance...)
	}
	out = append(out, `","kind":"facts","seq":`...)
	out = strconv.AppendUint(out, b.last, 10)
	out = append(out, `,"id":"`...)
	out = append(out, b.ID()...)
	out = append(out, `","at":`...)
	out = append(out, atJSON...)
	out = append(out, `,"payload":{"facts":[`...)
	out = append(out, b.body...)
	out = append(out, "]}}"...)
	if len(out) > MaxMessageBytes {
		return nil, &Error{Reason: ReasonInvalid, Field: "payload",
			Err: fmt.Errorf("message of %d bytes is over %d", len(out), MaxMessageBytes)}
	}
	return out, nil
}
