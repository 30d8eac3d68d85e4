package inventory

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// standardCSVFields are the 21 columns of CSV Access Upload API 1.1 in the
// order of its example.
func standardCSVFields() []field {
	return []field{
		fAccessID, fStreetName, fStreetNumber, fStreetLittera, fPostalCode, fCity, fCountryCode,
		fPremisesType, fMDUApartmentNumber, fMDUDistinguisher, fOutlet, fPopulation, fOption82,
		fFiberConverter, fCPESwitch, fCPERouter, fActivatable, fSellable, fPortSpeed, fIPTV, fRFoF,
	}
}

// extraCSVFields are the columns accessd reads beyond CSV 1.1, so that a CSV
// file can carry every field of Access: the ON-API fields and the two
// dhcpIdentifier sub-options.
func extraCSVFields() []field {
	return []field{
		fLegacyAccessID, fCircuitID, fRemoteID, fMedia, fPriceGroup, fAccessState, fNationalAddressUUID, fCPECapacity,
	}
}

// requiredCSVField reports whether a CSV file must have column fd: the
// columns CSV 1.1 marks obligatoriskt.
func requiredCSVField(fd field) bool {
	switch fd {
	case fAccessID, fStreetName, fPostalCode, fCity, fCountryCode, fPremisesType, fOption82,
		fActivatable, fSellable:
		return true
	}
	return false
}

// CSVColumns returns the 21 column names of CSV Access Upload API 1.1 in the
// order of its example.
func CSVColumns() []string { return csvNames(standardCSVFields()) }

// ExtendedCSVColumns returns CSVColumns followed by the extra columns
// accessd reads: legacyAccessId, ipv4CircuitId, ipv4RemoteId, media,
// priceGroup, accessState, nationalAddressUUID and cpeCapacity. With them a CSV file
// carries every field of Access.
func ExtendedCSVColumns() []string {
	return csvNames(append(standardCSVFields(), extraCSVFields()...))
}

func csvNames(fs []field) []string {
	names := make([]string, len(fs))
	for i, fd := range fs {
		names[i] = CSV.name(fd)
	}
	return names
}

// csvField returns the field of a CSV column name, matched without regard to
// case.
func csvField(name string) (field, bool) {
	for fd := fNone + 1; fd < nFields; fd++ {
		if strings.EqualFold(name, CSV.name(fd)) {
			return fd, true
		}
	}
	return fNone, false
}

// ReadCSV reads an inventory in the CSV Access Upload API 1.1 format from r
// and calls yield with the physical line where each record starts and the
// normalised, valid access. Columns are found by name in the header row, in
// any order and any case; see [ExtendedCSVColumns] for the columns beyond
// CSV 1.1. The input is UTF-8, with or without a byte-order mark, with CRLF
// or LF line ends and RFC 4180 quoting.
//
// When anything is wrong ReadCSV returns a *Problems with every bad row;
// the caller must then apply nothing. Bad rows are not yielded; good rows
// are, also after a bad one. A problem in the header row stops the reading
// at once. An error from yield stops it too and is returned wrapped with the
// line, unless it is a [Problem] or *Problem (or wraps one), which is
// collected with the others (its Line and AccessID set when zero) and
// reading goes on.
func ReadCSV(r io.Reader, yield func(line int, a Access) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(len(utf8BOM)); err == nil && string(b) == utf8BOM {
		_, _ = br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	var ps Problems
	cols, err := readCSVHeader(cr, &ps)
	if err != nil {
		return err
	}
	if ps.Count() > 0 {
		return &ps
	}
	seen := newSeen(CSV)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			ps.add(Problem{Line: pe.Line, Column: pe.Column, Message: csvSyntax(pe.Err)})
			continue
		}
		if err != nil {
			return fmt.Errorf("read CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(cols) {
			p := Problem{Line: line}
			if !ps.full() {
				p.Message = fmt.Sprintf("the row has %d fields, the header has %d", len(rec), len(cols))
			}
			ps.add(p)
			continue
		}
		a, ok := csvAccess(rec, cols, line, &ps)
		a = Normalize(a)
		ok = validate(&a, CSV, line, &ps) && ok
		ok = seen.check(line, &a, &ps) && ok
		if !ok {
			continue
		}
		if err := yieldAccess(yield, line, a, &ps); err != nil {
			return err
		}
	}
	return ps.err()
}

