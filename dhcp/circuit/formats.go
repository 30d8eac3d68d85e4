package circuit

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/dhcp/option82"
)

// decode fills a Circuit from opts according to the profile's format.
func (p *compiled) decode(giaddr netip.Addr, opts []option82.Option) (Circuit, error) {
	c := Circuit{Profile: p.Name, GIAddr: giaddr}
	var err error
	c.Raw, c.CircuitIDRaw, c.RemoteIDRaw, err = rawTLVs(opts)
	if err != nil {
		return Circuit{}, &DecodeError{Profile: p.Name, Offset: -1, Reason: ErrFormat, Detail: err.Error()}
	}
	cid, rid := c.CircuitIDRaw, c.RemoteIDRaw
	if len(cid) == 0 && len(rid) == 0 {
		return Circuit{}, &DecodeError{Profile: p.Name, Offset: -1, Reason: ErrNoIdentity}
	}
	if len(cid) > 0 {
		if err := p.circuitID(&c, cid); err != nil {
			return Circuit{}, err
		}
	}
	if len(rid) > 0 {
		p.remoteID(&c, rid)
	}
	if c.Switch == "" {
		c.Switch = c.RemoteID
	}
	return c, nil
}

// rawTLVs encodes every instance as TLVs into one new buffer (an RFC 3396
// long instance becomes several 255-byte TLVs) and appends copies of the
// first non-empty circuit-id and remote-id after it, so the whole circuit costs one
// allocation.
func rawTLVs(opts []option82.Option) (raw, cid, rid []byte, err error) {
	c, _ := option82.FirstNonEmpty(opts, option82.CircuitID)
	r, _ := option82.FirstNonEmpty(opts, option82.RemoteID)
	n := len(c) + len(r)
	for _, o := range opts {
		l := o.Len()
		n += l + 2*(l/255+1)
	}
	buf := make([]byte, 0, n)
	for _, o := range opts {
		l := o.Len()
		if l <= 255 {
			buf = append(buf, option82.TLVCode, byte(l))
			if buf, err = o.Append(buf); err != nil {
				return nil, nil, nil, err
			}
			continue
		}
		value, err := o.Append(nil)
		if err != nil {
			return nil, nil, nil, err
		}
		for len(value) > 0 {
			k := min(255, len(value))
			buf = append(buf, option82.TLVCode, byte(k))
			buf = append(buf, value[:k]...)
			value = value[k:]
		}
	}
	end := len(buf)
	buf = append(buf, c...)
	buf = append(buf, r...)
	return buf[:end:end], buf[end : end+len(c) : end+len(c)], buf[end+len(c):], nil
}

func (p *compiled) circuitID(c *Circuit, cid []byte) error {
	switch p.Format {
	case FormatText:
		s, err := p.text("circuit-id", cid)
		if err != nil {
			return err
		}
		c.CircuitID = s
	case FormatHex:
		c.CircuitID = string(option82.AppendHex(nil, cid, false))
	case FormatCisco, FormatDLink:
		return p.ciscoCircuit(c, cid)
	case FormatHuawei:
		return p.huaweiCircuit(c, cid)
	case FormatZyxel:
		return p.zyxelCircuit(c, cid)
	case FormatTR101:
		s, err := p.text("circuit-id", cid)
		if err != nil {
			return err
		}
		c.CircuitID = s
		return p.tr101(c, s)
	case FormatJuniper:
		s, err := p.text("circuit-id", cid)
		if err != nil {
			return err
		}
		c.CircuitID = s
		return p.juniper(c, s)
	}
	return nil
}

func (p *compiled) remoteID(c *Circuit, rid []byte) {
	switch p.Format {
	case FormatHex:
		c.RemoteID = string(option82.AppendHex(nil, rid, false))
		return
	case FormatCisco, FormatDLink, FormatHuawei:
		// "00 06 MAC" or "01 LEN text"; anything else falls through.
		if len(rid) == 8 && rid[0] == 0 && rid[1] == 6 {
			c.RemoteID = macString(rid[2:])
			return
		}
		if len(rid) >= 3 && rid[0] == 1 && int(rid[1]) == len(rid)-2 && option82.IsPrintable(rid[2:]) {
			c.RemoteID = string(rid[2:])
			return
		}
	}
	c.RemoteID = genericRemote(rid)
}

// genericRemote renders printable text as itself, 6 other bytes as a MAC and
// anything else as lower-case hex.
func genericRemote(rid []byte) string {
	t := trimNUL(rid)
	if len(t) > 0 && option82.IsPrintable(t) {
		return string(t)
	}
	if len(rid) == 6 {
		return macString(rid)
	}
	return string(option82.AppendHex(nil, rid, false))
}

