package noc

import (
	"fmt"
	"html/template"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// page is what every page's template reads: the title, the style sheet,
// the search box's value and the clock.
type page struct {
	Title string
	CSS   string
	Q     string
	Kind  Kind
	Kinds []kindOption
	C     clock
}

type kindOption struct {
	Kind     Kind
	Label    string
	Selected bool
}

func (h *Handler) newPage(r *http.Request, title string) page {
	p := page{Title: title, CSS: h.cssPath, C: clock{now: h.now(), loc: h.loc}}
	if r.URL.Path == Prefix {
		// The search box keeps what was searched (shown, never logged).
		p.Q = r.URL.Query().Get("q")
		p.Kind = Kind(r.URL.Query().Get("kind"))
	}
	p.Kinds = make([]kindOption, len(kinds))
	for i, k := range kinds {
		p.Kinds[i] = kindOption{Kind: k.Kind, Label: k.Label, Selected: k.Kind == p.Kind}
	}
	return p
}

// clock formats times for a page: in the configured zone, and relative
// to the moment the page was made.
type clock struct {
	now time.Time
	loc *time.Location
}

// Now is the page's time.
func (c clock) Now() string { return c.now.In(c.loc).Format("2006-01-02 15:04:05 MST") }

// When is t in the page's zone, "—" when zero.
func (c clock) When(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(c.loc).Format("2006-01-02 15:04:05")
}

// Ago is how long before the page t was ("" when zero): "3 d 4 h ago".
func (c clock) Ago(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := c.now.Sub(t)
	if d < 0 {
		return "in " + span(-d)
	}
	return span(d) + " ago"
}

// ISO is t as an HTML datetime attribute.
func (c clock) ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// span is a duration in its two largest units ("3 h 12 min", "1 min"),
// leaving out a second unit that is zero.
func span(d time.Duration) string {
	s := int64(d / time.Second)
	two := func(a int64, ua string, b int64, ub string) string {
		if b == 0 {
			return fmt.Sprintf("%d %s", a, ua)
		}
		return fmt.Sprintf("%d %s %d %s", a, ua, b, ub)
	}
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		return two(s/60, "min", s%60, "s")
	case s < 86400:
		return two(s/3600, "h", s%3600/60, "min")
	default:
		return two(s/86400, "d", s%86400/3600, "h")
	}
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"speed":      speed,
	"dur":        span,
	"ip":         ipText,
	"lower":      strings.ToLower,
	"accessURL":  func(id string) string { return Prefix + "access/" + url.PathEscape(id) },
	"searchURL":  searchURL,
	"yesno":      yesno,
	"add":        func(a, b int) int { return a + b },
	"rows":       func(c clock, rows any) tableData { return tableData{C: c, Rows: rows} },
	"linkClass":  linkClass,
	"stateClass": stateClass,
}

func yesno(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// searchURL links to a search of a value of a kind.
func searchURL(k Kind, q string) string {
	v := url.Values{"q": {q}}
	if k != KindAuto {
		v.Set("kind", string(k))
	}
	return Prefix + "?" + v.Encode()
}

// speed is a port speed: "1 Gbit/s", "100 Mbit/s", "" when unknown.
func speed(mbps uint64) string {
	switch {
	case mbps == 0:
		return ""
	case mbps%1000 == 0:
		return strconv.FormatUint(mbps/1000, 10) + " Gbit/s"
	default:
		return strconv.FormatUint(mbps, 10) + " Mbit/s"
	}
}

func ipText(a netip.Addr) string {
	if !a.IsValid() {
		return "—"
	}
	return a.String()
}

// linkClass is the CSS class of a link state.
func linkClass(s string) string {
	switch s {
	case LinkUp:
		return "up"
	case LinkDown:
		return "down"
	}
	return "unknown"
}

// tableData is what the shared table templates read: the rows and the
// page's clock.
type tableData struct {
	C    clock
	Rows any
}

// stateClass is the CSS class of an order state.
func stateClass(s string) string {
	switch s {
	case "RECEIVED", "IN_PROGRESS", "DONE_SUCCESS", "DONE_FAILED":
		return "st-" + strings.ToLower(strings.ReplaceAll(s, "_", "-"))
	}
	return "st-other"
}

// pager is the navigation of a paged list.
type pager struct {
	Page, Pages  int
	From, To, Of int
	Prev, Next   string // URLs, "" when none
}

// newPager makes the navigation of page (1-based) of total items, size a
// page, with link(n) the URL of page n.
func newPager(pageNo, size, total int, link func(n int) string) pager {
	p := pager{Page: pageNo, Of: total, Pages: max(1, (total+size-1)/size)}
	p.From = min((pageNo-1)*size+1, total)
	p.To = min(pageNo*size, total)
	if pageNo > 1 {
		p.Prev = link(min(pageNo-1, p.Pages))
	}
	if pageNo < p.Pages {
		p.Next = link(pageNo + 1)
	}
	return p
}
