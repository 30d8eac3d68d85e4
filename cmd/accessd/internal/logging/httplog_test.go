package logging

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// What net/http reports itself reaches the daemon's log: a handler's
// panic as an error with its stack, a client's failed TLS handshake only
// at debug; neither names the client's address above debug.
func TestServerErrorLog(t *testing.T) {
	var buf lockedBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("boom in a handler")
	}))
	ts.Config.ErrorLog = ServerErrorLog(log)
	ts.StartTLS()
	defer ts.Close()

	if resp, err := ts.Client().Get(ts.URL + "/"); err == nil {
		resp.Body.Close()
		t.Fatalf("a panicking handler answered %s", resp.Status)
	}
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET / HTTP/1.0\r\n\r\n") // plain HTTP to the TLS port
	io.ReadAll(c)                               // until the server gives up on the handshake
	c.Close()
	ts.Close()

	got := buf.String()
	if !strings.Contains(got, "level=ERROR") || !strings.Contains(got, "boom in a handler") || !strings.Contains(got, "goroutine") {
		t.Errorf("the panic is not logged as an error with its stack:\n%s", got)
	}
	if strings.Contains(got, "127.0.0.1") {
		t.Errorf("the log above debug names the client's address:\n%s", got)
	}
	if strings.Contains(got, "handshake") {
		t.Errorf("a client's failed TLS handshake is logged above debug:\n%s", got)
	}
}

func TestServerLogWriterLevels(t *testing.T) {
	for _, tc := range []struct {
		line, level string
		hidden      bool // only at debug
	}{
		{"http: TLS handshake error from 192.0.2.7:51234: EOF\n", "", true},
		{"http2: server connection error from [2001:db8::7]:443: connection error: PROTOCOL_ERROR\n", "", true},
		{"http2: panic serving [2001:db8::7%eth0]:50000: oops\ngoroutine 1 [running]:\n", "ERROR", false},
		{"http: Accept error: accept tcp [::]:8067: accept4: too many open files; retrying in 5ms\n", "WARN", false},
		{"http: superfluous response.WriteHeader call from x.y (f.go:1)\n", "WARN", false},
	} {
		var buf bytes.Buffer
		w := serverLogWriter{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))}
		w.Write([]byte(tc.line))
		got := buf.String()
		switch {
		case tc.hidden && got != "":
			t.Errorf("%q logged above debug: %s", tc.line, got)
		case !tc.hidden && !strings.Contains(got, "level="+tc.level):
			t.Errorf("%q: want level %s, got %s", tc.line, tc.level, got)
		}
		for _, addr := range []string{"192.0.2.7", "2001:db8::7"} {
			if strings.Contains(got, addr) {
				t.Errorf("%q: the log names the client's address: %s", tc.line, got)
			}
		}
	}
}
