package atlas

import (
	"bytes"
	"encoding/xml"
	"strconv"
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
	if x.putNewline {
		b = append(b, '\n')
	} else {
		x.putNewline = true
	}
	for range x.depth {
		b = append(b, "   "...)
	}
	if delta > 0 {
		x.depth++
		x.indentedIn = true
	}
	return b
}

func (x *xmlw) open(b []byte, name string) []byte {
	b = x.indent(b, 1)
	return append(append(append(b, '<'), name...), '>')
}

func (x *xmlw) close(b []byte, name string) []byte {
	b = x.indent(b, -1)
	return append(append(append(b, "</"...), name...), '>')
}

// leaf appends <name>text</name>, text escaped as encoding/xml does.
func (x *xmlw) leaf(b []byte, name, text string) []byte {
	b = x.open(b, name)
	b = appendEscaped(b, text)
	return x.close(b, name)
}

func (x *xmlw) leafInt(b []byte, name string, n int) []byte {
	b = x.open(b, name)
	b = strconv.AppendInt(b, int64(n), 10)
	return x.close(b, name)
}

// appendEscaped appends s as XML character data: as it is when nothing in
// it needs escaping (ids, dates, codes), else through xml.EscapeText.
func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c >= 0x7f, c == '"', c == '\'', c == '&', c == '<', c == '>':
			b := bytes.NewBuffer(dst)
			xml.EscapeText(b, []byte(s)) // a bytes.Buffer does not fail
			return b.Bytes()
		}
	}
	return append(dst, s...)
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
