package portaltest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
)

// Client is an *http.Client that reaches the portal in-process: each
// request is served by ServeHTTP in the caller's goroutine. Refusing
// makes it fail as a refused TCP connection does; Unavailable answers 503.
// The URL's host is not looked at; use BaseURL.
func (p *Portal) Client() *http.Client {
	return &http.Client{Transport: transport{p}}
}

// BaseURL is the log URL for Client.
func (p *Portal) BaseURL() string { return "http://atlas-portal.test" + p.opt.LogPath }

// LoginURL is the api_login URL for Client.
func (p *Portal) LoginURL() string { return "http://atlas-portal.test" + p.opt.LoginPath }

type transport struct{ p *Portal }

func (t transport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	defer func() {
		// Refusing set while the request was on its way: the connection drops.
		if r := recover(); r != nil {
			if r != http.ErrAbortHandler {
				panic(r)
			}
			resp, err = nil, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
		}
	}()
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	t.p.mu.Lock()
	up := t.p.uplink
	t.p.mu.Unlock()
	if up == Refusing {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	rec := httptest.NewRecorder()
	t.p.ServeHTTP(rec, req)
	resp = rec.Result()
	resp.Request = req
	return resp, nil
}
