package inventory

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
)

// JSONWriter writes accesses as a JSON array, one indented object per
// access in the key order of [Access], which ReadJSON reads back to the same
// accesses. Close ends the array.
type JSONWriter struct {
	w   *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
	n   int
}

// NewJSONWriter returns a JSONWriter writing to w.
func NewJSONWriter(w io.Writer) *JSONWriter {
	jw := &JSONWriter{w: bufio.NewWriter(w)}
	jw.enc = json.NewEncoder(&jw.buf)
	jw.enc.SetEscapeHTML(false)
	jw.enc.SetIndent("  ", "  ")
	return jw
}

// Write writes one access.
func (jw *JSONWriter) Write(a Access) error {
	jw.buf.Reset()
	if jw.n == 0 {
		jw.buf.WriteString("[\n  ")
	} else {
		jw.buf.WriteString(",\n  ")
	}
	if err := jw.enc.Encode(a); err != nil {
		return fmt.Errorf("write JSON: accessId %s: %w", quote(a.AccessID), err)
	}
	jw.buf.Truncate(jw.buf.Len() - 1) // Encode's newline
	jw.n++
	if _, err := jw.w.Write(jw.buf.Bytes()); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// Close ends the array ("[]" when nothing was written) and flushes. It does
// not close the underlying writer.
func (jw *JSONWriter) Close() error {
	end := "\n]\n"
	if jw.n == 0 {
		end = "[]\n"
	}
	if _, err := jw.w.WriteString(end); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	if err := jw.w.Flush(); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// WriteJSON writes all accesses to w as a JSON array.
func WriteJSON(w io.Writer, accesses iter.Seq[Access]) error {
	jw := NewJSONWriter(w)
	for a := range accesses {
		if err := jw.Write(a); err != nil {
			return err
		}
	}
	return jw.Close()
}
