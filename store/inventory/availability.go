package inventory

import (
	"fmt"
	"time"
	_ "time/tzdata" // Europe/Stockholm must load on systems without zoneinfo.
)

// Date is a calendar date without a time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// AddDays is the date n days after d.
func (d Date) AddDays(n int) Date {
	y, m, dd := time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC).Date()
	return Date{y, m, dd}
}

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// ParseDate parses a real calendar date YYYY-MM-DD (exactly that form: four,
// two and two digits).
func ParseDate(s string) (Date, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		return Date{}, false
	}
	return Date{y, time.Month(m), d}, true
}

// digits parses a non-empty string of ASCII digits.
func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysIn returns the number of days of month m in year y.
func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// epochYear is the earliest year an Availability date may name.
const epochYear = 1970

// Date returns the date of a date-valued Availability, and false for "YES",
// "NO" and anything invalid.
func (a Availability) Date() (Date, bool) {
	d, ok := ParseDate(string(a))
	if !ok || d.Year < epochYear {
		return Date{}, false
	}
	return d, true
}

// Valid reports whether a is "YES", "NO" or a real date not before
// 1970-01-01.
func (a Availability) Valid() bool {
	if a == Yes || a == No {
		return true
	}
	_, ok := a.Date()
	return ok
}

// reached reports whether a is YES or a date on or before today; valid is
// false when a is not a valid Availability.
func (a Availability) reached(today Date) (reached, valid bool) {
	switch a {
	case Yes:
		return true, true
	case No:
		return false, true
	}
	d, ok := a.Date()
	if !ok {
		return false, false
	}
	return !today.Before(d), true
}

// Calendar turns instants into local dates for the sellability table. The
// zero Calendar uses UTC; accessd uses [Stockholm].
type Calendar struct {
	loc *time.Location
}

// Stockholm returns the Calendar of Europe/Stockholm, the time zone PI V1's
// dates are meant in. The zone data is embedded, so this works on systems
// without /usr/share/zoneinfo. Load it once and pass it around.
func Stockholm() (Calendar, error) {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		return Calendar{}, fmt.Errorf("load time zone: %w", err)
	}
	return Calendar{loc: loc}, nil
}

// Location is the calendar's time zone (UTC for the zero Calendar).
func (c Calendar) Location() *time.Location {
	if c.loc == nil {
		return time.UTC
	}
	return c.loc
}

// Midnight is the instant the local date d begins.
func (c Calendar) Midnight(d Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, c.Location())
}

// NewCalendar returns the Calendar of loc.
func NewCalendar(loc *time.Location) Calendar { return Calendar{loc: loc} }

// Today returns the local date of the instant now.
func (c Calendar) Today(now time.Time) Date {
	if c.loc == nil {
		now = now.UTC()
	} else {
		now = now.In(c.loc)
	}
	y, m, d := now.Date()
	return Date{y, m, d}
}

// State says whether an access can be sold and delivered.
type State int

// The states of PI V1's "Säljbarhet och Levererbarhet" table, plus
// StateFaulty.
const (
	// StateFaulty: Sellable or Activatable is missing or invalid; the access
	// is faulty and never sellable.
	StateFaulty State = iota
	// StateNotSalesStarted, "Ej säljstartad och ej leveransklar": Sellable
	// is NO. Also the answer when Activatable is reached, which the table
	// does not list.
	StateNotSalesStarted
	// StateFutureSalesStart, "Framtida säljstart och ej leveransklar":
	// Sellable is a date after today. Also the answer when Activatable is
	// reached, which the table does not list.
	StateFutureSalesStart
	// StateSalesStarted, "Säljstartad men ej leveransklar": Sellable is YES
	// or today or earlier; Activatable is NO or after today.
	StateSalesStarted
	// StateDeliverable, "Säljstartad och leveransklar": Sellable and
	// Activatable are both YES or today or earlier.
	StateDeliverable
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case StateFaulty:
		return "faulty"
	case StateNotSalesStarted:
		return "not-sales-started"
	case StateFutureSalesStart:
		return "future-sales-start"
	case StateSalesStarted:
		return "sales-started"
	case StateDeliverable:
		return "deliverable"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Sellable reports whether services can be ordered on the access now.
func (s State) Sellable() bool { return s == StateSalesStarted || s == StateDeliverable }

// Deliverable reports whether ordered services can be delivered now.
func (s State) Deliverable() bool { return s == StateDeliverable }

// State applies PI V1's sellability/deliverability table to the given
// Sellable and Activatable values at the instant now, comparing dates as
// c's local date. See the package documentation for the combinations the
// table does not list.
func (c Calendar) State(sellable, activatable Availability, now time.Time) State {
	return StateOn(sellable, activatable, c.Today(now))
}

// StateOn is [Calendar.State] for a given local date.
func StateOn(sellable, activatable Availability, today Date) State {
	sold, ok1 := sellable.reached(today)
	active, ok2 := activatable.reached(today)
	switch {
	case !ok1 || !ok2:
		return StateFaulty
	case sold && active:
		return StateDeliverable
	case sold:
		return StateSalesStarted
	case sellable == No:
		return StateNotSalesStarted
	default:
		return StateFutureSalesStart
	}
}

// State is [Calendar.State] of the access's Sellable and Activatable.
func (a *Access) State(c Calendar, now time.Time) State {
	return c.State(a.Sellable, a.Activatable, now)
}
