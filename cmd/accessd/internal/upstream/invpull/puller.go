package invpull

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/internal/remote"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// Format is what the source serves.
type Format string

// The source formats.
const (
	PIV1  Format = "pi-v1"  // Com Hem PI V1 XML, GET /ko/api/1/
	PIAPI Format = "pi-api" // PI-API 2.3 feasibility, GET …/api/2.3/accesses/
	ONAPI Format = "on-api" // ON-API 2.6, GET …/onapi/2.6/accesses/
	CSV   Format = "csv"    // CSV Access Upload API 1.1, a file by URL
)

// Config is one inventory source.
type Config struct {
	// Name labels the source in metrics and logs; "inventory" when empty.
	Name   string
	URL    string
	Format Format
	// Username and PasswordFile give HTTP Basic; APIKeyFile (sent in the
	// header APIKeyHeader, "api-key" when empty) is the alternative.
	Username     string
	PasswordFile string
	APIKeyFile   string
	APIKeyHeader string
	CAFile       string
	// Timeout bounds one pull's request and answer; 0 means 5 minutes.
	Timeout time.Duration
	// Interval is the time between incremental pulls; 0 means 5 minutes.
	Interval time.Duration
	// FullInterval, when set, makes every pull at least that long after
	// the last successful full pull (and the first) a full pull with
	// replace semantics: accesses the source no longer lists are removed.
	FullInterval time.Duration
	// MaxBytes bounds an answer; 0 means 512 MiB.
	MaxBytes int64
}

// Mode is what kind of pull to make.
type Mode int

const (
	// Incremental sends If-Modified-Since with the last Last-Modified
	// (a full pull without one) and upserts what comes.
	Incremental Mode = iota
	// Full asks for everything and upserts it.
	Full
	// Replace asks for everything and makes it the whole inventory.
	Replace
)

func (m Mode) String() string { return [...]string{"incremental", "full", "replace"}[m] }

// Applier applies one pull in one transaction, all or nothing, with the
// import's validation: replace makes the set the whole inventory. The
// daemon maps it to the store's Import. An error leaves the store as it
// was; an *inventory.Problems or *store.ConflictError says why.
type Applier interface {
	Apply(in []store.Incoming, replace bool) (store.ImportSummary, error)
}

// ApplierFunc adapts a function to Applier.
type ApplierFunc func(in []store.Incoming, replace bool) (store.ImportSummary, error)

// Apply calls f.
func (f ApplierFunc) Apply(in []store.Incoming, replace bool) (store.ImportSummary, error) {
	return f(in, replace)
}

// Options are a puller's dependencies.
type Options struct {
	Log        *slog.Logger
	Registerer prometheus.Registerer
	HTTPClient *http.Client // replaces the one built from Config (tests)
	// Lookup completes PI-API and ON-API accesses (see the package
	// documentation); nil treats every access as new.
	Lookup Lookup
	// Calendar gives the KO's local date; the zero value is UTC.
	Calendar inventory.Calendar
}

// Result is what one pull did.
type Result struct {
	Mode        string              `json:"mode"`
	NotModified bool                `json:"notModified,omitempty"`
	Accesses    int                 `json:"accesses"`
	Summary     store.ImportSummary `json:"summary"`
	// LastModified is the source's Last-Modified, sent as If-Modified-Since
	// next time.
	LastModified string `json:"lastModified,omitempty"`
	// Ignored lists unknown elements or keys the source sent.
	Ignored []string `json:"ignored,omitempty"`
	// Note says something worth knowing that is not an error.
	Note string `json:"note,omitempty"`
}

// Puller pulls one source.
type Puller struct {
	cfg     Config
	u       *url.URL
	secret  string // password or api-key
	apply   Applier
	lookup  Lookup
	cal     inventory.Calendar
	http    *http.Client
	log     *slog.Logger
	m       *metrics
	pullMu  sync.Mutex // one pull at a time
	mu      sync.Mutex // guards st
	st      Status
	lastMod string // under mu
}

// New checks cfg, reads its secret and builds a puller.
func New(cfg Config, apply Applier, o Options) (*Puller, error) {
	if cfg.Name == "" {
		cfg.Name = "inventory"
	}
	p := &Puller{cfg: cfg, apply: apply, lookup: o.Lookup, cal: o.Calendar, http: o.HTTPClient, log: o.Log}
	if err := p.configure(); err != nil {
		return nil, fmt.Errorf("inventory pull %s: %w", cfg.Name, err)
	}
	var err error
	if p.m, err = newMetrics(o.Registerer, cfg.Name); err != nil {
		return nil, err
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.log = p.log.With("source", cfg.Name)
	p.st = Status{Name: cfg.Name, URL: p.u.Redacted(), Format: cfg.Format}
	return p, nil
}

func (p *Puller) configure() error {
	c := &p.cfg
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q is not an absolute http(s) URL", c.URL)
	}
	if u.User != nil {
		return errors.New("url: give credentials in password_file or api_key_file, not in the URL")
	}
	p.u = u
	switch c.Format {
	case PIV1, PIAPI, ONAPI, CSV:
	default:
		return fmt.Errorf("format %q: must be pi-v1, pi-api, on-api or csv", c.Format)
	}
	switch {
	case c.PasswordFile != "" && c.APIKeyFile != "":
		return errors.New("give password_file (HTTP Basic) or api_key_file, not both")
	case c.PasswordFile != "":
		if c.Username == "" {
			return errors.New("password_file needs a username")
		}
		p.secret, err = remote.ReadSecret(c.PasswordFile)
	case c.APIKeyFile != "":
		if c.APIKeyHeader == "" {
			c.APIKeyHeader = "api-key"
		}
		p.secret, err = remote.ReadSecret(c.APIKeyFile)
	}
	if err != nil {
		return err
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Minute
	}
	if c.Interval <= 0 {
		c.Interval = 5 * time.Minute
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 512 << 20
	}
	if p.http == nil {
		p.http, err = remote.NewHTTPClient(remote.ClientOptions{CAFile: c.CAFile, Timeout: c.Timeout})
	}
	return err
}

