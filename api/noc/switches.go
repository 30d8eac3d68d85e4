package noc

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/stadsnat/accessd/api/internal/web"
)

// Page sizes of the lists.
const (
	switchPageSize  = 50
	problemLimit    = 50
	circuitPageSize = 50
)

// switchesPage is the switches page's data.
type switchesPage struct {
	page
	Trouble bool
	Data    SwitchPage
	Pager   pager
	Note    string
}

// MoreProblems is how many problems are not listed.
func (p *switchesPage) MoreProblems() int { return p.Data.ProblemsTotal - len(p.Data.Problems) }

// switches is GET /noc/switches[?trouble=1][&page=N]: the poll health of
// the polled switches, by address, a page at a time.
func (h *Handler) switches(w http.ResponseWriter, r *http.Request) error {
	qv := r.URL.Query()
	pageNo, err := parsePage(qv.Get("page"))
	if err != nil {
		return web.Errorf(http.StatusBadRequest, "%v", err)
	}
	var trouble bool
	switch qv.Get("trouble") {
	case "", "0":
	case "1":
		trouble = true
	default:
		return web.Errorf(http.StatusBadRequest, "parameter trouble: want 1 or 0")
	}
	p := &switchesPage{page: h.newPage(r, "Switches"), Trouble: trouble}
	q := SwitchQuery{Trouble: trouble, Offset: (pageNo - 1) * switchPageSize, Limit: switchPageSize}
	p.Data, err = h.src.Switches(r.Context(), q)
	switch {
	case errors.Is(err, ErrNotServed):
		p.Note = "SNMP polling is not served on this system"
	case err != nil:
		return web.Internal(err)
	}
	if len(p.Data.Switches) > switchPageSize {
		p.Data.Switches = p.Data.Switches[:switchPageSize]
	}
	if len(p.Data.Problems) > problemLimit {
		p.Data.Problems = p.Data.Problems[:problemLimit]
	}
	p.Pager = newPager(pageNo, switchPageSize, p.Data.Total, func(n int) string {
		v := url.Values{}
		if trouble {
			v.Set("trouble", "1")
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		return withQuery(Prefix+"switches", v)
	})
	return h.render(w, r, "switches", p)
}

// circuitsPage is the unknown circuits page's data.
type circuitsPage struct {
	page
	Circuits []UnknownCircuit
	Pager    pager
	Note     string
}

// circuits is GET /noc/circuits[?page=N]: the circuits seen in DHCP that
// match no single access, most recently seen first.
func (h *Handler) circuits(w http.ResponseWriter, r *http.Request) error {
	pageNo, err := parsePage(r.URL.Query().Get("page"))
	if err != nil {
		return web.Errorf(http.StatusBadRequest, "%v", err)
	}
	p := &circuitsPage{page: h.newPage(r, "Unknown circuits")}
	var total int
	p.Circuits, total, err = h.src.UnknownCircuits(r.Context(), (pageNo-1)*circuitPageSize, circuitPageSize)
	switch {
	case errors.Is(err, ErrNotServed):
		p.Note = "DHCP is not served on this system"
	case err != nil:
		return web.Internal(err)
	}
	if len(p.Circuits) > circuitPageSize {
		p.Circuits = p.Circuits[:circuitPageSize]
	}
	p.Pager = newPager(pageNo, circuitPageSize, total, func(n int) string {
		v := url.Values{}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		return withQuery(Prefix+"circuits", v)
	})
	return h.render(w, r, "circuits", p)
}

func withQuery(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}
