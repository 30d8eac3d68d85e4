package inventory_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/store/inventory"
)

func stockholm(t testing.TB) inventory.Calendar {
	t.Helper()
	c, err := inventory.Stockholm()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseDate(t *testing.T) {
	good := map[string]inventory.Date{
		"1970-01-01": {Year: 1970, Month: time.January, Day: 1},
		"2024-02-29": {Year: 2024, Month: time.February, Day: 29},
		"2000-02-29": {Year: 2000, Month: time.February, Day: 29},
		"2012-07-01": {Year: 2012, Month: time.July, Day: 1},
		"9999-12-31": {Year: 9999, Month: time.December, Day: 31},
		"0001-01-01": {Year: 1, Month: time.January, Day: 1},
	}
	for s, want := range good {
		got, ok := inventory.ParseDate(s)
		if !ok || got != want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v, true", s, got, ok, want)
		}
		if got.String() != s {
			t.Errorf("Date.String() = %q, want %q", got.String(), s)
		}
	}
	for _, s := range []string{"", "2023-02-29", "1900-02-29", "2024-00-10", "2024-13-01", "2024-01-00", "2024-01-32",
		"2024-04-31", "2024-06-31", "2024-09-31", "2024-11-31", "24-01-01", "2024-1-01", "2024/01/01", "2024-01-01 ",
		"+024-01-01", "2024-01-1x", "2024-01-01T00:00:00Z", "YES"} {
		if got, ok := inventory.ParseDate(s); ok {
			t.Errorf("ParseDate(%q) = %v, true; want false", s, got)
		}
	}
}

// FuzzParseDate: a date of the API or a file is accepted only as the
// exact spelling of a real calendar date.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"1970-01-01", "2024-02-29", "9999-12-31", "0000-01-01", "2023-02-29", "2024-13-01", "2024-1-01",
		"+024-01-01", "2024-01-01T00:00:00Z", "YES", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := inventory.ParseDate(s)
		if !ok {
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDate(%q) = %v, which spells %q", s, d, d.String())
		}
		if y, m, day := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Date(); y != d.Year || m != d.Month || day != d.Day {
			t.Fatalf("ParseDate(%q) accepted a date the calendar does not have", s)
		}
	})
}

func TestAvailabilityValid(t *testing.T) {
	for _, a := range []inventory.Availability{"YES", "NO", "1970-01-01", "2038-01-19", "9999-12-31"} {
		if !a.Valid() {
			t.Errorf("%q.Valid() = false", a)
		}
	}
	for _, a := range []inventory.Availability{"", "yes", "no", "1969-12-31", "2023-02-29", "MAYBE", " YES"} {
		if a.Valid() {
			t.Errorf("%q.Valid() = true", a)
		}
	}
}