// SetLastModified seeds the Last-Modified remembered from an earlier run,
// so that the first pull after a restart can be incremental.
func (p *Puller) SetLastModified(lm string) {
	p.mu.Lock()
	p.lastMod = lm
	p.st.LastModified = lm
	p.mu.Unlock()
}

// accept is the Accept header of each format.
var accept = map[Format]string{
	PIV1: "application/xml", PIAPI: "application/json", ONAPI: "application/json", CSV: "text/csv, */*;q=0.5",
}

// errEmptyReplace refuses a replace that would empty the inventory.
var errEmptyReplace = errors.New("the source listed no access: a replace would remove every access, so nothing was applied")

// Pull makes one pull and applies it. At most one pull runs at a time.
func (p *Puller) Pull(ctx context.Context, mode Mode) (Result, error) {
	p.pullMu.Lock()
	defer p.pullMu.Unlock()
	started := time.Now()
	res, err := p.pull(ctx, mode)
	p.record(started, res, err)
	return res, err
}

func (p *Puller) pull(ctx context.Context, mode Mode) (Result, error) {
	p.mu.Lock()
	ims := p.lastMod
	p.mu.Unlock()
	if mode != Incremental {
		ims = ""
	}
	res := Result{Mode: mode.String()}
	if mode == Incremental && ims == "" {
		res.Mode = Full.String()
	}
	op := "GET " + p.u.Redacted()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.u.String(), nil)
	if err != nil {
		return res, remote.Failed(op, err)
	}
	p.authorize(req)
	req.Header.Set("Accept", accept[p.cfg.Format])
	if ims != "" {
		req.Header.Set("If-Modified-Since", ims)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return res, remote.Failed(op, err)
	}
	defer resp.Body.Close()
	body, rerr := remote.ReadBody(resp.Body, p.cfg.MaxBytes)
	res.LastModified = resp.Header.Get("Last-Modified")
	switch {
	case resp.StatusCode == http.StatusNotModified && ims != "":
		res.NotModified, res.LastModified = true, ims
		return res, nil
	case resp.StatusCode == http.StatusNotFound && p.cfg.Format == ONAPI:
		body = []byte("[]") // ON-API: 404 when the CO has no accesses
	case resp.StatusCode != http.StatusOK:
		return res, remote.StatusError(op, resp.StatusCode, body)
	case rerr != nil:
		return res, remote.Failed(op, rerr)
	}
	if res.LastModified != "" {
		if _, err := http.ParseTime(res.LastModified); err != nil {
			res.Note = fmt.Sprintf("Last-Modified %q is not an HTTP date: the next pull is a full one", res.LastModified)
			res.LastModified = ""
		}
	} else {
		res.Note = "the source sent no Last-Modified: the next pull is a full one"
	}
	in, ignored, err := p.parse(body)
	res.Ignored = ignored
	if err != nil {
		return res, err
	}
	res.Accesses = len(in)
	if mode == Replace && len(in) == 0 {
		return res, errEmptyReplace
	}
	if len(in) > 0 {
		if res.Summary, err = p.apply.Apply(in, mode == Replace); err != nil {
			return res, err
		}
	}
	p.mu.Lock()
	p.lastMod = res.LastModified
	p.mu.Unlock()
	return res, nil
}

func (p *Puller) authorize(req *http.Request) {
	switch {
	case p.cfg.PasswordFile != "":
		req.SetBasicAuth(p.cfg.Username, p.secret)
	case p.cfg.APIKeyFile != "":
		req.Header.Set(p.cfg.APIKeyHeader, p.secret)
	}
}

// parse turns a body into accesses by the source's format.
func (p *Puller) parse(body []byte) ([]store.Incoming, []string, error) {
	switch p.cfg.Format {
	case PIV1:
		return ParsePIV1(bytes.NewReader(body))
	case CSV:
		in, err := store.ReadIncoming(inventory.CSV, bytes.NewReader(body))
		return in, nil, err
	}
	in, ignored, err := ParseAccessesJSON(body, p.cfg.Format, p.lookup, p.cal.Today(time.Now()))
	slices.Sort(ignored)
	return in, ignored, err
}
