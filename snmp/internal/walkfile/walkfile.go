// Package walkfile reads the text that net-snmp's snmpwalk, snmpbulkwalk
// and snmpget print with -On (numeric OIDs) into varbinds, so recorded
// walks in testdata/ can feed the decoders and the fake agent.
//
// Recording (see testdata/README.md):
//
//	snmpbulkwalk -v2c -c public -On 127.0.0.1:16161 .1.3.6.1.2.1.2.2.1.8 >> x.walk
//
// Lines starting with '#' and blank lines are comments.
package walkfile

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/stadsnat/accessd/snmp/ifmib"
)

// maxLine bounds one logical line (a quoted string may span lines).
const maxLine = 64 << 10

// Parse reads every varbind of r. An error names the line.
func Parse(r io.Reader) ([]ifmib.Varbind, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLine)
	var out []ifmib.Varbind
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if t := strings.TrimSpace(line); t == "" || t[0] == '#' {
			continue
		}
		start := n
		// A quoted string value may continue over following lines.
		for openQuote(line) {
			if !sc.Scan() {
				return nil, fmt.Errorf("line %d: unterminated quoted string", start)
			}
			n++
			line += "\n" + strings.TrimRight(sc.Text(), "\r")
			if len(line) > maxLine {
				return nil, fmt.Errorf("line %d: value longer than %d bytes", start, maxLine)
			}
		}
		vb, err := ParseLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", start, err)
		}
		out = append(out, vb)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", n+1, err)
	}
	return out, nil
}

// openQuote reports whether the value part of line opens a quoted string
// that it does not close.
func openQuote(line string) bool {
	_, val, ok := strings.Cut(line, " = ")
	if !ok {
		return false
	}
	if typ, rest, ok := strings.Cut(val, ": "); ok && !strings.HasPrefix(val, `"`) {
		if typ != "STRING" {
			return false
		}
		val = rest
	}
	if !strings.HasPrefix(val, `"`) {
		return false
	}
	_, closed := unquote(val)
	return !closed
}

// unquote decodes a net-snmp quoted string (escapes \" and \\) and reports
// whether the closing quote was found at the end.
func unquote(s string) (string, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == '"':
			return b.String(), i == len(s)-1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), false
}

// ParseLine parses one "OID = TYPE: value" line.
func ParseLine(line string) (ifmib.Varbind, error) {
	oid, val, ok := strings.Cut(line, " = ")
	if !ok {
		return ifmib.Varbind{}, fmt.Errorf("no \" = \" in %q", clip(line))
	}
	oid = strings.TrimSpace(oid)
	if err := checkOID(oid); err != nil {
		return ifmib.Varbind{}, err
	}
	vb := ifmib.Varbind{OID: oid}
	if done, err := parseUntyped(&vb, val); done {
		return vb, err
	}
	typ, rest, ok := strings.Cut(val, ": ")
	if !ok {
		if typ, ok = strings.CutSuffix(val, ":"); !ok {
			return vb, fmt.Errorf("%s: no type in %q", oid, clip(val))
		}
	}
	if err := parseTyped(&vb, typ, rest); err != nil {
		return vb, err
	}
	return vb, nil
}

// parseUntyped reads the values net-snmp prints without a "TYPE: "
// prefix: the exceptions, NULL and an unlabelled quoted string. done is
// false when val has a type to read.
func parseUntyped(vb *ifmib.Varbind, val string) (done bool, err error) {
	switch {
	case strings.HasPrefix(val, "No Such Object"):
		vb.Type = ifmib.TypeNoSuchObject
	case strings.HasPrefix(val, "No Such Instance"):
		vb.Type = ifmib.TypeNoSuchInstance
	case strings.HasPrefix(val, "No more variables"):
		vb.Type = ifmib.TypeEndOfMibView
	case val == "NULL":
		vb.Type = ifmib.TypeNull
	case strings.HasPrefix(val, `"`): // an empty or unlabelled string
		s, closed := unquote(val)
		if !closed {
			return true, fmt.Errorf("%s: unterminated quoted string", vb.OID)
		}
		vb.Type, vb.Bytes = ifmib.TypeOctetString, []byte(s)
	default:
		return false, nil
	}
	return true, nil
}

// unsignedTypes are net-snmp's names of the unsigned integer types.
var unsignedTypes = map[string]ifmib.Type{"Gauge32": ifmib.TypeGauge32, "Counter32": ifmib.TypeCounter32,
	"Counter64": ifmib.TypeCounter64, "UInteger32": ifmib.TypeGauge32, "Unsigned32": ifmib.TypeGauge32}

// parseTyped reads the value rest of net-snmp's type typ into vb.
func parseTyped(vb *ifmib.Varbind, typ, rest string) error {
	var err error
	switch typ {
	case "STRING":
		vb.Type = ifmib.TypeOctetString
		if strings.HasPrefix(rest, `"`) {
			s, closed := unquote(rest)
			if !closed {
				return fmt.Errorf("%s: unterminated quoted string", vb.OID)
			}
			vb.Bytes = []byte(s)
		} else {
			vb.Bytes = []byte(rest)
		}
	case "Hex-STRING":
		vb.Type = ifmib.TypeOctetString
		vb.Bytes, err = hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(rest), " ", ""))
	case "INTEGER":
		vb.Type = ifmib.TypeInteger
		// with MIBs loaded net-snmp prints enums as name(n)
		if i := strings.LastIndexByte(rest, '('); i >= 0 && strings.HasSuffix(rest, ")") {
			rest = rest[i+1 : len(rest)-1]
		}
		vb.Int, err = strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
	case "Gauge32", "Counter32", "Counter64", "UInteger32", "Unsigned32":
		vb.Type = unsignedTypes[typ]
		vb.Uint, err = strconv.ParseUint(strings.TrimSpace(rest), 10, 64)
	case "Timeticks":
		vb.Type = ifmib.TypeTimeTicks
		// "(2380) 0:00:23.80"
		op, cl := strings.IndexByte(rest, '('), strings.IndexByte(rest, ')')
		if op != 0 || cl < 1 {
			return fmt.Errorf("%s: bad Timeticks %q", vb.OID, clip(rest))
		}
		vb.Uint, err = strconv.ParseUint(rest[1:cl], 10, 32)
	case "OID":
		vb.Type = ifmib.TypeObjectIdentifier
		vb.Bytes = []byte(strings.TrimSpace(rest))
	case "IpAddress":
		vb.Type = ifmib.TypeIPAddress
		vb.Bytes = []byte(strings.TrimSpace(rest))
	default:
		return fmt.Errorf("%s: unknown type %q", vb.OID, clip(typ))
	}
	if err != nil {
		return fmt.Errorf("%s: bad %s value: %w", vb.OID, typ, err)
	}
	return nil
}

func checkOID(oid string) error {
	if len(oid) < 2 || oid[0] != '.' {
		return fmt.Errorf("OID %q is not numeric with a leading dot (record with -On)", clip(oid))
	}
	for _, part := range strings.Split(oid[1:], ".") {
		if _, err := strconv.ParseUint(part, 10, 32); err != nil {
			return fmt.Errorf("OID %q: bad sub-identifier %q", clip(oid), clip(part))
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
