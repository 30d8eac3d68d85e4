package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Atlas configures the Tjänsteguiden bounce URL and activation API.
type Atlas struct {
	APIUser    string         `yaml:"api_user"`
	APIKey     string         `yaml:"api_key"`
	APIKeyFile string         `yaml:"api_key_file"`
	ReturnURLs []ReturnURL    `yaml:"return_urls"`
	AllowedIPs []netip.Prefix `yaml:"allowed_ips"`
	BouncePath string         `yaml:"bounce_path"`
	APIPath    string         `yaml:"api_path"`
	// NetType is port_status's nettype (the market database's value for
	// the network: LAYER2 or LAYER3).
	NetType string `yaml:"nettype"`
}

// On reports whether the Atlas endpoints are configured.
func (a *Atlas) On() bool { return a.APIUser != "" }

func (a *Atlas) applyDefaults() {
	if a.BouncePath == "" {
		a.BouncePath = "/atlas/bounce"
	}
	if a.APIPath == "" {
		a.APIPath = "/atlas/api"
	}
	if a.NetType == "" {
		a.NetType = "LAYER2"
	}
}

func (a *Atlas) validate(v *validator) {
	v.secretFrom("atlas.api_key_file", a.APIKey, a.APIKeyFile, func(s string) { a.APIKey = s })
	if a.APIUser != "" && a.APIKey == "" && a.APIKeyFile == "" {
		v.addf("atlas.api_key", "missing (api_user is set)")
	}
	if a.APIUser != "" && len(a.AllowedIPs) == 0 && !v.given("atlas.allowed_ips") {
		v.addf("atlas.allowed_ips", "missing: the activation API answers only these addresses (Tjänsteguiden's, e.g. 94.247.170.170)")
	}
	if a.BouncePath == a.APIPath {
		v.addf("atlas.api_path", "%q is also the bounce_path", a.APIPath)
	}
	for _, p := range []struct{ key, val string }{{"atlas.bounce_path", a.BouncePath}, {"atlas.api_path", a.APIPath}} {
		if !strings.HasPrefix(p.val, "/") || strings.ContainsAny(p.val, " {}?#") {
			v.addf(p.key, "%q is not an absolute URL path", p.val)
		}
	}
}

// Service is one technical service of the KO's catalogue.
type Service struct {
	UID              string   `yaml:"uid"`
	Name             string   `yaml:"name"`
	Type             string   `yaml:"type"` // broadband | tv | voip | …
	Media            []string `yaml:"media"`
	CapacityKbit     int      `yaml:"capacity_kbit"`
	Hardware         string   `yaml:"hardware"` // CPE | DRG | none
	DirectActivation bool     `yaml:"direct_activation"`
	MaxPerAccess     int      `yaml:"max_per_access"` // active services of this type; default 1
	CommitmentMonths int      `yaml:"commitment_months"`
	// IPTV marks an IP-TV service: deliverable only where the inventory's
	// iptv flag is YES (CSV Access Upload API 1.1).
	IPTV bool `yaml:"iptv"`
}

func (c *Config) applyServiceDefaults() {
	for i := range c.Services {
		s := &c.Services[i]
		if s.Name == "" {
			s.Name = s.UID
		}
		if s.MaxPerAccess == 0 {
			s.MaxPerAccess = 1
		}
	}
}

func (c *Config) validateServices(v *validator) {
	seen := map[string]bool{}
	for i := range c.Services {
		s := &c.Services[i]
		p := fmt.Sprintf("services[%d]", i)
		if !reID.MatchString(s.UID) {
			v.addf(p+".uid", "%q: use letters, digits, '-' and '.' only (1–36)", s.UID)
		} else if seen[s.UID] {
			v.addf(p+".uid", "%q is defined twice", s.UID)
		}
		seen[s.UID] = true
		if s.Type == "" {
			v.addf(p+".type", "missing (broadband, tv, voip, …)")
		}
		if s.CapacityKbit < 0 {
			v.addf(p+".capacity_kbit", "must not be negative")
		}
		switch strings.ToUpper(s.Hardware) {
		case "", "NONE", "CPE", "DRG":
		default:
			v.addf(p+".hardware", "%q: must be CPE, DRG or none", s.Hardware)
		}
		if s.MaxPerAccess < 0 {
			v.addf(p+".max_per_access", "must be 1 or more")
		}
		if s.CommitmentMonths < 0 || s.CommitmentMonths > 120 {
			v.addf(p+".commitment_months", "must be 0 to 120")
		}
	}
	codes := map[int]bool{}
	for i, m := range c.Media {
		p := fmt.Sprintf("media_codes[%d]", i)
		if m.Name == "" {
			v.addf(p+".name", "missing")
		}
		if codes[m.Code] {
			v.addf(p+".code", "%d is used twice", m.Code)
		}
		if m.Code <= 0 {
			v.addf(p+".code", "must be 1 or more (0 means an unknown medium)")
		}
		codes[m.Code] = true
	}
}

