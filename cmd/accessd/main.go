// Command accessd is the access provisioning daemon of a city network. See
// accessd(8) and the README.
package main

import (
	"os"

	"github.com/stadsnat/accessd/cmd/accessd/internal/daemon"
)

// version is stamped at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(daemon.Main(os.Args[1:], version, os.Stdout, os.Stderr))
}
