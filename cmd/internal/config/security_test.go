package config

import (
	"strings"
	"testing"
)

// Issue 12: a relay listener needs its trusted sources, IPv4 only.
func TestRelayAllowedSources(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"dhcp:\n  relay: {listen: \"0.0.0.0:67\"}\n", "dhcp.relay.allowed_sources: required with dhcp.relay.listen"},
		{"dhcp:\n  relay: {listen: \"0.0.0.0:67\", allowed_sources: [\"::1/128\"]}\n", "dhcp.relay.allowed_sources[0]: ::1/128: must be an IPv4 prefix"},
		{"dhcp:\n  relay: {listen: \"0.0.0.0:67\", allowed_sources: [10.0.0.0/8, 127.0.0.1]}\n", ""},
		{"dhcp:\n  relay: {allowed_sources: []}\n", ""},
	} {
		c, err := Parse("t.yaml", []byte(tc.yaml))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.yaml, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.yaml, err, tc.want)
		case tc.want == "" && len(c.DHCP.Relay.AllowedSources) > 0 && c.DHCP.Relay.AllowedSources[1].String() != "127.0.0.1/32":
			t.Errorf("%s: %v", tc.yaml, c.DHCP.Relay.AllowedSources)
		}
	}
}

// admin.group names the group whose members may use the admin socket: it
// must exist.
func TestAdminGroupMustExist(t *testing.T) {
	if _, err := Parse("t.yaml", []byte("admin: {group: p-security-no-such-group}\n")); err == nil ||
		!strings.Contains(err.Error(), `admin.group: "p-security-no-such-group": no such group`) {
		t.Errorf("a missing group: %v", err)
	}
	if _, err := Parse("t.yaml", []byte("admin: {group: root}\n")); err != nil {
		t.Errorf("group root: %v", err)
	}
}
