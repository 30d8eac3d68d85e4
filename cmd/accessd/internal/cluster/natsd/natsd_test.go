package natsd_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/natsd"
	"github.com/stadsnat/accessd/cmd/accessd/internal/testpki"
)

func start(t *testing.T, cfg natsd.Config) *natsd.Server {
	t.Helper()
	if cfg.StoreDir == "" {
		cfg.StoreDir = filepath.Join(t.TempDir(), "js")
	}
	s, err := natsd.Start(cfg)
	if err != nil {
		t.Fatalf("Start %s: %v", cfg.Name, err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// waitFor polls cond until it holds or 20 s pass: the servers connect
// over real sockets on their own schedule.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLeafOverMutualTLS(t *testing.T) {
	ca := testpki.New(t)
	hubCert, hubKey := ca.Issue(t, "hub")
	edgeCert, edgeKey := ca.Issue(t, "pop-norr")
	hub := start(t, natsd.Config{Name: "hub", Domain: "hub", LeafListen: "127.0.0.1:0",
		TLS: natsd.TLSFiles{CertFile: hubCert, KeyFile: hubKey, CAFile: ca.File}})
	edge := start(t, natsd.Config{Name: "pop-norr", Domain: "pop-norr",
		Remotes:           []string{"nats-leaf://" + hub.LeafAddr()},
		TLS:               natsd.TLSFiles{CertFile: edgeCert, KeyFile: edgeKey, CAFile: ca.File},
		ReconnectInterval: 100 * time.Millisecond})
	waitFor(t, "the leaf connection", func() bool { return len(hub.Leafs()) == 1 && len(edge.Leafs()) == 1 })
	if got := hub.Leafs()[0]; got.Name != "pop-norr" || got.Spoke {
		t.Errorf("hub sees leaf %+v, want pop-norr, not a spoke", got)
	}
	if got := edge.Leafs()[0]; got.Name != "hub" || !got.Spoke {
		t.Errorf("edge sees leaf %+v, want hub as a spoke", got)
	}

	// The in-process client reaches the edge's JetStream with no port.
	nc, err := edge.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if edge.ClientAddr() != "" {
		t.Errorf("edge listens for clients on %s, want no port", edge.ClientAddr())
	}
}

func TestClientListenerRequiresCertificate(t *testing.T) {
	ca := testpki.New(t)
	cert, key := ca.Issue(t, "hub")
	s := start(t, natsd.Config{Name: "hub", Domain: "hub", Listen: "127.0.0.1:0",
		TLS: natsd.TLSFiles{CertFile: cert, KeyFile: key, CAFile: ca.File}})
	url := "tls://" + s.ClientAddr()
	if nc, err := nats.Connect(url, nats.RootCAs(ca.File), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("a client without a certificate connected")
	}
	clientCert, clientKey := ca.Issue(t, "operator")
	nc, err := nats.Connect(url, nats.RootCAs(ca.File), nats.ClientCert(clientCert, clientKey))
	if err != nil {
		t.Fatalf("client with a certificate of the CA: %v", err)
	}
	nc.Close()
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		cfg  natsd.Config
		want string
	}{
		{"no name", natsd.Config{Domain: "d", StoreDir: dir}, "required"},
		{"bad listen", natsd.Config{Name: "n", Domain: "d", StoreDir: dir, Listen: "localhost"}, "listen"},
		{"bad leaf port", natsd.Config{Name: "n", Domain: "d", StoreDir: dir, LeafListen: "127.0.0.1:x"}, "leafnode_listen"},
		{"bad remote", natsd.Config{Name: "n", Domain: "d", StoreDir: dir, Remotes: []string{"::"}}, "hub"},
		{"missing key", natsd.Config{Name: "n", Domain: "d", StoreDir: dir, LeafListen: "127.0.0.1:0",
			TLS: natsd.TLSFiles{CertFile: filepath.Join(dir, "none.pem"), KeyFile: filepath.Join(dir, "none.key")}}, "cert_file"},
		{"missing ca", natsd.Config{Name: "n", Domain: "d", StoreDir: dir, Remotes: []string{"tls://127.0.0.1:1"},
			TLS: natsd.TLSFiles{CAFile: filepath.Join(dir, "none.pem")}}, "ca_file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := natsd.Start(tc.cfg)
			if err == nil {
				s.Shutdown()
				t.Fatal("Start accepted the configuration")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
		})
	}
}
