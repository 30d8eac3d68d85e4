package atlas

import (
	"encoding/xml"
	"strconv"
	"unicode/utf8"
)

// The answers are appended into a pooled buffer, byte for byte what
// encoding/xml's Encoder with Indent("", "   ") writes for the types of
// xml.go (a fuzz test holds the two together): port_status is asked for
// thousands of times a second, and the reflecting encoder with its own
// 4 KiB buffer per answer cost more than everything else of the request.

// xmlw is the indentation state of an answer being appended, with
// encoding/xml's rules: an element with only text stays on one line, an
// element with children closes on its own line, an empty one is <a></a>.
// The bytes go through its methods as an argument and a result, not as a
// field: a slice stored through a pointer costs a GC write barrier for
// every append while a collection runs, which under load was a third of
// the appending.
type xmlw struct {
	depth      int
	indentedIn bool
	putNewline bool
}

// indents are a newline and the indentation of up to maxIndent levels.
const (
	maxIndent = 10
	indents   = "\n                              "
)

// indent is encoding/xml's printer.writeIndent with prefix "" and
// indent "   ".
func (x *xmlw) indent(b []byte, delta int) []byte {
	if delta < 0 {
		x.depth--
		if x.indentedIn {
			x.indentedIn = false
			return b
		}
		x.indentedIn = false
	}
	b = x.newline(b)
	if delta > 0 {
		x.depth++
		x.indentedIn = true
	}
	return b
}

// newline starts a line at the current depth (the first line is the
// declaration's): one append for the newline and the indentation.
func (x *xmlw) newline(b []byte) []byte {
	nl := indents[:1]
	if !x.putNewline {
		nl, x.putNewline = "", true
	}
	if x.depth <= maxIndent {
		return append(append(b, nl...), indents[1:1+3*x.depth]...)
	}
	b = append(b, nl...)
	for range x.depth {
		b = append(b, "   "...)
	}
	return b
}

func (x *xmlw) open(b []byte, name string) []byte {
	return appendStartTag(x.indent(b, 1), name)
}

func (x *xmlw) close(b []byte, name string) []byte {
	return appendEndTag(x.indent(b, -1), name)
}

// appendStartTag and appendEndTag append <name> and </name>.
func appendStartTag(b []byte, name string) []byte {
	return append(append(append(b, '<'), name...), '>')
}

func appendEndTag(b []byte, name string) []byte {
	return append(append(append(b, "</"...), name...), '>')
}

// leaf appends <name>text</name>, text escaped as encoding/xml does: open
// and close, with the indentation of an element with only text.
func (x *xmlw) leaf(b []byte, name, text string) []byte {
	b = x.newline(b)
	x.indentedIn = false
	return appendEndTag(appendEscaped(appendStartTag(b, name), text), name)
}

func (x *xmlw) leafInt(b []byte, name string, n int) []byte {
	b = x.open(b, name)
	b = strconv.AppendInt(b, int64(n), 10)
	return x.close(b, name)
}

// xmlPlain has bit c set for each byte c below 0x40 that encoding/xml
// writes as it is in character data (the bytes 0x40 to 0x7f all are).
const xmlPlain uint64 = 0xffff_ffff_0000_0000 &^
	(1<<'"' | 1<<'&' | 1<<'\'' | 1<<'<' | 1<<'>')

// appendEscaped appends s as XML character data, exactly as
// xml.EscapeText writes it: the markup characters, tab, newline and
// carriage return as references, a byte that is not UTF-8 and a character
// outside XML's range as U+FFFD; the runs between are copied whole (ids,
// dates and codes are one run).
func appendEscaped(dst []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x40 && c < utf8.RuneSelf || c < 0x40 && xmlPlain&(1<<c) != 0 {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(append(dst, s[last:i]...), asciiEscape(c)...)
			i++
			last = i
			continue
		}
		r, width := utf8.DecodeRuneInString(s[i:])
		i += width
		if r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD && (r != utf8.RuneError || width > 1) || r >= 0x10000 && r <= 0x10FFFF {
			continue
		}
		dst = append(append(dst, s[last:i-width]...), "\uFFFD"...)
		last = i
	}
	return append(dst, s[last:]...)
}

