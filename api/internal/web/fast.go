package web

import (
	"encoding/json"
	"net/http"
	"sync"
	"unicode/utf8"
)

// The answers of the look-ups are small and asked for thousands of times
// a second: they are appended into pooled buffers, byte for byte what
// encoding/json would write, and their headers' values are shared slices
// (a Header().Set makes a new one per request). A shared value has
// len == cap, so an Add by anyone after it copies instead of writing into
// it.
var (
	headerJSON    = []string{"application/json"}
	headerXML     = []string{"application/xml; charset=utf-8"}
	headerNoStore = []string{"no-store"}
)

// SetJSONType sets Content-Type: application/json.
func SetJSONType(h http.Header) { h["Content-Type"] = headerJSON }

// SetXMLType sets Content-Type: application/xml; charset=utf-8.
func SetXMLType(h http.Header) { h["Content-Type"] = headerXML }

// SetNoStore sets Cache-Control: no-store.
func SetNoStore(h http.Header) { h["Cache-Control"] = headerNoStore }

// Buffer is a pooled byte slice for an answer: GetBuffer, append, write,
// PutBuffer.
type Buffer struct{ B []byte }

var buffers = sync.Pool{New: func() any { return &Buffer{B: make([]byte, 0, 1024)} }}

// GetBuffer returns an empty buffer from the pool.
func GetBuffer() *Buffer {
	b := buffers.Get().(*Buffer)
	b.B = b.B[:0]
	return b
}

// PutBuffer gives b back; large ones (an export's) are left to the
// garbage collector.
func PutBuffer(b *Buffer) {
	if cap(b.B) <= 64<<10 {
		buffers.Put(b)
	}
}

// WriteJSONField writes {"name":"value"} and a newline, as WriteJSON writes
// a struct of one string field: the look-ups' {"accessId": …}.
func WriteJSONField(w http.ResponseWriter, status int, name, value string) error {
	b := GetBuffer()
	defer PutBuffer(b)
	b.B = append(b.B, '{')
	b.B = AppendJSONString(b.B, name)
	b.B = append(b.B, ':')
	b.B = AppendJSONString(b.B, value)
	b.B = append(b.B, '}', '\n')
	SetJSONType(w.Header())
	w.WriteHeader(status)
	_, err := w.Write(b.B)
	return err
}

// AppendJSONString appends s as a JSON string exactly as encoding/json
// writes it (with its HTML escaping of <, > and &).
func AppendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(dst, q...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
