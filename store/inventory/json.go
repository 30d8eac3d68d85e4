package inventory

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ReadJSON reads an inventory in JSON from r: one access object or an array
// of them, with the keys of [Access]'s JSON form (ON-API / PI-API 2.3 names
// plus option82 and dhcpIdentifier). It calls yield with the line where each
// object starts and the normalised, valid access. The array is streamed with
// json.Decoder tokens; only one object is in memory at a time. A UTF-8
// byte-order mark is skipped.
//
// An unknown or repeated key, a value of the wrong JSON type and every rule
// of [Validate] are problems naming the line and byte column of the key or
// value. null counts as an absent value. When anything is wrong ReadJSON
// returns a *Problems with every bad object; the caller must then apply
// nothing. A syntax error ends the reading (JSON cannot be resumed after
// one) and is the last problem. yield is called as [ReadCSV] describes.
func ReadJSON(r io.Reader, yield func(line int, a Access) error) error {
	jr := &jsonReader{lines: &lineReader{r: r}, seen: newSeen(JSON), yield: yield}
	err := jr.read()
	if err != nil {
		return err
	}
	return jr.ps.err()
}

// jsonReader is the state of one ReadJSON.
type jsonReader struct {
	lines *lineReader
	br    *bufio.Reader
	dec   *json.Decoder
	base  int64 // file offset of the decoder's offset 0
	seen  *seen
	yield func(int, Access) error
	ps    Problems
	raw   json.RawMessage // the current element; its buffer is reused
	obj   objectDecoder   // reused for each element
	acc   Access          // the current element's access, reused
}

// pos returns the line and column of a decoder offset.
func (jr *jsonReader) pos(off int64) (line, col int) { return jr.lines.pos(jr.base + off) }

// problemAt adds a problem at a decoder offset.
func (jr *jsonReader) problemAt(off int64, msg string) {
	line, col := jr.pos(off)
	jr.ps.add(Problem{Line: line, Column: col, Message: msg})
}

func (jr *jsonReader) read() error {
	jr.br = bufio.NewReaderSize(jr.lines, 64<<10)
	if b, err := jr.br.Peek(len(utf8BOM)); err == nil && string(b) == utf8BOM {
		_, _ = jr.br.Discard(len(utf8BOM))
		jr.base = int64(len(utf8BOM))
	}
	first, err := jr.skipSpace()
	if err == io.EOF {
		jr.ps.add(Problem{Line: 1, Message: "the file is empty: a JSON object or an array of objects is needed"})
		return nil
	}
	if err != nil {
		return fmt.Errorf("read JSON: %w", err)
	}
	jr.dec = json.NewDecoder(jr.br)
	switch first {
	case '[':
		if _, err := jr.dec.Token(); err != nil {
			return jr.syntax(err)
		}
		for jr.dec.More() {
			if done, err := jr.element(); done || err != nil {
				return err
			}
		}
		if _, err := jr.dec.Token(); err != nil { // the closing ']'
			return jr.syntax(err)
		}
	case '{':
		if done, err := jr.element(); done || err != nil {
			return err
		}
	default:
		jr.problemAt(0, fmt.Sprintf("found %q where a JSON object or an array of objects should start", first))
		return nil
	}
	return jr.trailing()
}

// skipSpace consumes white space before the top-level value and returns the
// first other byte, unread.
func (jr *jsonReader) skipSpace() (byte, error) {
	for {
		c, err := jr.br.ReadByte()
		if err != nil {
			return 0, err
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return c, jr.br.UnreadByte()
		}
		jr.base++
	}
}

// element decodes one access object and yields it when it is good. done is
// true when a syntax error ended the reading.
func (jr *jsonReader) element() (done bool, err error) {
	if err := jr.dec.Decode(&jr.raw); err != nil {
		return true, jr.syntax(err)
	}
	raw := jr.raw
	end := jr.dec.InputOffset()
	start := end - int64(len(raw))
	line, col := jr.pos(start)
	if raw[0] != '{' {
		jr.ps.add(Problem{Line: line, Column: col, Message: "found " + jsonKind(raw[0]) + " where an access object should be"})
		return false, nil
	}
	obj := &jr.obj
	*obj = objectDecoder{raw: raw, line: line, col: col, ps: &jr.ps}
	a := &jr.acc
	ok := obj.decode(a)
	*a = Normalize(*a)
	ok = obj.validate(a) && ok
	ok = jr.seen.check(line, a, &jr.ps) && ok
	if !ok {
		return false, nil
	}
	return false, yieldAccess(jr.yield, line, *a, &jr.ps)
}

// syntax turns a decoder error into the final problem, or returns an I/O
// error.
func (jr *jsonReader) syntax(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// The decoder has not consumed the bad value: decode its buffered
		// rest again to learn where in it the fault is.
		off := jr.dec.InputOffset()
		var again json.RawMessage
		if err2 := json.NewDecoder(jr.dec.Buffered()).Decode(&again); err2 != nil {
			var se2 *json.SyntaxError
			if errors.As(err2, &se2) && se2.Offset > 0 {
				off += se2.Offset - 1
			}
		}
		jr.problemAt(off, "invalid JSON: "+se.Error())
		return nil
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		line, col := jr.lines.pos(jr.lines.total)
		jr.ps.add(Problem{Line: line, Column: col, Message: "invalid JSON: the input ends in the middle of a value"})
		return nil
	}
	return fmt.Errorf("read JSON: %w", err)
}

// trailing reports anything but white space after the top-level value.
func (jr *jsonReader) trailing() error {
	off := jr.dec.InputOffset()
	rest := io.MultiReader(jr.dec.Buffered(), jr.br)
	var b [1]byte
	for {
		_, err := rest.Read(b[:])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read JSON: %w", err)
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			off++
			continue
		}
		jr.problemAt(off, fmt.Sprintf("found %q after the end of the JSON value", b[0]))
		return nil
	}
}

// jsonKind names the JSON type of a value by its first byte.
func jsonKind(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// lineReader counts the lines of what it reads so that a byte offset can be
// turned into a line and column. Offsets must be asked in non-decreasing
// order; it keeps only the line ends not yet passed.
type lineReader struct {
	r         io.Reader
	total     int64   // bytes read so far
	ends      []int64 // offsets of '\n' read; ends[head:] not yet passed
	head      int
	line      int   // line number (0-based) of lineStart
	lineStart int64 // offset of the first byte of the current line
}

func (l *lineReader) Read(p []byte) (int, error) {
	if l.head > 0 && l.head >= len(l.ends)/2 {
		l.ends = append(l.ends[:0], l.ends[l.head:]...)
		l.head = 0
	}
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			l.ends = append(l.ends, l.total+int64(i))
		}
	}
	l.total += int64(n)
	return n, err
}

// pos returns the 1-based line and byte column of offset off.
func (l *lineReader) pos(off int64) (line, col int) {
	for l.head < len(l.ends) && l.ends[l.head] < off {
		l.lineStart = l.ends[l.head] + 1
		l.line++
		l.head++
	}
	if off < l.lineStart { // asked out of order: the best answer there is
		return l.line + 1, 1
	}
	return l.line + 1, int(off-l.lineStart) + 1
}
