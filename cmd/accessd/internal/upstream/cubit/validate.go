package cubit

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stadsnat/accessd/store/inventory"
)

// The checks that give warnings, as the check label of the warnings
// counter names them.
const (
	CheckFodselsnummer       = "fodselsnummer"
	CheckOrganisasjonsnummer = "organisasjonsnummer"
	CheckGSRN                = "gsrn"
)

// Warning is a check digit that does not hold. It is sent anyway unless
// the rules are strict. Message quotes no personal data.
type Warning struct {
	Field   string // the JSON key, e.g. "Number", "customerId", "meteringPointId"
	Check   string // CheckFodselsnummer, CheckOrganisasjonsnummer or CheckGSRN
	Message string
}

func (w Warning) String() string { return w.Field + ": " + w.Message }

// Problem is one thing that keeps an object from being sent. Values of
// personal fields (numbers, names, addresses, e-mail, phone, birth date) are
// never quoted.
type Problem struct {
	Field   string // JSON path, e.g. "Address.PostalCode", "connectionPoint.transformer.name"
	Message string
}

func (p Problem) String() string { return p.Field + ": " + p.Message }

// ValidationError lists every problem of a customer or plant that was
// refused before sending. It is permanent: the same object can never be
// delivered.
type ValidationError struct {
	Kind     Kind
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cubit %s refused before sending: ", e.Kind)
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Permanent is true: see the package documentation.
func (e *ValidationError) Permanent() bool { return true }

// Auth is false.
func (e *ValidationError) Auth() bool { return false }

// Rules check the shape of customers and plants before they are sent.
type Rules struct {
	// Strict refuses an object whose check digits do not hold instead of
	// sending it with a warning.
	Strict bool
	// NumberFormat, when set, is the format agreed with Cubit for Number
	// and customerId (matched against the whole value) instead of 11 or 9
	// digits; check digits are then not computed for them.
	NumberFormat *regexp.Regexp
}

// NewRules builds rules; numberFormat is an RE2 expression or "".
func NewRules(strict bool, numberFormat string) (Rules, error) {
	r := Rules{Strict: strict}
	if numberFormat != "" {
		re, err := regexp.Compile(`^(?:` + numberFormat + `)$`)
		if err != nil {
			return Rules{}, fmt.Errorf("number format: %w", err)
		}
		r.NumberFormat = re
	}
	return r, nil
}

// checker collects the problems and warnings of one object.
type checker struct {
	r        Rules
	problems []Problem
	warnings []Warning
}

func (c *checker) problem(field, format string, args ...any) {
	c.problems = append(c.problems, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) warn(field, check, msg string) {
	c.warnings = append(c.warnings, Warning{Field: field, Check: check, Message: msg})
}

// result turns what was found into the return values of Check*.
func (c *checker) result(kind Kind) ([]Warning, error) {
	if c.r.Strict {
		for _, w := range c.warnings {
			c.problem(w.Field, "%s (strict: true refuses it)", w.Message)
		}
	}
	if len(c.problems) > 0 {
		return c.warnings, &ValidationError{Kind: kind, Problems: c.problems}
	}
	return c.warnings, nil
}

// CheckCustomer checks a customer's shape. It returns the check-digit
// warnings and, when anything keeps it from being sent, a
// *ValidationError.
func (r Rules) CheckCustomer(cu Customer) ([]Warning, error) {
	c := &checker{r: r}
	c.number("Number", cu.Number, true)
	c.text("FirstName", cu.FirstName, false)
	c.text("LastName", cu.LastName, false)
	if a := cu.Address; a != nil {
		c.customerAddress(a)
	}
	if s := cu.Email; s != "" && !validEmail(s) {
		c.problem("Email", "is not an e-mail address")
	}
	if s := cu.Phone; s != "" && !validPhone(s) {
		c.problem("Phone", "is not a phone number (digits, an optional leading +, spaces)")
	}
	c.date("BirthDate", cu.BirthDate, true)
	switch s := cu.OrganizationNumber; {
	case s == "":
	case !allDigits(s, 9):
		c.problem("OrganizationNumber", "is not 9 digits")
	case !ValidOrganisasjonsnummer(s):
		c.warn("OrganizationNumber", CheckOrganisasjonsnummer, "the mod-11 check digit of the organisation number does not hold")
	}
	return c.result(KindCustomer)
}

func (c *checker) customerAddress(a *CustomerAddress) {
	c.text("Address.AddressText", a.AddressText, true)
	foreign := a.Country != "" && !strings.EqualFold(a.Country, "NO")
	switch {
	case a.Country != "" && !inventory.IsCountryCode(a.Country):
		c.problem("Address.Country", "%q is not an ISO 3166-1 alpha-2 country code", a.Country)
	case foreign && a.ForeignCity == "":
		c.problem("Address.ForeignCity", "is required for a foreign address (Country %q)", a.Country)
	case !foreign && a.ForeignCity != "":
		c.problem("Address.Country", "is required, and not NO, when ForeignCity is given")
	}
	c.text("Address.ForeignCity", a.ForeignCity, false)
	if foreign {
		c.text("Address.PostalCode", a.PostalCode, false)
	} else {
		c.postalCode("Address.PostalCode", a.PostalCode)
	}
}

// number checks a customer key (Number, customerId).
func (c *checker) number(field, s string, required bool) {
	switch {
	case s == "":
		if required {
			c.problem(field, "is required")
		}
	case c.r.NumberFormat != nil:
		if !c.r.NumberFormat.MatchString(s) {
			c.problem(field, "does not have the number format agreed with Cubit")
		}
	case allDigits(s, 11):
		if !ValidFodselsnummer(s) {
			c.warn(field, CheckFodselsnummer, "the mod-11 check digits of the personal number (fødselsnummer) do not hold")
		}
	case allDigits(s, 9):
		if !ValidOrganisasjonsnummer(s) {
			c.warn(field, CheckOrganisasjonsnummer, "the mod-11 check digit of the organisation number does not hold")
		}
	default:
		c.problem(field, "is neither 11 digits (a personal number) nor 9 digits (an organisation number)")
	}
}

// maxText bounds a text field, in characters.
const maxText = 1000

// text checks a text field: valid UTF-8, no control characters (a line
// feed only where multiline), at most maxText characters. No message quotes
// the value: most text fields are personal.
func (c *checker) text(field, s string, multiline bool) {
	if !utf8.ValidString(s) {
		c.problem(field, "is not valid UTF-8")
		return
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && r == '\n') {
			c.problem(field, "contains the control character %U", r)
			return
		}
	}
	if n := utf8.RuneCountInString(s); n > maxText {
		c.problem(field, "is %d characters long, at most %d are allowed", n, maxText)
	}
}

// date checks an optional ISO date YYYY-MM-DD.
func (c *checker) date(field, s string, personal bool) {
	if s == "" {
		return
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil || len(s) != len(time.DateOnly) {
		if personal {
			c.problem(field, "is not a date YYYY-MM-DD")
		} else {
			c.problem(field, "%q is not a date YYYY-MM-DD", s)
		}
	}
}

// postalCode checks an optional Norwegian postal code: four digits, as a
// string.
func (c *checker) postalCode(field, s string) {
	if s != "" && !allDigits(s, 4) {
		c.problem(field, "%q is not a Norwegian postal code of four digits", s)
	}
}

func (c *checker) nonNegative(field string, n int) {
	if n < 0 {
		c.problem(field, "%d is negative", n)
	}
}

// location checks a WGS84 position.
func (c *checker) location(field string, l *Location) {
	if l == nil {
		return
	}
	if math.IsNaN(l.Latitude) || l.Latitude < -90 || l.Latitude > 90 {
		c.problem(field+".latitude", "%s is outside WGS84's -90 to 90 degrees", strconv.FormatFloat(l.Latitude, 'g', -1, 64))
	}
	if math.IsNaN(l.Longitude) || l.Longitude < -180 || l.Longitude > 180 {
		c.problem(field+".longitude", "%s is outside WGS84's -180 to 180 degrees", strconv.FormatFloat(l.Longitude, 'g', -1, 64))
	}
}

func validEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') || len(s) > 254 {
		return false
	}
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func validPhone(s string) bool {
	s = strings.TrimPrefix(strings.ReplaceAll(s, " ", ""), "+")
	return len(s) >= 5 && len(s) <= 15 && allDigits(s, len(s))
}
