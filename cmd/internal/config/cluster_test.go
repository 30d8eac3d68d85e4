package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClusterSection(t *testing.T) {
	y := `site: pop-norr
cluster:
  role: edge
  nats:
    hub: ["nats-leaf://127.0.0.1:7422"]
    max_store_bytes: 1000000
  facts: {max_age: 48h, max_bytes: 2000000}
  staleness: 2m
`
	c, err := Parse("c.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Cluster.On() || c.Site != "pop-norr" || c.Cluster.Role != RoleEdge || c.Cluster.NATS.Embedded != nil ||
		c.Cluster.Facts.MaxAge.D().Hours() != 48 || c.Cluster.Staleness.D().Minutes() != 2 {
		t.Errorf("cluster %+v site %q", c.Cluster, c.Site)
	}
	d, err := Parse("d.yaml", []byte("ko_id: x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Cluster.Role != RoleStandalone || d.Cluster.On() {
		t.Errorf("default role %q", d.Cluster.Role)
	}
}

// Problems of the cluster section come with their lines: the ones this
// package finds and the ones a check given by the daemon finds (the
// cluster's own rules).
func TestClusterProblems(t *testing.T) {
	y := `ko_id: x
cluster:
  role: spoke
`
	_, err := Parse("c.yaml", []byte(y))
	if err == nil || !strings.Contains(err.Error(), "c.yaml:3: cluster.role") {
		t.Errorf("bad role: %v", err)
	}
	y = `site: pop norr
cluster:
  role: hub
  nats:
    tls: {ca_file: /nonexistent/ca.pem}
    leafnode_listen: 0.0.0.0:7422
`
	check := WithCheck(func(c *Config) []KeyProblem {
		return []KeyProblem{{Path: "cluster.nats.leafnode_listen", Msg: "off loopback without TLS"}}
	})
	_, err = Parse("c.yaml", []byte(y), check)
	if err == nil {
		t.Fatal("no problems")
	}
	// The package's own problems stop before the check runs.
	want := []string{
		"c.yaml:1: site: \"pop norr\": use letters, digits, '-' and '_' only (at most 64)",
		"c.yaml:5: cluster.nats.tls.ca_file: cannot read it: stat /nonexistent/ca.pem: no such file or directory",
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	y = "site: hub\ncluster:\n  role: hub\n  nats:\n    leafnode_listen: 0.0.0.0:7422\n"
	_, err = Parse("c.yaml", []byte(y), check)
	if err == nil || err.Error() != "c.yaml:5: cluster.nats.leafnode_listen: off loopback without TLS" {
		t.Errorf("check: %v", err)
	}
}
