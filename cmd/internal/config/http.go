package config

import (
	"fmt"
	"slices"
)

// HTTP configures the one HTTP server of the service-provider, Atlas,
// import and health APIs.
type HTTP struct {
	Listen         []string `yaml:"listen"`
	TLS            TLS      `yaml:"tls"`
	TrustedProxies []string `yaml:"trusted_proxies"`
	ReadTimeout    Duration `yaml:"read_timeout"`
	WriteTimeout   Duration `yaml:"write_timeout"`
	IdleTimeout    Duration `yaml:"idle_timeout"`
	MaxBodyBytes   int64    `yaml:"max_body_bytes"`
	MetricsPublic  *bool    `yaml:"metrics_public"`
}

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
		h.IdleTimeout = Duration(120 * second)
	}
	if h.MaxBodyBytes == 0 {
		h.MaxBodyBytes = 256 << 20
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
	v.prefixes("http.trusted_proxies", h.TrustedProxies)
	if h.MaxBodyBytes < 0 {
		v.addf("http.max_body_bytes", "must not be negative")
	}
}

// API names of the route groups a user may call.
const (
	APIPIV1  = "pi-v1"
	APIPIAPI = "pi-api"
	APIONAPI = "on-api"
)

// User is an HTTP Basic user of the service-provider APIs.
type User struct {
	Name         string   `yaml:"name"`
	Password     string   `yaml:"password"`
	PasswordFile string   `yaml:"password_file"`
	APIs         []string `yaml:"apis"`
	PIVersion    string   `yaml:"pi_version"`    // "2.3" (default) or "2.2"
	CustomerData string   `yaml:"customer_data"` // store | anonymous | none
}

// Allows reports whether the user may call the API group.
func (u User) Allows(api string) bool { return slices.Contains(u.APIs, api) }

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
		for j, a := range u.APIs {
			switch a {
			case APIPIV1, APIPIAPI, APIONAPI:
			default:
				v.addf(fmt.Sprintf("%s.apis[%d]", p, j), "%q: must be pi-v1, pi-api or on-api", a)
			}
		}
		if u.PIVersion == "" {
			u.PIVersion = "2.3"
		}
		if u.PIVersion != "2.3" && u.PIVersion != "2.2" {
			v.addf(p+".pi_version", "%q: must be 2.2 or 2.3", u.PIVersion)
		}
		if u.CustomerData == "" {
			u.CustomerData = "none"
		}
		switch u.CustomerData {
		case "store", "anonymous", "none":
		default:
			v.addf(p+".customer_data", "%q: must be store, anonymous or none", u.CustomerData)
		}
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
		v.c.secretFiles = append(v.c.secretFiles, secretFile{path: "import.api_keys_file", file: im.APIKeysFile, set: func(s string) {
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
		if env != "test" && env != "prod" {
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
