// Command barehttp is the ceiling the HTTP figures measure accessd
// against: a bare Go net/http server whose one handler writes a fixed
// answer — the status, headers and bytes accessd gave for the same
// request — with no routing, authentication, metrics, logging or store.
// accessd's look-ups are measured beside it with wrk in the same run
// (cmd/accessd's TestLoadFigures, `make bench`), so the ratio says what
// accessd's own work costs on top of net/http.
//
//	barehttp -listen 127.0.0.1:0 -status 200 -header 'Content-Type: application/json' -body answer.json
//
// -read-header-timeout, -read-timeout, -write-timeout and -idle-timeout set
// the server's timeouts as accessd sets its own (none by default): the
// deadlines net/http then sets on every request are its cost, not
// accessd's, and the figures measure accessd beside both.
//
// It prints "listening on ADDR" once it accepts connections and serves
// until SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "barehttp:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("barehttp", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	status := fs.Int("status", http.StatusOK, "status code of the answer")
	bodyFile := fs.String("body", "", "file holding the answer's body (none: empty)")
	var hs headers
	fs.Var(&hs, "header", `a header of the answer, "Name: value" (repeat the flag for more)`)
	// The server's timeouts (0: none, net/http's default): with accessd's,
	// the peer pays for the same deadlines on every request.
	readHeader := fs.Duration("read-header-timeout", 0, "http.Server ReadHeaderTimeout")
	read := fs.Duration("read-timeout", 0, "http.Server ReadTimeout")
	write := fs.Duration("write-timeout", 0, "http.Server WriteTimeout")
	idle := fs.Duration("idle-timeout", 0, "http.Server IdleTimeout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var body []byte
	if *bodyFile != "" {
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			return err
		}
		body = b
	}
	fixed := http.Header{}
	for _, h := range hs {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return fmt.Errorf("-header %q: want Name: value", h)
		}
		fixed.Add(textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name)), strings.TrimSpace(value))
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	srv := &http.Server{Handler: answer(*status, fixed, body),
		ReadHeaderTimeout: *readHeader, ReadTimeout: *read, WriteTimeout: *write, IdleTimeout: *idle}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// answer is the one handler: it puts the fixed headers' values in as they
// are (the least a handler can do: no allocation), then writes status and
// body.
func answer(status int, fixed http.Header, body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		for k, v := range fixed {
			h[k] = v
		}
		w.WriteHeader(status)
		w.Write(body)
	})
}
