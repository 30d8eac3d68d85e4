package main_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/conf"

	"github.com/stadsnat/accessd/cmd/accessd/internal/clustersys"
	"github.com/stadsnat/accessd/cmd/internal/config"
)

// The README's example configurations (docs/examples) pass the loader
// with the cluster's own checks, as -check-config runs them: the files
// they name (TLS keys, secrets) are stand-ins in a temporary /etc. The
// hub cluster's nats-server files parse and give JetStream the hub's
// domain.
func TestClusterExamples(t *testing.T) {
	etc := t.TempDir()
	files, err := filepath.Glob("../../docs/examples/*/*.yaml")
	if err != nil || len(files) < 9 {
		t.Fatalf("examples: %v %v", files, err)
	}
	roles := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		y := strings.ReplaceAll(string(b), "/etc/accessd/", etc+"/")
		y = strings.ReplaceAll(y, "/usr/local/lib/accessd/", etc+"/")
		for _, m := range regexp.MustCompile(regexp.QuoteMeta(etc)+`/[^\s,}"]+`).FindAllString(y, -1) {
			if err := os.MkdirAll(filepath.Dir(m), 0o755); err != nil {
				t.Fatal(err)
			}
			content := "stand-in\n"
			if strings.HasSuffix(m, "-keys") {
				content = "prod: stand-in-key\n" // the import API's keys file is a mapping
			}
			if err := os.WriteFile(m, []byte(content), 0o700); err != nil {
				t.Fatal(err)
			}
		}
		cfg, err := config.Parse(f, []byte(y), config.WithCheck(clustersys.Check))
		if err != nil {
			t.Errorf("%s:\n%v", f, err)
			continue
		}
		roles[string(cfg.Cluster.Role)]++
		if filepath.Base(filepath.Dir(f)) == "hub-cluster" {
			hubClusterExample(t, f, cfg)
		}
		if cfg.Cluster.On() && cfg.Cluster.Role == config.RoleEdge && !strings.HasPrefix(cfg.Cluster.NATS.Hub[0], "tls://") {
			t.Errorf("%s: the leaf connection is not TLS", f)
		}
	}
	if roles["standalone"] != 1 || roles["hub"] != 3 || roles["edge"] != 6 {
		t.Errorf("roles of the examples: %v", roles)
	}
	confs, _ := filepath.Glob("../../docs/examples/hub-cluster/nats-*.conf")
	if len(confs) != 3 {
		t.Fatalf("nats-server files: %v", confs)
	}
	for _, f := range confs {
		m, err := conf.ParseFile(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		js, _ := m["jetstream"].(map[string]any)
		if js["domain"] != "hub" || m["leafnodes"] == nil || m["cluster"] == nil {
			t.Errorf("%s: jetstream %v, leafnodes %v", f, js, m["leafnodes"])
		}
	}
}

// hubClusterExample: the hub cluster's hub instances use the three
// servers by url with replicas: 3, and its edges reach all three as leaf
// nodes (TestClusterHubR3 runs these files).
func hubClusterExample(t *testing.T, f string, cfg *config.Config) {
	t.Helper()
	c := &cfg.Cluster
	switch c.Role {
	case config.RoleHub:
		if c.Replicas != 3 || strings.Count(c.NATS.URL, ",") != 2 || c.Instance == "" {
			t.Errorf("%s: a hub instance of the 3-node cluster: replicas %d, url %q, instance %q", f, c.Replicas, c.NATS.URL, c.Instance)
		}
	case config.RoleEdge:
		if len(c.NATS.Hub) != 3 {
			t.Errorf("%s: the edge lists %d of the hub's 3 servers", f, len(c.NATS.Hub))
		}
	}
}
