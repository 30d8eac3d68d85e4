package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// operatorServer runs an external NATS server in operator mode (JWT
// accounts, as a managed NATS deployment has) with JetStream in domain
// hub, and returns its URL and a credentials file of a user of the
// account accessd uses.
func operatorServer(t *testing.T) (url, credsFile string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	opKP, err := nkeys.CreateOperator()
	must(err)
	opPub, _ := opKP.PublicKey()
	opJWT, err := jwt.NewOperatorClaims(opPub).Encode(opKP)
	must(err)
	opClaims, err := jwt.DecodeOperatorClaims(opJWT)
	must(err)

	account := func(js bool) (nkeys.KeyPair, string, string) {
		kp, err := nkeys.CreateAccount()
		must(err)
		pub, _ := kp.PublicKey()
		c := jwt.NewAccountClaims(pub)
		if js {
			c.Limits.JetStreamLimits = jwt.JetStreamLimits{DiskStorage: -1, MemoryStorage: -1, Streams: -1, Consumer: -1}
		}
		tok, err := c.Encode(opKP)
		must(err)
		return kp, pub, tok
	}
	_, sysPub, sysJWT := account(false)
	accKP, accPub, accJWT := account(true)
	resolver := &server.MemAccResolver{}
	must(resolver.Store(sysPub, sysJWT))
	must(resolver.Store(accPub, accJWT))

	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, NoSigs: true, NoLog: true,
		TrustedOperators: []*jwt.OperatorClaims{opClaims}, AccountResolver: resolver, SystemAccount: sysPub,
		JetStream: true, JetStreamDomain: "hub", StoreDir: filepath.Join(t.TempDir(), "js"),
	})
	must(err)
	s.Start()
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("operator-mode server not ready")
	}

	userKP, err := nkeys.CreateUser()
	must(err)
	userPub, _ := userKP.PublicKey()
	userJWT, err := jwt.NewUserClaims(userPub).Encode(accKP)
	must(err)
	seed, _ := userKP.Seed()
	creds, err := jwt.FormatUserConfig(userJWT, seed)
	must(err)
	credsFile = filepath.Join(t.TempDir(), "accessd.creds")
	must(os.WriteFile(credsFile, creds, 0o600))
	return s.ClientURL(), credsFile
}

func TestExternalServerWithCredentialsFile(t *testing.T) {
	url, creds := operatorServer(t)
	dir := t.TempDir()
	opts := Options{Site: "hub", Role: Hub, StatusInterval: 200 * time.Millisecond,
		NATS: NATSOptions{URL: url, CredentialsFile: creds}}
	opts.SetDefaults(dir)
	log := newOrderLog()
	hub := startNode(t, "hub", dir, opts, Deps{Orders: recordingOrders{instance: "hub", log: log}})
	if err := hub.node.EnqueueOrder(context.Background(), testOrder(1, "O-1")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the order carried out", func() error {
		log.mu.Lock()
		defer log.mu.Unlock()
		if len(log.ran["O-1"]) != 1 {
			return fmt.Errorf("ran %v", log.ran)
		}
		return nil
	})

	// Without the credentials the server does not let the node in: Run
	// keeps trying until its context ends and is never ready.
	noCreds := opts
	noCreds.NATS.CredentialsFile = ""
	n, err := New(noCreds, Deps{Facts: openBoltFacts(t, t.TempDir()), Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ready := false
	if err := n.Run(ctx, func() { ready = true }); err != nil || ready {
		t.Errorf("Run without credentials: %v, ready %v; want nil at the deadline and never ready", err, ready)
	}
}
