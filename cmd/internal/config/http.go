package config

import (
	"fmt"
	"net/netip"
	"slices"
)

// HTTP configures the one HTTP server of the service-provider, Atlas,
// import and health APIs.
type HTTP struct {
	Listen         []string       `yaml:"listen" reload:"restart"`
	TLS            TLS            `yaml:"tls" reload:"restart"`
	TrustedProxies []netip.Prefix `yaml:"trusted_proxies" reload:"live"`
	ReadTimeout    Duration       `yaml:"read_timeout" reload:"restart"`
	WriteTimeout   Duration       `yaml:"write_timeout" reload:"restart"`
	IdleTimeout    Duration       `yaml:"idle_timeout" reload:"restart"`
	MaxBodyBytes   int64          `yaml:"max_body_bytes" reload:"live"`
	MetricsPublic  *bool          `yaml:"metrics_public" reload:"live"`
	// MaxConnections bounds the HTTP connections held open at once, and
	// MaxConnectionsPerSource those from one address (IPv6: one /64;
	// trusted_proxies are exempt): beyond them a new connection is closed
	// at once. accessd lowers MaxConnections to fit RLIMIT_NOFILE.
	MaxConnections          int `yaml:"max_connections" reload:"restart"`
	MaxConnectionsPerSource int `yaml:"max_connections_per_source" reload:"restart"`
}

// ReadHeaderTimeout bounds the reading of a request's headers; it is not
// configurable (http.read_timeout bounds the whole request).
const ReadHeaderTimeout = 10 * second

// DefaultMaxBodyBytes is http.max_body_bytes when absent: 64 MiB, what an
// import of 100,000 accesses needs (the JSON of invtest's 100,000 accesses
// is 56.5 MB, their CSV 16 MB), and no more: memory use grows with the
// body.
const DefaultMaxBodyBytes = 64 << 20

// DefaultMaxConnections is http.max_connections when absent; the unit's
// LimitNOFILE= is sized to it.
const DefaultMaxConnections = 1024

// TLS names the certificate and key of the HTTP server; both empty = plain HTTP.
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

func (h *HTTP) applyDefaults() {
	if h.Listen == nil {
		h.Listen = []string{DefaultHTTPListen}
	}
	if h.ReadTimeout == 0 {
		h.ReadTimeout = Duration(30 * second)
	}
	if h.WriteTimeout == 0 {
		h.WriteTimeout = Duration(120 * second)
	}
	if h.IdleTimeout == 0 {
		h.IdleTimeout = Duration(30 * second)
	}
	if h.MaxConnections == 0 {
		h.MaxConnections = DefaultMaxConnections
	}
	if h.MaxConnectionsPerSource == 0 {
		h.MaxConnectionsPerSource = 64
	}
	if h.MaxBodyBytes == 0 {
		h.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if h.MetricsPublic == nil {
		t := true
		h.MetricsPublic = &t
	}
}

func (h *HTTP) validate(v *validator) {
	for i, l := range h.Listen {
		if !validHostPort(l) {
			v.addf(fmt.Sprintf("http.listen[%d]", i), "%q is not host:port", l)
		}
	}
	if (h.TLS.CertFile == "") != (h.TLS.KeyFile == "") {
		v.addf("http.tls", "cert_file and key_file go together")
	}
	if h.MaxBodyBytes < 0 {
		v.addf("http.max_body_bytes", "must not be negative")
	}
	if h.MaxConnections < 1 {
		v.addf("http.max_connections", "must be at least 1")
	}
	if h.MaxConnectionsPerSource < 1 || h.MaxConnectionsPerSource > h.MaxConnections {
		v.addf("http.max_connections_per_source", "must be between 1 and http.max_connections")
	}
}

// User is an HTTP Basic user of the service-provider APIs.
type User struct {
	Name         string `yaml:"name"`
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	APIs         []API  `yaml:"apis"`
	// PIVersions limits the PI-API versions the user may call, each under
	// its own root URL /api/VERSION/ (misc.md): the URL chooses the
	// version, this only allows or forbids it. Empty = every version.
	PIVersions []PIVersion `yaml:"pi_versions"`
	// PIVersion is the older single-version form: "2.2" is pi_versions:
	// ["2.2"]. Give one of the two.
	PIVersion    PIVersion    `yaml:"pi_version"`
	CustomerData CustomerData `yaml:"customer_data"` // store | anonymous | none (default)
	// CustomerAPI is the provider's own PI-API 2.3 customer look-up, which
	// accessd calls (accessctl customer, fetch at activation).
	CustomerAPI CustomerAPI `yaml:"customer_api"`
}

// Allows reports whether the user may call the API group.
func (u User) Allows(api API) bool { return slices.Contains(u.APIs, api) }

func (c *Config) applyUserDefaults() {
	for i := range c.Users {
		u := &c.Users[i]
		if u.PIVersion != "" && len(u.PIVersions) == 0 {
			u.PIVersions = []PIVersion{u.PIVersion}
		}
		if u.CustomerData == "" {
			u.CustomerData = CustomerNone
		}
	}
}

func (c *Config) validateUsers(v *validator) {
	seen := map[string]bool{}
	for i := range c.Users {
		u := &c.Users[i]
		p := fmt.Sprintf("users[%d]", i)
		if u.Name == "" {
			v.addf(p+".name", "missing")
		} else if seen[u.Name] {
			v.addf(p+".name", "%q is defined twice", u.Name)
		}
		seen[u.Name] = true
		if u.Password == "" && u.PasswordFile == "" {
			v.addf(p, "needs password or password_file")
		}
		v.secretFrom(p+".password_file", u.Password, u.PasswordFile, func(s string) { u.Password = s })
		if len(u.APIs) == 0 {
			v.addf(p+".apis", "list at least one of pi-v1, pi-api, on-api")
		}
		if u.PIVersion != "" && (len(u.PIVersions) != 1 || u.PIVersions[0] != u.PIVersion) {
			v.addf(p+".pi_version", "give pi_versions or pi_version, not both")
		}
		v.validateCustomerAPI(p+".customer_api", &u.CustomerAPI)
	}
}

// Import configures the Cubit-style upsert API.
type Import struct {
	APIKeys     map[string]string `yaml:"api_keys"`
	APIKeysFile string            `yaml:"api_keys_file"`
}

func (im *Import) validate(v *validator) {
	if im.APIKeysFile != "" {
		if len(im.APIKeys) > 0 {
			v.addf("import.api_keys_file", "give api_keys inline or in a file, not both")
			return
		}
		v.secretFiles = append(v.secretFiles, secretFile{path: "import.api_keys_file", file: im.APIKeysFile, set: func(s string) {
			keys, err := parseKeyFile(s)
			if err != nil {
				v.addf("import.api_keys_file", "%v", err)
				return
			}
			im.APIKeys = keys
			im.checkKeys(v)
		}})
		return
	}
	im.checkKeys(v)
}

func (im *Import) checkKeys(v *validator) {
	for env, k := range im.APIKeys {
		if Environment(env) != Test && Environment(env) != Prod {
			v.addf("import.api_keys."+env, "environment must be test or prod")
		}
		if k == "" {
			v.addf("import.api_keys."+env, "empty key")
		}
	}
	if im.APIKeys["test"] != "" && im.APIKeys["test"] == im.APIKeys["prod"] {
		v.addf("import.api_keys", "test and prod must have different keys")
	}
}
