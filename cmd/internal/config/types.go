package config

import (
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/portmatch"
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
		return &wrongType{fmt.Sprintf("%q is not a duration such as 30s, 5m or 90d", n.Value)}
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || strconv.Itoa(n) != days || n > 100*365 {
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

// leafParsers parse the values of types from other packages, which cannot
// implement yaml.Unmarshaler: a failure is a badValue, reported with its
// key path.
var leafParsers = map[reflect.Type]func(string) (any, error){
	reflect.TypeFor[netip.Prefix](): func(s string) (any, error) {
		p, err := parsePrefix(s)
		if err != nil {
			return nil, badValuef("%q is not an address or CIDR", s)
		}
		return p, nil
	},
	reflect.TypeFor[*regexp.Regexp](): func(s string) (any, error) {
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, badValuef("bad regular expression: %v", err)
		}
		return re, nil
	},
	reflect.TypeFor[portmatch.SwitchMatch](): func(s string) (any, error) {
		m, err := portmatch.ParseSwitchMatch(s)
		if err != nil {
			return nil, badValuef("%v", err)
		}
		return m, nil
	},
	reflect.TypeFor[slog.Level](): func(s string) (any, error) {
		switch s {
		case "debug":
			return slog.LevelDebug, nil
		case "info":
			return slog.LevelInfo, nil
		case "warn":
			return slog.LevelWarn, nil
		case "error":
			return slog.LevelError, nil
		}
		return nil, badValuef("%q: must be debug, info, warn or error", s)
	},
	reflect.TypeFor[fs.FileMode](): func(s string) (any, error) {
		m, err := strconv.ParseUint(s, 8, 32)
		if err != nil || m > 0o777 {
			return nil, badValuef("%q: must be an octal file mode such as 0660", s)
		}
		return fs.FileMode(m), nil
	},
	reflect.TypeFor[circuit.Format](): func(s string) (any, error) {
		if !slices.Contains(circuit.Formats(), circuit.Format(s)) {
			return nil, badValuef("%q: must be one of %s", s, strings.Join(DHCPFormats(), ", "))
		}
		return circuit.Format(s), nil
	},
	reflect.TypeFor[client.AuthProtocol](): func(s string) (any, error) {
		a, err := client.ParseAuthProtocol(s)
		if err != nil {
			return nil, badValuef("%s", authProblem(s))
		}
		return a, nil
	},
	reflect.TypeFor[client.PrivProtocol](): func(s string) (any, error) {
		p, err := client.ParsePrivProtocol(s)
		if err != nil {
			return nil, badValuef("%q: must be AES, AES192, AES256, AES192C, AES256C or empty (authNoPriv)", s)
		}
		return p, nil
	},
}

func authProblem(s string) string {
	return fmt.Sprintf("%q: must be SHA224, SHA256, SHA384 or SHA512 (accessd offers no MD5, SHA-1 or noAuth)", s)
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

// enum decodes a scalar into a string type that allows only some values;
// say is what the problem says of them ("must be test or prod").
func enum[T ~string](n *yaml.Node, out *T, allowed []T, say string) error {
	if n.Kind != yaml.ScalarNode {
		return &wrongType{kindName(n) + " where text was expected"}
	}
	if !slices.Contains(allowed, T(n.Value)) {
		return badValuef("%q: %s", n.Value, say)
	}
	*out = T(n.Value)
	return nil
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
	v.secretFiles = append(v.secretFiles, secretFile{path: path, file: file, set: set})
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
