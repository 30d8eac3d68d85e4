package inventory

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Limits of the field formats.
const (
	maxAccessIDLen = 32  // PI V1 AccessId
	maxLegacyIDLen = 36  // ON-API ID
	maxTextLen     = 255 // ON-API text, in characters
)

// Validate checks a against every rule of PI V1's field table and the
// format's own rules (see the package documentation) and returns a
// *Problems naming every field that breaks one, or nil. Field names are
// spelled as format f spells them; the problems carry no line. Call
// Normalize first: Validate judges the value as it is.
func Validate(a Access, f Format) error {
	ps := &Problems{}
	v := validator{f: f, id: a.AccessID, ps: ps}
	if v.check(&a) {
		return nil
	}
	return ps
}

// validator collects the problems of one access.
type validator struct {
	f    Format
	line int
	id   string
	ps   *Problems // problems found, added to
	bad  bool
	// obj, when set, is the JSON object the access was decoded from: it
	// places each problem at its field's value and knows which values
	// could not be decoded (and have a problem already).
	obj *objectDecoder
}

func (v *validator) report(fd field, msg string) {
	v.bad = true
	p := Problem{Line: v.line, AccessID: v.id, Field: v.f.name(fd), Message: msg}
	if v.obj != nil {
		if v.obj.bad[fd] {
			return
		}
		if !v.ps.full() {
			p.Line, p.Column = v.obj.fieldPos(fd)
		}
	}
	v.ps.add(p)
}

// validate adds a's problems to ps and reports whether there were none.
func validate(a *Access, f Format, line int, ps *Problems) (ok bool) {
	v := validator{f: f, line: line, id: a.AccessID, ps: ps}
	return v.check(a)
}

// check appends a's problems to v.ps, field by field in the order of
// the formats, and reports whether there were none.
func (v *validator) check(a *Access) bool {
	v.checkIDs(a)
	v.checkAddress(a)
	v.checkPremises(a)
	v.checkService(a)
	return !v.bad
}

// checkIDs checks accessId and legacyAccessId.
func (v *validator) checkIDs(a *Access) {
	switch {
	case a.AccessID == "":
		v.report(fAccessID, "is required")
	case len(a.AccessID) > maxAccessIDLen:
		v.report(fAccessID, quote(a.AccessID)+" is "+strconv.Itoa(len(a.AccessID))+
			" characters long, at most 32 are allowed")
	default:
		if i := firstNotAlnum(a.AccessID, false); i >= 0 {
			r, _ := utf8.DecodeRuneInString(a.AccessID[i:])
			v.report(fAccessID, quote(a.AccessID)+" contains "+strconv.QuoteRune(r)+
				": only a-z, A-Z and 0-9 are allowed")
		}
	}
	if s := a.LegacyAccessID; s != "" && (len(s) > maxLegacyIDLen || firstNotAlnum(s, true) >= 0) {
		v.report(fLegacyAccessID, quote(s)+" is not an ON-API ID: 1 to 36 of a-z, A-Z, 0-9, '-' and '.'")
	}
}

// checkAddress checks the street address, postal code, city and country.
func (v *validator) checkAddress(a *Access) {
	v.text(fStreetName, a.StreetName, true)
	if s := a.StreetNumber; s != "" {
		if n, ok := digits(s); !ok || len(s) > 5 || n > 65535 {
			v.report(fStreetNumber, quote(s)+" is not a whole number from 0 to 65535")
		}
	}
	v.text(fStreetLittera, a.StreetLittera, false)
	switch s := a.PostalCode; {
	case s == "":
		v.report(fPostalCode, "is required")
	case len(s) != 5 || !isDigits(s):
		v.report(fPostalCode, quote(s)+" is not five digits")
	case s[0] == '0':
		// PI-API 2.3 feasibility.md and CSV 1.1: "Min 10000"; ON-API
		// dataformats.md: ^[1-9][0-9]{4}$. PI V1's 00000 would be
		// exported where those forbid it.
		v.report(fPostalCode, quote(s)+" is below 10000, which PI-API and ON-API do not allow")
	}
	v.text(fCity, a.City, true)
	switch s := a.CountryCode; {
	case s == "":
		v.report(fCountryCode, "is required")
	case !IsCountryCode(s):
		v.report(fCountryCode, quote(s)+" is not an ISO 3166-1 alpha-2 country code")
	}
}

