package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/stadsnat/accessd/snmp/ifmib"
)

// Client is one SNMP session with one agent. Not safe for concurrent use.
type Client interface {
	// Get reads the given instances (at most MaxOIDs).
	Get(ctx context.Context, oids []string) ([]ifmib.Varbind, error)
	// GetBulk sends one GETBULK: the nonRepeaters are read once each
	// (GETNEXT), then up to maxRepetitions successors of each of the
	// repeaters, in row-major order (all repeaters of repetition 1, then
	// of repetition 2, ...). The agent may return fewer varbinds than
	// asked for when the response would not fit in its message size.
	GetBulk(ctx context.Context, nonRepeaters, repeaters []string, maxRepetitions int) ([]ifmib.Varbind, error)
	// Close releases the session's socket.
	Close() error
}

// Idler is a Client that can give back its socket and buffers between
// uses (after a poll cycle) and open them again at its next request,
// still the same session.
type Idler interface {
	Idle()
}

// Idle lets c give back its socket and buffers if it can (see Idler).
func Idle(c Client) {
	if i, ok := c.(Idler); ok {
		i.Idle()
	}
}

// Dialer opens sessions. The poller holds a Dialer so tests can replace
// the network with fake agents.
type Dialer interface {
	Dial(ctx context.Context, t Target) (Client, error)
}

// DialerFunc adapts a function to Dialer.
type DialerFunc func(ctx context.Context, t Target) (Client, error)

// Dial calls f.
func (f DialerFunc) Dial(ctx context.Context, t Target) (Client, error) { return f(ctx, t) }

// MaxOIDs is the most OIDs one request carries (gosnmp's default limit,
// and what agents handle reliably).
const MaxOIDs = 60

// Hooks are called from the session's goroutine, synchronously.
type Hooks struct {
	// OnSend is called for every request packet sent, retries included.
	OnSend func()
	// OnRetry is called for every retry (a send after a timeout).
	OnRetry func()
}

// Target is where and how to reach an agent.
type Target struct {
	// Address is host:port.
	Address     string
	Credentials Credentials
	// Timeout is the time to wait for the answer to one packet; Retries
	// how many times a request is re-sent after a timeout. Both must be
	// set explicitly (Timeout > 0, Retries ≥ 0).
	Timeout time.Duration
	Retries int
	Hooks   Hooks
}

// Validate checks the target.
func (t Target) Validate() error {
	if _, _, err := SplitAddress(t.Address); err != nil {
		return err
	}
	if t.Timeout <= 0 {
		return fmt.Errorf("agent %s: timeout %v must be positive", t.Address, t.Timeout)
	}
	if t.Retries < 0 {
		return fmt.Errorf("agent %s: retries %d must not be negative", t.Address, t.Retries)
	}
	if err := t.Credentials.Validate(); err != nil {
		return fmt.Errorf("agent %s: %w", t.Address, err)
	}
	return nil
}

// DefaultPort is the SNMP agent port.
const DefaultPort = 161

// NormalizeAddress returns host:port for "host", "host:port", "v6addr" or
// "[v6addr]:port", adding port 161 when none is given.
func NormalizeAddress(addr string) (string, error) {
	host, port, err := SplitAddress(addr)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(host, strconv.Itoa(int(port))), nil
}

// SplitAddress splits an agent address into host and port (default 161).
func SplitAddress(addr string) (string, uint16, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return "", 0, errors.New("empty agent address")
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		// no port: a bare host name, IPv4 or IPv6 address
		if strings.Count(addr, ":") == 1 || strings.HasPrefix(addr, "[") {
			return "", 0, fmt.Errorf("agent address %q: %w", addr, err)
		}
		return strings.Trim(addr, "[]"), DefaultPort, nil
	}
	if host == "" {
		return "", 0, fmt.Errorf("agent address %q: no host", addr)
	}
	p, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || p == 0 {
		return "", 0, fmt.Errorf("agent address %q: bad port %q", addr, portStr)
	}
	return host, uint16(p), nil
}

// ErrTimeout: the agent gave no valid answer within the timeout after all
// retries (or refused: ICMP port unreachable).
var ErrTimeout = errors.New("no answer from agent")

// ErrAuth: the agent rejected the SNMPv3 credentials (unknown user, wrong
// digest, unsupported security level, decryption error).
var ErrAuth = errors.New("snmpv3 authentication failed")

// ErrTooBig matches a *StatusError with status tooBig(1).
var ErrTooBig = errors.New("response too big")

// StatusError is a response PDU with a non-zero error-status.
type StatusError struct {
	Status int // RFC 3416 error-status: 1 tooBig, 2 noSuchName, 5 genErr, ...
	Index  int // error-index
}

func (e *StatusError) Error() string {
	name := map[int]string{1: "tooBig", 2: "noSuchName", 3: "badValue", 4: "readOnly", 5: "genErr", 6: "noAccess",
		16: "authorizationError"}[e.Status]
	if name == "" {
		name = "error-status " + strconv.Itoa(e.Status)
	}
	return fmt.Sprintf("agent answered %s (error-index %d)", name, e.Index)
}

// Is makes errors.Is(err, ErrTooBig) true for a tooBig status.
func (e *StatusError) Is(target error) bool { return target == ErrTooBig && e.Status == 1 }
