package circuit

import (
	"strconv"
	"strings"

	"github.com/stadsnat/accessd/dhcp/option82"
)

// Part names one field of a Circuit in a key template.
type Part uint8

// The parts a template can name.
const (
	PartRemoteID Part = iota + 1
	PartCircuitID
	PartSwitch
	PartModule
	PartPort
	PartVLAN
	PartInterface
	PartGIAddr
	PartCircuitHex
	PartRemoteHex
)

var partNames = [...]string{
	PartRemoteID:   "remote_id",
	PartCircuitID:  "circuit_id",
	PartSwitch:     "switch",
	PartModule:     "module",
	PartPort:       "port",
	PartVLAN:       "vlan",
	PartInterface:  "interface",
	PartGIAddr:     "giaddr",
	PartCircuitHex: "circuit_hex",
	PartRemoteHex:  "remote_hex",
}

func partByName(name string) (Part, bool) {
	for p, n := range partNames {
		if n != "" && n == name {
			return Part(p), true
		}
	}
	return 0, false
}

func (p Part) String() string {
	if int(p) < len(partNames) && partNames[p] != "" {
		return partNames[p]
	}
	return "part(" + strconv.Itoa(int(p)) + ")"
}

// Template is a compiled key template; it is immutable and safe for
// concurrent use.
type Template struct {
	src   string
	lits  []string // len(lits) == len(parts)+1: lits[i] precedes parts[i]
	parts []Part
}

// DefaultKey is the key template of a profile that sets none.
const DefaultKey = "{remote_id} {circuit_id}"

// ParseTemplate compiles a key template (see the package documentation).
func ParseTemplate(s string) (*Template, error) {
	t := &Template{src: s}
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '{':
			if i+1 < len(s) && s[i+1] == '{' {
				lit.WriteByte('{')
				i++
				continue
			}
			end := strings.IndexByte(s[i+1:], '}')
			if end < 0 {
				return nil, &TemplateError{Template: s, Offset: i, Detail: "unclosed '{'"}
			}
			name := s[i+1 : i+1+end]
			p, ok := partByName(name)
			if !ok {
				return nil, &TemplateError{Template: s, Offset: i + 1, Detail: "unknown part " + strconv.Quote(name) + " (want remote_id, circuit_id, switch, module, port, vlan, interface, giaddr, circuit_hex or remote_hex)"}
			}
			t.lits = append(t.lits, lit.String())
			lit.Reset()
			t.parts = append(t.parts, p)
			i += end + 1
		case '}':
			if i+1 < len(s) && s[i+1] == '}' {
				lit.WriteByte('}')
				i++
				continue
			}
			return nil, &TemplateError{Template: s, Offset: i, Detail: "unmatched '}' (write '}}' for a literal brace)"}
		default:
			lit.WriteByte(c)
		}
	}
	t.lits = append(t.lits, lit.String())
	if len(t.parts) == 0 {
		return nil, &TemplateError{Template: s, Offset: 0, Detail: "names no part"}
	}
	return t, nil
}

// MustParseTemplate is ParseTemplate for templates known at compile time.
func MustParseTemplate(s string) *Template {
	t, err := ParseTemplate(s)
	if err != nil {
		panic(err)
	}
	return t
}

// String returns the template's source text.
func (t *Template) String() string { return t.src }

// Parts returns the parts the template names, in order.
func (t *Template) Parts() []Part { return append([]Part(nil), t.parts...) }

// Append renders the key of c onto dst. ok is false (and dst unchanged) when
// no named part is present.
func (t *Template) Append(dst []byte, c *Circuit) ([]byte, bool) {
	n0 := len(dst)
	first := true
	for i, p := range t.parts {
		if !c.has(p) {
			continue
		}
		if first {
			dst = append(dst, t.lits[0]...)
			first = false
		} else {
			dst = append(dst, t.lits[i]...)
		}
		dst = c.appendPart(dst, p)
	}
	if first {
		return dst[:n0], false
	}
	return append(dst, t.lits[len(t.parts)]...), true
}

// Render returns the key of c, or "" and false when no part is present.
func (t *Template) Render(c *Circuit) (string, bool) {
	var buf [128]byte
	b, ok := t.Append(buf[:0], c)
	if !ok {
		return "", false
	}
	return string(b), true
}

func (c *Circuit) has(p Part) bool {
	switch p {
	case PartRemoteID:
		return c.RemoteID != ""
	case PartCircuitID:
		return c.CircuitID != ""
	case PartSwitch:
		return c.Switch != ""
	case PartModule:
		return c.Module != ""
	case PartPort:
		return c.Port != ""
	case PartVLAN:
		return c.VLAN != 0
	case PartInterface:
		return c.Interface != ""
	case PartGIAddr:
		return c.GIAddr.IsValid() && !c.GIAddr.IsUnspecified()
	case PartCircuitHex:
		return len(c.CircuitIDRaw) > 0
	case PartRemoteHex:
		return len(c.RemoteIDRaw) > 0
	}
	return false
}

func (c *Circuit) appendPart(dst []byte, p Part) []byte {
	switch p {
	case PartRemoteID:
		return append(dst, c.RemoteID...)
	case PartCircuitID:
		return append(dst, c.CircuitID...)
	case PartSwitch:
		return append(dst, c.Switch...)
	case PartModule:
		return append(dst, c.Module...)
	case PartPort:
		return append(dst, c.Port...)
	case PartVLAN:
		return strconv.AppendUint(dst, uint64(c.VLAN), 10)
	case PartInterface:
		return append(dst, c.Interface...)
	case PartGIAddr:
		return c.GIAddr.AppendTo(dst)
	case PartCircuitHex:
		return option82.AppendHex(dst, c.CircuitIDRaw, false)
	case PartRemoteHex:
		return option82.AppendHex(dst, c.RemoteIDRaw, false)
	}
	return dst
}