// yieldAccess calls yield and sorts its error: a Problem is collected in ps,
// anything else is returned with the line.
func yieldAccess(yield func(int, Access) error, line int, a Access, ps *Problems) error {
	err := yield(line, a)
	if err == nil {
		return nil
	}
	var p Problem
	var pp *Problem
	switch {
	case errors.As(err, &pp) && pp != nil:
		p = *pp
	case errors.As(err, &p):
	default:
		return fmt.Errorf("line %d: accessId %s: %w", line, quote(a.AccessID), err)
	}
	if p.Line == 0 {
		p.Line = line
	}
	if p.AccessID == "" {
		p.AccessID = a.AccessID
	}
	ps.add(p)
	return nil
}

// readCSVHeader reads the header row and returns the field of each column.
func readCSVHeader(cr *csv.Reader, ps *Problems) ([]field, error) {
	header, err := cr.Read()
	var pe *csv.ParseError
	switch {
	case err == io.EOF:
		ps.add(Problem{Line: 1, Message: "the file is empty: a header row naming the columns is needed"})
		return nil, nil
	case errors.As(err, &pe):
		ps.add(Problem{Line: pe.Line, Column: pe.Column, Message: "header row: " + csvSyntax(pe.Err)})
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read CSV header: %w", err)
	}
	cols := make([]field, len(header))
	where := make(map[field]int, len(header))
	for i, name := range header {
		line, col := cr.FieldPos(i)
		name = strings.TrimSpace(name)
		fd, ok := csvField(name)
		switch {
		case name == "":
			ps.add(Problem{Line: line, Column: col, Message: fmt.Sprintf("header row: column %d has no name", i+1)})
		case !ok:
			ps.add(Problem{Line: line, Column: col, Message: "header row: unknown column " + quote(name)})
		case where[fd] > 0:
			ps.add(Problem{Line: line, Column: col, Message: fmt.Sprintf("header row: column %s appears twice (columns %d and %d)",
				quote(name), where[fd], i+1)})
		default:
			where[fd] = i + 1
			cols[i] = fd
		}
	}
	line, _ := cr.FieldPos(0)
	var missing []string
	for fd := fNone + 1; fd < nFields; fd++ {
		if requiredCSVField(fd) && where[fd] == 0 {
			missing = append(missing, CSV.name(fd))
		}
	}
	if len(missing) > 0 {
		ps.add(Problem{Line: line, Message: "header row: required column missing: " + strings.Join(missing, ", ")})
	}
	return cols, nil
}

// csvSyntax describes an encoding/csv parse error.
func csvSyntax(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return `a quote (") inside a field that is not quoted: quote the whole field and double the quote`
	case errors.Is(err, csv.ErrQuote):
		return `a quoted field is not closed, or a quote is followed by text: double quotes inside a quoted field`
	}
	return err.Error()
}

// csvAccess fills an access from one record; problems of the values that
// need parsing (numbers) are added to ps.
func csvAccess(rec []string, cols []field, line int, ps *Problems) (Access, bool) {
	var a Access
	ok := true
	for i, fd := range cols {
		if msg := setCSV(&a, fd, rec[i]); msg != "" {
			id := ""
			if i := indexOf(cols, fAccessID); i >= 0 {
				id = strings.TrimSpace(rec[i])
			}
			ps.add(Problem{Line: line, AccessID: id, Field: CSV.name(fd), Message: msg})
			ok = false
		}
	}
	return a, ok
}

func indexOf(cols []field, fd field) int {
	for i, c := range cols {
		if c == fd {
			return i
		}
	}
	return -1
}

