package spapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/internal/remote"
)

// Config is one SP's side of PI-API 2.3, beside its users: entry.
type Config struct {
	// Name is the SP (its users: name); it labels metrics and errors.
	Name string
	// URL is the SP's API root, e.g. https://sp.example/api/2.3/.
	URL string
	// Username and PasswordFile are the HTTP Basic credentials the KO
	// presents to the SP.
	Username     string
	PasswordFile string
	// CAFile, when set, holds the CA certificates the SP's certificate
	// must chain to.
	CAFile string
	// Timeout bounds one call, answer included; 0 means 10 s.
	Timeout time.Duration
	// FetchAtActivation fetches the customer at activation and refuses
	// the order when the SP cannot give it (Netadmin's mode).
	FetchAtActivation bool
}

// DefaultTimeout bounds a call when Config.Timeout is 0: an activation
// waits for it.
const DefaultTimeout = 10 * time.Second

// Options are a client's dependencies.
type Options struct {
	Log        *slog.Logger
	Registerer prometheus.Registerer // nil: no metrics
	HTTPClient *http.Client          // replaces the one built from Config (tests)
}

// ErrNotFound is the SP's 404: it knows no such access.
var ErrNotFound = errors.New("the service provider knows no such access")

// maxAnswer bounds an answer's body.
const maxAnswer = 4 << 20

// accessIDRe is PI-API 2.3's accessId: [a-zA-Z0-9-.]+, at most 32.
var accessIDRe = regexp.MustCompile(`^[a-zA-Z0-9.-]{1,32}$`)

// Client asks one SP.
type Client struct {
	cfg      Config
	root     *url.URL
	password string
	http     *http.Client
	log      *slog.Logger
	m        *metrics
}

// New checks cfg, reads the password and builds a client. Metrics are
// registered by the caller once per process: see NewSet for many SPs.
func New(cfg Config, o Options) (*Client, error) {
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	return newClient(cfg, o, m)
}

func newClient(cfg Config, o Options, m *metrics) (*Client, error) {
	if cfg.Name == "" {
		return nil, errors.New("spapi: the service provider has no name")
	}
	root, err := url.Parse(cfg.URL)
	if err != nil || (root.Scheme != "https" && root.Scheme != "http") || root.Host == "" {
		return nil, fmt.Errorf("spapi %s: url %q is not an absolute http(s) URL", cfg.Name, cfg.URL)
	}
	if !strings.HasSuffix(root.Path, "/") {
		root.Path += "/"
	}
	if cfg.Username == "" {
		return nil, fmt.Errorf("spapi %s: username is required (HTTP Basic)", cfg.Name)
	}
	pw, err := remote.ReadSecret(cfg.PasswordFile)
	if err != nil {
		return nil, fmt.Errorf("spapi %s: password_file: %w", cfg.Name, err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	hc := o.HTTPClient
	if hc == nil {
		if hc, err = remote.NewHTTPClient(remote.ClientOptions{CAFile: cfg.CAFile, Timeout: cfg.Timeout}); err != nil {
			return nil, fmt.Errorf("spapi %s: %w", cfg.Name, err)
		}
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, root: root, password: pw, http: hc, log: log.With("sp", cfg.Name), m: m}, nil
}

// Name is the SP's name.
func (c *Client) Name() string { return c.cfg.Name }

// FetchAtActivation reports whether the SP's customer is fetched at
// activation.
func (c *Client) FetchAtActivation() bool { return c.cfg.FetchAtActivation }

// AccessCustomers asks the SP for the customer of each of its services on
// an access (GET {root}access/{accessId}).
func (c *Client) AccessCustomers(ctx context.Context, accessID string) ([]Service, error) {
	if !accessIDRe.MatchString(accessID) || accessID == "." || accessID == ".." {
		return nil, fmt.Errorf("spapi %s: %q is not a PI-API access id", c.cfg.Name, accessID)
	}
	body, err := c.get(ctx, "access", "access/"+accessID, nil)
	if err != nil {
		return nil, err
	}
	svcs, err := DecodeAccess(body, accessID)
	c.decoded("access", len(svcs), err)
	return svcs, err
}

// ServicesByReference asks the SP for the services it holds under an
// spReference (GET {root}services/?spReference=…).
func (c *Client) ServicesByReference(ctx context.Context, spReference string) ([]Service, error) {
	if spReference == "" || len([]rune(spReference)) > maxRef {
		return nil, fmt.Errorf("spapi %s: an spReference is 1 to %d characters", c.cfg.Name, maxRef)
	}
	body, err := c.get(ctx, "services", "services/", url.Values{"spReference": {spReference}})
	if err != nil {
		return nil, err
	}
	svcs, err := DecodeServices(body, spReference)
	c.decoded("services", len(svcs), err)
	return svcs, err
}

func (c *Client) decoded(call string, n int, err error) {
	if err != nil {
		c.m.call(c.cfg.Name, call, "malformed")
		return
	}
	c.m.call(c.cfg.Name, call, "ok")
	c.log.Debug("service provider answered a customer look-up", "call", call, "services", n)
}

// get performs one GET under the root; 404 is ErrNotFound.
func (c *Client) get(ctx context.Context, call, rel string, q url.Values) ([]byte, error) {
	u := c.root.JoinPath(rel)
	if strings.HasSuffix(rel, "/") && !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawQuery = q.Encode()
	op := fmt.Sprintf("spapi %s: GET %s", c.cfg.Name, call)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, remote.Failed(op, err)
	}
	req.SetBasicAuth(c.cfg.Username, c.password)
	req.Header.Set("Accept", "application/json, application/x-ldjson")
	resp, err := c.http.Do(req)
	if err != nil {
		c.m.call(c.cfg.Name, call, "transient")
		return nil, remote.Failed(op, err)
	}
	defer resp.Body.Close()
	body, err := remote.ReadBody(resp.Body, maxAnswer)
	switch {
	case resp.StatusCode == http.StatusNotFound:
		c.m.call(c.cfg.Name, call, "not_found")
		return nil, fmt.Errorf("%s: %w", op, ErrNotFound)
	case resp.StatusCode != http.StatusOK:
		// The body of a refusal is not quoted: it may echo customer data.
		e := remote.StatusError(op, resp.StatusCode, nil)
		c.m.call(c.cfg.Name, call, e.Class.String())
		return nil, e
	case err != nil:
		c.m.call(c.cfg.Name, call, "transient")
		return nil, remote.Failed(op, err)
	}
	return body, nil
}
