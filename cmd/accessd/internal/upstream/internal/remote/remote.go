package remote

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Class says what a caller should do about a failed call.
type Class uint8

// The classes of a failure.
const (
	Transient Class = iota // retry with back-off
	Permanent              // park the entry
	Auth                   // pause the sink
)

func (c Class) String() string {
	switch c {
	case Permanent:
		return "permanent"
	case Auth:
		return "auth"
	}
	return "transient"
}

// ClassOf classifies an HTTP status code of a refused request.
func ClassOf(status int) Class {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return Auth
	case http.StatusBadRequest, http.StatusConflict, http.StatusRequestEntityTooLarge,
		http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
		return Permanent
	}
	return Transient
}

// Error is a failed call to a peer.
type Error struct {
	Op     string // what was attempted, e.g. "POST /api/import/test/customer"
	Status int    // HTTP status of the answer; 0 when there was none
	Body   string // a bounded, cleaned excerpt of the answer's body
	Class  Class
	Err    error // the underlying error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Status != 0 {
		b.WriteString(": HTTP ")
		b.WriteString(strconv.Itoa(e.Status))
		if t := http.StatusText(e.Status); t != "" {
			b.WriteString(" ")
			b.WriteString(t)
		}
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Body != "" {
		b.WriteString(": ")
		b.WriteString(e.Body)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent reports whether the request was refused for good.
func (e *Error) Permanent() bool { return e.Class == Permanent }

// Auth reports whether the peer refused the credentials.
func (e *Error) Auth() bool { return e.Class == Auth }

// StatusError builds the error of an answer with an unexpected status.
func StatusError(op string, status int, body []byte) *Error {
	return &Error{Op: op, Status: status, Body: Excerpt(body), Class: ClassOf(status)}
}

// Failed builds the error of a call that got no usable answer (transport
// error, time-out, malformed body): transient. A *url.Error is unwrapped:
// op names the call, and the URL may carry a query value (an spReference)
// that has no place in a log.
func Failed(op string, err error) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &Error{Op: op, Err: err, Class: Transient}
}

// Refused builds a permanent error that was found before sending.
func Refused(op string, err error) *Error { return &Error{Op: op, Err: err, Class: Permanent} }

// IsAuth reports whether err is or wraps an error whose Auth method says
// true.
func IsAuth(err error) bool {
	var a interface{ Auth() bool }
	return errors.As(err, &a) && a.Auth()
}

// IsPermanent reports whether err is or wraps an error whose Permanent
// method says true.
func IsPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// maxExcerpt bounds how much of a body an error carries.
const maxExcerpt = 512

// Excerpt returns the start of a body for an error message: at most
// maxExcerpt bytes, invalid UTF-8, white space and control characters
// folded to single spaces, and runs of nine or more digits (personal and
// organisation numbers a peer may echo) replaced by "#". A message can then
// be logged and shown without carrying a personal number.
func Excerpt(body []byte) string {
	var b strings.Builder
	var run []byte // pending digits
	flush := func() {
		if len(run) >= 9 {
			b.WriteByte('#')
		} else {
			b.Write(run)
		}
		run = run[:0]
	}
	space, cut := false, false
	for i := 0; i < len(body); {
		if b.Len()+len(run) >= maxExcerpt {
			cut = true
			break
		}
		r, n := utf8.DecodeRune(body[i:])
		i += n
		if r >= '0' && r <= '9' {
			run = append(run, byte(r))
			space = false
			continue
		}
		flush()
		if r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r) {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	if cut && len(run) > 0 { // a run cut short may be part of a longer number
		run = append(run[:0], "000000000"...)
	}
	flush()
	s := strings.TrimSpace(b.String())
	if cut {
		s += "…"
	}
	return s
}

// ReadSecret reads a secret (a key, a password) from a file: the content
// without its trailing line end. An empty secret is an error. The error
// names the file, never its content.
func ReadSecret(path string) (string, error) {
	if path == "" {
		return "", errors.New("no secret file given")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read secret: %w", err)
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("read secret: %s is empty", path)
	}
	if strings.ContainsAny(s, "\r\n") {
		return "", fmt.Errorf("read secret: %s holds more than one line", path)
	}
	return s, nil
}

// ClientOptions configure NewHTTPClient.
type ClientOptions struct {
	// CAFile, when set, is a PEM file of the CA certificates that may sign
	// the peer's certificate, instead of the system's roots.
	CAFile string
	// Timeout bounds a whole call, answer included; 0 means 30 s.
	Timeout time.Duration
}

// DefaultTimeout bounds a call when no time-out is configured.
const DefaultTimeout = 30 * time.Second

// NewHTTPClient returns an HTTP client for one peer. It never follows a
// redirect: the peers' APIs do not redirect, and a redirect could carry an
// api-key header to another host (net/http strips only Authorization and
// cookies). A redirect is answered to the caller as it is.
func NewHTTPClient(o ClientOptions) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", o.CAFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// ReadBody reads at most limit bytes of a body and fails when there is
// more.
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return b, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("the answer is larger than %d bytes", limit)
	}
	return b, nil
}