// setCSV sets field fd of a from its CSV text and returns what is wrong with
// a value that cannot be parsed, or "".
func setCSV(a *Access, fd field, s string) string {
	switch fd {
	case fAccessID:
		a.AccessID = s
	case fLegacyAccessID:
		a.LegacyAccessID = s
	case fStreetName:
		a.StreetName = s
	case fStreetNumber:
		a.StreetNumber = s
	case fStreetLittera:
		a.StreetLittera = s
	case fPostalCode:
		a.PostalCode = s
	case fCity:
		a.City = s
	case fCountryCode:
		a.CountryCode = s
	case fPremisesType:
		a.PremisesType = PremisesType(s)
		if p, ok := FromBYGGTYP(strings.TrimSpace(s)); ok {
			a.PremisesType = p
		}
	case fMDUApartmentNumber:
		a.MDUApartmentNumber = s
	case fMDUDistinguisher:
		a.MDUDistinguisher = s
	case fOutlet:
		a.Outlet = s
	case fPopulation:
		a.Population = s
	case fActivatable:
		a.Activatable = Availability(s)
	case fSellable:
		a.Sellable = Availability(s)
	case fFiberConverter:
		a.FiberConverter = s
	case fCPESwitch:
		a.CPESwitch = s
	case fCPERouter:
		a.CPERouter = s
	case fOption82:
		a.Option82 = s
	case fCircuitID:
		a.DHCPIdentifier.IPv4CircuitID = s
	case fRemoteID:
		a.DHCPIdentifier.IPv4RemoteID = s
	case fPortSpeed:
		return csvInt(&a.PortSpeedMbps, s, "a whole number of Mbit/s")
	case fMedia:
		a.Media = s
	case fIPTV:
		a.IPTV = strings.TrimSpace(s) == "YES"
	case fRFoF:
		a.RFoF = strings.TrimSpace(s) == "YES"
	case fPriceGroup:
		return csvInt(&a.PriceGroup, s, "a whole number")
	case fAccessState:
		a.AccessState = s
	case fNationalAddressUUID:
		a.NationalAddressUUID = s
	case fCPECapacity:
		return csvInt(&a.CPECapacityMbps, s, "a whole number of Mbit/s")
	}
	return ""
}

// csvInt parses an optional integer column; empty is 0.
func csvInt(dst *int, s, what string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		*dst = 0
		return ""
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return quote(s) + " is not " + what
	}
	*dst = int(n)
	return ""
}

// csvValue returns field fd of a as CSV text.
func csvValue(a *Access, fd field) string {
	switch fd {
	case fAccessID:
		return a.AccessID
	case fLegacyAccessID:
		return a.LegacyAccessID
	case fStreetName:
		return a.StreetName
	case fStreetNumber:
		return a.StreetNumber
	case fStreetLittera:
		return a.StreetLittera
	case fPostalCode:
		return a.PostalCode
	case fCity:
		return a.City
	case fCountryCode:
		return a.CountryCode
	case fPremisesType:
		return string(a.PremisesType)
	case fMDUApartmentNumber:
		return a.MDUApartmentNumber
	case fMDUDistinguisher:
		return a.MDUDistinguisher
	case fOutlet:
		return a.Outlet
	case fPopulation:
		return a.Population
	case fActivatable:
		return string(a.Activatable)
	case fSellable:
		return string(a.Sellable)
	case fFiberConverter:
		return a.FiberConverter
	case fCPESwitch:
		return a.CPESwitch
	case fCPERouter:
		return a.CPERouter
	case fOption82:
		return a.Option82
	case fCircuitID:
		return a.DHCPIdentifier.IPv4CircuitID
	case fRemoteID:
		return a.DHCPIdentifier.IPv4RemoteID
	case fPortSpeed:
		return optionalInt(a.PortSpeedMbps)
	case fMedia:
		return a.Media
	case fIPTV:
		return yesNo(a.IPTV)
	case fRFoF:
		return yesNo(a.RFoF)
	case fPriceGroup:
		return optionalInt(a.PriceGroup)
	case fAccessState:
		return a.AccessState
	case fNationalAddressUUID:
		return a.NationalAddressUUID
	case fCPECapacity:
		return optionalInt(a.CPECapacityMbps)
	}
	return ""
}

func optionalInt(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}
