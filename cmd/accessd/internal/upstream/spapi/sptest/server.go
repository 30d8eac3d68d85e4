// Package sptest is a service provider's side of PI-API 2.3 for tests,
// written from access_customer_info.md, query_sp.md and misc.md and
// enforcing them: HTTP Basic on every call (401 with a Basic challenge
// otherwise), GET only (405), GET {prefix}access/{accessId} with a PI-API
// access id (400 otherwise) answering the object keyed by service or 404
// {"cause"} for an access it does not know, GET
// {prefix}services/?spReference= with exactly that one parameter (400
// otherwise) answering application/x-ldjson, every field present and
// never null. It counts every call and can be made slow, down or
// malformed.
package sptest

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Entry is one service the SP holds on an access.
type Entry struct {
	AccessID    string
	Service     string
	SPReference string
	Name        string
	Email       string
	Phone       string
	MobilePhone string
}

// Call is a counted call: "access", "services" or "other", and the status
// answered.
type Call struct {
	Call   string
	Status int
}

// Server is a running test SP.
type Server struct {
	*httptest.Server
	prefix         string
	user, password string

	mu        sync.Mutex
	entries   []Entry
	calls     map[Call]int
	down      int
	delay     time.Duration
	malformed string
}

// Config sets up a Server.
type Config struct {
	User, Password string
	// Prefix is the API root's path; "/api/2.3/" when empty.
	Prefix string
	// TLS serves HTTPS with a test certificate; see WriteCA.
	TLS bool
}

var accessIDRe = regexp.MustCompile(`^[a-zA-Z0-9.-]{1,32}$`)

// New starts a test SP.
func New(cfg Config) *Server {
	s := &Server{prefix: cfg.Prefix, user: cfg.User, password: cfg.Password, calls: map[Call]int{}}
	if s.prefix == "" {
		s.prefix = "/api/2.3/"
	}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	// A client that refuses the test certificate is a test's point, not
	// noise for its output.
	s.Server.Config.ErrorLog = log.New(io.Discard, "", 0)
	if cfg.TLS {
		s.StartTLS()
	} else {
		s.Start()
	}
	return s
}

// Root is the API root URL to configure.
func (s *Server) Root() string { return s.URL + s.prefix }

// WriteCA writes the TLS server's certificate as a PEM CA file in dir and
// returns its path.
func (s *Server) WriteCA(dir string) (string, error) {
	p := filepath.Join(dir, "sp-ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	return p, os.WriteFile(p, b, 0o600)
}

// Add makes the SP hold a service.
func (s *Server) Add(e Entry) {
	s.mu.Lock()
	s.entries = append(s.entries, e)
	s.mu.Unlock()
}

// Down makes every call answer status until Down(0).
func (s *Server) Down(status int) { s.mu.Lock(); s.down = status; s.mu.Unlock() }

// Delay makes every call wait d before answering.
func (s *Server) Delay(d time.Duration) { s.mu.Lock(); s.delay = d; s.mu.Unlock() }

// Malformed makes every 200 answer body instead; "" ends it.
func (s *Server) Malformed(body string) { s.mu.Lock(); s.malformed = body; s.mu.Unlock() }

// Count returns how often call answered status.
func (s *Server) Count(call string, status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[Call{call, status}]
}

// Calls returns every count.
func (s *Server) Calls() map[Call]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

type answer struct {
	status int
	ctype  string
	body   []byte
}

func cause(status int, msg string) answer {
	b, _ := json.Marshal(map[string]string{"cause": msg})
	return answer{status, "application/json", b}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	delay := s.delay
	s.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	s.mu.Lock()
	call, a := s.answer(r)
	s.calls[Call{call, a.status}]++
	s.mu.Unlock()
	if a.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="PI-API 2.3", charset="UTF-8"`)
	}
	if a.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", "GET")
	}
	w.Header().Set("Content-Type", a.ctype+"; charset=utf-8")
	w.WriteHeader(a.status)
	w.Write(a.body)
}

func (s *Server) answer(r *http.Request) (string, answer) {
	rest, ok := strings.CutPrefix(r.URL.Path, s.prefix)
	call := "other"
	switch {
	case ok && strings.HasPrefix(rest, "access/"):
		call = "access"
	case ok && rest == "services/":
		call = "services"
	}
	if s.down != 0 {
		return call, cause(s.down, "the test service provider is down")
	}
	u, p, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(s.user)) != 1 || subtle.ConstantTimeCompare([]byte(p), []byte(s.password)) != 1 {
		return call, cause(http.StatusUnauthorized, "authentication required")
	}
	if r.Method != http.MethodGet {
		return call, cause(http.StatusMethodNotAllowed, "only GET")
	}
	switch call {
	case "access":
		return call, s.access(strings.TrimPrefix(rest, "access/"), r)
	case "services":
		return call, s.services(r)
	}
	return call, cause(http.StatusNotFound, "no such endpoint")
}

func (s *Server) access(id string, r *http.Request) answer {
	if len(r.URL.Query()) > 0 {
		return cause(http.StatusBadRequest, "access takes no parameters")
	}
	if !accessIDRe.MatchString(id) {
		return cause(http.StatusBadRequest, "not an access id: [a-zA-Z0-9-.]{1,32}")
	}
	type svc struct {
		Customer    map[string]string `json:"customer"`
		SPReference string            `json:"spReference"`
	}
	out := map[string]svc{}
	for _, e := range s.entries {
		if e.AccessID == id {
			out[e.Service] = svc{Customer: customer(e), SPReference: e.SPReference}
		}
	}
	if len(out) == 0 {
		return cause(http.StatusNotFound, "no services of ours on that access")
	}
	b, _ := json.Marshal(out)
	return s.ok("application/json", b)
}

func (s *Server) services(r *http.Request) answer {
	q := r.URL.Query()
	refs, ok := q["spReference"]
	switch {
	case len(q) != 1 || !ok:
		return cause(http.StatusBadRequest, "exactly one parameter, spReference, is expected")
	case len(refs) != 1 || refs[0] == "" || utf8.RuneCountInString(refs[0]) > 255:
		return cause(http.StatusBadRequest, "spReference is one string of 1 to 255 characters")
	}
	var b bytes.Buffer
	for _, e := range s.entries {
		if e.SPReference != refs[0] {
			continue
		}
		line, _ := json.Marshal(struct {
			Service     string            `json:"service"`
			Customer    map[string]string `json:"customer"`
			AccessID    string            `json:"accessId"`
			SPReference string            `json:"spReference"`
		}{e.Service, customer(e), e.AccessID, e.SPReference})
		b.Write(line)
		b.WriteByte('\n')
	}
	return s.ok("application/x-ldjson", b.Bytes())
}

func (s *Server) ok(ctype string, body []byte) answer {
	if s.malformed != "" {
		body = []byte(s.malformed)
	}
	return answer{http.StatusOK, ctype, body}
}

func customer(e Entry) map[string]string {
	return map[string]string{"name": e.Name, "email": e.Email, "phone": e.Phone, "mobilePhone": e.MobilePhone}
}
