package inventory

import "strings"

// Normalize returns a with its fields in canonical form, so that equal
// accesses compare equal and Validate judges what was meant:
//   - white space is trimmed from both ends of every text field;
//   - a postal code written "123 45" becomes "12345";
//   - the ASCII letters of countryCode, premisesType and accessState are
//     upper-cased;
//   - Activatable and Sellable "yes"/"no" in any case become "YES"/"NO".
//
// Normalize changes nothing else; in particular it never makes an invalid
// value valid by guessing. It is idempotent.
func Normalize(a Access) Access {
	a.AccessID = strings.TrimSpace(a.AccessID)
	a.LegacyAccessID = strings.TrimSpace(a.LegacyAccessID)
	a.StreetName = strings.TrimSpace(a.StreetName)
	a.StreetNumber = strings.TrimSpace(a.StreetNumber)
	a.StreetLittera = strings.TrimSpace(a.StreetLittera)
	a.PostalCode = normalizePostalCode(strings.TrimSpace(a.PostalCode))
	a.City = strings.TrimSpace(a.City)
	a.CountryCode = upper(strings.TrimSpace(a.CountryCode))
	a.PremisesType = PremisesType(upper(strings.TrimSpace(string(a.PremisesType))))
	a.MDUApartmentNumber = strings.TrimSpace(a.MDUApartmentNumber)
	a.MDUDistinguisher = strings.TrimSpace(a.MDUDistinguisher)
	a.Outlet = strings.TrimSpace(a.Outlet)
	a.Population = strings.TrimSpace(a.Population)
	a.Activatable = normalizeAvailability(a.Activatable)
	a.Sellable = normalizeAvailability(a.Sellable)
	a.FiberConverter = strings.TrimSpace(a.FiberConverter)
	a.CPESwitch = strings.TrimSpace(a.CPESwitch)
	a.CPERouter = strings.TrimSpace(a.CPERouter)
	a.Option82 = strings.TrimSpace(a.Option82)
	a.DHCPIdentifier.IPv4CircuitID = strings.TrimSpace(a.DHCPIdentifier.IPv4CircuitID)
	a.DHCPIdentifier.IPv4RemoteID = strings.TrimSpace(a.DHCPIdentifier.IPv4RemoteID)
	a.Media = strings.TrimSpace(a.Media)
	a.AccessState = upper(strings.TrimSpace(a.AccessState))
	a.NationalAddressUUID = strings.TrimSpace(a.NationalAddressUUID)
	return a
}

// normalizePostalCode turns "123 45" into "12345" and leaves anything else.
func normalizePostalCode(s string) string {
	if len(s) == 6 && s[3] == ' ' {
		if _, ok := digits(s[:3]); ok {
			if _, ok := digits(s[4:]); ok {
				return s[:3] + s[4:]
			}
		}
	}
	return s
}

// normalizeAvailability trims a and upper-cases yes and no.
func normalizeAvailability(a Availability) Availability {
	s := strings.TrimSpace(string(a))
	switch {
	case strings.EqualFold(s, string(Yes)):
		return Yes
	case strings.EqualFold(s, string(No)):
		return No
	}
	return Availability(s)
}

// upper upper-cases the ASCII letters of s (the values it is used on are
// ASCII when valid), without allocating when there are none.
func upper(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'a' && c <= 'z' {
					b[j] = c - 'a' + 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
