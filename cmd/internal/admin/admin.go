// Package admin is the protocol between accessctl and the running accessd:
// HTTP/1.1 with JSON bodies over the daemon's unix socket (admin.socket).
// The socket's file mode and owner decide who may use it; the daemon also
// logs the peer's uid. This package holds the client, the socket listener
// and the request/response types both sides share.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stadsnat/accessd/store/inventory"
)

// ErrorBody is the body of every failed admin request.
type ErrorBody struct {
	Error    string              `json:"error"`
	Problems []inventory.Problem `json:"problems,omitempty"`
}

// Error is a failed admin request as the client sees it.
type Error struct {
	Status   int
	Message  string
	Problems []inventory.Problem
}

func (e *Error) Error() string {
	if len(e.Problems) == 0 {
		return e.Message
	}
	ps := &inventory.Problems{List: e.Problems}
	return e.Message + "\n" + ps.Error()
}

// Client talks to accessd over its admin socket.
type Client struct {
	socket string
	hc     *http.Client
}

// NewClient makes a client for the socket at path.
func NewClient(path string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		DisableCompression: true,
	}
	return &Client{socket: path, hc: &http.Client{Transport: tr}}
}

// Do sends a request and decodes a JSON answer into out (unless out is
// nil). A non-2xx answer is an *Error.
func (c *Client) Do(ctx context.Context, method, path string, body io.Reader, contentType string, out any) error {
	resp, err := c.Send(ctx, method, path, body, contentType)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err := io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("read accessd's answer: %w", err)
	}
	return nil
}

// Send sends a request and returns the successful response for the caller
// to read and close; a non-2xx answer is an *Error.
func (c *Client) Send(ctx context.Context, method, path string, body io.Reader, contentType string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://accessd"+path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.explain(err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	var eb ErrorBody
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if json.Unmarshal(b, &eb) != nil || eb.Error == "" {
		eb.Error = strings.TrimSpace(string(b))
	}
	return nil, &Error{Status: resp.StatusCode, Message: eb.Error, Problems: eb.Problems}
}

// explain turns dial errors into advice.
func (c *Client) explain(err error) error {
	switch {
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("accessd is not running (no daemon on %s)", c.socket)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Errorf("permission denied on %s: run as root or as a member of the socket's group", c.socket)
	}
	return fmt.Errorf("talk to accessd on %s: %w", c.socket, err)
}

// Listen creates the admin socket at path with the given octal mode and
// group (empty: the process's), replacing a stale socket file left by a
// crashed daemon but refusing to steal one a live daemon answers on.
func Listen(path, mode, group string) (net.Listener, error) {
	m, err := strconv.ParseUint(mode, 8, 32)
	if err != nil {
		return nil, fmt.Errorf("admin socket mode %q: %w", mode, err)
	}
	if !strings.HasPrefix(path, "@") {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("admin socket %s is in use: is another accessd running?", path)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("remove stale admin socket: %w", err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	if strings.HasPrefix(path, "@") {
		return ln, nil
	}
	if err := os.Chmod(path, os.FileMode(m)); err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin socket mode: %w", err)
	}
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("admin socket group: %w", err)
		}
		gid, _ := strconv.Atoi(g.Gid)
		if err := os.Chown(path, -1, gid); err != nil {
			ln.Close()
			return nil, fmt.Errorf("admin socket group: %w", err)
		}
	}
	return ln, nil
}

// PeerUID returns the uid of the process at the other end of a unix
// connection, or -1.
func PeerUID(c net.Conn) int {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return -1
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return -1
	}
	uid := -1
	raw.Control(func(fd uintptr) {
		cred, err := syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
		if err == nil {
			uid = int(cred.Uid)
		}
	})
	return uid
}
