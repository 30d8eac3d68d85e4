package config

import (
	"fmt"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/portmatch"
)

// SNMP configures the link-state poller and trap listener. The switch
// list (port, credentials, groups, switches) applies on reload; the
// poller's and the trap listeners' settings on restart.
type SNMP struct {
	Enabled          *bool           `yaml:"enabled" reload:"restart"`
	Interval         Duration        `yaml:"interval" reload:"restart"`
	FullRefreshEvery int             `yaml:"full_refresh_every" reload:"restart"`
	Timeout          Duration        `yaml:"timeout" reload:"restart"`
	Retries          int             `yaml:"retries" reload:"restart"`
	Concurrency      int             `yaml:"concurrency" reload:"restart"`
	MaxRepetitions   int             `yaml:"max_repetitions" reload:"restart"` // starting GETBULK budget per switch (it adapts)
	StaleAfter       Duration        `yaml:"stale_after" reload:"restart"`     // a port state not confirmed for longer is unknown
	Port             int             `yaml:"port" reload:"live"`               // UDP port of switches derived from the inventory
	Default          SNMPCredentials `yaml:"default" reload:"live"`            // credentials of switches not listed
	Groups           []SNMPGroup     `yaml:"groups" reload:"live"`
	Switches         []SNMPSwitch    `yaml:"switches" reload:"live"`
	Traps            SNMPTraps       `yaml:"traps" reload:"restart"`
}

// SNMPCredentials are v2c or v3 USM credentials.
type SNMPCredentials struct {
	Community     string  `yaml:"community"`
	CommunityFile string  `yaml:"community_file"`
	V3            *SNMPV3 `yaml:"v3"`
}

// SNMPV3 is a USM user.
type SNMPV3 struct {
	User         string              `yaml:"user"`
	Auth         client.AuthProtocol `yaml:"auth"` // SHA224 | SHA256 | SHA384 | SHA512 (RFC 7860)
	AuthPass     string              `yaml:"auth_pass"`
	AuthPassFile string              `yaml:"auth_pass_file"`
	Priv         client.PrivProtocol `yaml:"priv"` // AES | AES192 | AES256 | AES192C | AES256C | "" (authNoPriv)
	PrivPass     string              `yaml:"priv_pass"`
	PrivPassFile string              `yaml:"priv_pass_file"`
	ContextName  string              `yaml:"context_name"` // SNMPv3 context, usually empty
}

// SNMPGroup gives shared credentials and a port-name rewrite to switches:
// those of snmp.switches that name it, and inventory switches that match.
type SNMPGroup struct {
	Name            string `yaml:"name"`
	SNMPCredentials `yaml:",inline"`
	Rewrite         []SNMPRewrite `yaml:"rewrite"`
	// Match: CIDRs holding the switch's address, or name patterns (*, ?,
	// [..]) of the inventory's switch name; the first group that matches
	// an inventory switch is its group.
	Match []portmatch.SwitchMatch `yaml:"match"`
}

// SNMPRewrite turns an inventory port name into an ifName (regexp → replacement).
type SNMPRewrite struct {
	From string `yaml:"from"`
	To   string `yaml:"to"`
	// Rewrite is From and To compiled (by Load).
	Rewrite portmatch.Rewrite `yaml:"-"`
}

// SNMPSwitch is an explicitly listed switch.
type SNMPSwitch struct {
	Address         string `yaml:"address"` // host or host:port
	Name            string `yaml:"name"`    // the name the inventory uses, default the host
	Group           string `yaml:"group"`
	SNMPCredentials `yaml:",inline"`
}

// SNMPTraps configures the linkUp/linkDown listener.
type SNMPTraps struct {
	Listen        string   `yaml:"listen"`
	Community     string   `yaml:"community"`
	CommunityFile string   `yaml:"community_file"`
	V3Users       []SNMPV3 `yaml:"v3_users"`
}

// On reports whether polling is enabled.
func (s *SNMP) On() bool { return s.Enabled == nil || *s.Enabled }

func (s *SNMP) applyDefaults() {
	if s.Interval == 0 {
		s.Interval = Duration(60 * second)
	}
	if s.FullRefreshEvery == 0 {
		s.FullRefreshEvery = 10
	}
	if s.Timeout == 0 {
		s.Timeout = Duration(2 * second)
	}
	if s.Concurrency == 0 {
		s.Concurrency = 32
	}
	if s.MaxRepetitions == 0 {
		s.MaxRepetitions = 50
	}
	if s.Port == 0 {
		s.Port = 161
	}
}

