package cubit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/internal/remote"
)

// Kind is what an outbox entry for Cubit carries.
type Kind string

// The kinds of object pushed to Cubit.
const (
	KindCustomer Kind = "customer"
	KindPlant    Kind = "plant"
)

// KindOf tells from an id which GET reads it back: an 18-digit id is a
// metering point (a plant), anything else a customer Number.
func KindOf(id string) Kind {
	if allDigits(id, 18) {
		return KindPlant
	}
	return KindCustomer
}

// Config is upstream.cubit of the daemon's configuration.
type Config struct {
	// URL is Cubit's base URL, without /api: https://plants.cubit.no.
	URL string
	// APIKeyFile holds the api-key of Environment's instance.
	APIKeyFile string
	// Environment is "test" or "prod" and must equal the daemon's.
	Environment string
	// Strict refuses objects whose check digits do not hold; the default
	// sends them with a warning (the seed's own examples fail theirs).
	Strict bool
	// NumberFormat, when set, is the RE2 format agreed with Cubit for
	// customer Numbers instead of 11 or 9 digits.
	NumberFormat string
	// Timeout bounds one call; 0 means 30 s.
	Timeout time.Duration
	// CAFile, when set, holds the CA certificates Cubit's certificate must
	// chain to, instead of the system's.
	CAFile string
}

// Options are the client's dependencies.
type Options struct {
	Log *slog.Logger
	// Registerer receives the client's metrics; nil registers none.
	Registerer prometheus.Registerer
	// HTTPClient replaces the client built from Config (tests).
	HTTPClient *http.Client
}

// ErrNotFound is returned by the GET calls when Cubit has no such object.
var ErrNotFound = errors.New("not found in cubit")

// maxAnswer bounds an answer's body.
const maxAnswer = 1 << 20

// Client talks to one Cubit instance.
type Client struct {
	base  *url.URL
	env   string
	key   string
	rules Rules
	http  *http.Client
	log   *slog.Logger
	m     *metrics
}

// New checks cfg, reads the api-key and builds a client.
func New(cfg Config, o Options) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("cubit: url %q is not an absolute http(s) URL", cfg.URL)
	}
	if cfg.Environment != "test" && cfg.Environment != "prod" {
		return nil, fmt.Errorf("cubit: environment %q must be test or prod", cfg.Environment)
	}
	key, err := remote.ReadSecret(cfg.APIKeyFile)
	if err != nil {
		return nil, fmt.Errorf("cubit: api_key_file: %w", err)
	}
	rules, err := NewRules(cfg.Strict, cfg.NumberFormat)
	if err != nil {
		return nil, fmt.Errorf("cubit: %w", err)
	}
	hc := o.HTTPClient
	if hc == nil {
		if hc, err = remote.NewHTTPClient(remote.ClientOptions{CAFile: cfg.CAFile, Timeout: cfg.Timeout}); err != nil {
			return nil, fmt.Errorf("cubit: %w", err)
		}
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &Client{base: u, env: cfg.Environment, key: key, rules: rules, http: hc, log: log, m: m}, nil
}

// Environment is the Cubit environment the client writes to (test or
// prod); the daemon refuses a configuration where it is not its own.
func (c *Client) Environment() string { return c.env }

// Rules returns the rules the client checks objects with.
func (c *Client) Rules() Rules { return c.rules }

// PushCustomer checks a customer and upserts it. It returns the
// check-digit warnings (also counted and logged, without the number).
func (c *Client) PushCustomer(ctx context.Context, cu Customer) ([]Warning, error) {
	ws, err := c.rules.CheckCustomer(cu)
	c.noteWarnings(KindCustomer, "", ws)
	if err != nil {
		c.m.call(callCustomerUpsert, "invalid")
		return ws, err
	}
	return ws, c.post(ctx, callCustomerUpsert, "customer", cu)
}

// PushPlant checks a plant and upserts it, with its grid hierarchy.
func (c *Client) PushPlant(ctx context.Context, p Plant) ([]Warning, error) {
	ws, err := c.rules.CheckPlant(p)
	c.noteWarnings(KindPlant, p.MeteringPointID, ws)
	if err != nil {
		c.m.call(callPlantUpsert, "invalid")
		return ws, err
	}
	return ws, c.post(ctx, callPlantUpsert, "plant", p)
}

// noteWarnings counts warnings and logs them. A plant's metering point id
// is named; a customer's Number is personal data and is not.
func (c *Client) noteWarnings(kind Kind, id string, ws []Warning) {
	for _, w := range ws {
		c.m.warning(w.Check)
		attrs := []any{"kind", kind, "field", w.Field, "check", w.Check, "strict", c.rules.Strict}
		if id != "" {
			attrs = append(attrs, "meteringPointId", id)
		}
		msg := "cubit: a check digit does not hold; sending it anyway"
		if c.rules.Strict {
			msg = "cubit: a check digit does not hold; refused (strict)"
		}
		c.log.Warn(msg, attrs...)
	}
}

