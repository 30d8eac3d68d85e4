package noc

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/stadsnat/accessd/api/internal/web"
)

// Prefix is the path the group is mounted at: every page is under it.
const Prefix = "/noc/"

// Group is the group's name, as users[].apis spells the permission and as
// the HTTP metrics label it.
const Group = web.GroupNOC

// Headers every response of the group carries, pages and errors alike.
var securityHeaders = [][2]string{
	{"Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"},
	{"X-Content-Type-Options", "nosniff"},
	{"Referrer-Policy", "no-referrer"},
	{"X-Frame-Options", "DENY"},
	{"Cross-Origin-Opener-Policy", "same-origin"},
	{"Cross-Origin-Resource-Policy", "same-origin"},
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/noc.css
var staticFS embed.FS

// Options is what the pages are served from.
type Options struct {
	Source Source
	Log    *slog.Logger
	// Now is the clock (nil: time.Now); Location the time zone times are
	// shown in (nil: UTC; the daemon gives Europe/Stockholm).
	Now      func() time.Time
	Location *time.Location
}

// Handler serves the NOC pages under Prefix. It does no authentication:
// the mount wraps it (see the package documentation).
type Handler struct {
	src     Source
	log     *slog.Logger
	now     func() time.Time
	loc     *time.Location
	tmpl    *template.Template
	css     []byte
	cssPath string
	mux     *http.ServeMux
}

// New builds the group's handler.
func New(o Options) (*Handler, error) {
	if o.Source == nil {
		return nil, errors.New("noc: no source")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	css, err := fs.ReadFile(staticFS, "static/noc.css")
	if err != nil {
		return nil, fmt.Errorf("noc: %w", err)
	}
	sum := sha256.Sum256(css)
	h := &Handler{src: o.Source, log: o.Log, now: o.Now, loc: o.Location, css: css,
		cssPath: Prefix + "static/noc-" + hex.EncodeToString(sum[:6]) + ".css", mux: http.NewServeMux()}
	h.tmpl, err = template.New("noc").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("noc: templates: %w", err)
	}
	h.mux.Handle("GET "+Prefix+"{$}", h.handle(h.search))
	h.mux.Handle("GET "+Prefix+"access/{id}", h.handle(h.access))
	h.mux.Handle("GET "+Prefix+"switches", h.handle(h.switches))
	h.mux.Handle("GET "+Prefix+"circuits", h.handle(h.circuits))
	h.mux.HandleFunc("GET "+h.cssPath, h.static)
	h.mux.Handle(Prefix, h.handle(h.notFound))
	return h, nil
}

// Routes makes the Handler an API group (api.Group) for api.New: one
// route, the subtree under Prefix, behind the router's HTTP Basic for
// users with Group in their apis, its refusals written by WriteError, and
// mounted only when some user has Group (else /noc/ is the router's 404).
func (h *Handler) Routes() []web.Route {
	return []web.Route{{Pattern: Prefix, Subtree: true, Group: Group, Auth: Group, OnlyIfGranted: true, Errors: h.WriteError, Handler: h}}
}

// ServeHTTP serves a request under Prefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	h.mux.ServeHTTP(w, r)
}

func setSecurityHeaders(hd http.Header) {
	for _, kv := range securityHeaders {
		hd.Set(kv[0], kv[1])
	}
}

// static serves the style sheet. Its name carries a digest of its
// content, so it may be cached for good (privately: it is behind the
// group's authentication).
func (h *Handler) static(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	w.Header().Set("Content-Length", strconv.Itoa(len(h.css)))
	if r.Method != http.MethodHead {
		w.Write(h.css)
	}
}

// notFound answers what no page takes: 405 for a method other than GET
// and HEAD, else 404.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return web.Errorf(http.StatusMethodNotAllowed, "method %s not allowed: the NOC pages are read with GET", r.Method)
	}
	return web.Errorf(http.StatusNotFound, "no such page")
}

// handle adapts a page: a returned error is logged once and answered
// with the error page. The log names the route pattern, never the path or
// the query, which may hold a searched IP or MAC.
func (h *Handler) handle(page web.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := page(w, r)
		if err == nil {
			return
		}
		var e *web.Error
		if !errors.As(err, &e) {
			e = web.Internal(err)
		}
		if e.Status >= 500 {
			h.log.Warn("NOC page failed", "page", r.Pattern, "status", e.Status, "err", e)
		} else {
			h.log.Debug("NOC page refused", "page", r.Pattern, "status", e.Status)
		}
		h.WriteError(w, r, e)
	})
}

// errorPage is the data of the error page.
type errorPage struct {
	page
	Status int
	Text   string
	Cause  string
}

// WriteError writes e as an HTML error page with the group's headers. It
// is a web.ErrorWriter: the mount gives it to the group's Basic
// authentication so that 401 and 403 look like every other answer.
func (h *Handler) WriteError(w http.ResponseWriter, r *http.Request, e *web.Error) {
	hd := w.Header()
	setSecurityHeaders(hd)
	if e.Status == http.StatusUnauthorized && hd.Get("WWW-Authenticate") == "" {
		hd.Set("WWW-Authenticate", `Basic realm="accessd NOC", charset="UTF-8"`)
	}
	p := errorPage{page: h.newPage(r, http.StatusText(e.Status)), Status: e.Status, Text: http.StatusText(e.Status), Cause: e.Cause}
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, "error", &p); err != nil {
		h.log.Error("NOC error page failed to render", "status", e.Status, "err", err)
		web.PlainText(w, r, e)
		return
	}
	h.write(w, r, e.Status, &buf)
}

// render executes a page template and writes it with status 200.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, name string, data any) error {
	var buf bytes.Buffer
	buf.Grow(16 << 10)
	if err := h.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		return web.Internal(fmt.Errorf("template %s: %w", name, err))
	}
	h.write(w, r, http.StatusOK, &buf)
	return nil
}

// write sends a rendered page: whole, with its length, never cached.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, status int, buf *bytes.Buffer) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}
