package linkstate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/portmatch"
)

// planRow is one switch of a plan, as text for comparison.
func planRows(p *Plan) []string {
	var out []string
	for _, s := range p.Switches {
		var rw []string
		for _, r := range s.Rewrites {
			rw = append(rw, r.String())
		}
		out = append(out, fmt.Sprintf("%s group=%q creds=%s ports=%s rewrites=%s", s.Address, s.Group, s.Credentials,
			strings.Join(s.Ports, ","), strings.Join(rw, ";")))
	}
	return out
}

func TestPlan(t *testing.T) {
	v3 := &client.USM{User: "nms", Auth: client.SHA256, AuthPass: "auth-pass-1", Priv: client.AES, PrivPass: "priv-pass-1"}
	rw, err := portmatch.NewRewrite(`Gi(.*)`, `GigabitEthernet$1`)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		DefaultPort: 16161,
		Default:     client.Credentials{Community: "public"},
		Groups: []Group{
			{Name: "cisco", Credentials: client.Credentials{V3: v3}, Rewrites: []portmatch.Rewrite{rw}, Match: []portmatch.SwitchMatch{portmatch.MustSwitchMatch("10.1.0.0/16"), portmatch.MustSwitchMatch("cisco-*")}},
			{Name: "nocreds", Match: []portmatch.SwitchMatch{portmatch.MustSwitchMatch("10.2.0.0/16")}},
		},
		Switches: []Switch{
			{Address: "192.168.248.85:161"},                       // the inventory names it by its host
			{Address: "10.9.9.9", Name: "core-1", Group: "cisco"}, // named; port 161
			{Address: "10.3.0.1:1161", Group: "cisco", Credentials: client.Credentials{Community: "own"}},
			{Address: "10.3.0.1:1161"}, // twice
		},
	}
	inv := map[string][]string{
		"192.168.248.85": {"ge-0/0/10", "ge-0/0/11"},
		"core-1":         {"Gi1/0/1"},
		"10.1.2.3":       {"Gi1/0/2", "Gi1/0/1"},
		"cisco-sw7":      {"Gi0/1"},
		"10.2.0.9":       {"p1"},
		"10.4.0.1:2161":  {"p2"},
		"bad name!":      {"x"},
	}
	p := cfg.Plan(inv)
	want := []string{
		`10.1.2.3:16161 group="cisco" creds=v3 user nms SHA256/AES ports=Gi1/0/1,Gi1/0/2 rewrites=Gi(.*) => GigabitEthernet$1`,
		`10.2.0.9:16161 group="nocreds" creds=v2c ports=p1 rewrites=`, // the group has none: the default's
		`10.3.0.1:1161 group="cisco" creds=v2c ports= rewrites=Gi(.*) => GigabitEthernet$1`,
		`10.4.0.1:2161 group="" creds=v2c ports=p2 rewrites=`,
		`10.9.9.9:161 group="cisco" creds=v3 user nms SHA256/AES ports=Gi1/0/1 rewrites=Gi(.*) => GigabitEthernet$1`,
		`192.168.248.85:161 group="" creds=v2c ports=ge-0/0/10,ge-0/0/11 rewrites=`,
		`cisco-sw7:16161 group="cisco" creds=v3 user nms SHA256/AES ports=Gi0/1 rewrites=Gi(.*) => GigabitEthernet$1`,
	}
	if diff := cmp.Diff(want, planRows(p)); diff != "" {
		t.Errorf("switches (-want +got):\n%s", diff)
	}
	wantProblems := []string{
		`snmp.switches "10.3.0.1:1161": 10.3.0.1:1161 is listed twice`,
		`inventory switch "bad name!" (1 ports): not an address and not in snmp.switches: "bad name!" is not a host name or address`,
	}
	if diff := cmp.Diff(wantProblems, p.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	for name, want := range map[string]string{"192.168.248.85": "192.168.248.85:161", "core-1": "10.9.9.9:161", "10.1.2.3": "10.1.2.3:16161", "bad name!": ""} {
		if got, _ := p.Address(name); got != want {
			t.Errorf("Address(%q) = %q, want %q", name, got, want)
		}
	}
	names := p.Names()
	if diff := cmp.Diff([]string{"192.168.248.85"}, names["192.168.248.85:161"]); diff != "" {
		t.Errorf("names of 192.168.248.85:161 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"core-1"}, names["10.9.9.9:161"]); diff != "" {
		t.Errorf("names of 10.9.9.9:161 (-want +got):\n%s", diff)
	}
	if !p.Wanted("10.1.2.3:16161", "Gi1/0/2") || p.Wanted("10.1.2.3:16161", "Gi9") {
		t.Error("Wanted")
	}
	// every switch its own copy of the USM parameters
	seen := map[*client.USM]bool{v3: true}
	for _, s := range p.Switches {
		if u := s.Credentials.V3; u != nil {
			if seen[u] {
				t.Errorf("switch %s shares its USM parameters", s.Address)
			}
			seen[u] = true
		}
	}
}

// A plan of nothing is empty; a switch the inventory names by address
// and snmp.switches lists too is one switch with both names.
func TestPlanMergesNamesOfOneSwitch(t *testing.T) {
	cfg := Config{DefaultPort: 161, Default: client.Credentials{Community: "c"},
		Switches: []Switch{{Address: "10.0.0.1", Name: "sw-a"}}}
	p := cfg.Plan(map[string][]string{"sw-a": {"1"}, "10.0.0.1": {"2"}})
	if diff := cmp.Diff([]string{`10.0.0.1:161 group="" creds=v2c ports=1,2 rewrites=`}, planRows(p)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(Config{}.Plan(nil).Switches) != 0 {
		t.Error("empty plan has switches")
	}
	// no credentials anywhere: the switch is a problem, not polled
	p = Config{}.Plan(map[string][]string{"10.0.0.2": {"p"}})
	want := []string{`switch 10.0.0.2:161 (group ""): no credentials: neither a v2c community nor a v3 user`}
	if diff := cmp.Diff(want, p.Problems); diff != "" || len(p.Switches) != 0 {
		t.Errorf("without credentials: %v (-want +got):\n%s", p.Switches, diff)
	}
	if _, ok := p.Address("10.0.0.2"); ok {
		t.Error("a switch without credentials has an address")
	}
}

// FuzzPlan: no inventory switch name or port makes the plan panic; a
// name either maps to a polled address whose switch wants the port, or is
// a problem.
func FuzzPlan(f *testing.F) {
	for _, s := range []string{"192.168.248.85", "10.4.0.1:2161", "cisco-sw7", "bad name!", "[fe80::1]:161", "fe80::1", "a:b:c", ":161", "", "x:0"} {
		f.Add(s, "ge-0/0/1")
	}
	cfg := Config{DefaultPort: 161, Default: client.Credentials{Community: "public"},
		Groups: []Group{{Name: "g", Match: []portmatch.SwitchMatch{portmatch.MustSwitchMatch("10.0.0.0/8"), portmatch.MustSwitchMatch("sw-*")}}}}
	f.Fuzz(func(t *testing.T, name, port string) {
		p := cfg.Plan(map[string][]string{name: {port}})
		addr, ok := p.Address(name)
		if ok != (len(p.Problems) == 0) {
			t.Fatalf("name %q: address %q %v, problems %v", name, addr, ok, p.Problems)
		}
		if ok && !p.Wanted(addr, port) {
			t.Fatalf("name %q at %s does not want port %q", name, addr, port)
		}
	})
}
