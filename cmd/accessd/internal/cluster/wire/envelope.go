package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Version is the format's major version.
const Version = 1

// MaxMessageBytes bounds an encoded message.
const MaxMessageBytes = 64 << 10

// Kind names what a payload is.
type Kind string

// The kinds of version 1.
const (
	KindBinding         Kind = "binding"
	KindLink            Kind = "link"
	KindUnknownCircuit  Kind = "unknown_circuit"
	KindOrderOutcome    Kind = "order_outcome"
	KindAccess          Kind = "access"
	KindInventoryCommit Kind = "inventory_commit"
	KindOrder           Kind = "order"
	// KindFacts is a batch of facts of one origin ([Facts]); added within
	// version 1.
	KindFacts Kind = "facts"
)

// IsFact reports whether k is one of the fact kinds.
func (k Kind) IsFact() bool {
	switch k {
	case KindBinding, KindLink, KindUnknownCircuit, KindOrderOutcome:
		return true
	}
	return false
}

// Payload is the typed body of a message: one of *Binding, *Link,
// *UnknownCircuit, *OrderOutcome, *Facts, *AccessChange, *InventoryCommit,
// *Order.
type Payload interface {
	Kind() Kind
	validate(v *validator)
}

// Message is a message of any kind.
type Message struct {
	Site     string
	Instance string // "" unless the site runs several instances
	Seq      uint64
	At       time.Time
	Payload  Payload
}

// Kind is the payload's kind.
func (m *Message) Kind() Kind { return m.Payload.Kind() }

// Origin is the sender: the site, or "site:instance".
func (m *Message) Origin() string { return Origin(m.Site, m.Instance) }

// ID is the message id, "<origin>/<kind>/<seq>", also its Nats-Msg-Id.
func (m *Message) ID() string {
	return m.Origin() + "/" + string(m.Kind()) + "/" + strconv.FormatUint(m.Seq, 10)
}

// Origin names a sender: the site, or "site:instance".
func Origin(site, instance string) string {
	if instance == "" {
		return site
	}
	return site + ":" + instance
}

// envelope is the JSON form of a message.
type envelope struct {
	V        int             `json:"v"`
	Site     string          `json:"site"`
	Instance string          `json:"instance,omitempty"`
	Kind     Kind            `json:"kind"`
	Seq      uint64          `json:"seq"`
	ID       string          `json:"id"`
	At       time.Time       `json:"at"`
	Payload  json.RawMessage `json:"payload"`
}

// Encode validates m and returns its JSON form. An [Encoded] payload is
// written as it is.
func Encode(m *Message) ([]byte, error) {
	if m.Payload == nil {
		return nil, &Error{Reason: ReasonInvalid, Field: "payload", Err: errors.New("missing")}
	}
	m.At = m.At.UTC()
	if err := m.validate(); err != nil {
		return nil, err
	}
	var payload []byte
	switch p := m.Payload.(type) {
	case *Encoded:
		payload = p.JSON
	case *Facts:
		var err error
		if payload, err = p.appendJSON(make([]byte, 0, 512*len(p.Facts))); err != nil {
			return nil, err
		}
	default:
		var err error
		if payload, err = json.Marshal(m.Payload); err != nil {
			return nil, fmt.Errorf("encode %s: %w", m.Kind(), err)
		}
	}
	at, err := m.At.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encode %s: at: %w", m.Kind(), err)
	}
	// The envelope's strings are names, kinds and numbers the checks
	// above bound to characters JSON takes as they are: written by hand,
	// the same bytes json.Marshal writes, without its reflection.
	b := make([]byte, 0, 96+2*len(m.Site)+len(m.Instance)+len(payload))
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, Version, 10)
	b = append(b, `,"site":"`...)
	b = append(b, m.Site...)
	if m.Instance != "" {
		b = append(b, `","instance":"`...)
		b = append(b, m.Instance...)
	}
	b = append(b, `","kind":"`...)
	b = append(b, m.Kind()...)
	b = append(b, `","seq":`...)
	b = strconv.AppendUint(b, m.Seq, 10)
	b = append(b, `,"id":"`...)
	b = append(b, m.ID()...)
	b = append(b, `","at":`...)
	b = append(b, at...)
	b = append(b, `,"payload":`...)
	b = append(b, payload...)
	b = append(b, '}')
	if len(b) > MaxMessageBytes {
		return nil, &Error{Reason: ReasonInvalid, Field: "payload",
			Err: fmt.Errorf("message of %d bytes is over %d", len(b), MaxMessageBytes)}
	}
	return b, nil
}

