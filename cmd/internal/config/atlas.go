package config

import (
	"fmt"
	"net/url"
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
}

func (a *Activation) applyDefaults() {
	if a.Timeout == 0 {
		a.Timeout = Duration(30 * second)
	}
}

func (a *Activation) validate(v *validator) {
	if a.Hook != "" && !strings.HasPrefix(a.Hook, "/") {
		v.addf("activation.hook", "%q must be an absolute path (no shell is used)", a.Hook)
	}
}
