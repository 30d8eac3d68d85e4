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

	"github.com/stadsnat/accessd/api/httperr"
)

// Client talks to accessd over its admin socket.
type Client struct {
	socket     string
	hc         *http.Client
	daemonUser string
}

// DefaultDaemonUser is the user the packaged accessd runs as.
const DefaultDaemonUser = "accessd"

// NewClient makes a client for the socket at path. Before it sends
// anything on a connection it checks who made the socket (SO_PEERCRED):
// root, the user running the client, or the daemon's user
// (DefaultDaemonUser unless DaemonUser says otherwise). A socket another
// user made (say in a directory anyone may write to, or an abstract name
// taken first) gets nothing: not an import, not a backup's request.
func NewClient(path string) *Client {
	c := &Client{socket: path, daemonUser: DefaultDaemonUser}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			conn, err := d.DialContext(ctx, "unix", path)
			if err != nil {
				return nil, err
			}
			if err := c.checkServer(PeerOf(conn)); err != nil {
				conn.Close()
				return nil, err
			}
			return conn, nil
		},
		DisableCompression: true,
	}
	c.hc = &http.Client{Transport: tr}
	return c
}

// DaemonUser sets the user the daemon runs as ("" trusts only root and
// the client's own user), and returns c.
func (c *Client) DaemonUser(name string) *Client {
	c.daemonUser = name
	return c
}

// UntrustedServerError is a socket served by a process the client does
// not trust.
type UntrustedServerError struct {
	Socket     string
	UID        uint32
	Known      bool
	DaemonUser string
}

func (e *UntrustedServerError) Error() string {
	if !e.Known {
		return fmt.Sprintf("refusing to talk to %s: cannot read who serves it (SO_PEERCRED)", e.Socket)
	}
	who := strconv.Itoa(int(e.UID))
	if u, err := user.LookupId(who); err == nil {
		who += " (" + u.Username + ")"
	}
	return fmt.Sprintf("refusing to talk to %s: it is served by uid %s, not by root, you or the daemon's user %q; "+
		"someone else may have put it there (check the path, or give the daemon's user with -daemon-user)", e.Socket, who, e.DaemonUser)
}

// checkServer accepts a server run by root, by the client's own user or
// by the daemon's user.
func (c *Client) checkServer(p Peer) error {
	if p.Known && (p.UID == 0 || p.UID == uint32(os.Getuid())) {
		return nil
	}
	if p.Known && c.daemonUser != "" {
		if u, err := user.Lookup(c.daemonUser); err == nil && u.Uid == strconv.FormatUint(uint64(p.UID), 10) {
			return nil
		}
	}
	return &UntrustedServerError{Socket: c.socket, UID: p.UID, Known: p.Known, DaemonUser: c.daemonUser}
}

// Do sends a request and decodes a JSON answer into out (unless out is
// nil). A non-2xx answer is an *httperr.Error.
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

// Get is Do for a GET without a body.
func (c *Client) Get(ctx context.Context, path string, out any) error {
	return c.Do(ctx, http.MethodGet, path, nil, "", out)
}

// Send sends a request and returns the successful response for the caller
// to read and close; a non-2xx answer is an *httperr.Error.
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
	var eb httperr.Body
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if json.Unmarshal(b, &eb) != nil || eb.Cause == "" {
		eb.Cause = strings.TrimSpace(string(b))
	}
	return nil, &httperr.Error{Status: resp.StatusCode, Cause: eb.Cause, Problems: eb.Problems, ProblemCount: eb.ProblemCount}
}

// explain turns dial errors into advice.
func (c *Client) explain(err error) error {
	var ue *UntrustedServerError
	switch {
	case errors.As(err, &ue):
		return ue
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("accessd is not running (no daemon on %s)", c.socket)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Errorf("permission denied on %s: run as root or as a member of the socket's group", c.socket)
	}
	return fmt.Errorf("talk to accessd on %s: %w", c.socket, err)
}
