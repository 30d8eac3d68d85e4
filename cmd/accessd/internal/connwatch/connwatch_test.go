package connwatch

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// rig is a real HTTP server on loopback whose timeouts are a Watch's,
// swept by the test's own clock (at).
type rig struct {
	t     *testing.T
	w     *Watch
	addr  string
	clock time.Duration // since the Watch's epoch
	logs  *bytes.Buffer
}

var testLimits = Limits{Header: 2 * time.Second, Answer: 5 * time.Second, Idle: 3 * time.Second}

func newRig(t *testing.T, h http.Handler) *rig {
	t.Helper()
	logs := new(bytes.Buffer)
	w := New("test", testLimits, slog.New(slog.NewTextHandler(logs, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ConnState: w.ConnState}
	go srv.Serve(w.Listen(ln))
	t.Cleanup(func() { srv.Close() })
	r := &rig{t: t, w: w, addr: ln.Addr().String(), logs: logs}
	r.at(time.Minute) // a clock that is not at zero
	return r
}

// at sweeps with the clock at d past the epoch.
func (r *rig) at(d time.Duration) {
	r.clock = d
	r.w.Sweep(r.w.epoch.Add(d))
}

// later sweeps d after the clock's last sweep.
func (r *rig) later(d time.Duration) { r.at(r.clock + d) }

// phaseOf waits until the one watched connection is in phase p.
func (r *rig) waitPhase(p phase) {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r.w.mu.Lock()
		var got []phase
		for c := range r.w.conns {
			got = append(got, phase(c.state.Load()&phaseMask))
		}
		r.w.mu.Unlock()
		if len(got) == 1 && got[0] == p {
			return
		}
		time.Sleep(time.Millisecond)
	}
	r.t.Fatalf("the connection never reached phase %d", p)
}

func (r *rig) dial() net.Conn {
	r.t.Helper()
	c, err := net.Dial("tcp", r.addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { c.Close() })
	return c
}

// closed says whether the server closed c (EOF or reset within a second).
func closed(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(time.Second))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

func ok(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }

// A client that sends part of its headers is cut once Header has passed,
// and not before.
func TestHeaderPhase(t *testing.T) {
	r := newRig(t, http.HandlerFunc(ok))
	c := r.dial()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
	r.waitPhase(header)
	r.later(testLimits.Header) // exactly at the limit: never early
	if st := r.w.Stats(); st.Open != 1 || st.Header != 0 {
		t.Fatalf("cut at the limit itself: %+v", st)
	}
	r.later(2 * r.w.Tick())
	if !closed(c) {
		t.Fatal("a connection still sending headers after the limit was not closed")
	}
	if st := r.w.Stats(); st.Header != 1 || st.Open != 0 {
		t.Fatalf("stats %+v, want one cut in header and none open", st)
	}
	if got := gathered(t, r.w); got != "answer=0 header=1 idle=0" {
		t.Fatalf("accessd_http_connections_timed_out_total: %s", got)
	}
	if !strings.Contains(r.logs.String(), "cut_reading_headers=1") {
		t.Fatalf("no warning names the cut: %q", r.logs.String())
	}
}

// A keep-alive connection is cut after Idle without a request; a request
// begun within it gets Header from its first byte.
func TestIdlePhase(t *testing.T) {
	r := newRig(t, http.HandlerFunc(ok))
	c := r.dial()
	br := bufio.NewReader(c)
	get := func() {
		t.Helper()
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get()
	r.waitPhase(idle)
	r.later(testLimits.Idle) // the whole idle limit: still open
	get()
	r.waitPhase(idle)
	// The next request's first bytes, well inside idle: its header time
	// starts now, and Header (shorter than what idle had left) cuts it.
	r.later(testLimits.Idle / 2)
	io.WriteString(c, "GET / HT")
	r.waitPhase(header)
	r.later(testLimits.Header + 2*r.w.Tick())
	if !closed(c) {
		t.Fatal("a request's headers begun after idling were not held to the header limit")
	}

	c2 := r.dial()
	br = bufio.NewReader(c2)
	c = c2
	get()
	r.waitPhase(idle)
	r.later(testLimits.Idle + 2*r.w.Tick())
	if !closed(c2) {
		t.Fatal("an idle connection outlived the idle limit")
	}
	if st := r.w.Stats(); st.Idle != 1 || st.Header != 1 {
		t.Fatalf("stats %+v, want one idle and one header cut", st)
	}
	if strings.Contains(r.logs.String(), "cut_reading_headers=0") {
		t.Fatalf("idle cuts were warned about: %q", r.logs.String())
	}
}

// A handler that has not answered by Answer is cut off: its client sees
// the connection close and the handler its context end.
func TestAnswerPhase(t *testing.T) {
	ended := make(chan struct{})
	r := newRig(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		<-req.Context().Done()
		close(ended)
	}))
	c := r.dial()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	r.waitPhase(answer)
	r.later(testLimits.Answer)
	select {
	case <-ended:
		t.Fatal("the handler was cut off at the limit itself")
	case <-time.After(50 * time.Millisecond):
	}
	r.later(2 * r.w.Tick())
	if !closed(c) {
		t.Fatal("a stuck answer outlived the answer limit")
	}
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler's context did not end when its connection was cut")
	}
	if st := r.w.Stats(); st.Answer != 1 {
		t.Fatalf("stats %+v, want one answer cut", st)
	}
}

