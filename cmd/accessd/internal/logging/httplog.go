package logging

import (
	"bytes"
	stdlog "log"
	"log/slog"
	"regexp"
	"strings"
)

// ServerErrorLog is an http.Server's ErrorLog: what net/http itself
// reports goes to the daemon's log instead of a bare line on stderr.
//
// Several of those lines name the client's address (a failed TLS
// handshake, a broken HTTP/2 preface, a recovered panic), and the clients
// include customers' browsers at the bounce URL: addresses are personal
// data, so they appear only at debug level. A handler's panic, which
// net/http recovers (closing that connection, serving the others), is an
// error with its stack and without the address.
func ServerErrorLog(log *slog.Logger) *stdlog.Logger {
	return stdlog.New(serverLogWriter{log}, "", 0)
}

type serverLogWriter struct{ log *slog.Logger }

// clientNoise are net/http messages about a client that broke off or
// spoke nonsense: nothing the operator can act on.
var clientNoise = []string{
	"http: TLS handshake error",
	"http2: server: error reading preface",
	"http2: server connection error",
	"timeout waiting for SETTINGS frames",
}

// reAddrPort matches an IPv4 or bracketed IPv6 address with a port.
var reAddrPort = regexp.MustCompile(`\[[0-9A-Fa-f:.]+(%[^\]]*)?\]:[0-9]+|[0-9]{1,3}(\.[0-9]{1,3}){3}:[0-9]+`)

func (w serverLogWriter) Write(p []byte) (int, error) {
	msg := string(bytes.TrimRight(p, "\n"))
	redacted := reAddrPort.ReplaceAllString(msg, "(client)")
	switch {
	case hasAnyPrefix(msg, clientNoise):
		w.log.Debug("HTTP client connection failed", "detail", msg)
	case strings.HasPrefix(msg, "http: panic serving") || strings.HasPrefix(msg, "http2: panic serving"):
		w.log.Error("HTTP handler panicked; its request was cut off, the server goes on", "panic", redacted)
		w.log.Debug("HTTP handler panicked", "detail", msg)
	default:
		w.log.Warn("HTTP server problem", "detail", redacted)
	}
	return len(p), nil
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
