package atlasportal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
)

// Client calls serviceguide_log as the KO. Its errors are classified for
// the outbox (outbox.ClassOf): a refused login is AuthRefused, a refusal
// of a call (after one new login, A3) or a well-formed but wrong answer is
// Permanent, anything else (network, 5xx, a cut answer) is transient.
// Errors never hold the API key or a hash, nor customer data. It is safe
// for concurrent use.
type Client struct {
	url, loginURL string
	user          string
	key           Secret
	hc            *http.Client
	timeout       time.Duration
	log           *slog.Logger

	mu     sync.Mutex // serialises logins; held to change hash
	hash   string
	hashAt time.Time
	smu    sync.Mutex // held to read or change hash and old outside a login
	old    []string   // hashes given before, for redaction
}

// NewClient makes a Client from cfg (defaults filled in and validated)
// and the API key.
func NewClient(cfg Config, key Secret, hc *http.Client, log *slog.Logger) (*Client, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if key.Empty() {
		return nil, errors.New("atlas portal: the API key is empty")
	}
	if hc == nil || log == nil {
		return nil, errors.New("atlas portal: an HTTP client and a logger are required")
	}
	return &Client{url: cfg.URL, loginURL: cfg.LoginURL, user: cfg.APIUser, key: key, hc: hc,
		timeout: cfg.Timeout, log: log}, nil
}

// Orders lists the ids of the orders created on or after date
// (YYYY-MM-DD, A6).
func (c *Client) Orders(ctx context.Context, date string) ([]string, error) {
	if _, err := time.Parse(dateLayout, date); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("atlas portal orders: date %q is not YYYY-MM-DD", printable(date)))
	}
	var ids []string
	err := c.call(ctx, "orders", url.Values{"date": {date}}, true, func(b []byte) (err error) {
		ids, err = DecodeOrders(b)
		return err
	})
	return ids, err
}

// OrderInfo reads one order.
func (c *Client) OrderInfo(ctx context.Context, id string) (Order, error) {
	if err := validID("atlas portal order_info: id", id); err != nil {
		return Order{}, outbox.Permanent(err)
	}
	var o Order
	err := c.call(ctx, "order_info", url.Values{"id": {id}}, true, func(b []byte) (err error) {
		if o, err = DecodeOrderInfo(b); err == nil && o.ID != id {
			err = &FormatError{Method: "order_info", Element: "<response><order><id>", Problem: fmt.Sprintf("is %s, asked for %s", o.ID, id)}
		}
		return err
	})
	return o, err
}

// CustomerInfo reads one customer. The answer is personal data: the
// caller hands it on under the store policy and never logs it.
func (c *Client) CustomerInfo(ctx context.Context, id string) (Customer, error) {
	if err := validID("atlas portal customer_info: id", id); err != nil {
		return Customer{}, outbox.Permanent(err)
	}
	var cu Customer
	err := c.call(ctx, "customer_info", url.Values{"id": {id}}, true, func(b []byte) (err error) {
		cu, err = DecodeCustomerInfo(b)
		return err
	})
	return cu, err
}

// SetStatus sets an order's status.
func (c *Client) SetStatus(ctx context.Context, id string, s Status) error {
	if err := validID("atlas portal set_status: id", id); err != nil {
		return outbox.Permanent(err)
	}
	if !s.Valid() {
		return outbox.Permanent(fmt.Errorf("atlas portal set_status: status %q is not one of new, received, active, waiting, cancelled, delivered", printable(string(s))))
	}
	return c.call(ctx, "set_status", url.Values{"id": {id}, "status": {string(s)}}, true, func(b []byte) error {
		return DecodeAck("set_status", b)
	})
}

// AddMessage adds a message of type t to an order's log.
func (c *Client) AddMessage(ctx context.Context, id, message string, t MessageType) error {
	if err := validID("atlas portal add_message: id", id); err != nil {
		return outbox.Permanent(err)
	}
	if !t.Valid() {
		return outbox.Permanent(fmt.Errorf("atlas portal add_message: type %q is not error, alert, system or log", printable(string(t))))
	}
	if strings.TrimSpace(message) == "" {
		return outbox.Permanent(errors.New("atlas portal add_message: the message is empty"))
	}
	q := url.Values{"api_user": {c.user}, "id": {id}, "message": {message}, "type": {string(t)}}
	return c.call(ctx, "add_message", q, addMessageSendsHash, func(b []byte) error {
		return DecodeAck("add_message", b)
	})
}