// asciiEscape is what xml.EscapeText writes for an ASCII byte it does not
// write as it is.
func asciiEscape(c byte) string {
	switch c {
	case '"':
		return "&#34;"
	case '\'':
		return "&#39;"
	case '&':
		return "&amp;"
	case '<':
		return "&lt;"
	case '>':
		return "&gt;"
	case '\t':
		return "&#x9;"
	case '\n':
		return "&#xA;"
	case '\r':
		return "&#xD;"
	}
	return "\uFFFD" // the other control characters are outside XML's range
}

// appendAnswer appends the answer v (a value of a type of xml.go, or a
// pointer to port_status's) after the XML declaration; ok is false for a
// type it does not know.
func appendAnswer(dst []byte, v any) ([]byte, bool) {
	b := append(dst, xml.Header...)
	var x xmlw
	switch a := v.(type) {
	case portStatusXML:
		b = a.append(b, &x)
	case *portStatusXML:
		b = a.append(b, &x)
	case statusFirst:
		b = a.append(b, &x)
	default:
		return dst, false
	}
	return b, true
}

func (p *portStatusXML) append(b []byte, x *xmlw) []byte {
	b = x.open(b, "port_status")
	if r := p.Response; r != nil {
		b = x.open(b, "response")
		if r.Code != 0 {
			b = x.leafInt(b, "code", r.Code)
		}
		if r.Message != "" {
			b = x.leaf(b, "message", r.Message)
		}
		if i := r.Info; i != nil {
			b = i.append(b, x)
		}
		if s := r.Services; s != nil {
			b = x.open(b, "services")
			for i := range s.Service {
				b = s.Service[i].append(b, x)
			}
			b = x.close(b, "services")
		}
		b = x.close(b, "response")
	}
	b = x.leaf(b, "status", p.Status)
	return x.close(b, "port_status")
}

func (i *portInfo) append(b []byte, x *xmlw) []byte {
	b = x.open(b, "info")
	b = x.leaf(b, "message", i.Message)
	b = x.leaf(b, "nettype", i.NetType)
	b = x.leaf(b, "media", i.Media)
	b = x.leaf(b, "portcapacity", i.PortCapacity)
	b = x.leaf(b, "cpecapacity", i.CPECapacity)
	b = x.leaf(b, "cocpe", i.CoCPE)
	b = x.leaf(b, "dhcpoption", i.DHCPOption)
	b = x.leaf(b, "serviceport", i.ServicePort)
	return x.close(b, "info")
}

func (sv *serviceXML) append(b []byte, x *xmlw) []byte {
	b = x.open(b, "service")
	b = x.leaf(b, "id", sv.ID)
	b = x.leaf(b, "date", sv.Date)
	b = x.leaf(b, "name", sv.Name)
	b = x.leaf(b, "commitment", sv.Commitment)
	b = x.leaf(b, "release", sv.Release)
	if sv.Message != "" {
		b = x.leaf(b, "message", sv.Message)
	}
	return x.close(b, "service")
}

func (s *statusFirst) append(b []byte, x *xmlw) []byte {
	name := s.XMLName.Local
	b = x.open(b, name)
	b = x.leaf(b, "status", s.Status)
	if r := s.Response; r != nil {
		b = x.open(b, "response")
		b = x.leafInt(b, "code", r.Code)
		if r.Service != "" {
			b = x.leaf(b, "service", r.Service)
		}
		for _, f := range []struct {
			name string
			v    *int
		}{{"current_media", r.CurrentMedia}, {"required_media", r.RequiredMedia}, {"current_capacity", r.CurrentCapacity}, {"required_capacity", r.RequiredCapacity}} {
			if f.v != nil {
				b = x.leafInt(b, f.name, *f.v)
			}
		}
		if r.Hardware != "" {
			b = x.leaf(b, "hardware", r.Hardware)
		}
		if r.Message != "" {
			b = x.leaf(b, "message", r.Message)
		}
		b = x.close(b, "response")
	}
	return x.close(b, name)
}
