package inventory

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Format is an inventory file format. It also selects the format-specific
// validation rules and the spelling of field names in problems.
type Format string

// The inventory formats.
const (
	// CSV is "CSV Access Upload API 1.1", with the extra columns of
	// [ExtendedCSVColumns].
	CSV Format = "csv"
	// JSON is one ON-API / PI-API 2.3 access object, or an array of them,
	// extended with option82 and dhcpIdentifier: the JSON form of [Access].
	JSON Format = "json"
)

// ParseFormat parses the value of a --format flag: "csv" or "json", in any
// case.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case CSV, JSON:
		return f, nil
	}
	return "", fmt.Errorf("unknown inventory format %q: want csv or json", s)
}

// FormatFromName returns the format a file name's extension (.csv or .json,
// in any case) names, and false for any other name.
func FormatFromName(name string) (Format, bool) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return CSV, true
	case ".json":
		return JSON, true
	}
	return "", false
}

// SniffFormat guesses the format from the first bytes of a file: JSON when
// the first byte that is not a byte-order mark or white space is '{' or '[',
// CSV otherwise.
func SniffFormat(head []byte) Format {
	head = bytes.TrimPrefix(head, []byte(utf8BOM))
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) > 0 && (head[0] == '{' || head[0] == '[') {
		return JSON
	}
	return CSV
}

// DetectFormat returns the format of the file called name whose content r
// will read: by extension when it is .csv or .json, else by sniffing the
// first non-space byte, which it peeks from r without consuming anything.
// It looks no further than r's buffer (r.Size() bytes); input that is all
// white space that far counts as CSV.
func DetectFormat(name string, r *bufio.Reader) (Format, error) {
	if f, ok := FormatFromName(name); ok {
		return f, nil
	}
	for n := 64; ; n *= 2 {
		head, err := r.Peek(n)
		trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, []byte(utf8BOM)), " \t\r\n")
		if len(trimmed) > 0 || err != nil || n >= r.Size() {
			if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
				return "", fmt.Errorf("detect format of %s: %w", name, err)
			}
			return SniffFormat(head), nil
		}
	}
}

// Read reads an inventory file in format f; see [ReadCSV] and [ReadJSON].
func Read(f Format, r io.Reader, yield func(line int, a Access) error) error {
	switch f {
	case CSV:
		return ReadCSV(r, yield)
	case JSON:
		return ReadJSON(r, yield)
	}
	return fmt.Errorf("read inventory: unknown format %q", f)
}

// utf8BOM is the UTF-8 byte-order mark.
const utf8BOM = "\xef\xbb\xbf"

// field identifies a field of Access for the format-specific spelling of its
// name in problems.
type field uint8

const (
	fNone field = iota // the whole record
	fAccessID
	fLegacyAccessID
	fStreetName
	fStreetNumber
	fStreetLittera
	fPostalCode
	fCity
	fCountryCode
	fPremisesType
	fMDUApartmentNumber
	fMDUDistinguisher
	fOutlet
	fPopulation
	fActivatable
	fSellable
	fFiberConverter
	fCPESwitch
	fCPERouter
	fOption82
	fCircuitID
	fRemoteID
	fPortSpeed
	fMedia
	fIPTV
	fRFoF
	fPriceGroup
	fAccessState
	fNationalAddressUUID
	fCPECapacity
	nFields
)

// name returns the field's name as format f spells it: the CSV column name or
// the JSON key (a dotted path for nested keys).
func (f Format) name(fd field) string {
	if f == CSV {
		switch fd {
		case fOutlet:
			return "outletId"
		case fActivatable:
			return "activationDate"
		case fSellable:
			return "salesStartDate"
		case fCircuitID:
			return "ipv4CircuitId"
		case fRemoteID:
			return "ipv4RemoteId"
		}
	}
	switch fd {
	case fAccessID:
		return "accessId"
	case fLegacyAccessID:
		return "legacyAccessId"
	case fStreetName:
		return "streetName"
	case fStreetNumber:
		return "streetNumber"
	case fStreetLittera:
		return "streetLittera"
	case fPostalCode:
		return "postalCode"
	case fCity:
		return "city"
	case fCountryCode:
		return "countryCode"
	case fPremisesType:
		return "premisesType"
	case fMDUApartmentNumber:
		return "mduApartmentNumber"
	case fMDUDistinguisher:
		return "mduDistinguisher"
	case fOutlet:
		return "outlet"
	case fPopulation:
		return "population"
	case fActivatable:
		return "activatable"
	case fSellable:
		return "sellable"
	case fFiberConverter:
		return "coFiberConverter"
	case fCPESwitch:
		return "coCpeSwitch"
	case fCPERouter:
		return "coCpeRouter"
	case fOption82:
		return "option82"
	case fCircuitID:
		return "dhcpIdentifier.ipv4CircuitId"
	case fRemoteID:
		return "dhcpIdentifier.ipv4RemoteId"
	case fPortSpeed:
		return "portSpeed"
	case fMedia:
		return "media"
	case fIPTV:
		return "iptv"
	case fRFoF:
		return "rfof"
	case fPriceGroup:
		return "priceGroup"
	case fAccessState:
		return "accessState"
	case fNationalAddressUUID:
		return "nationalAddressUUID"
	case fCPECapacity:
		return "cpeCapacity"
	}
	return ""
}
