package inventory

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// objectDecoder decodes one access object whose bytes encoding/json has
// already checked to be valid JSON. It walks the object's members itself so
// that every problem can name the line and column of its key or value, and
// so that repeated keys are found (encoding/json keeps the last silently).
type objectDecoder struct {
	raw       []byte
	line, col int // position of raw[0] in the file
	ps        *Problems
	at        [nFields]int  // offset in raw of each field's value; 0 when absent
	dhcpAt    int           // offset in raw of the dhcpIdentifier object
	bad       [nFields]bool // fields whose value could not be decoded
}

// decode returns the access and whether its members were all well-typed and
// known. Problems are added to ps.
func (o *objectDecoder) decode() (Access, bool) {
	var a Access
	first := len(o.ps.List)
	o.members(o.raw, func(key string, ks int, v []byte, vs int) {
		fd, ok := jsonField(key)
		switch {
		case key == "dhcpIdentifier" && o.dhcpAt != 0:
			o.repeated(key, ks, o.dhcpAt)
		case key == "dhcpIdentifier":
			o.dhcpAt = vs
			o.dhcpIdentifier(&a.DHCPIdentifier, v, vs)
		case !ok:
			o.unknownKey(key, ks, "")
		case o.at[fd] != 0:
			o.repeated(key, ks, o.at[fd])
		default:
			o.at[fd] = vs
			o.set(&a, fd, JSON.name(fd), v, vs)
		}
	})
	id := a.AccessID
	for i := first; i < len(o.ps.List); i++ {
		if o.ps.List[i].AccessID == "" {
			o.ps.List[i].AccessID = strings.TrimSpace(id)
		}
	}
	return a, len(o.ps.List) == first
}

// validate validates a, placing each problem at its field's value.
func (o *objectDecoder) validate(a *Access) bool {
	v := validator{f: JSON, line: o.line, id: a.AccessID, ps: o.ps, pos: func(fd field) (int, int) {
		switch {
		case o.at[fd] != 0:
			return o.pos(o.at[fd])
		case (fd == fCircuitID || fd == fRemoteID) && o.dhcpAt != 0:
			return o.pos(o.dhcpAt)
		}
		return o.line, o.col
	}, reported: func(fd field) bool { return o.bad[fd] }}
	return v.check(a)
}

// pos returns the file line and column of offset off in raw.
func (o *objectDecoder) pos(off int) (line, col int) {
	nl := bytes.Count(o.raw[:off], []byte{'\n'})
	if nl == 0 {
		return o.line, o.col + off
	}
	return o.line + nl, off - bytes.LastIndexByte(o.raw[:off], '\n')
}

// valueProblem adds a problem with a value that could not be decoded, so
// that validation does not also call the field missing.
func (o *objectDecoder) valueProblem(off int, fieldName, msg string) {
	switch fieldName {
	case "dhcpIdentifier.ipv4CircuitId":
		o.bad[fCircuitID] = true
	case "dhcpIdentifier.ipv4RemoteId":
		o.bad[fRemoteID] = true
	default:
		if fd, ok := jsonField(fieldName); ok {
			o.bad[fd] = true
		}
	}
	o.problem(off, fieldName, msg)
}

func (o *objectDecoder) problem(off int, fieldName, msg string) {
	line, col := o.pos(off)
	o.ps.add(Problem{Line: line, Column: col, Field: fieldName, Message: msg})
}

func (o *objectDecoder) unknownKey(key string, ks int, prefix string) {
	msg := "unknown key"
	if prefix == "" {
		for fd := fNone; fd < nFields; fd++ {
			name := jsonKey(fd)
			if fd == fNone {
				name = "dhcpIdentifier"
			}
			if name != "" && strings.EqualFold(key, name) {
				msg += " (did you mean " + strconv.Quote(name) + "?)"
			}
		}
	}
	o.problem(ks, prefix+key, msg)
}

func (o *objectDecoder) repeated(key string, ks, firstValue int) {
	line, col := o.pos(firstValue)
	o.problem(ks, key, "key appears twice in the object (its first value is at line "+
		strconv.Itoa(line)+", column "+strconv.Itoa(col)+")")
}

// dhcpIdentifier decodes the dhcpIdentifier object.
func (o *objectDecoder) dhcpIdentifier(d *DHCPIdentifier, v []byte, vs int) {
	const prefix = "dhcpIdentifier."
	switch v[0] {
	case 'n':
		return
	case '{':
	default:
		o.problem(vs, "dhcpIdentifier", "must be an object, not "+jsonKind(v[0]))
		return
	}
	o.members(v, func(key string, ks int, w []byte, ws int) {
		ks, ws = vs+ks, vs+ws
		var dst *string
		var at *int
		switch key {
		case "ipv4CircuitId":
			dst, at = &d.IPv4CircuitID, &o.at[fCircuitID]
		case "ipv4RemoteId":
			dst, at = &d.IPv4RemoteID, &o.at[fRemoteID]
		case "ipv6InterfaceId", "ipv6RemoteId":
			o.problem(ks, prefix+key, "is not supported: accessd knows DHCPv4 only")
			return
		default:
			o.unknownKey(key, ks, prefix)
			return
		}
		if *at != 0 {
			o.repeated(prefix+key, ks, *at)
			return
		}
		*at = ws
		o.str(dst, prefix+key, w, ws, false)
	})
}