// TestStateTable checks every combination of value kinds against the table of
// PI V1 "Säljbarhet och Levererbarhet" (and the documented answers for the
// rows it does not list) on a fixed day.
func TestStateTable(t *testing.T) {
	today := inventory.Date{Year: 2024, Month: time.May, Day: 15}
	const (
		past   = "2024-05-14"
		same   = "2024-05-15"
		future = "2024-05-16"
	)
	kinds := []inventory.Availability{"YES", "NO", past, same, future, "", "2024-02-30", "1969-12-31", "maybe"}
	want := func(s, a inventory.Availability) inventory.State {
		valid := func(v inventory.Availability) bool {
			return v == "YES" || v == "NO" || v == past || v == same || v == future
		}
		reached := func(v inventory.Availability) bool { return v == "YES" || v == past || v == same }
		switch {
		case !valid(s) || !valid(a):
			return inventory.StateFaulty
		// Säljstartad och leveransklar.
		case reached(s) && reached(a):
			return inventory.StateDeliverable
		// Säljstartad men ej leveransklar.
		case reached(s):
			return inventory.StateSalesStarted
		// Ej säljstartad och ej leveransklar (and the unlisted NO + reached).
		case s == "NO":
			return inventory.StateNotSalesStarted
		// Framtida säljstart och ej leveransklar (and the unlisted future + reached).
		default:
			return inventory.StateFutureSalesStart
		}
	}
	type row struct{ Sellable, Activatable inventory.Availability }
	wantAll, gotAll := map[row]string{}, map[row]string{}
	for _, s := range kinds {
		for _, a := range kinds {
			wantAll[row{s, a}] = want(s, a).String()
			gotAll[row{s, a}] = inventory.StateOn(s, a, today).String()
		}
	}
	if diff := cmp.Diff(wantAll, gotAll); diff != "" {
		t.Errorf("StateOn (-want +got):\n%s", diff)
	}

	// The four rows of the seed's table, spelled out.
	for _, tc := range []struct {
		sellable, activatable inventory.Availability
		want                  inventory.State
	}{
		{"NO", future, inventory.StateNotSalesStarted},
		{"NO", "NO", inventory.StateNotSalesStarted},
		{future, future, inventory.StateFutureSalesStart},
		{future, "NO", inventory.StateFutureSalesStart},
		{same, future, inventory.StateSalesStarted},
		{"YES", "NO", inventory.StateSalesStarted},
		{same, same, inventory.StateDeliverable},
		{"YES", "YES", inventory.StateDeliverable},
		{past, "YES", inventory.StateDeliverable},
		// Not in the table: decided in the package documentation.
		{"NO", "YES", inventory.StateNotSalesStarted},
		{future, past, inventory.StateFutureSalesStart},
		{"", "YES", inventory.StateFaulty},
		{"YES", "", inventory.StateFaulty},
	} {
		if got := inventory.StateOn(tc.sellable, tc.activatable, today); got != tc.want {
			t.Errorf("StateOn(%q, %q, %v) = %v, want %v", tc.sellable, tc.activatable, today, got, tc.want)
		}
	}
}