// call runs method with params (and the hash when withHash), hands a 2xx
// answer to decode, and logs in again once on a refusal (A3).
func (c *Client) call(ctx context.Context, method string, params url.Values, withHash bool, decode func([]byte) error) error {
	stale := ""
	for attempt := 0; ; attempt++ {
		q := maps.Clone(params)
		q.Set("method", method)
		hash := ""
		if withHash {
			var err error
			if hash, err = c.currentHash(ctx, stale); err != nil {
				return err
			}
			q.Set("hash", hash)
		}
		status, body, err := c.get(ctx, method, c.url, q)
		if err != nil {
			return err
		}
		err = c.answer(method, status, body, decode)
		var ref *Refusal
		refused := errors.As(err, &ref) || outbox.ClassOf(err) == outbox.ClassAuth
		if refused && withHash && reloginOnFailure && attempt == 0 {
			c.log.Debug("atlas portal refused a call; logging in again once", "method", method)
			stale = hash
			continue
		}
		return c.classify(err)
	}
}

// answer turns an HTTP answer into decode's result or an error (A2, A4).
func (c *Client) answer(method string, status int, body []byte, decode func([]byte) error) error {
	if status >= 200 && status < 300 {
		return decode(body)
	}
	herr := outbox.HTTPStatus(status, []byte(c.redact(string(body))))
	if outbox.ClassOf(herr) == outbox.ClassPermanent {
		// A 4xx that is still a serviceguide_log refusal is that refusal.
		var ref *Refusal
		if err := DecodeAck(method, body); errors.As(err, &ref) {
			return ref
		}
	}
	return fmt.Errorf("atlas portal %s: %w", method, herr)
}

// classify gives an error its outbox class, with secrets removed.
func (c *Client) classify(err error) error {
	var ref *Refusal
	var fe *FormatError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ref):
		r := *ref
		r.Message, r.Code = c.redact(r.Message), c.redact(r.Code)
		return outbox.Permanent(&r)
	case errors.As(err, &fe) && !fe.Malformed():
		return outbox.Permanent(err)
	}
	return err
}

// currentHash returns a hash younger than hashRenewAfter that is not
// stale, logging in when there is none (A5).
func (c *Client) currentHash(ctx context.Context, stale string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hash != "" && c.hash != stale && time.Since(c.hashAt) < hashRenewAfter {
		return c.hash, nil
	}
	q := url.Values{"method": {"api_login"}, "api_user": {c.user}, "api_key": {c.key.Reveal()}}
	status, body, err := c.get(ctx, "api_login", c.loginURL, q)
	if err != nil {
		return "", err
	}
	var hash string
	err = c.answer("api_login", status, body, func(b []byte) (err error) {
		hash, err = DecodeLogin(b)
		return err
	})
	var ref *Refusal
	if errors.As(err, &ref) {
		r := *ref
		r.Message = c.redact(r.Message)
		return "", outbox.AuthRefused(fmt.Errorf("api_user %s: %w", c.user, &r))
	}
	if err != nil {
		return "", c.classify(err)
	}
	c.smu.Lock()
	if c.hash != "" {
		c.old = append(c.old, c.hash)
		if len(c.old) > 4 {
			c.old = c.old[1:]
		}
	}
	c.hash, c.hashAt = hash, time.Now()
	c.smu.Unlock()
	c.log.Debug("logged in to the atlas portal", "api_user", c.user)
	return hash, nil
}

// get calls base with q. Its errors never hold the URL (which carries the
// key or the hash).
func (c *Client) get(ctx context.Context, method, base string, q url.Values) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"?"+q.Encode(), nil)
	if err != nil {
		return 0, nil, outbox.Permanent(fmt.Errorf("atlas portal %s: build the request: %w", method, stripURL(err)))
	}
	req.Header.Set("Accept", "application/xml, text/xml")
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("atlas portal %s: %w", method, stripURL(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return 0, nil, fmt.Errorf("atlas portal %s: read the answer: %w", method, stripURL(err))
	}
	if len(body) > maxAnswer {
		return 0, nil, fmt.Errorf("atlas portal %s: the answer is over %d bytes", method, maxAnswer)
	}
	c.log.Debug("atlas portal call", "method", method, "http_status", resp.StatusCode, "bytes", len(body),
		"duration", time.Since(start).Round(time.Millisecond))
	return resp.StatusCode, body, nil
}

// stripURL drops the *url.Error around err: its text quotes the URL.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redact removes the key and any hash from text the portal sent back.
func (c *Client) redact(s string) string {
	c.smu.Lock()
	secrets := append([]string{c.key.Reveal(), c.hash}, c.old...)
	c.smu.Unlock()
	for _, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}
