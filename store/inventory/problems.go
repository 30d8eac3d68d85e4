package inventory

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Problem is one thing wrong with one access or one place of an inventory
// file.
type Problem struct {
	// Line is the 1-based physical line where the record starts (CSV, JSON
	// validation problems) or where the fault is (JSON syntax, JSON keys);
	// 0 when there is no file.
	Line int
	// Column is the 1-based byte column on Line when the fault is pinned to
	// a place (CSV syntax, JSON syntax and keys); 0 otherwise.
	Column int
	// AccessID is the record's accessId as read, when it has one.
	AccessID string
	// Field is the field as the input spells it (CSV column name, JSON key,
	// "dhcpIdentifier.ipv4CircuitId"); empty for the whole record or file.
	Field string
	// Message says what is wrong, quoting the offending value.
	Message string
}

// Error renders the problem as
// `line 7: accessId "A1": postalCode: "1234" is not five digits`.
func (p Problem) Error() string {
	var b strings.Builder
	if p.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(p.Line))
		if p.Column > 0 {
			b.WriteString(", column ")
			b.WriteString(strconv.Itoa(p.Column))
		}
		b.WriteString(": ")
	}
	if p.AccessID != "" && p.Field != "accessId" {
		b.WriteString("accessId ")
		b.WriteString(quote(p.AccessID))
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is the error of a validation or of a whole inventory file: every
// problem found, in input order.
type Problems struct {
	List []Problem
}

// maxListed caps how many problems Problems.Error lists.
const maxListed = 50

// Error lists the problems one per line, at most 50 of them followed by the
// count of the rest.
func (ps *Problems) Error() string {
	switch len(ps.List) {
	case 0:
		return "no problems"
	case 1:
		return ps.List[0].Error()
	}
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(ps.List)))
	b.WriteString(" problems:")
	for i, p := range ps.List {
		if i == maxListed {
			b.WriteString("\n\t… and ")
			b.WriteString(strconv.Itoa(len(ps.List) - maxListed))
			b.WriteString(" more")
			break
		}
		b.WriteString("\n\t")
		b.WriteString(p.Error())
	}
	return b.String()
}

// add appends a problem.
func (ps *Problems) add(p Problem) { ps.List = append(ps.List, p) }

// err returns ps as an error, or nil when it holds no problem.
func (ps *Problems) err() error {
	if ps == nil || len(ps.List) == 0 {
		return nil
	}
	return ps
}

// maxQuoted caps how many characters of a value a message quotes.
const maxQuoted = 40

// quote quotes a value for a message, shortened to maxQuoted characters.
func quote(s string) string {
	if utf8.RuneCountInString(s) > maxQuoted {
		n := 0
		for i := range s {
			if n == maxQuoted {
				s = s[:i]
				break
			}
			n++
		}
		return strconv.Quote(s) + "…"
	}
	return strconv.Quote(s)
}
