package atlasportal

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"
)

// Config is upstream.atlas_portal in accessd's configuration:
//
//	upstream:
//	  atlas_portal:
//	    url: https://www.stadsnatsportalen.se/plain/serviceguide_log
//	    login_url: ""                  # api_login's URL when it differs; default url
//	    api_user: "1234"               # the KO's Atlas API user id
//	    api_key_file: /etc/accessd/atlas-portal.key
//	    poll_interval: 60s             # how often orders(date) is read
//	    customer_data: none            # store | anonymous | none
//	    timeout: 30s                   # one call, login included
type Config struct {
	// URL is serviceguide_log's endpoint; http or https.
	URL string
	// LoginURL is where api_login is called; empty: URL.
	LoginURL string
	// APIUser is the Atlas API user id (an integer, as add_message's
	// api_user).
	APIUser string
	// APIKeyFile holds the API key (the file's content, trimmed). The key
	// never appears in logs, errors or status.
	APIKeyFile string
	// PollInterval is the time between reads of orders(date); default 60s,
	// at least 10s.
	PollInterval time.Duration
	// CustomerData is the customer-data policy; default none. Only store
	// reads customer_info.
	CustomerData CustomerPolicy
	// Timeout bounds one call to the portal; default 30s.
	Timeout time.Duration
}

// WithDefaults fills in the defaults.
func (c Config) WithDefaults() Config {
	if c.PollInterval == 0 {
		c.PollInterval = 60 * time.Second
	}
	if c.CustomerData == "" {
		c.CustomerData = CustomerNone
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.LoginURL == "" {
		c.LoginURL = c.URL
	}
	return c
}

// Validate says what is wrong with c (after WithDefaults), naming the key.
func (c Config) Validate() error {
	var errs []error
	for _, u := range []struct{ key, v string }{{"url", c.URL}, {"login_url", c.LoginURL}} {
		if err := checkURL(u.v); err != nil {
			errs = append(errs, fmt.Errorf("upstream.atlas_portal.%s: %w", u.key, err))
		}
	}
	if err := validID("api_user", c.APIUser); err != nil {
		errs = append(errs, fmt.Errorf("upstream.atlas_portal.api_user: %w", err))
	}
	if c.APIKeyFile == "" {
		errs = append(errs, errors.New("upstream.atlas_portal.api_key_file: is required"))
	}
	if c.PollInterval < 10*time.Second {
		errs = append(errs, fmt.Errorf("upstream.atlas_portal.poll_interval: %v is under 10s", c.PollInterval))
	}
	if !c.CustomerData.Valid() {
		errs = append(errs, fmt.Errorf("upstream.atlas_portal.customer_data: %q is not store, anonymous or none", printable(string(c.CustomerData))))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("upstream.atlas_portal.timeout: %v is not positive", c.Timeout))
	}
	return errors.Join(errs...)
}

func checkURL(v string) error {
	u, err := url.Parse(v)
	switch {
	case v == "":
		return errors.New("is required")
	case err != nil:
		return fmt.Errorf("%q is not a URL", printable(v))
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return fmt.Errorf("%q: want an http or https URL", printable(v))
	case u.RawQuery != "" || u.User != nil:
		return fmt.Errorf("%q: no query or user information (the key comes from api_key_file)", printable(u.Redacted()))
	}
	return nil
}

// Secret is a credential: it prints, formats and logs as a redaction.
type Secret struct{ v string }

// NewSecret wraps v.
func NewSecret(v string) Secret { return Secret{v} }

// Reveal is the secret itself, for the one place that sends it.
func (s Secret) Reveal() string { return s.v }

// Empty reports whether there is no secret.
func (s Secret) Empty() bool { return s.v == "" }

func (Secret) String() string             { return "[secret]" }
func (Secret) GoString() string           { return "[secret]" }
func (Secret) Format(f fmt.State, _ rune) { f.Write([]byte("[secret]")) }
func (Secret) LogValue() slog.Value       { return slog.StringValue("[secret]") }

// MarshalText keeps a secret out of JSON and YAML status output.
func (Secret) MarshalText() ([]byte, error) { return []byte("[secret]"), nil }

// LoadKey reads the API key from path: the file's content without
// surrounding white space.
func LoadKey(path string) (Secret, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Secret{}, fmt.Errorf("atlas portal api_key_file: %w", err)
	}
	k := strings.TrimSpace(string(b))
	if k == "" {
		return Secret{}, fmt.Errorf("atlas portal api_key_file %s: is empty", path)
	}
	if strings.ContainsAny(k, "\r\n") {
		return Secret{}, fmt.Errorf("atlas portal api_key_file %s: holds more than one line", path)
	}
	return Secret{k}, nil
}
