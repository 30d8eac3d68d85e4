package invpull

import (
	"encoding/json"
	"strconv"

	"github.com/stadsnat/accessd/store/inventory"
)

// valueKind is the JSON type a key takes.
type valueKind uint8

const (
	vText    valueKind = iota // a string
	vTextNum                  // a string, or a number kept as written
	vInt                      // a whole number
	vBool
	vDHCP     // {"ipv4CircuitId": …, "ipv4RemoteId": …}
	vServices // PI-API's [{"service": …, "connection": …}]
)

// jsonKey is one key of an access object of a JSON pull.
type jsonKey struct {
	name string
	kind valueKind
	// carried: the formats whose accesses/ object has the key. A carried
	// key that is absent means "empty"; a key the format does not carry
	// keeps the stored access's value unless the object gives it (accessd's
	// own JSON form, which a central system may send).
	carried [nFormats]bool
	set     func(a *inventory.Access, s string, n int, b bool)
}

// The JSON formats, as indexes of jsonKey.carried.
const (
	fmtPIAPI = iota
	fmtONAPI
	nFormats
)

var (
	both  = [nFormats]bool{true, true}
	piapi = [nFormats]bool{fmtPIAPI: true}
	onapi = [nFormats]bool{fmtONAPI: true}
	none  = [nFormats]bool{}
)

// jsonKeys are the keys of PI-API 2.3 feasibility and ON-API 2.6 accesses
// objects, and the rest of accessd's JSON access form.
var jsonKeys = []jsonKey{
	{"accessId", vText, both, func(a *inventory.Access, s string, _ int, _ bool) { a.AccessID = s }},
	{"legacyAccessId", vText, onapi, func(a *inventory.Access, s string, _ int, _ bool) { a.LegacyAccessID = s }},
	{"streetName", vText, both, func(a *inventory.Access, s string, _ int, _ bool) { a.StreetName = s }},
	{"streetNumber", vTextNum, both, func(a *inventory.Access, s string, _ int, _ bool) { a.StreetNumber = s }},
	{"streetLittera", vText, both, func(a *inventory.Access, s string, _ int, _ bool) { a.StreetLittera = s }},
	{"postalCode", vTextNum, both, func(a *inventory.Access, s string, _ int, _ bool) { a.PostalCode = s }},
	{"city", vText, both, func(a *inventory.Access, s string, _ int, _ bool) { a.City = s }},
	{"countryCode", vText, both, func(a *inventory.Access, s string, _ int, _ bool) { a.CountryCode = s }},
	{"premisesType", vText, both, func(a *inventory.Access, s string, _ int, _ bool) { a.PremisesType = inventory.PremisesType(s) }},
	{"mduApartmentNumber", vTextNum, both, func(a *inventory.Access, s string, _ int, _ bool) { a.MDUApartmentNumber = s }},
	{"mduDistinguisher", vText, both, func(a *inventory.Access, s string, _ int, _ bool) { a.MDUDistinguisher = s }},
	{"outlet", vText, both, func(a *inventory.Access, s string, _ int, _ bool) { a.Outlet = s }},
	{"population", vText, both, func(a *inventory.Access, s string, _ int, _ bool) { a.Population = s }},
	{"services", vServices, piapi, nil},
	{"coFiberConverter", vText, piapi, func(a *inventory.Access, s string, _ int, _ bool) { a.FiberConverter = s }},
	{"coCpeSwitch", vText, piapi, func(a *inventory.Access, s string, _ int, _ bool) { a.CPESwitch = s }},
	{"coCpeRouter", vText, piapi, func(a *inventory.Access, s string, _ int, _ bool) { a.CPERouter = s }},
	{"priceGroup", vInt, onapi, func(a *inventory.Access, _ string, n int, _ bool) { a.PriceGroup = n }},
	{"accessState", vText, onapi, func(a *inventory.Access, s string, _ int, _ bool) { a.AccessState = s }},
	{"nationalAddressUUID", vText, onapi, func(a *inventory.Access, s string, _ int, _ bool) { a.NationalAddressUUID = s }},
	// accessd's own keys: carried by neither standard.
	{"activatable", vText, none, func(a *inventory.Access, s string, _ int, _ bool) { a.Activatable = inventory.Availability(s) }},
	{"sellable", vText, none, func(a *inventory.Access, s string, _ int, _ bool) { a.Sellable = inventory.Availability(s) }},
	{"option82", vText, none, func(a *inventory.Access, s string, _ int, _ bool) { a.Option82 = s }},
	{"dhcpIdentifier", vDHCP, none, nil},
	{"portSpeed", vInt, none, func(a *inventory.Access, _ string, n int, _ bool) { a.PortSpeedMbps = n }},
	{"media", vText, none, func(a *inventory.Access, s string, _ int, _ bool) { a.Media = s }},
	{"iptv", vBool, none, func(a *inventory.Access, _ string, _ int, b bool) { a.IPTV = b }},
	{"rfof", vBool, none, func(a *inventory.Access, _ string, _ int, b bool) { a.RFoF = b }},
}

// keyIndex finds a key of jsonKeys by exact name.
var keyIndex = func() map[string]int {
	m := make(map[string]int, len(jsonKeys))
	for i, k := range jsonKeys {
		m[k.name] = i
	}
	return m
}()

// clear empties a key's field.
func (k jsonKey) clear(a *inventory.Access) {
	switch k.kind {
	case vDHCP:
		a.DHCPIdentifier = inventory.DHCPIdentifier{}
	case vServices:
	default:
		k.set(a, "", 0, false)
	}
}

// decodeScalar decodes a scalar value of kind; msg says what is wrong.
func decodeScalar(kind valueKind, raw json.RawMessage) (s string, n int, b bool, msg string) {
	if string(raw) == "null" {
		return "", 0, false, "null is not a valid value"
	}
	switch kind {
	case vText, vTextNum:
		if err := json.Unmarshal(raw, &s); err == nil {
			return s, 0, false, ""
		}
		if kind == vTextNum && len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
			return string(raw), 0, false, ""
		}
		if kind == vTextNum {
			return "", 0, false, "is neither a string nor a number"
		}
		return "", 0, false, "is not a string"
	case vInt:
		v, err := strconv.Atoi(string(raw))
		if err != nil {
			return "", 0, false, "is not a whole number"
		}
		return "", v, false, ""
	case vBool:
		if err := json.Unmarshal(raw, &b); err != nil {
			return "", 0, false, "is not true or false"
		}
		return "", 0, b, ""
	}
	return "", 0, false, "unexpected kind"
}
