package config

import (
	"os"
	"path/filepath"
	"strconv"
)

// SocketEnv is the environment variable accessctl takes the admin socket
// from when neither -socket nor -config is given.
const SocketEnv = "ACCESSD_SOCKET"

// DemoAdminSocket is where `accessd -demo` puts its admin socket, and where
// accessctl looks when SocketEnv is unset and the packaged daemon's socket
// (DefaultAdminSocket) does not exist: $XDG_RUNTIME_DIR/accessd-demo/admin.sock,
// or, without XDG_RUNTIME_DIR, $TMPDIR/accessd-demo-UID/admin.sock.
func DemoAdminSocket() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "accessd-demo", "admin.sock")
	}
	return filepath.Join(os.TempDir(), "accessd-demo-"+strconv.Itoa(os.Getuid()), "admin.sock")
}
