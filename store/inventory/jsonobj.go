package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
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
	plantAt   int           // offset in raw of the plant object
	bad       [nFields]bool // fields whose value could not be decoded
}

// decode fills a (zeroed first) and reports whether its members were all
// well-typed and known. Problems are added to ps. a is the reader's one
// Access, reused for every element: a hostile array of empty objects
// allocates nothing per element.
func (o *objectDecoder) decode(a *Access) bool {
	*a = Access{}
	first, firstCount := len(o.ps.List), o.ps.Count()
	for m := (memberIter{obj: o.raw}); m.next(); {
		key, ks, v, vs := m.key, m.ks, m.v, m.vs
		fd := jsonFieldBytes(key)
		switch {
		case string(key) == "dhcpIdentifier" && o.dhcpAt != 0:
			o.repeated(string(key), ks, o.dhcpAt)
		case string(key) == "dhcpIdentifier":
			o.dhcpAt = vs
			o.dhcpIdentifier(&a.DHCPIdentifier, v, vs)
		case string(key) == "plant" && o.plantAt != 0:
			o.repeated(string(key), ks, o.plantAt)
		case string(key) == "plant":
			o.plantAt = vs
			a.Plant = o.plant(v, vs)
		case fd == fNone:
			o.unknownKey(string(key), ks, "")
		case o.at[fd] != 0:
			o.repeated(string(key), ks, o.at[fd])
		default:
			o.at[fd] = vs
			o.set(a, fd, JSON.name(fd), v, vs)
		}
	}
	id := a.AccessID
	for i := first; i < len(o.ps.List); i++ {
		if o.ps.List[i].AccessID == "" {
			o.ps.List[i].AccessID = strings.TrimSpace(id)
		}
	}
	return o.ps.Count() == firstCount
}

// validate validates a, placing each problem at its field's value.
func (o *objectDecoder) validate(a *Access) bool {
	v := validator{f: JSON, line: o.line, id: a.AccessID, ps: o.ps, obj: o}
	return v.check(a)
}

// fieldPos returns the line and column of a field's value, or of the object
// when the field is absent.
func (o *objectDecoder) fieldPos(fd field) (line, col int) {
	switch {
	case o.at[fd] != 0:
		return o.pos(o.at[fd])
	case (fd == fCircuitID || fd == fRemoteID) && o.dhcpAt != 0:
		return o.pos(o.dhcpAt)
	}
	return o.line, o.col
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
	if o.ps.full() { // counted, not placed: pos scans the object
		o.ps.add(Problem{})
		return
	}
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
	for m := (memberIter{obj: v}); m.next(); {
		ks, w, ws := vs+m.ks, m.v, vs+m.vs
		var dst *string
		var at *int
		var name string
		switch string(m.key) {
		case "ipv4CircuitId":
			dst, at, name = &d.IPv4CircuitID, &o.at[fCircuitID], JSON.name(fCircuitID)
		case "ipv4RemoteId":
			dst, at, name = &d.IPv4RemoteID, &o.at[fRemoteID], JSON.name(fRemoteID)
		case "ipv6InterfaceId", "ipv6RemoteId":
			o.problem(ks, prefix+string(m.key), "is not supported: accessd knows DHCPv4 only")
			continue
		default:
			o.unknownKey(string(m.key), ks, prefix)
			continue
		}
		if *at != 0 {
			o.repeated(name, ks, *at)
			continue
		}
		*at = ws
		o.str(dst, name, w, ws, false)
	}
}

// plant decodes and checks the plant object (see Plant); null is none.
// Problems name the key inside it, "plant.address.postalCode".
func (o *objectDecoder) plant(v []byte, vs int) *Plant {
	switch v[0] {
	case 'n':
		return nil
	case '{':
	default:
		o.problem(vs, "plant", "must be an object, not "+jsonKind(v[0]))
		return nil
	}
	p, err := DecodePlant(v)
	var pe *PlantError
	if errors.As(err, &pe) {
		at := vs
		if pe.Offset >= 0 && pe.Offset <= int64(len(v)) {
			at = vs + int(pe.Offset)
		}
		o.problem(at, plantField(pe.Field), pe.Message)
		return nil
	}
	for _, pe := range ValidatePlant(p) {
		o.problem(vs, plantField(pe.Field), pe.Message)
	}
	return p
}

func plantField(f string) string {
	if f == "" {
		return "plant"
	}
	return "plant." + f
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
	case fCPECapacity:
		o.int(&a.CPECapacityMbps, name, v, vs)
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

// memberIter walks the members of a valid JSON object.
type memberIter struct {
	obj []byte
	i   int
	// The current member: key (unescaped), key offset, value, value offset.
	key []byte
	ks  int
	v   []byte
	vs  int
}

// next moves to the next member and reports whether there is one.
func (m *memberIter) next() bool {
	if m.i == 0 {
		m.i = skipSpace(m.obj, 1)
	}
	if m.i >= len(m.obj) || m.obj[m.i] == '}' {
		return false
	}
	m.ks = m.i
	ke := endOfString(m.obj, m.i)
	m.key = m.obj[m.ks+1 : ke-1]
	if bytes.IndexByte(m.key, '\\') >= 0 {
		var k string
		_ = json.Unmarshal(m.obj[m.ks:ke], &k) // cannot fail on a valid string
		m.key = []byte(k)
	}
	m.vs = skipSpace(m.obj, skipSpace(m.obj, ke)+1) // after the ':'
	ve := endOfValue(m.obj, m.vs)
	m.v = m.obj[m.vs:ve]
	m.i = skipSpace(m.obj, ve)
	if m.i < len(m.obj) && m.obj[m.i] == ',' {
		m.i = skipSpace(m.obj, m.i+1)
	}
	return true
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
	fd := jsonFieldBytes([]byte(key))
	return fd, fd != fNone
}

// jsonFieldBytes is jsonField without allocating; fNone for an unknown key.
func jsonFieldBytes(key []byte) field {
	switch string(key) {
	case "accessId":
		return fAccessID
	case "legacyAccessId":
		return fLegacyAccessID
	case "streetName":
		return fStreetName
	case "streetNumber":
		return fStreetNumber
	case "streetLittera":
		return fStreetLittera
	case "postalCode":
		return fPostalCode
	case "city":
		return fCity
	case "countryCode":
		return fCountryCode
	case "premisesType":
		return fPremisesType
	case "mduApartmentNumber":
		return fMDUApartmentNumber
	case "mduDistinguisher":
		return fMDUDistinguisher
	case "outlet":
		return fOutlet
	case "population":
		return fPopulation
	case "activatable":
		return fActivatable
	case "sellable":
		return fSellable
	case "coFiberConverter":
		return fFiberConverter
	case "coCpeSwitch":
		return fCPESwitch
	case "coCpeRouter":
		return fCPERouter
	case "option82":
		return fOption82
	case "portSpeed":
		return fPortSpeed
	case "media":
		return fMedia
	case "iptv":
		return fIPTV
	case "rfof":
		return fRFoF
	case "priceGroup":
		return fPriceGroup
	case "accessState":
		return fAccessState
	case "nationalAddressUUID":
		return fNationalAddressUUID
	case "cpeCapacity":
		return fCPECapacity
	}
	return fNone
}

// jsonKey returns the top-level JSON key of a field, "" for the
// dhcpIdentifier sub-fields.
func jsonKey(fd field) string {
	if fd == fCircuitID || fd == fRemoteID {
		return ""
	}
	return JSON.name(fd)
}
