package config

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzParse: any file never panics; a refusal is Problems, each with a
// message and a line inside the file; an accepted file parses the same way
// again. Parse reads the secret files a configuration names: inputs that
// name one are skipped, so the fuzzer never reads a file of this machine
// (a device might never end); TestSecretsFromFiles covers those.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"../../../packaging/accessd.yaml", "../../accessd/internal/demo/files/accessd.yaml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"", "state_dir: /x\n", "state_dir: relative/dir\nenvironment: staging\n",
		"http:\n  listen: [\"127.0.0.1:8067\", \"nonsense\"]\n  trusted_proxies: [10.0.0.0/8, \"not-a-cidr\"]\n",
		"users:\n  - {name: a, apis: [pi-v1, soap]}\n",
		"dhcp:\n  profiles:\n    - {name: p, format: huawie, match: {remote_id: \"([\"}}\n",
		"snmp:\n  interval: 100ms\n", "htp:\n  listen: []\n", "http:\n  read_timeout: soon\n  max_body_bytes: lots\n",
		"store: {tombstone_retention: 90d}\n", "admin: {mode: \"0999\"}\n", "- a\n- b\n", "{", "a: &x [*x]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if namesFile(b) {
			return
		}
		// YAML breaks lines at \n, \r\n and a lone \r.
		lines := bytes.Count(b, []byte("\n")) + bytes.Count(b, []byte("\r")) - bytes.Count(b, []byte("\r\n")) + 1
		c, err := Parse("f.yaml", b)
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("Parse(%q) = %v, want Problems", b, err)
			}
			for _, p := range ps {
				if p.Msg == "" || p.Line < 0 || p.Line > lines+1 {
					t.Fatalf("Parse(%q): problem %+v has no message or a line outside the file", b, p)
				}
			}
			return
		}
		again, err := Parse("f.yaml", b)
		if err != nil {
			t.Fatalf("Parse(%q) accepted once, then: %v", b, err)
		}
		if c.StateDir != again.StateDir || c.Environment != again.Environment || len(c.Users) != len(again.Users) {
			t.Fatalf("Parse(%q) differs between two runs", b)
		}
	})
}

// namesFile reports whether a *_file key of the YAML has a value (a YAML
// that does not parse names none: Parse reads no file then).
func namesFile(b []byte) bool {
	var root yaml.Node
	if yaml.Unmarshal(b, &root) != nil {
		return false
	}
	var walk func(n *yaml.Node, depth int) bool
	walk = func(n *yaml.Node, depth int) bool {
		if n == nil || depth > 100 {
			return depth > 100
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Kind == yaml.AliasNode {
					k = k.Alias
				}
				if v.Kind == yaml.AliasNode {
					v = v.Alias
				}
				if k != nil && strings.HasSuffix(k.Value, "_file") && (v == nil || v.Kind != yaml.ScalarNode || v.Value != "") {
					return true
				}
			}
		}
		for _, c := range n.Content {
			if walk(c, depth+1) {
				return true
			}
		}
		return false
	}
	return walk(&root, 0)
}
