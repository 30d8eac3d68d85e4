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

// xmlw appends indented XML with encoding/xml's indentation rules: an
// element with only text stays on one line, an element with children
// closes on its own line, an empty one is <a></a>.
type xmlw struct {
	b          []byte
	depth      int
	indentedIn bool
	putNewline bool
}

// indent is encoding/xml's printer.writeIndent with prefix "" and
// indent "   ".
func (x *xmlw) indent(delta int) {
	if delta < 0 {
		x.depth--
		if x.indentedIn {
			x.indentedIn = false
			return
		}
		x.indentedIn = false
	}
	if x.putNewline {
		x.b = append(x.b, '\n')
	} else {
		x.putNewline = true
	}
	for range x.depth {
		x.b = append(x.b, "   "...)
	}
	if delta > 0 {
		x.depth++
		x.indentedIn = true
	}
}

func (x *xmlw) open(name string) {
	x.indent(1)
	x.b = append(append(append(x.b, '<'), name...), '>')
}

func (x *xmlw) close(name string) {
	x.indent(-1)
	x.b = append(append(append(x.b, "</"...), name...), '>')
}

// leaf writes <name>text</name>, text escaped as encoding/xml does.
func (x *xmlw) leaf(name, text string) {
	x.open(name)
	x.b = appendEscaped(x.b, text)
	x.close(name)
}

func (x *xmlw) leafInt(name string, n int) {
	x.open(name)
	x.b = strconv.AppendInt(x.b, int64(n), 10)
	x.close(name)
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

// appendAnswer appends the answer v (a value of a type of xml.go) after
// the XML declaration; ok is false for a type it does not know.
func appendAnswer(dst []byte, v any) ([]byte, bool) {
	x := &xmlw{b: append(dst, xml.Header...)}
	switch a := v.(type) {
	case portStatusXML:
		a.append(x)
	case statusFirst:
		a.append(x)
	default:
		return dst, false
	}
	return x.b, true
}

func (p *portStatusXML) append(x *xmlw) {
	x.open("port_status")
	if r := p.Response; r != nil {
		x.open("response")
		if r.Code != 0 {
			x.leafInt("code", r.Code)
		}
		if r.Message != "" {
			x.leaf("message", r.Message)
		}
		if i := r.Info; i != nil {
			x.open("info")
			x.leaf("message", i.Message)
			x.leaf("nettype", i.NetType)
			x.leaf("media", i.Media)
			x.leaf("portcapacity", i.PortCapacity)
			x.leaf("cpecapacity", i.CPECapacity)
			x.leaf("cocpe", i.CoCPE)
			x.leaf("dhcpoption", i.DHCPOption)
			x.leaf("serviceport", i.ServicePort)
			x.close("info")
		}
		if s := r.Services; s != nil {
			x.open("services")
			for _, sv := range s.Service {
				x.open("service")
				x.leaf("id", sv.ID)
				x.leaf("date", sv.Date)
				x.leaf("name", sv.Name)
				x.leaf("commitment", sv.Commitment)
				x.leaf("release", sv.Release)
				if sv.Message != "" {
					x.leaf("message", sv.Message)
				}
				x.close("service")
			}
			x.close("services")
		}
		x.close("response")
	}
	x.leaf("status", p.Status)
	x.close("port_status")
}

func (s *statusFirst) append(x *xmlw) {
	name := s.XMLName.Local
	x.open(name)
	x.leaf("status", s.Status)
	if r := s.Response; r != nil {
		x.open("response")
		x.leafInt("code", r.Code)
		if r.Service != "" {
			x.leaf("service", r.Service)
		}
		for _, f := range []struct {
			name string
			v    *int
		}{{"current_media", r.CurrentMedia}, {"required_media", r.RequiredMedia}, {"current_capacity", r.CurrentCapacity}, {"required_capacity", r.RequiredCapacity}} {
			if f.v != nil {
				x.leafInt(f.name, *f.v)
			}
		}
		if r.Hardware != "" {
			x.leaf("hardware", r.Hardware)
		}
		if r.Message != "" {
			x.leaf("message", r.Message)
		}
		x.close("response")
	}
	x.close(name)
}
