package wire

import (
	"bytes"
	"strconv"
)

// readBatch reads a batch laid out exactly as Encode and [Batch] write
// it (no white space, the envelope's fields in their order): the
// envelope by hand, and each fact, found by its braces, by decodeFact,
// so a fact's bytes are scanned twice by encoding/json rather than four
// times. Anything else, and any fact refused, is left to the general
// reading (false), which gives the answer for every other input: what
// this takes, that reads the same (the fuzz target holds them to it).
func readBatch(data []byte) (*Message, bool) {
	r := layout{data: data}
	env, ok := r.batchHeader()
	if !ok {
		return nil, false
	}
	p := &Facts{}
	for {
		raw := r.object()
		if raw == nil {
			return nil, false
		}
		m, err := decodeFact(raw)
		if err != nil {
			return nil, false
		}
		p.Facts = append(p.Facts, m)
		if r.lit(`]}}`) && r.pos == len(data) {
			break
		}
		if !r.lit(`,`) {
			return nil, false
		}
	}
	m, err := env.message(p)
	return m, err == nil
}

// batchHeader reads a batch's envelope up to its first fact, as Encode
// and [Batch] write it.
func (r *layout) batchHeader() (envelope, bool) {
	env := envelope{V: Version, Kind: KindFacts}
	if !r.lit(`{"v":1,"site":"`) {
		return env, false
	}
	env.Site = r.name()
	if r.lit(`","instance":"`) {
		env.Instance = r.name()
	}
	if !r.lit(`","kind":"facts","seq":`) {
		return env, false
	}
	env.Seq = r.uint()
	if !r.lit(`,"id":"`) {
		return env, false
	}
	env.ID = r.str()
	if !r.lit(`","at":`) {
		return env, false
	}
	at := r.quoted()
	if r.bad || env.Seq == 0 || at == nil || env.At.UnmarshalJSON(at) != nil || !r.lit(`,"payload":{"facts":[`) {
		return env, false
	}
	return env, true
}

// FactCount is how many facts the message data holds (see
// [Message.Facts]), for a count that needs no fact itself: a batch laid
// out as Encode and [Batch] write it has its envelope read by hand and
// its facts counted by their braces, not decoded; any other message is
// decoded. A message that does not decode counts as one (the message a
// receiver refuses). The one difference from decoding: a batch so laid
// out one of whose facts would be refused counts its facts, though
// Decode refuses the whole batch (a sender that encodes every fact
// before batching, as an edge does, writes none such).
func FactCount(data []byte) int {
	if n, ok := countBatch(data); ok {
		return n
	}
	m, err := Decode(data)
	if err != nil {
		return 1
	}
	return len(m.Facts())
}

// countBatch counts the facts of a batch laid out as readBatch takes it;
// false for anything else.
func countBatch(data []byte) (int, bool) {
	if len(data) > MaxMessageBytes {
		return 0, false
	}
	r := layout{data: data}
	env, ok := r.batchHeader()
	if !ok || env.ID != Origin(env.Site, env.Instance)+"/"+string(KindFacts)+"/"+strconv.FormatUint(env.Seq, 10) {
		return 0, false
	}
	for n := 1; ; n++ {
		if r.object() == nil {
			return 0, false
		}
		if r.lit(`]}}`) && r.pos == len(data) {
			return n, true
		}
		if !r.lit(`,`) {
			return 0, false
		}
	}
}

// layout reads the bytes of a batch in their expected order; bad marks
// a departure from it.
type layout struct {
	data []byte
	pos  int
	bad  bool
}

// lit takes s if the data goes on with it.
func (l *layout) lit(s string) bool {
	if !bytes.HasPrefix(l.data[l.pos:], []byte(s)) {
		return false
	}
	l.pos += len(s)
	return true
}

// str takes the text of a string up to its closing quote (left there);
// one with an escape is bad.
func (l *layout) str() string {
	rest := l.data[l.pos:]
	i := bytes.IndexByte(rest, '"')
	if i < 0 || bytes.IndexByte(rest[:i], '\\') >= 0 {
		l.bad = true
		return ""
	}
	l.pos += i
	return string(rest[:i])
}

// name is str restricted to a site's or instance's characters.
func (l *layout) name() string {
	s := l.str()
	if !ValidName(s) {
		l.bad = true
	}
	return s
}

// quoted takes a whole string with its quotes.
func (l *layout) quoted() []byte {
	start := l.pos
	if !l.lit(`"`) {
		return nil
	}
	l.str()
	if l.bad {
		return nil
	}
	l.pos++
	return l.data[start:l.pos]
}

// uint takes a JSON number that is an unsigned integer.
func (l *layout) uint() uint64 {
	rest := l.data[l.pos:]
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i == 0 || i > 1 && rest[0] == '0' {
		l.bad = true
		return 0
	}
	v, err := strconv.ParseUint(string(rest[:i]), 10, 64)
	if err != nil {
		l.bad = true
		return 0
	}
	l.pos += i
	return v
}

// object takes an object by its braces, strings minded; nil if there is
// none. Whether it is JSON is for its decoder to say.
func (l *layout) object() []byte {
	rest := l.data[l.pos:]
	if len(rest) == 0 || rest[0] != '{' {
		return nil
	}
	depth, inStr, esc := 0, false, false
	for i, c := range rest {
		switch {
		case esc:
			esc = false
		case inStr:
			esc = c == '\\'
			inStr = c != '"'
		case c == '"':
			inStr = true
		case c == '{':
			depth++
		case c == '}':
			depth--
			if depth == 0 {
				l.pos += i + 1
				return rest[:i+1]
			}
		}
	}
	return nil
}
