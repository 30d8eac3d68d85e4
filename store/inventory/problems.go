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

// Problems is the error of a validation or of a whole inventory file: the
// first MaxProblems problems found, in input order, and how many there
// were in all.
//
// The cap is what keeps a hostile file cheap: 1.5 MB of empty objects
// ([{},{},…]) are 500,000 accesses with nine missing fields each, and
// holding a problem per field per row took 1.8 GB and answered 321 MB. A
// reader counts the problems past the cap and keeps nothing of them.
type Problems struct {
	// List holds the first MaxProblems problems.
	List []Problem
	// Total counts every problem found, listed or not (0 when a caller
	// filled List itself: Count is then len(List)).
	Total int
}

// MaxProblems caps how many problems a reader keeps and an answer lists.
const MaxProblems = 1000

// Count is the number of problems found, listed or not.
func (ps *Problems) Count() int { return max(ps.Total, len(ps.List)) }

// maxListed caps how many problems Problems.Error lists.
const maxListed = 50

// Error lists the problems one per line, at most 50 of them followed by the
// count of the rest.
func (ps *Problems) Error() string {
	n := ps.Count()
	switch {
	case n == 0 || len(ps.List) == 0:
		return "no problems"
	case n == 1:
		return ps.List[0].Error()
	}
	var b strings.Builder
	b.WriteString(strconv.Itoa(n))
	b.WriteString(" problems:")
	listed := ps.List[:min(len(ps.List), maxListed)]
	for _, p := range listed {
		b.WriteString("\n\t")
		b.WriteString(p.Error())
	}
	if rest := n - len(listed); rest > 0 {
		b.WriteString("\n\t… and ")
		b.WriteString(strconv.Itoa(rest))
		b.WriteString(" more")
	}
	return b.String()
}

// add records a problem: listed while fewer than MaxProblems are, counted
// always.
func (ps *Problems) add(p Problem) {
	ps.Total = ps.Count() + 1
	if len(ps.List) < MaxProblems {
		ps.List = append(ps.List, p)
	}
}

// full reports that no more problems are listed: a caller may skip
// building the message of one (count it with add anyway).
func (ps *Problems) full() bool { return len(ps.List) >= MaxProblems }

// err returns ps as an error, or nil when it holds no problem.
func (ps *Problems) err() error {
	if ps == nil || ps.Count() == 0 {
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
