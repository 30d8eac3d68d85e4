package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Atlas configures the Tjänsteguiden bounce URL and activation API.
type Atlas struct {
	APIUser    string   `yaml:"api_user"`
	APIKey     string   `yaml:"api_key"`
	APIKeyFile string   `yaml:"api_key_file"`
	ReturnURLs []string `yaml:"return_urls"`
	AllowedIPs []string `yaml:"allowed_ips"`
	BouncePath string   `yaml:"bounce_path"`
	APIPath    string   `yaml:"api_path"`
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
	for i, u := range a.ReturnURLs {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" || pu.User != nil {
			v.addf(fmt.Sprintf("atlas.return_urls[%d]", i), "%q is not an absolute http(s) URL without user info", u)
		}
	}
	v.prefixes("atlas.allowed_ips", a.AllowedIPs)
	if a.APIUser != "" && len(a.AllowedIPs) == 0 {
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
		if s.Name == "" {
			s.Name = s.UID
		}
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
		if s.MaxPerAccess == 0 {
			s.MaxPerAccess = 1
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
	Hook    string   `yaml:"hook"`
	Timeout Duration `yaml:"timeout"`
	// Concurrency bounds the hooks running at once (default 4).
	Concurrency int `yaml:"concurrency"`
	// Rules are the KO's own refusals (service_deliverable codes 500 and
	// up), checked after the standard ones, in this order.
	Rules []Rule `yaml:"rules"`
}

// Rule is a KO's own reason not to deliver a service.
type Rule struct {
	Code     int      `yaml:"code"`
	When     string   `yaml:"when"`
	Values   []string `yaml:"values"`
	Services []string `yaml:"services"`
	Message  string   `yaml:"message"`
}

// RuleConditions are the values of rules[].when.
func RuleConditions() []string {
	return []string{"not_sellable", "not_deliverable", "link_down", "population_in", "population_not_in",
		"premises_type_in", "premises_type_not_in"}
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
		if !slices.Contains(RuleConditions(), r.When) {
			v.addf(p+".when", "%q: must be one of %s", r.When, strings.Join(RuleConditions(), ", "))
		}
		if strings.HasSuffix(r.When, "_in") && len(r.Values) == 0 {
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
