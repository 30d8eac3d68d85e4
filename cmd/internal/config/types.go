package config

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

const (
	second = time.Second
	hour   = time.Hour
)

// Duration is a time.Duration written as Go duration text ("60s", "1h30m")
// or with a day suffix ("90d").
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseDuration(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %q is not a duration such as 30s, 5m or 90d", n.Line, n.Value)}}
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || n < 0 || fmt.Sprint(n) != days {
			return 0, fmt.Errorf("bad day count %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if v < 0 {
		return 0, fmt.Errorf("negative duration %q", s)
	}
	return v, nil
}

// secretFile is a secret to be read from a file once the config is decoded.
type secretFile struct {
	path string // key path, for messages
	file string
	set  func(string)
}

// secretFrom registers a file secret: when file is set, the value must not
// be, and the file's content (without a trailing newline) becomes the value.
func (v *validator) secretFrom(path, value, file string, set func(string)) {
	if file == "" {
		return
	}
	if value != "" {
		v.addf(path, "give the secret inline or in a file, not both")
		return
	}
	v.c.secretFiles = append(v.c.secretFiles, secretFile{path: path, file: file, set: set})
}

func (c *Config) readSecrets(v *validator) {
	for _, s := range c.secretFiles {
		b, err := os.ReadFile(s.file)
		if err != nil {
			v.addf(s.path, "%v", err)
			continue
		}
		s.set(strings.TrimRight(string(b), "\r\n"))
	}
}

// parsePrefix accepts a CIDR or a bare address (a /32 or /128).
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Prefixes parses a list of CIDRs or addresses, reporting each bad one.
func (v *validator) prefixes(path string, in []string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(in))
	for i, s := range in {
		p, err := parsePrefix(s)
		if err != nil {
			v.addf(fmt.Sprintf("%s[%d]", path, i), "%q is not an address or CIDR", s)
			continue
		}
		out = append(out, p)
	}
	return out
}

// ParsePrefixes parses CIDRs or bare addresses (already validated by Load).
func ParsePrefixes(in []string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(in))
	for _, s := range in {
		if p, err := parsePrefix(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func validHostPort(s string) bool {
	_, err := netip.ParseAddrPort(s)
	if err == nil {
		return true
	}
	// host names are allowed for listeners too ("localhost:8067")
	i := strings.LastIndexByte(s, ':')
	if i < 0 || i == len(s)-1 {
		return false
	}
	for _, r := range s[i+1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