func (s *SNMP) validate(v *validator) {
	if s.Interval.D() < second {
		v.addf("snmp.interval", "at least 1s")
	}
	if s.Interval.D() >= second && (s.Timeout.D() <= 0 || s.Timeout.D() > s.Interval.D()) {
		v.addf("snmp.timeout", "more than 0 and at most snmp.interval")
	}
	if s.FullRefreshEvery < 1 {
		v.addf("snmp.full_refresh_every", "at least 1")
	}
	if s.StaleAfter != 0 && s.Interval.D() >= second && s.StaleAfter.D() < s.Interval.D() {
		v.addf("snmp.stale_after", "at least snmp.interval")
	}
	if s.Retries < 0 || s.Retries > 10 {
		v.addf("snmp.retries", "between 0 and 10")
	}
	if s.Concurrency < 1 {
		v.addf("snmp.concurrency", "at least 1")
	}
	if s.MaxRepetitions < 1 || s.MaxRepetitions > 1000 {
		v.addf("snmp.max_repetitions", "between 1 and 1000")
	}
	if s.Port < 1 || s.Port > 65535 {
		v.addf("snmp.port", "not a UDP port")
	}
	s.Default.validate(v, "snmp.default")
	groups := s.validateGroups(v)
	for i := range s.Switches {
		sw := &s.Switches[i]
		p := fmt.Sprintf("snmp.switches[%d]", i)
		if sw.Address == "" {
			v.addf(p+".address", "missing")
		}
		if sw.Group != "" && !groups[sw.Group] {
			v.addf(p+".group", "%q is not a group of snmp.groups", sw.Group)
		}
		sw.SNMPCredentials.validate(v, p)
	}
	if s.Traps.Listen != "" && !validHostPort(s.Traps.Listen) {
		v.addf("snmp.traps.listen", "%q is not host:port", s.Traps.Listen)
	}
	v.secretFrom("snmp.traps.community_file", s.Traps.Community, s.Traps.CommunityFile, func(x string) { s.Traps.Community = x })
	for i := range s.Traps.V3Users {
		s.Traps.V3Users[i].validate(v, fmt.Sprintf("snmp.traps.v3_users[%d]", i))
	}
}

// validateGroups checks the groups, compiles their rewrites and returns
// their names.
func (s *SNMP) validateGroups(v *validator) map[string]bool {
	groups := map[string]bool{}
	for i := range s.Groups {
		g := &s.Groups[i]
		p := fmt.Sprintf("snmp.groups[%d]", i)
		if g.Name == "" {
			v.addf(p+".name", "missing")
		} else if groups[g.Name] {
			v.addf(p+".name", "%q is defined twice", g.Name)
		}
		groups[g.Name] = true
		g.SNMPCredentials.validate(v, p)
		for j := range g.Rewrite {
			r := &g.Rewrite[j]
			rw, err := portmatch.NewRewrite(r.From, r.To)
			if err != nil {
				v.addf(fmt.Sprintf("%s.rewrite[%d].from", p, j), "bad regular expression: %v", err)
			}
			r.Rewrite = rw
		}
	}
	return groups
}

func (c *SNMPCredentials) validate(v *validator, path string) {
	v.secretFrom(path+".community_file", c.Community, c.CommunityFile, func(x string) { c.Community = x })
	if c.V3 != nil {
		if c.Community != "" || c.CommunityFile != "" {
			v.addf(path, "give either community (v2c) or v3, not both")
		}
		c.V3.validate(v, path+".v3")
	}
}

func (u *SNMPV3) validate(v *validator, path string) {
	if u.User == "" {
		v.addf(path+".user", "missing")
	}
	if u.Auth == "" && !v.given(path+".auth") { // a bad one is reported by its value
		v.addf(path+".auth", "%s", authProblem(""))
	}
	v.secretFrom(path+".auth_pass_file", u.AuthPass, u.AuthPassFile, func(x string) { u.AuthPass = x })
	v.secretFrom(path+".priv_pass_file", u.PrivPass, u.PrivPassFile, func(x string) { u.PrivPass = x })
	if u.AuthPassFile == "" && len(u.AuthPass) < 8 {
		v.addf(path+".auth_pass", "at least 8 characters (RFC 3414)")
	}
	if (u.Priv != "" || v.given(path+".priv")) && u.PrivPassFile == "" && len(u.PrivPass) < 8 {
		v.addf(path+".priv_pass", "at least 8 characters (RFC 3414)")
	}
}

// USM turns the user into the SNMP client's form (a new copy each call).
func (u *SNMPV3) USM() *client.USM {
	return &client.USM{User: u.User, Auth: u.Auth, AuthPass: u.AuthPass, Priv: u.Priv, PrivPass: u.PrivPass, ContextName: u.ContextName}
}

// Credentials turns the credentials into the SNMP client's form (zero
// when none are given).
func (c *SNMPCredentials) Credentials() client.Credentials {
	if c.V3 != nil {
		return client.Credentials{V3: c.V3.USM()}
	}
	return client.Credentials{Community: c.Community}
}