// Decode parses and validates one message. Its error is an *Error.
func Decode(data []byte) (*Message, error) {
	env, err := decodeEnvelope(data)
	if err != nil {
		return nil, err
	}
	return env.decodePayload()
}

// decodeEnvelope reads the envelope, keeping the payload as raw JSON.
func decodeEnvelope(data []byte) (*envelope, error) {
	if len(data) > MaxMessageBytes {
		return nil, &Error{Reason: ReasonMalformed, Err: fmt.Errorf("message of %d bytes is over %d", len(data), MaxMessageBytes)}
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, &Error{Reason: ReasonMalformed, Err: err}
	}
	if env.V != Version {
		return nil, &Error{Reason: ReasonVersion, Field: "v", Err: fmt.Errorf("version %d, want %d", env.V, Version)}
	}
	return &env, nil
}

// decodePayload decodes the raw payload by the envelope's kind and checks
// the whole message.
func (env *envelope) decodePayload() (*Message, error) {
	p := newPayload(env.Kind)
	if p == nil {
		return nil, &Error{Reason: ReasonKind, Field: "kind", Err: fmt.Errorf("unknown kind %q", clip(string(env.Kind)))}
	}
	if len(bytes.TrimSpace(env.Payload)) == 0 || env.Payload[0] != '{' {
		return nil, &Error{Reason: ReasonMalformed, Field: "payload", Err: errors.New("not an object")}
	}
	if err := json.Unmarshal(env.Payload, p); err != nil {
		if e, ok := errors.AsType[*Error](err); ok { // a batch's fact refused
			return nil, &Error{Reason: e.Reason, Field: joinField("payload", e.Field), Err: e.Err}
		}
		return nil, &Error{Reason: ReasonMalformed, Field: "payload", Err: err}
	}
	return env.message(p)
}

func joinField(a, b string) string {
	if b == "" {
		return a
	}
	return a + "." + b
}

// message checks the envelope with its decoded payload.
func (env *envelope) message(p Payload) (*Message, error) {
	m := &Message{Site: env.Site, Instance: env.Instance, Seq: env.Seq, At: env.At, Payload: p}
	if err := m.validate(); err != nil {
		return nil, err
	}
	if env.ID != m.ID() {
		return nil, &Error{Reason: ReasonInvalid, Field: "id", Err: fmt.Errorf("%q is not %q", clip(env.ID), m.ID())}
	}
	return m, nil
}

// DecodeKind is Decode for a fact expected to be of kind want (a
// receiver knows it from the subject): the payload is decoded straight
// into want's type as the envelope is read, not kept aside as raw JSON,
// scanned again and decoded after, which halves the work. A message that
// fails a check, carries another kind or no payload goes through Decode
// for its answer. One difference: of a payload given twice Decode takes
// the last, DecodeKind both, one over the other; either way what it
// returns passed every check of a message.
func DecodeKind(data []byte, want Kind) (*Message, error) {
	if m, ok := decodeKindFast(data, want); ok {
		return m, nil
	}
	return Decode(data)
}