// MediaCode maps a medium name (FTTH, FTTB, …) to the number Atlas carries
// in current_media / required_media.
type MediaCode struct {
	Name string `yaml:"name"`
	Code int    `yaml:"code"`
}

// Activation configures how orders reach the KO's provisioning.
type Activation struct {
	Hook    string   `yaml:"hook" reload:"live"`
	Timeout Duration `yaml:"timeout" reload:"live"`
	// Concurrency bounds the hooks running at once (default 4).
	Concurrency int `yaml:"concurrency" reload:"restart"`
	// Rules are the KO's own refusals (service_deliverable codes 500 and
	// up), checked after the standard ones, in this order.
	Rules []Rule `yaml:"rules" reload:"live"`
}

// Rule is a KO's own reason not to deliver a service.
type Rule struct {
	Code     int           `yaml:"code"`
	When     RuleCondition `yaml:"when"`
	Values   []string      `yaml:"values"`
	Services []string      `yaml:"services"`
	Message  string        `yaml:"message"`
}

func (a *Activation) applyDefaults() {
	if a.Timeout == 0 {
		a.Timeout = Duration(30 * second)
	}
	if a.Concurrency == 0 {
		a.Concurrency = 4
	}
}

func (a *Activation) validate(v *validator) {
	if a.Hook != "" && !strings.HasPrefix(a.Hook, "/") {
		v.addf("activation.hook", "%q must be an absolute path (no shell is used)", a.Hook)
	}
	if a.Concurrency < 1 || a.Concurrency > 64 {
		v.addf("activation.concurrency", "must be 1 to 64")
	}
	for i, r := range a.Rules {
		p := fmt.Sprintf("activation.rules[%d]", i)
		if r.Code < 500 || r.Code > 999 {
			v.addf(p+".code", "%d: own codes are 500 to 999 (Atlas reserves 200 and 400–404)", r.Code)
		}
		if r.When == "" && !v.given(p+".when") {
			v.addf(p+".when", "missing")
		}
		if r.When.NeedsValues() && len(r.Values) == 0 {
			v.addf(p+".values", "missing: %s needs the values to compare with", r.When)
		}
		if r.Message == "" {
			v.addf(p+".message", "missing: Atlas shows it to the customer")
		}
		for j, uid := range r.Services {
			if !slices.ContainsFunc(v.c.Services, func(s Service) bool { return s.UID == uid }) {
				v.addf(fmt.Sprintf("%s.services[%d]", p, j), "%q is not in services", uid)
			}
		}
	}
}

// ReturnURL is an allowed return URL of the bounce: an absolute http(s)
// URL without user info, parsed once when the file is read.
type ReturnURL struct{ u *url.URL }

// URL is the parsed URL.
func (r ReturnURL) URL() *url.URL { return r.u }

// UnmarshalYAML implements yaml.Unmarshaler.
func (r *ReturnURL) UnmarshalYAML(n *yaml.Node) error {
	u, err := url.Parse(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return badValuef("%q is not an absolute http(s) URL without user info", n.Value)
	}
	r.u = u
	return nil
}

// URLs are the return URLs as the bounce's allow-list takes them.
func (a *Atlas) URLs() []*url.URL {
	out := make([]*url.URL, len(a.ReturnURLs))
	for i, r := range a.ReturnURLs {
		out[i] = r.u
	}
	return out
}
