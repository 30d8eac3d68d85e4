package noc

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The timeline's geometry, in SVG user units: one unit is two minutes of
// the last 24 hours.
const (
	tlWindow = 24 * time.Hour
	tlWidth  = 720
	tlBarY   = 4
	tlBarH   = 24
	tlHeight = 44
)

// timeline is the inline SVG of a port's link over the last 24 hours: a
// bar of UP, DOWN and UNKNOWN stretches (and "no data" before the oldest
// transition remembered), a tick for every flap, and an axis. It is drawn
// on the server: no script.
type timeline struct {
	Width, Height, BarY, BarH int
	TextY                     int // the axis labels' baseline
	Segs                      []tlSeg
	Flaps                     []int  // x of the flap ticks
	FlapPath                  string // the ticks as an SVG path
	Axis                      []tlLabel
	FlapTitle                 string // the ticks' tooltip
	Summary                   string // for the SVG's <title> and screen readers
}

type tlSeg struct {
	X, W  int
	Class string // up, down, unknown, nodata
	Title string
}

type tlLabel struct {
	X      int
	Anchor string // start, middle, end
	Text   string
}

// tlPoint is a moment the link took a value.
type tlPoint struct {
	at   time.Time
	link string
}

// newTimeline draws l over the 24 hours before now.
func newTimeline(l *Link, now time.Time, loc *time.Location) timeline {
	start := now.Add(-tlWindow)
	t := timeline{Width: tlWidth, Height: tlHeight, BarY: tlBarY, BarH: tlBarH, TextY: tlHeight - 3}
	pts := linkPoints(l, now)
	x := func(at time.Time) int {
		d := min(max(at.Sub(start), 0), tlWindow)
		return int(d * tlWidth / tlWindow)
	}
	// Before the first point: what the oldest transition says came before,
	// else nothing is known.
	cur := tlPoint{at: start, link: ""}
	if n := len(l.Transitions); n > 0 && pts[0].at.After(start) {
		if oldest := &l.Transitions[n-1]; oldest.From != "" && pts[0].at.Equal(sinceOf(oldest)) {
			cur.link = oldest.From
		}
	}
	clock := clock{now: now, loc: loc}
	drawn := 0 // where the bar drawn so far ends
	emit := func(from, to time.Time, link string) {
		x0, x1 := max(x(from), drawn), x(to)
		if x1 <= x0 {
			if link != LinkDown || to.Before(start) || x0 >= tlWidth {
				return
			}
			x1 = x0 + 1 // a short outage stays visible
		}
		drawn = x1
		class, name := "nodata", "no data"
		if link != "" {
			class, name = linkClass(link), link
		}
		if from.Before(start) {
			from = start
		}
		t.Segs = append(t.Segs, tlSeg{X: x0, W: x1 - x0, Class: class,
			Title: fmt.Sprintf("%s from %s to %s", name, clock.When(from), clock.When(to))})
	}
	for _, p := range pts {
		if !p.at.After(cur.at) {
			cur.link = p.link // before the window, or at the same moment
			continue
		}
		if p.link != cur.link {
			emit(cur.at, p.at, cur.link)
			cur = p
		}
	}
	emit(cur.at, now, cur.link)
	inWindow := t.flaps(l.FlapTimes, start, now, x)
	t.Axis = axis()
	t.FlapTitle = fmt.Sprintf("%d flaps in the last 24 hours (times in the transitions below)", inWindow)
	t.Summary = fmt.Sprintf("Link over the last 24 hours: %d changes, %d flaps", max(len(t.Segs)-1, 0), inWindow)
	return t
}

// flaps draws the flaps between start and now: one tick per unit that has
// any, all in one path (a port may flap a thousand times a day; the page
// must stay small). It returns how many there were.
func (t *timeline) flaps(times []time.Time, start, now time.Time, x func(time.Time) int) int {
	var n int
	var ticks []int
	for _, f := range times {
		if f.After(start) && !f.After(now) {
			n++
			ticks = append(ticks, min(x(f), tlWidth-1))
		}
	}
	slices.Sort(ticks)
	ticks = slices.Compact(ticks)
	var d strings.Builder
	for _, tx := range ticks {
		fmt.Fprintf(&d, "M%d 0v%d", tx, tlBarY+tlBarH)
	}
	t.Flaps, t.FlapPath = ticks, d.String()
	return n
}

// axis labels the hours: −24 h, −18 h, … now.
func axis() []tlLabel {
	var out []tlLabel
	for h := 0; h <= 24; h += 6 {
		lb := tlLabel{X: h * tlWidth / 24, Anchor: "middle", Text: fmt.Sprintf("−%d h", 24-h)}
		switch h {
		case 0:
			lb.Anchor = "start"
		case 24:
			lb.Anchor, lb.Text = "end", "now"
		}
		out = append(out, lb)
	}
	return out
}

func sinceOf(tr *Transition) time.Time {
	if tr.Since.IsZero() {
		return tr.At
	}
	return tr.Since
}

// linkPoints are the moments the link took its values, oldest first: the
// transitions (by the switch's clock, else when accessd learnt them), and
// the link as judged now when it differs from the last transition (a
// state gone stale is UNKNOWN from when it was last confirmed).
func linkPoints(l *Link, now time.Time) []tlPoint {
	pts := make([]tlPoint, 0, len(l.Transitions)+1)
	for i := len(l.Transitions) - 1; i >= 0; i-- {
		tr := &l.Transitions[i]
		pts = append(pts, tlPoint{at: sinceOf(tr), link: tr.To})
	}
	slices.SortStableFunc(pts, func(a, b tlPoint) int { return a.at.Compare(b.at) })
	if n := len(pts); n == 0 || pts[n-1].link != l.State {
		at := l.Since
		if at.IsZero() {
			at = l.Confirmed
		}
		if at.IsZero() || at.After(now) {
			at = now
		}
		if n > 0 && at.Before(pts[n-1].at) {
			at = pts[n-1].at
		}
		pts = append(pts, tlPoint{at: at, link: l.State})
	}
	return pts
}