// checkPremises checks the premises type and what tells apart the
// apartments and outlets of one address.
func (v *validator) checkPremises(a *Access) {
	f := v.f
	switch p := a.PremisesType; {
	case p == "":
		v.report(fPremisesType, "is required")
	case !p.Valid():
		msg := quote(string(p)) + " is not " + premisesTypeList
		if f == CSV {
			msg += " (nor a BYGGTYP code of the CSV 1.1 table)"
		}
		v.report(fPremisesType, msg)
	}
	if s := a.MDUApartmentNumber; s != "" && (len(s) != 4 || !isDigits(s)) {
		v.report(fMDUApartmentNumber, quote(s)+" is not four digits")
	}
	v.text(fMDUDistinguisher, a.MDUDistinguisher, false)
	v.text(fOutlet, a.Outlet, false)
	if a.PremisesType.needsApartment() && a.MDUApartmentNumber == "" && a.MDUDistinguisher == "" {
		p := string(a.PremisesType)
		if f == CSV || a.PremisesType != MDUApartment {
			if a.Outlet == "" {
				v.report(fMDUApartmentNumber, "premisesType "+p+" needs "+f.name(fMDUApartmentNumber)+", "+
					f.name(fMDUDistinguisher)+" or "+f.name(fOutlet))
			}
		} else {
			v.report(fMDUApartmentNumber, "premisesType "+p+" needs mduApartmentNumber or mduDistinguisher")
		}
	}
	v.text(fPopulation, a.Population, false)
}

// checkService checks availability, equipment, the DHCP identity and
// the remaining service fields.
func (v *validator) checkService(a *Access) {
	f := v.f
	v.availability(fActivatable, a.Activatable)
	v.availability(fSellable, a.Sellable)

	v.text(fFiberConverter, a.FiberConverter, false)
	v.text(fCPESwitch, a.CPESwitch, false)
	v.text(fCPERouter, a.CPERouter, false)
	if a.CPESwitch != "" && a.CPERouter != "" {
		v.report(fCPERouter, "only one of "+f.name(fCPESwitch)+" and "+f.name(fCPERouter)+" may be set")
	}

	v.text(fOption82, a.Option82, true)
	v.text(fCircuitID, a.DHCPIdentifier.IPv4CircuitID, false)
	v.text(fRemoteID, a.DHCPIdentifier.IPv4RemoteID, false)

	if a.PortSpeedMbps < 0 {
		v.report(fPortSpeed, strconv.Itoa(a.PortSpeedMbps)+" is negative")
	}
	v.text(fMedia, a.Media, false)
	if a.CPECapacityMbps < 0 {
		v.report(fCPECapacity, strconv.Itoa(a.CPECapacityMbps)+" is negative")
	}
	if a.PriceGroup < 0 {
		v.report(fPriceGroup, strconv.Itoa(a.PriceGroup)+" is negative")
	}
	if s := a.AccessState; s != "" && !validAccessState(s) {
		v.report(fAccessState, quote(s)+" is not "+accessStateList)
	}
	if s := a.NationalAddressUUID; s != "" && !isUUID(s) {
		v.report(fNationalAddressUUID, quote(s)+" is not a UUID like 1ce88c93-b310-11eb-bdc2-000c29f11131")
	}
}

// text checks a text field: present when required, valid UTF-8, no control
// characters, at most maxTextLen characters.
func (v *validator) text(fd field, s string, required bool) {
	if s == "" {
		if required {
			v.report(fd, "is required")
		}
		return
	}
	if msg := checkText(s); msg != "" {
		v.report(fd, msg)
	}
}

// checkText returns what is wrong with a text value, or "".
func checkText(s string) string {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return "contains the control character " + strconv.QuoteRune(rune(c))
			}
			i++
			n++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return "is not valid UTF-8 (at byte " + strconv.Itoa(i+1) + " of the value)"
		case unicode.IsControl(r), r == 0xfffe, r == 0xffff:
			return "contains the control character " + strconv.QuoteRune(r)
		}
		i += size
		n++
	}
	if n > maxTextLen {
		return "is " + strconv.Itoa(n) + " characters long, at most 255 are allowed"
	}
	return ""
}

// availability checks a required Activatable or Sellable value.
func (v *validator) availability(fd field, a Availability) {
	switch {
	case a == "":
		v.report(fd, "is required")
	case a == Yes, a == No:
	default:
		d, ok := ParseDate(string(a))
		switch {
		case !ok:
			v.report(fd, quote(string(a))+" is not YES, NO or a date YYYY-MM-DD")
		case d.Year < epochYear:
			v.report(fd, quote(string(a))+" is before 1970-01-01")
		}
	}
}

// firstNotAlnum returns the index of the first byte of s that is not an
// ASCII letter or digit (or '-' or '.' when dashDot), or -1.
func firstNotAlnum(s string, dashDot bool) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || dashDot && (c == '-' || c == '.') {
			continue
		}
		return i
	}
	return -1
}

// isDigits reports whether s is non-empty and all ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// isUUID reports whether s has the 8-4-4-4-12 hex form of a UUID.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