func TestStateSellableDeliverable(t *testing.T) {
	got := map[string][2]bool{}
	for _, s := range []inventory.State{inventory.StateFaulty, inventory.StateNotSalesStarted,
		inventory.StateFutureSalesStart, inventory.StateSalesStarted, inventory.StateDeliverable} {
		got[s.String()] = [2]bool{s.Sellable(), s.Deliverable()}
	}
	want := map[string][2]bool{
		"faulty": {false, false}, "not-sales-started": {false, false}, "future-sales-start": {false, false},
		"sales-started": {true, false}, "deliverable": {true, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Sellable/Deliverable (-want +got):\n%s", diff)
	}
}

// TestStateBoundaries walks instants around the Stockholm midnight that
// starts the date: the day before, the day of, the day after, UTC midnight
// (which is 01:00 or 02:00 in Stockholm) and the two DST change days.
func TestStateBoundaries(t *testing.T) {
	cal := stockholm(t)
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		date  inventory.Availability
		now   string
		start bool // date reached at now
	}{
		// Winter (CET, UTC+1): 2024-01-15 starts at 2024-01-14T23:00Z.
		{"2024-01-15", "2024-01-13T23:00:00Z", false}, // the day before, local midnight
		{"2024-01-15", "2024-01-14T22:59:59.999999999Z", false},
		{"2024-01-15", "2024-01-14T23:00:00Z", true}, // local midnight of the day
		{"2024-01-15", "2024-01-15T00:00:00Z", true}, // UTC midnight: 01:00 local
		{"2024-01-15", "2024-01-15T22:59:59Z", true}, // last second of the day locally
		{"2024-01-15", "2024-01-15T23:00:00Z", true}, // the day after
		{"2024-01-15", "2024-01-14T12:00:00Z", false},
		// Summer (CEST, UTC+2): 2024-07-01 starts at 2024-06-30T22:00Z.
		{"2024-07-01", "2024-06-30T21:59:59Z", false},
		{"2024-07-01", "2024-06-30T22:00:00Z", true},
		{"2024-07-01", "2024-06-30T23:30:00Z", true}, // still 2024-06-30 in UTC
		// Spring forward: 2024-03-31 02:00 CET → 03:00 CEST. The day starts at
		// 2024-03-30T23:00Z (CET), the next day at 2024-03-31T22:00Z (CEST).
		{"2024-03-31", "2024-03-30T22:59:59Z", false},
		{"2024-03-31", "2024-03-30T23:00:00Z", true},
		{"2024-03-31", "2024-03-31T01:00:00Z", true}, // 03:00 CEST, just after the jump
		{"2024-04-01", "2024-03-31T21:59:59Z", false},
		{"2024-04-01", "2024-03-31T22:00:00Z", true},
		// Fall back: 2024-10-27 03:00 CEST → 02:00 CET. The day starts at
		// 2024-10-26T22:00Z (CEST), the next at 2024-10-27T23:00Z (CET).
		{"2024-10-27", "2024-10-26T21:59:59Z", false},
		{"2024-10-27", "2024-10-26T22:00:00Z", true},
		{"2024-10-28", "2024-10-27T22:59:59Z", false}, // 23:59:59 CET, a 25-hour day
		{"2024-10-28", "2024-10-27T23:00:00Z", true},
		// Leap day and the epoch.
		{"2024-02-29", "2024-02-28T22:59:59Z", false},
		{"2024-02-29", "2024-02-28T23:00:00Z", true},
		{"1970-01-01", "1969-12-31T22:59:59Z", false},
		{"1970-01-01", "1969-12-31T23:00:00Z", true},
	} {
		now := utc(tc.now)
		// As Sellable with Activatable YES: sales start on the date.
		want := inventory.StateFutureSalesStart
		if tc.start {
			want = inventory.StateDeliverable
		}
		if got := cal.State(tc.date, inventory.Yes, now); got != want {
			t.Errorf("State(sellable %s, YES) at %s = %v, want %v", tc.date, tc.now, got, want)
		}
		// As Activatable with Sellable YES: delivery starts on the date.
		want = inventory.StateSalesStarted
		if tc.start {
			want = inventory.StateDeliverable
		}
		if got := cal.State(inventory.Yes, tc.date, now); got != want {
			t.Errorf("State(YES, activatable %s) at %s = %v, want %v", tc.date, tc.now, got, want)
		}
		// A time in another zone is the same instant.
		if got := cal.State(tc.date, inventory.Yes, now.In(time.FixedZone("PST", -8*3600))); got != cal.State(tc.date, inventory.Yes, now) {
			t.Errorf("State depends on the zone of now at %s", tc.now)
		}
	}
}

func TestCalendarToday(t *testing.T) {
	cal := stockholm(t)
	at := time.Date(2024, time.December, 31, 23, 30, 0, 0, time.UTC)
	if got, want := cal.Today(at), (inventory.Date{Year: 2025, Month: time.January, Day: 1}); got != want {
		t.Errorf("Stockholm Today(%v) = %v, want %v", at, got, want)
	}
	if got, want := (inventory.Calendar{}).Today(at), (inventory.Date{Year: 2024, Month: time.December, Day: 31}); got != want {
		t.Errorf("zero Calendar Today(%v) = %v, want %v", at, got, want)
	}
	if got, want := inventory.NewCalendar(time.UTC).Today(at), (inventory.Date{Year: 2024, Month: time.December, Day: 31}); got != want {
		t.Errorf("UTC Today(%v) = %v, want %v", at, got, want)
	}
}

func TestAccessState(t *testing.T) {
	cal := stockholm(t)
	a := validAccess() // Sellable 2012-03-01, Activatable NO
	if got := a.State(cal, time.Date(2012, 2, 29, 22, 59, 0, 0, time.UTC)); got != inventory.StateFutureSalesStart {
		t.Errorf("State before the sales start = %v", got)
	}
	if got := a.State(cal, time.Date(2012, 2, 29, 23, 0, 0, 0, time.UTC)); got != inventory.StateSalesStarted {
		t.Errorf("State at the sales start = %v", got)
	}
}
