package noc

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/dhcp/option82"
)

// maxQueryLen bounds a search value (bytes): the longest Option 82 hex
// (255 bytes of TLV, with separators) fits.
const maxQueryLen = 1024

// minAddressLen is the shortest start of an address searched for.
const minAddressLen = 2

// maxAccessIDLen is the longest AccessId (PI V1).
const maxAccessIDLen = 32

// kinds are the search kinds the form offers, in its order.
var kinds = []struct {
	Kind  Kind
	Label string
}{
	{KindAuto, "any"},
	{KindAccess, "AccessId"},
	{KindAddress, "address"},
	{KindIP, "IP"},
	{KindMAC, "MAC"},
	{KindOption82, "Option 82 hex"},
	{KindCircuit, "circuit"},
}

// parseKind reads the kind parameter.
func parseKind(s string) (Kind, error) {
	for _, k := range kinds {
		if string(k.Kind) == s {
			return k.Kind, nil
		}
	}
	return "", fmt.Errorf("parameter kind: want one of access, address, ip, mac, option82, circuit or nothing")
}

// checkText rejects what no search value can be: too long, not UTF-8 or
// with control characters. The value itself is never repeated in the
// error (it may be a customer's IP or MAC).
func checkText(s string) error {
	if len(s) > maxQueryLen {
		return fmt.Errorf("parameter q: %d bytes, at most %d", len(s), maxQueryLen)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("parameter q: not UTF-8")
	}
	for i, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("parameter q: control character at byte %d", i)
		}
	}
	return nil
}

// classify gives the kinds an untyped search value may be, most likely
// first; the page tries them in turn until one finds something.
func classify(s string) []Kind {
	if ip, err := netip.ParseAddr(s); err == nil && ip.Zone() == "" {
		return []Kind{KindIP}
	}
	bareHex := isHex(s)
	if _, err := parseMAC(s); err == nil && !bareHex {
		return []Kind{KindMAC}
	}
	var ks []Kind
	if _, err := parseOption82(s); err == nil {
		ks = append(ks, KindOption82)
	}
	if _, err := parseMAC(s); err == nil {
		ks = append(ks, KindMAC)
	}
	first, rest, multi := strings.Cut(s, " ")
	switch {
	case !multi && isAccessID(s) && len(s) >= minAddressLen:
		ks = append(ks, KindAccess, KindAddress, KindCircuit) // ALS10001, Storgatan
	case !multi && isAccessID(s):
		ks = append(ks, KindAccess, KindCircuit)
	case !multi && utf8.RuneCountInString(s) >= minAddressLen:
		ks = append(ks, KindCircuit, KindAddress) // ge-0/0/1, Östra
	case !multi:
		ks = append(ks, KindCircuit)
	case looksLikeSwitch(first) || strings.Contains(rest, "/"):
		ks = append(ks, KindCircuit, KindAddress)
	default:
		ks = append(ks, KindAddress, KindCircuit)
	}
	return ks
}

// looksLikeSwitch: an IP address or a dotted host name, as circuit keys
// start.
func looksLikeSwitch(w string) bool {
	if _, err := netip.ParseAddr(w); err == nil {
		return true
	}
	return strings.Contains(w, ".") && !strings.HasSuffix(w, ".")
}

// parseQuery makes the Source's query of a value of a known kind.
func parseQuery(k Kind, s string, limit int) (Query, error) {
	q := Query{Kind: k, Text: s, Limit: limit}
	switch k {
	case KindAccess:
		if !isAccessID(s) {
			return q, fmt.Errorf("parameter q: an AccessId is 1 to %d letters and digits", maxAccessIDLen)
		}
	case KindAddress:
		if utf8.RuneCountInString(s) < minAddressLen {
			return q, fmt.Errorf("parameter q: an address search needs at least %d characters", minAddressLen)
		}
	case KindCircuit:
		// Any text: the Source matches it against the keys.
	case KindIP:
		ip, err := netip.ParseAddr(s)
		if err != nil || ip.Zone() != "" {
			return q, fmt.Errorf("parameter q: not an IP address (want e.g. 192.0.2.10 or 2001:db8::10)")
		}
		q.IP = ip.Unmap()
	case KindMAC:
		m, err := parseMAC(s)
		if err != nil {
			return q, err
		}
		q.MAC = m
	case KindOption82:
		b, err := parseOption82(s)
		if err != nil {
			return q, err
		}
		q.Option82 = b
	default:
		return q, fmt.Errorf("parameter kind: %q is not a search kind", string(k))
	}
	return q, nil
}

// isAccessID: 1 to 32 ASCII letters and digits.
func isAccessID(s string) bool {
	if s == "" || len(s) > maxAccessIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// parseMAC reads a MAC in the forms dhcp/hwaddr accepts (aa:bb:cc:dd:ee:ff,
// aa-bb-cc-dd-ee-ff, Cisco's aabb.ccdd.eeff, bare aabbccddeeff, any case)
// and returns the lower-case colon form. Its error never repeats the
// value (hwaddr's does).
func parseMAC(s string) (string, error) {
	m, err := hwaddr.Parse(s)
	if err != nil {
		return "", errMAC
	}
	return m.String(), nil
}

var errMAC = fmt.Errorf("parameter q: not a MAC address (want aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff or aabbccddeeff)")

// parseOption82 decodes Option 82 hex as the PI-API and ON-API carry it
// ("5216010765746820302F31…", optionally with 0x and spaces, colons or
// dashes between bytes) with dhcp/option82, and checks it is one or more
// well-formed option 82 TLVs, as the DHCP path parses them. Its errors
// name offsets, never the value.
func parseOption82(s string) ([]byte, error) {
	b, err := option82.DecodeHex(s)
	if err != nil {
		return nil, fmt.Errorf("parameter q: not Option 82 hex: %w", err)
	}
	if _, err := option82.ParseTLV(b); err != nil {
		return nil, fmt.Errorf("parameter q: not Option 82: %w", err)
	}
	return b, nil
}

// parsePage reads the 1-based page parameter ("" is page 1).
func parsePage(s string) (int, error) {
	if s == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1_000_000 {
		return 0, fmt.Errorf("parameter page: want a whole number from 1 to 1000000")
	}
	return n, nil
}
