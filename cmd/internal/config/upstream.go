package config

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// Upstream configures what accessd syncs upstream (the upstream
// subsystem): the Atlas order portal, Cubit, the inventory pull and the
// outbox that carries changes to them. Each system is off until its url is
// set. Secrets come only from files (…_file keys), read when the
// configuration is checked and again by the subsystem; they are never
// held in the configuration.
type Upstream struct {
	AtlasPortal   AtlasPortal   `yaml:"atlas_portal" reload:"restart"`
	Cubit         Cubit         `yaml:"cubit" reload:"restart"`
	InventoryPull InventoryPull `yaml:"inventory_pull" reload:"restart"`
	Outbox        Outbox        `yaml:"outbox" reload:"keys"`
}

// AtlasPortal is Atlas's order portal, serviceguide_log, which accessd
// polls for orders as the KO and whose order statuses it keeps.
type AtlasPortal struct {
	URL          string       `yaml:"url"`
	LoginURL     string       `yaml:"login_url"` // api_login's URL when it differs
	APIUser      string       `yaml:"api_user"`
	APIKeyFile   string       `yaml:"api_key_file"`
	PollInterval Duration     `yaml:"poll_interval"`
	CustomerData CustomerData `yaml:"customer_data"` // store | anonymous | none
	Timeout      Duration     `yaml:"timeout"`
}

// On reports whether the portal is configured.
func (a *AtlasPortal) On() bool { return a.URL != "" }

// Cubit is the power utility's Cubit, to which accessd pushes customers
// and plants.
type Cubit struct {
	URL        string `yaml:"url"`
	APIKeyFile string `yaml:"api_key_file"`
	// Environment is test or prod and must be the daemon's own.
	Environment Environment `yaml:"environment"`
	// Strict refuses objects whose check digits fail (default: warn).
	Strict bool `yaml:"strict"`
	// NumberFormat is the customer number format agreed with Cubit (an
	// RE2 expression for the whole number) instead of 11 or 9 digits.
	NumberFormat string   `yaml:"number_format"`
	Timeout      Duration `yaml:"timeout"`
	CAFile       string   `yaml:"ca_file"`
}

// On reports whether Cubit is configured.
func (c *Cubit) On() bool { return c.URL != "" }

// InventoryPull is the KO's central system that accessd pulls the
// inventory from.
type InventoryPull struct {
	Name         string   `yaml:"name"`
	URL          string   `yaml:"url"`
	Format       string   `yaml:"format"` // pi-v1 | pi-api | on-api | csv
	Username     string   `yaml:"username"`
	PasswordFile string   `yaml:"password_file"`
	APIKeyFile   string   `yaml:"api_key_file"`
	APIKeyHeader string   `yaml:"api_key_header"`
	CAFile       string   `yaml:"ca_file"`
	Timeout      Duration `yaml:"timeout"`
	Interval     Duration `yaml:"interval"`
	// FullInterval makes a full pull with --replace semantics at least
	// this often (0: never), so that removals are learnt.
	FullInterval Duration `yaml:"full_interval"`
	MaxBytes     int64    `yaml:"max_bytes"`
}

// On reports whether the pull is configured.
func (p *InventoryPull) On() bool { return p.URL != "" }

// Outbox configures the durable outbox and its delivery.
type Outbox struct {
	// BudgetBytes bounds the outbox on disk; over it, superseded states
	// of the same key are compacted. 0 means unbounded.
	BudgetBytes    int64    `yaml:"budget_bytes" reload:"live"`
	BackoffInitial Duration `yaml:"backoff_initial" reload:"restart"`
	BackoffMax     Duration `yaml:"backoff_max" reload:"restart"`
	// AttemptTimeout bounds one delivery.
	AttemptTimeout Duration `yaml:"attempt_timeout" reload:"restart"`
	// PollInterval is how often an idle sink looks for entries that came
	// without a wake-up.
	PollInterval Duration `yaml:"poll_interval" reload:"restart"`
	// Concurrency is how many entries of different keys a sink delivers at
	// once; the entries of one key (an order, a customer, a plant) always
	// go one after the other, in order.
	Concurrency int `yaml:"concurrency" reload:"restart"`
}

// CustomerAPI is a service provider's side of PI-API 2.3 (access_customer_info,
// query_sp), which accessd asks for the customer of an access: in the
// provider's users: entry.
type CustomerAPI struct {
	URL          string   `yaml:"url"`
	Username     string   `yaml:"username"`
	PasswordFile string   `yaml:"password_file"`
	CAFile       string   `yaml:"ca_file"`
	Timeout      Duration `yaml:"timeout"`
	// FetchAtActivation asks for the customer when an order of this
	// provider is activated and fails the order when it cannot be had.
	FetchAtActivation bool `yaml:"fetch_at_activation"`
}

// On reports whether the look-up is configured.
func (c *CustomerAPI) On() bool { return c.URL != "" }

func (u *Upstream) applyDefaults() {
	if p := &u.AtlasPortal; p.On() {
		if p.PollInterval == 0 {
			p.PollInterval = Duration(60 * second)
		}
		if p.CustomerData == "" {
			p.CustomerData = CustomerNone
		}
		if p.Timeout == 0 {
			p.Timeout = Duration(30 * second)
		}
	}
	if c := &u.Cubit; c.On() && c.Timeout == 0 {
		c.Timeout = Duration(30 * second)
	}
	o := &u.Outbox
	if o.BudgetBytes == 0 {
		o.BudgetBytes = 256 << 20
	}
	if o.BackoffInitial == 0 {
		o.BackoffInitial = Duration(second)
	}
	if o.BackoffMax == 0 {
		o.BackoffMax = Duration(5 * time.Minute)
	}
	if o.AttemptTimeout == 0 {
		o.AttemptTimeout = Duration(30 * second)
	}
	if o.PollInterval == 0 {
		o.PollInterval = Duration(5 * second)
	}
	if o.Concurrency == 0 {
		o.Concurrency = 4
	}
}