// A hijacked connection is the handler's: no limit applies.
func TestHijackedIsFree(t *testing.T) {
	got := make(chan net.Conn, 1)
	r := newRig(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		nc, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
		}
		got <- nc
	}))
	c := r.dial()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	nc := <-got
	defer nc.Close()
	r.waitPhase(free)
	r.later(time.Hour)
	if closed(c) {
		t.Fatal("a hijacked connection was cut")
	}
}

// Bodies holds a request's body to a read deadline; a request without one
// has none, however long its handler takes.
func TestBodies(t *testing.T) {
	const limit = 200 * time.Millisecond
	errs := make(chan error, 1)
	h := Bodies(limit, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet {
			time.Sleep(2 * limit)
			io.WriteString(w, "ok")
			return
		}
		_, err := io.ReadAll(req.Body)
		errs <- err
	}))
	r := newRig(t, h)
	c := r.dial()
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhalf")
	select {
	case err := <-errs:
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("a body cut short gave %v, want a timeout", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a body cut short was never timed out")
	}

	resp, err := http.Get("http://" + r.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" {
		t.Fatalf("a GET slower than the body limit got %q", b)
	}
}

// Under TLS, net/http's connection states name the *tls.Conn.
func TestConnOfTLS(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := &conn{Conn: a}
	if connOf(tls.Client(c, &tls.Config{})) != c || connOf(c) != c {
		t.Fatal("the watched connection is not found under TLS")
	}
	if connOf(a) != nil {
		t.Fatal("an unwatched connection was taken for a watched one")
	}
}

// Run sweeps on its own clock until its context ends.
func TestRun(t *testing.T) {
	w := New("test", Limits{Header: time.Second}, slog.New(slog.DiscardHandler))
	if w.Tick() != 50*time.Millisecond {
		t.Fatalf("tick %v for a 1 s limit, want 50ms", w.Tick())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for w.clock.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if w.clock.Load() == 0 {
		t.Fatal("Run never moved the clock")
	}
}

// gathered is the Watch's counter as a registry gathers it: "phase=n …".
func gathered(t *testing.T, w *Watch) string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(w)
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 || mfs[0].GetName() != "accessd_http_connections_timed_out_total" {
		t.Fatalf("gather: %v %v", mfs, err)
	}
	var out []string
	for _, m := range mfs[0].GetMetric() {
		out = append(out, fmt.Sprintf("%s=%g", m.GetLabel()[0].GetValue(), m.GetCounter().GetValue()))
	}
	return strings.Join(out, " ")
}