func macString(b []byte) string {
	m, _ := hwaddr.FromBytes(b)
	return m.String()
}

func trimNUL(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

func (p *compiled) text(field string, b []byte) (string, error) {
	t := trimNUL(b)
	for i, ch := range t {
		if ch < 0x20 || ch > 0x7e {
			return "", &DecodeError{Profile: p.Name, Field: field, Offset: i, Reason: ErrNotText,
				Detail: "byte 0x" + strconv.FormatUint(uint64(ch), 16)}
		}
	}
	if len(t) == 0 {
		return "", &DecodeError{Profile: p.Name, Field: field, Offset: 0, Reason: ErrNotText, Detail: "empty"}
	}
	return string(t), nil
}

func (p *compiled) formatErr(field string, off int, detail string) error {
	return &DecodeError{Profile: p.Name, Field: field, Offset: off, Reason: ErrFormat, Detail: string(p.Format) + ": " + detail}
}

func (p *compiled) port(field string, off, v int) (string, error) {
	v += p.PortOffset
	if v < 0 {
		return "", p.formatErr(field, off, "port "+strconv.Itoa(v-p.PortOffset)+" with offset "+strconv.Itoa(p.PortOffset)+" is negative")
	}
	return strconv.Itoa(v), nil
}

// ciscoCircuit: "00 04 VLAN(2) module(1) port(1)" or "01 LEN text".
func (p *compiled) ciscoCircuit(c *Circuit, cid []byte) error {
	c.CircuitID = string(option82.AppendHex(nil, cid, false))
	if len(cid) < 2 {
		return p.formatErr("circuit-id", 0, "want a type and a length byte")
	}
	switch cid[0] {
	case 0:
		if cid[1] != 4 || len(cid) != 6 {
			return p.formatErr("circuit-id", 1, "type 0 wants length 4 and 6 bytes in all, got length "+strconv.Itoa(int(cid[1]))+" in "+strconv.Itoa(len(cid))+" bytes")
		}
		c.VLAN = uint16(cid[2])<<8 | uint16(cid[3])
		c.Module = strconv.Itoa(int(cid[4]))
		var err error
		c.Port, err = p.port("circuit-id", 5, int(cid[5]))
		return err
	case 1:
		if int(cid[1]) != len(cid)-2 {
			return p.formatErr("circuit-id", 1, "type 1 length "+strconv.Itoa(int(cid[1]))+" but "+strconv.Itoa(len(cid)-2)+" bytes follow")
		}
		s, err := p.text("circuit-id", cid[2:])
		if err != nil {
			return err
		}
		c.CircuitID = s
		return nil
	}
	return p.formatErr("circuit-id", 0, "unknown circuit-id type "+strconv.Itoa(int(cid[0])))
}

// huaweiCircuit: type 0, length 4, S-VLAN(2), slot(5 bits)|subslot(3 bits), port(1).
func (p *compiled) huaweiCircuit(c *Circuit, cid []byte) error {
	c.CircuitID = string(option82.AppendHex(nil, cid, false))
	if len(cid) != 6 || cid[0] != 0 || cid[1] != 4 {
		return p.formatErr("circuit-id", 0, "want 00 04 VLAN(2) slot/subslot(1) port(1), 6 bytes")
	}
	c.VLAN = uint16(cid[2])<<8 | uint16(cid[3])
	c.Module = strconv.Itoa(int(cid[4]>>3)) + "/" + strconv.Itoa(int(cid[4]&7))
	var err error
	c.Port, err = p.port("circuit-id", 5, int(cid[5]))
	return err
}

// zyxelCircuit: slot(1) port(1) VLAN(2) [system name].
func (p *compiled) zyxelCircuit(c *Circuit, cid []byte) error {
	c.CircuitID = string(option82.AppendHex(nil, cid, false))
	if len(cid) < 4 {
		return p.formatErr("circuit-id", 0, "want slot(1) port(1) VLAN(2) [system name], got "+strconv.Itoa(len(cid))+" bytes")
	}
	c.Module = strconv.Itoa(int(cid[0]))
	var err error
	if c.Port, err = p.port("circuit-id", 1, int(cid[1])); err != nil {
		return err
	}
	c.VLAN = uint16(cid[2])<<8 | uint16(cid[3])
	if name := trimNUL(cid[4:]); len(name) > 0 {
		s, err := p.text("circuit-id", name)
		if err != nil {
			var de *DecodeError
			if asDecodeError(err, &de) {
				de.Offset += 4
			}
			return err
		}
		c.Switch = s
	}
	return nil
}

func asDecodeError(err error, de **DecodeError) bool {
	d, ok := err.(*DecodeError)
	if ok {
		*de = d
	}
	return ok
}

// tr101: "<access-node> eth <path>[:<vlan>[.<inner>]]" or "<access-node> atm <path>:<vpi>.<vci>".
func (p *compiled) tr101(c *Circuit, s string) error {
	kind := "eth"
	i := strings.LastIndex(s, " eth ")
	if j := strings.LastIndex(s, " atm "); j > i {
		i, kind = j, "atm"
	}
	if i <= 0 {
		return p.formatErr("circuit-id", 0, "want \"<access-node> eth|atm <slot>/<port>...\"")
	}
	node := s[:i]
	rest := s[i+5:]
	if sp := strings.IndexByte(rest, ' '); sp >= 0 {
		rest = rest[:sp]
	}
	path, after, hasColon := strings.Cut(rest, ":")
	module, port, err := p.path(path, i+5)
	if err != nil {
		return err
	}
	if kind == "atm" {
		vpi, vci, ok := strings.Cut(after, ".")
		if !hasColon || !ok || !isDigits(vpi) || !isDigits(vci) {
			return p.formatErr("circuit-id", i+5+len(path), "atm wants :<vpi>.<vci>")
		}
	} else if hasColon {
		outer, _, _ := strings.Cut(after, ".")
		v, ok := vlanNumber(outer)
		if !ok {
			return p.formatErr("circuit-id", i+5+len(path)+1, "VLAN "+strconv.Quote(outer)+" is not 1-4094")
		}
		c.VLAN = v
	}
	c.Switch = node
	c.Module = module
	c.Port = port
	c.Interface = kind + " " + path
	return nil
}

// path splits "a/b/.../port" into module "a/b/..." and port (with offset).
func (p *compiled) path(path string, off int) (module, port string, err error) {
	k := strings.LastIndexByte(path, '/')
	if k <= 0 || k == len(path)-1 {
		return "", "", p.formatErr("circuit-id", off, "want <slot>/<port>, got "+strconv.Quote(path))
	}
	for _, part := range strings.Split(path, "/") {
		if !isDigits(part) {
			return "", "", p.formatErr("circuit-id", off, "path element "+strconv.Quote(part)+" is not a number")
		}
	}
	n, err := strconv.Atoi(path[k+1:])
	if err != nil {
		return "", "", p.formatErr("circuit-id", off+k+1, "port is not a number")
	}
	port, err = p.port("circuit-id", off+k+1, n)
	return path[:k], port, err
}

// juniper: "<media>-<fpc>/<pic>/<port>[.<unit>][:<vlan>]".
func (p *compiled) juniper(c *Circuit, s string) error {
	iface, vlan, hasColon := strings.Cut(s, ":")
	if u := strings.IndexByte(iface, '.'); u >= 0 {
		if !isDigits(iface[u+1:]) {
			return p.formatErr("circuit-id", u+1, "unit "+strconv.Quote(iface[u+1:])+" is not a number")
		}
		iface = iface[:u]
	}
	dash := strings.IndexByte(iface, '-')
	if dash <= 0 || !isLetters(iface[:dash]) {
		return p.formatErr("circuit-id", 0, "want <media>-<fpc>/<pic>/<port>, e.g. ge-0/0/10")
	}
	path := iface[dash+1:]
	if strings.Count(path, "/") != 2 {
		return p.formatErr("circuit-id", dash+1, "want <fpc>/<pic>/<port>, got "+strconv.Quote(path))
	}
	module, port, err := p.path(path, dash+1)
	if err != nil {
		return err
	}
	if hasColon && isDigits(vlan) {
		v, ok := vlanNumber(vlan)
		if !ok {
			return p.formatErr("circuit-id", len(s)-len(vlan), "VLAN "+vlan+" is not 1-4094")
		}
		c.VLAN = v
	}
	c.Module, c.Port, c.Interface = module, port, iface
	return nil
}

func vlanNumber(s string) (uint16, bool) {
	if !isDigits(s) || len(s) > 4 {
		return 0, false
	}
	v, _ := strconv.Atoi(s)
	if v < 1 || v > 4094 {
		return 0, false
	}
	return uint16(v), true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < 'a' || s[i] > 'z') && (s[i] < 'A' || s[i] > 'Z') {
			return false
		}
	}
	return s != ""
}