// decodeKindFast is DecodeKind's one reading; false when the message
// needs Decode for its answer.
func decodeKindFast(data []byte, want Kind) (*Message, bool) {
	if !want.IsFact() && want != KindFacts || len(data) > MaxMessageBytes {
		return nil, false
	}
	if want == KindFacts {
		if m, ok := readBatch(data); ok {
			return m, true
		}
	}
	p := newPayload(want)
	var into any = p
	var fj *factsJSON
	if want == KindFacts { // the facts go straight to decodeFact
		fj = new(factsJSON)
		into = fj
	}
	env := struct {
		envelope
		Payload any `json:"payload"` // holds into, so the payload is decoded into it
	}{Payload: into}
	if err := json.Unmarshal(data, &env); err != nil || env.V != Version || env.Kind != want || env.Payload != into {
		return nil, false
	}
	if fj != nil && fj.into(p.(*Facts)) != nil {
		return nil, false
	}
	m, err := env.message(p)
	if err != nil {
		return nil, false // a payload left out is a malformed message, not an empty one
	}
	return m, true
}

// Encoded is a payload its sender already holds in JSON form, as
// json.Marshal wrote it of the payload of kind K (an edge's outbox keeps
// its facts so): [Encode] writes it as it is, without reading it again.
// Only its being an object is checked here; the receiver checks it as
// every payload. Decode never returns one.
type Encoded struct {
	K    Kind
	JSON []byte
}

// Kind is K.
func (e *Encoded) Kind() Kind { return e.K }

func (e *Encoded) validate(v *validator) {
	if newPayload(e.K) == nil {
		v.fail("", "unknown kind %q", clip(string(e.K)))
	}
	if j := bytes.TrimSpace(e.JSON); len(j) < 2 || j[0] != '{' || j[len(j)-1] != '}' {
		v.fail("", "not a JSON object")
	}
}

// ValidatePayload checks a payload by the rules a receiver applies
// (Encode and Decode check the whole message).
func ValidatePayload(p Payload) error {
	v := &validator{path: "payload"}
	p.validate(v)
	if v.err != nil {
		return v.err
	}
	return nil
}

func newPayload(k Kind) Payload {
	switch k {
	case KindBinding:
		return new(Binding)
	case KindLink:
		return new(Link)
	case KindUnknownCircuit:
		return new(UnknownCircuit)
	case KindOrderOutcome:
		return new(OrderOutcome)
	case KindFacts:
		return new(Facts)
	case KindAccess:
		return new(AccessChange)
	case KindInventoryCommit:
		return new(InventoryCommit)
	case KindOrder:
		return new(Order)
	}
	return nil
}

func (m *Message) validate() error {
	v := &validator{}
	v.name("site", m.Site)
	if m.Instance != "" {
		v.name("instance", m.Instance)
	}
	if m.Seq == 0 {
		v.fail("seq", "must be above 0")
	}
	v.time("at", m.At)
	if v.err == nil {
		m.Payload.validate(v.in("payload"))
	}
	if b, ok := m.Payload.(*Facts); ok && v.err == nil {
		b.validateIn(m, v.in("payload"))
	}
	if v.err != nil {
		return v.err
	}
	return nil
}

// ValidName reports whether s may name a site or an instance:
// [A-Za-z0-9_-]{1,64}, a JetStream domain and a subject token.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// Reason classifies why a message was refused; it is a metric label.
type Reason string

// The reasons of Decode, and those a receiver adds.
const (
	ReasonMalformed Reason = "malformed" // not JSON of the envelope's shape, or too long
	ReasonVersion   Reason = "version"   // a version this receiver does not know
	ReasonKind      Reason = "kind"      // a kind unknown, or not expected on this stream
	ReasonInvalid   Reason = "invalid"   // a field out of its rules
	ReasonSubject   Reason = "subject"   // subject or Nats-Msg-Id disagree with the envelope
	ReasonUnlisted  Reason = "unlisted"  // from a site the receiver does not list
)

// Error says why a message was refused.
type Error struct {
	Reason Reason
	Field  string // the JSON path of the offending field, "" for the whole message
	Err    error
}

func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s message: %v", e.Reason, e.Err)
	}
	return fmt.Sprintf("%s message: %s: %v", e.Reason, e.Field, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ReasonOf is the reason of an *Error in err's chain, else "malformed".
func ReasonOf(err error) Reason {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Reason
	}
	return ReasonMalformed
}

// clip shortens hostile text quoted in an error.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}
