package config

import (
	"reflect"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Every key of Config says whether a reload applies it or it needs a
// restart: a reload tag on itself or on its section, and "keys" only on a
// section whose keys are all tagged in turn.
func TestEveryKeyIsClassified(t *testing.T) {
	var walk func(tp reflect.Type, path string, tagged bool)
	walk = func(tp reflect.Type, path string, tagged bool) {
		for i := range tp.NumField() {
			f := tp.Field(i)
			name, inline := yamlName(f)
			if name == "-" || !f.IsExported() {
				continue
			}
			key := join(path, name)
			if inline {
				walk(f.Type, path, tagged)
				continue
			}
			tag, has := f.Tag.Lookup("reload")
			switch {
			case tagged && has:
				t.Errorf("%s: reload tag inside a section that already has one", key)
			case tagged:
			case !has:
				t.Errorf("%s: no reload tag (live, restart or keys)", key)
			case tag == ReloadKeys:
				if f.Type.Kind() != reflect.Struct {
					t.Errorf("%s: reload:\"keys\" on a %s, not a section", key, f.Type.Kind())
					continue
				}
				walk(f.Type, key, false)
			case tag != ReloadLive && tag != ReloadRestart:
				t.Errorf("%s: reload:%q is not live, restart or keys", key, tag)
			}
		}
	}
	walk(reflect.TypeFor[Config](), "", false)
}

func TestRestartNamesChangedRestartKeys(t *testing.T) {
	old, err := Parse("a.yaml", []byte("users:\n  - {name: a, password: p, apis: [on-api]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse("b.yaml", []byte(`state_dir: /srv/accessd
log: {level: debug, format: json}
http: {listen: ["127.0.0.1:9000"], trusted_proxies: [10.0.0.1]}
users:
  - {name: b, password: p, apis: [on-api]}
dhcp:
  relay: {listen: "0.0.0.0:67", allowed_sources: [10.20.0.0/16]}
  profiles: [{name: p, format: cisco}]
snmp: {interval: 30s, port: 1161, traps: {listen: "0.0.0.0:162"}}
activation: {concurrency: 8, timeout: 5s}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"state_dir", "log.format", "http.listen", "dhcp.relay.listen", "snmp.interval", "snmp.traps", "activation.concurrency"}
	if diff := cmp.Diff(want, Restart(old, cfg)); diff != "" {
		t.Errorf("restart keys (-want +got):\n%s", diff)
	}
	if got := Restart(cfg, cfg); len(got) != 0 {
		t.Errorf("Restart of an unchanged configuration = %v", got)
	}
	if slices.Contains(Restart(old, cfg), "users") {
		t.Error("users apply live")
	}
	if slices.Contains(Restart(old, cfg), "dhcp.relay.allowed_sources") {
		t.Error("the trusted relays apply live")
	}
}