// Deliver is the work of an outbox sink: payload is the JSON of a Customer
// or a Plant, as kind says. It is decoded strictly (an unknown key or a
// wrong type is a permanent error), checked and upserted. Errors classify
// as the package documentation says.
func (c *Client) Deliver(ctx context.Context, kind Kind, payload []byte) error {
	switch kind {
	case KindCustomer:
		var cu Customer
		if err := decodeStrict(payload, &cu); err != nil {
			return remote.Refused("cubit customer", fmt.Errorf("payload: %w", err))
		}
		_, err := c.PushCustomer(ctx, cu)
		return err
	case KindPlant:
		var p Plant
		if err := decodeStrict(payload, &p); err != nil {
			return remote.Refused("cubit plant", fmt.Errorf("payload: %w", err))
		}
		_, err := c.PushPlant(ctx, p)
		return err
	}
	return remote.Refused("cubit", fmt.Errorf("unknown kind %q: want customer or plant", kind))
}

// decodeStrict decodes one JSON value with no unknown keys and nothing
// after it.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON value")
	}
	return nil
}

// The calls, as the requests counter's call label names them.
const (
	callCustomerUpsert = "customer_upsert"
	callPlantUpsert    = "plant_upsert"
	callCustomerGet    = "customer_get"
	callPlantGet       = "plant_get"
)

// post sends POST /api/import/{environment}/{what}.
func (c *Client) post(ctx context.Context, call, what string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return remote.Refused("cubit "+what, err)
	}
	path := "/api/import/" + c.env + "/" + what
	op := "POST " + path
	resp, err := c.do(ctx, http.MethodPost, path, body)
	if err != nil {
		c.m.call(call, "transient")
		return remote.Failed(op, err)
	}
	defer resp.Body.Close()
	answer, rerr := remote.ReadBody(resp.Body, maxAnswer)
	if resp.StatusCode/100 != 2 {
		e := remote.StatusError(op, resp.StatusCode, answer)
		c.m.call(call, e.Class.String())
		return e
	}
	if rerr != nil {
		c.log.Debug("cubit: reading the answer to an accepted upsert failed", "call", call, "err", rerr)
	}
	c.m.call(call, "ok")
	return nil
}

// do sends one request with the api-key header.
func (c *Client) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	u := *c.base
	u.Path += path
	u.RawPath = ""
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("api-key", c.key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.http.Do(req)
}

// Customer reads a customer back by its Number (GET
// /api/customer/environment/{environment}/bynumber/{number}).
func (c *Client) Customer(ctx context.Context, number string) (Customer, error) {
	var cu Customer
	if !pathSafe(number) {
		return cu, errors.New("cubit: a customer number is letters, digits and '-' only")
	}
	prefix := "/api/customer/environment/" + c.env + "/bynumber/"
	raw, err := c.get(ctx, callCustomerGet, "GET "+prefix+"…", prefix+number)
	if err != nil {
		return cu, err
	}
	cu, err = DecodeCustomer(raw)
	if err != nil {
		return cu, remote.Failed("GET "+prefix+"…", err)
	}
	return cu, nil
}

// Plant reads a plant back by its metering point id (GET
// /api/plant/{environment}/getDataForImport/{meteringPointId}).
func (c *Client) Plant(ctx context.Context, meteringPointID string) (Plant, error) {
	var p Plant
	if !allDigits(meteringPointID, 18) {
		return p, fmt.Errorf("cubit: metering point id %q is not 18 digits", meteringPointID)
	}
	path := "/api/plant/" + c.env + "/getDataForImport/" + meteringPointID
	raw, err := c.get(ctx, callPlantGet, "GET "+path, path)
	if err != nil {
		return p, err
	}
	p, err = DecodePlant(raw)
	if err != nil {
		return p, remote.Failed("GET "+path, err)
	}
	return p, nil
}

// pathSafe reports whether s can be a path segment as it is: ASCII
// letters, digits and '-', not empty.
func pathSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return s != ""
}

// get fetches a JSON object; 404 is ErrNotFound. op names the call in
// errors (without a customer's number).
func (c *Client) get(ctx context.Context, call, op, path string) ([]byte, error) {
	resp, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		c.m.call(call, "transient")
		return nil, remote.Failed(op, err)
	}
	defer resp.Body.Close()
	body, err := remote.ReadBody(resp.Body, maxAnswer)
	switch {
	case resp.StatusCode == http.StatusNotFound:
		c.m.call(call, "not_found")
		return nil, ErrNotFound
	case resp.StatusCode != http.StatusOK:
		e := remote.StatusError(op, resp.StatusCode, body)
		c.m.call(call, e.Class.String())
		return nil, e
	case err != nil:
		c.m.call(call, "transient")
		return nil, remote.Failed(op, err)
	}
	c.m.call(call, "ok")
	return body, nil
}