func (u *Upstream) validate(v *validator) {
	if p := &u.AtlasPortal; p.On() {
		v.httpURL("upstream.atlas_portal.url", p.URL, true)
		v.httpURL("upstream.atlas_portal.login_url", p.LoginURL, false)
		if !regexp.MustCompile(`^[0-9]{1,18}$`).MatchString(p.APIUser) {
			v.addf("upstream.atlas_portal.api_user", "%q: the Atlas API user id is a number", p.APIUser)
		}
		v.secretFileOnly("upstream.atlas_portal.api_key_file", p.APIKeyFile, true)
		if p.PollInterval.D() < 10*second {
			v.addf("upstream.atlas_portal.poll_interval", "%v is under 10s", p.PollInterval.D())
		}
	}
	if c := &u.Cubit; c.On() {
		v.httpURL("upstream.cubit.url", c.URL, true)
		v.secretFileOnly("upstream.cubit.api_key_file", c.APIKeyFile, true)
		switch {
		case c.Environment == "":
			v.addf("upstream.cubit.environment", "missing: test or prod, the daemon's own environment (%s)", v.c.Environment)
		case c.Environment != v.c.Environment:
			v.addf("upstream.cubit.environment", "%q is not this daemon's environment %q: accessd writes only to its own Cubit environment",
				c.Environment, v.c.Environment)
		}
		if c.NumberFormat != "" {
			if _, err := regexp.Compile(c.NumberFormat); err != nil {
				v.addf("upstream.cubit.number_format", "bad regular expression: %v", err)
			}
		}
		v.optionalFile("upstream.cubit.ca_file", c.CAFile)
	}
	if p := &u.InventoryPull; p.On() {
		p.validate(v)
	}
	o := &u.Outbox
	if o.BudgetBytes < 0 {
		v.addf("upstream.outbox.budget_bytes", "must not be negative (0: unbounded)")
	}
	if o.Concurrency < 1 || o.Concurrency > 64 {
		v.addf("upstream.outbox.concurrency", "must be 1 to 64")
	}
	if o.BackoffMax < o.BackoffInitial {
		v.addf("upstream.outbox.backoff_max", "%v is under backoff_initial %v", o.BackoffMax.D(), o.BackoffInitial.D())
	}
}

func (p *InventoryPull) validate(v *validator) {
	const k = "upstream.inventory_pull."
	v.httpURL(k+"url", p.URL, true)
	switch p.Format {
	case "pi-v1", "pi-api", "on-api", "csv":
	default:
		v.addf(k+"format", "%q: must be pi-v1, pi-api, on-api or csv", p.Format)
	}
	if p.PasswordFile != "" && p.APIKeyFile != "" {
		v.addf(k+"api_key_file", "give password_file (HTTP Basic) or api_key_file, not both")
	}
	if p.PasswordFile != "" && p.Username == "" {
		v.addf(k+"username", "missing: password_file is HTTP Basic's password")
	}
	v.secretFileOnly(k+"password_file", p.PasswordFile, false)
	v.secretFileOnly(k+"api_key_file", p.APIKeyFile, false)
	v.optionalFile(k+"ca_file", p.CAFile)
	if p.MaxBytes < 0 {
		v.addf(k+"max_bytes", "must not be negative")
	}
}

// validateCustomerAPI checks the customer look-up of users[i].
func (v *validator) validateCustomerAPI(path string, c *CustomerAPI) {
	if !c.On() && !v.given(path) {
		return
	}
	v.httpURL(path+".url", c.URL, true)
	if c.Username == "" {
		v.addf(path+".username", "missing: the KO's HTTP Basic user at the service provider")
	}
	v.secretFileOnly(path+".password_file", c.PasswordFile, true)
	v.optionalFile(path+".ca_file", c.CAFile)
}

// httpURL checks an absolute http(s) URL without credentials or query.
func (v *validator) httpURL(path, s string, required bool) {
	if s == "" {
		if required {
			v.addf(path, "missing")
		}
		return
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		v.addf(path, "%q is not an absolute http(s) URL", s)
	case u.User != nil:
		v.addf(path, "no credentials in the URL: give them in a file")
	}
}

// secretFileOnly checks that a secret file exists and holds one line; the
// secret itself is not kept (the subsystem reads it).
func (v *validator) secretFileOnly(path, file string, required bool) {
	if file == "" {
		if required {
			v.addf(path, "missing: the secret is read from this file")
		}
		return
	}
	b, err := os.ReadFile(file)
	if err != nil {
		v.addf(path, "%v", err)
		return
	}
	s := strings.TrimRight(string(b), "\r\n")
	switch {
	case strings.TrimSpace(s) == "":
		v.addf(path, "%s is empty", file)
	case strings.ContainsAny(s, "\r\n"):
		v.addf(path, "%s holds more than one line", file)
	}
}

// optionalFile checks that a file, when named, can be read.
func (v *validator) optionalFile(path, file string) {
	if file == "" {
		return
	}
	if _, err := os.Stat(file); err != nil {
		v.addf(path, "%v", fmt.Errorf("cannot read it: %w", err))
	}
}