// set decodes the value v of field fd.
func (o *objectDecoder) set(a *Access, fd field, name string, v []byte, vs int) {
	switch fd {
	case fAccessID:
		o.str(&a.AccessID, name, v, vs, false)
	case fLegacyAccessID:
		o.str(&a.LegacyAccessID, name, v, vs, false)
	case fStreetName:
		o.str(&a.StreetName, name, v, vs, false)
	case fStreetNumber:
		o.str(&a.StreetNumber, name, v, vs, true)
	case fStreetLittera:
		o.str(&a.StreetLittera, name, v, vs, false)
	case fPostalCode:
		o.str(&a.PostalCode, name, v, vs, true)
	case fCity:
		o.str(&a.City, name, v, vs, false)
	case fCountryCode:
		o.str(&a.CountryCode, name, v, vs, false)
	case fPremisesType:
		o.str((*string)(&a.PremisesType), name, v, vs, false)
	case fMDUApartmentNumber:
		o.str(&a.MDUApartmentNumber, name, v, vs, true)
	case fMDUDistinguisher:
		o.str(&a.MDUDistinguisher, name, v, vs, false)
	case fOutlet:
		o.str(&a.Outlet, name, v, vs, false)
	case fPopulation:
		o.str(&a.Population, name, v, vs, false)
	case fActivatable:
		o.str((*string)(&a.Activatable), name, v, vs, false)
	case fSellable:
		o.str((*string)(&a.Sellable), name, v, vs, false)
	case fFiberConverter:
		o.str(&a.FiberConverter, name, v, vs, false)
	case fCPESwitch:
		o.str(&a.CPESwitch, name, v, vs, false)
	case fCPERouter:
		o.str(&a.CPERouter, name, v, vs, false)
	case fOption82:
		o.str(&a.Option82, name, v, vs, false)
	case fPortSpeed:
		o.int(&a.PortSpeedMbps, name, v, vs)
	case fMedia:
		o.str(&a.Media, name, v, vs, false)
	case fIPTV:
		o.bool(&a.IPTV, name, v, vs)
	case fRFoF:
		o.bool(&a.RFoF, name, v, vs)
	case fPriceGroup:
		o.int(&a.PriceGroup, name, v, vs)
	case fAccessState:
		o.str(&a.AccessState, name, v, vs, false)
	case fNationalAddressUUID:
		o.str(&a.NationalAddressUUID, name, v, vs, false)
	}
}

// str decodes a string value; null leaves dst empty. numberOK accepts a
// JSON number too, kept as written (ON-API calls mduApartmentNumber a
// number; PI V1 calls streetNumber and postalCode integers).
func (o *objectDecoder) str(dst *string, name string, v []byte, vs int, numberOK bool) {
	switch c := v[0]; {
	case c == 'n':
		return
	case c == '"':
	case numberOK && (c == '-' || c >= '0' && c <= '9'):
		*dst = string(v)
		return
	default:
		o.valueProblem(vs, name, "must be a string, not "+jsonKind(c))
		return
	}
	if !utf8.Valid(v) {
		o.valueProblem(vs, name, "is not valid UTF-8")
		return
	}
	if bytes.IndexByte(v, '\\') < 0 {
		*dst = string(v[1 : len(v)-1])
		return
	}
	if err := json.Unmarshal(v, dst); err != nil { // cannot fail on a valid string
		o.valueProblem(vs, name, "invalid string: "+err.Error())
	}
}

// int decodes a whole number; null is 0.
func (o *objectDecoder) int(dst *int, name string, v []byte, vs int) {
	switch c := v[0]; {
	case c == 'n':
		return
	case c == '-' || c >= '0' && c <= '9':
		n, err := strconv.ParseInt(string(v), 10, 32)
		if err != nil {
			o.valueProblem(vs, name, quote(string(v))+" is not a whole number")
			return
		}
		*dst = int(n)
	default:
		o.valueProblem(vs, name, "must be a number, not "+jsonKind(c))
	}
}

// bool decodes true or false; null is false.
func (o *objectDecoder) bool(dst *bool, name string, v []byte, vs int) {
	switch v[0] {
	case 'n':
	case 't':
		*dst = true
	case 'f':
		*dst = false
	default:
		o.valueProblem(vs, name, "must be true or false, not "+jsonKind(v[0]))
	}
}

// members calls fn for each member of the valid JSON object obj with the
// key, the key's offset, the value's bytes and the value's offset.
func (o *objectDecoder) members(obj []byte, fn func(key string, ks int, v []byte, vs int)) {
	i := skipSpace(obj, 1)
	for i < len(obj) && obj[i] != '}' {
		ks := i
		ke := endOfString(obj, i)
		key := string(obj[ks+1 : ke-1])
		if bytes.IndexByte(obj[ks:ke], '\\') >= 0 {
			_ = json.Unmarshal(obj[ks:ke], &key) // cannot fail on a valid string
		}
		i = skipSpace(obj, ke) + 1 // the ':'
		vs := skipSpace(obj, i)
		ve := endOfValue(obj, vs)
		fn(key, ks, obj[vs:ve], vs)
		i = skipSpace(obj, ve)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// endOfString returns the offset after the string starting at b[i].
func endOfString(b []byte, i int) int {
	for i++; i < len(b) && b[i] != '"'; i++ {
		if b[i] == '\\' {
			i++
		}
	}
	return i + 1
}

// endOfValue returns the offset after the value starting at b[i].
func endOfValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return endOfString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = endOfString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[i])) {
		i++
	}
	return i
}

// jsonField returns the field of a top-level JSON key other than
// "dhcpIdentifier".
func jsonField(key string) (field, bool) {
	for fd := fNone + 1; fd < nFields; fd++ {
		if jsonKey(fd) == key {
			return fd, true
		}
	}
	return fNone, false
}

// jsonKey returns the top-level JSON key of a field, "" for the
// dhcpIdentifier sub-fields.
func jsonKey(fd field) string {
	if fd == fCircuitID || fd == fRemoteID {
		return ""
	}
	return JSON.name(fd)
}
