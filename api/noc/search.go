package noc

import (
	"errors"
	"net/http"
	"strings"

	"github.com/stadsnat/accessd/api/internal/web"
)

// searchLimit bounds the accesses a search lists.
const searchLimit = 50

// listLimit bounds the search's other lists (bindings, unknown circuits)
// whatever the Source gives.
const listLimit = 20

// capped cuts s to at most n, and says whether it did.
func capped[T any](s []T, n int) ([]T, bool) {
	if len(s) > n {
		return s[:n], true
	}
	return s, false
}

// searchPage is the search page's data.
type searchPage struct {
	page
	Searched bool
	// Tried are the kinds searched, in order; As the one that found
	// something (or the last tried).
	Tried  []Kind
	As     Kind
	Found  bool
	Result Result
	// More…: the list was cut to what a page shows.
	MoreBindings, MoreIntervals, MoreUnknown bool
}

// KindLabel names the kind a search was taken as.
func (p *searchPage) KindLabel() string { return kindLabel(p.As) }

// TriedLabels names the kinds tried.
func (p *searchPage) TriedLabels() string {
	var s []string
	for _, k := range p.Tried {
		s = append(s, kindLabel(k))
	}
	return strings.Join(s, ", ")
}

func kindLabel(k Kind) string {
	for _, x := range kinds {
		if x.Kind == k {
			return x.Label
		}
	}
	return string(k)
}

// search is GET /noc/?q=VALUE&kind=KIND: the search form, and what a
// value leads to. Without a kind the value's form decides which kinds are
// tried, in turn, until one finds something. An AccessId that exists
// goes straight to its page.
func (h *Handler) search(w http.ResponseWriter, r *http.Request) error {
	p := &searchPage{page: h.newPage(r, "Search")}
	qv := r.URL.Query()
	kind, err := parseKind(qv.Get("kind"))
	if err != nil {
		return web.Errorf(http.StatusBadRequest, "%v", err)
	}
	text := strings.TrimSpace(qv.Get("q"))
	if err := checkText(text); err != nil {
		return web.Errorf(http.StatusBadRequest, "%v", err)
	}
	if text == "" {
		if kind != KindAuto {
			return web.Errorf(http.StatusBadRequest, "parameter q: nothing to search for")
		}
		return h.render(w, r, "search", p)
	}
	p.Searched = true
	p.Tried = []Kind{kind}
	if kind == KindAuto {
		p.Tried = classify(text)
	}
	for _, k := range p.Tried {
		q, err := parseQuery(k, text, searchLimit)
		if err != nil {
			if kind == KindAuto {
				continue // (classify gives only kinds that parse: FuzzClassify)
			}
			return web.Errorf(http.StatusBadRequest, "%v", err)
		}
		res, err := h.src.Search(r.Context(), q)
		switch {
		case errors.Is(err, ErrNotServed):
			res = Result{Note: "searching by " + kindLabel(k) + " is not served on this system"}
		case err != nil:
			return web.Internal(err)
		}
		p.As, p.Result = k, res
		if len(res.Accesses)+len(res.Bindings)+len(res.Intervals)+len(res.Unknown) > 0 {
			p.Found = true
			break
		}
	}
	// Whatever the Source gives, the page stays small.
	res := &p.Result
	if len(res.Accesses) > searchLimit {
		res.Accesses, res.More = res.Accesses[:searchLimit], true
	}
	res.Bindings, p.MoreBindings = capped(res.Bindings, listLimit)
	res.Intervals, p.MoreIntervals = capped(res.Intervals, historyLimit)
	res.Unknown, p.MoreUnknown = capped(res.Unknown, listLimit)
	if p.Found && p.As == KindAccess && len(p.Result.Accesses) == 1 && p.Result.Accesses[0].ID == text {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, Prefix+"access/"+text, http.StatusSeeOther)
		return nil
	}
	return h.render(w, r, "search", p)
}
