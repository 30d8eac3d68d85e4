package testkit

import (
	"os"
	"path/filepath"
	"testing"
)

// natsServerPkg is the nats-server command, at the version go.mod requires
// (the one accessd embeds).
const natsServerPkg = "github.com/nats-io/nats-server/v2"

// NATSServer returns the nats-server command, built from the module's
// nats-server dependency the first time a test of this test binary asks,
// for tests that run NATS servers of their own (a 3-node JetStream
// cluster as its own processes). It is built without the race detector,
// also under -race: it is not accessd's code, and a race build of it
// would only slow the test. With ACCESSD_TEST_BINS=DIR it takes
// DIR/nats-server when DIR holds one. The package's TestMain must call
// Main, which removes it.
func NATSServer(t testing.TB) string {
	t.Helper()
	kit.mu.Lock()
	defer kit.mu.Unlock()
	if !kit.main {
		t.Fatal("testkit.NATSServer: the package's TestMain must call testkit.Main (it removes the binary)")
	}
	root := kitRoot(t)
	if dir := os.Getenv(EnvBins); dir != "" && kit.natsServer == "" {
		if p := filepath.Join(dir, "nats-server"); fileExists(p) {
			kit.natsServer = p
		}
	}
	if kit.natsServer == "" && kit.natsErr == nil {
		kit.natsServer, kit.natsErr = buildNATSServer(root)
	}
	if kit.natsErr != nil {
		t.Fatal(kit.natsErr)
	}
	return kit.natsServer
}

func buildNATSServer(root string) (string, error) {
	dir, err := buildDir()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "nats-server")
	if err := goTool(root, "build", "-o", path, natsServerPkg); err != nil {
		return "", err
	}
	return path, nil
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
