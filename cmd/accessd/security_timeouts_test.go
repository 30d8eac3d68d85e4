package main_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/testpki"
	"github.com/stadsnat/accessd/internal/testkit"
)

// The server's timeouts against the real daemon over TLS (connwatch keeps
// them, not net/http): an idle keep-alive connection is closed after
// http.idle_timeout, a connection that never finishes its TLS handshake
// after the 10 s header limit, and a client offering HTTP/2 is answered
// in HTTP/1.1.
func TestServerTimeoutsRealDaemonTLS(t *testing.T) {
	testkit.SkipShort(t, "builds and runs the daemon")
	bins := testkit.Binaries(t)
	ca := testpki.New(t)
	cert, key := ca.Issue(t, "accessd")
	addr := testkit.FreeTCPAddr(t)
	e := &e2e{t: t, dir: t.TempDir(), accessd: bins.Accessd, accessct: bins.Accessctl, base: "http://" + addr,
		httpExtra: fmt.Sprintf("idle_timeout: 1s, tls: {cert_file: %s, key_file: %s}", cert, key)}
	e.sock = filepath.Join(e.dir, "admin.sock")
	e.cfg = filepath.Join(e.dir, "accessd.yaml")
	e.writeConfig("")
	pool := x509.NewCertPool()
	pem, err := os.ReadFile(ca.File)
	if err != nil || !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("CA: %v", err)
	}
	tcfg := &tls.Config{RootCAs: pool, NextProtos: []string{"h2", "http/1.1"}}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tcfg, ForceAttemptHTTP2: true}}
	e.proc = testkit.NewProcess(t, e.accessd, "-config", e.cfg)
	e.proc.Start()
	e.proc.WaitReady(10*time.Second, func() error {
		resp, err := client.Get("https://" + addr + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Proto != "HTTP/1.1" {
			return fmt.Errorf("readyz: %s %s", resp.Proto, resp.Status)
		}
		return nil
	})

	// A keep-alive connection idle past idle_timeout (1 s) is closed.
	c, err := tls.Dial("tcp", addr, tcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p := c.ConnectionState().NegotiatedProtocol; p == "h2" {
		t.Fatalf("ALPN chose %q; accessd serves HTTP/1.1 only", p)
	}
	io.WriteString(c, "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.ReadAll(c)
	if d := time.Since(start); err != nil || d < 900*time.Millisecond || d > 5*time.Second {
		t.Errorf("an idle TLS connection was closed after %v (%v), want about 1 s", d, err)
	}

	// A connection that never finishes its handshake is closed after the
	// header limit (10 s) and a sweep's tick or two.
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	start = time.Now()
	raw.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err = raw.Read(make([]byte, 1))
	var ne net.Error
	if d := time.Since(start); (errors.As(err, &ne) && ne.Timeout()) || d < 9*time.Second || d > 12*time.Second {
		t.Errorf("a connection without a handshake was closed after %v (%v), want 10 s", d, err)
	}
	body, err := httpGet(client, "https://"+addr+"/metrics", "", "")
	if err != nil {
		t.Fatal(err)
	}
	// The header cut is the handshake's; the idle ones are the test's
	// connection and the client's own kept-alive ones.
	if !strings.Contains(body, `accessd_http_connections_timed_out_total{phase="header"} 1`+"\n") {
		t.Errorf("/metrics does not count one header cut:\n%s", grepLines(body, "timed_out"))
	}
	if strings.Contains(body, `accessd_http_connections_timed_out_total{phase="idle"} 0`+"\n") {
		t.Errorf("/metrics counts no idle cut:\n%s", grepLines(body, "timed_out"))
	}
}
