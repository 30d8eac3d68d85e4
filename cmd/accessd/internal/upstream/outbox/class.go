package outbox

import (
	"fmt"
	"net/http"
	"strings"
	"unicode"
)

// Class is what a delivery error means for the entry and the sink.
type Class int

// The classes of delivery errors.
const (
	// ClassTransient: try the entry again later (network, 5xx, time-out,
	// malformed answer). The default for an unclassified error.
	ClassTransient Class = iota
	// ClassPermanent: the upstream refused this entry for good; park it.
	ClassPermanent
	// ClassAuth: the upstream refused our credentials; pause the sink.
	ClassAuth
)

func (c Class) String() string {
	switch c {
	case ClassTransient:
		return "transient"
	case ClassPermanent:
		return "permanent"
	case ClassAuth:
		return "auth"
	}
	return fmt.Sprintf("class(%d)", int(c))
}

type classified struct {
	class Class
	err   error
}

func (c *classified) Error() string { return c.err.Error() }
func (c *classified) Unwrap() error { return c.err }

// Permanent and Auth make a classified error speak the method convention
// of the upstream clients (package remote): see ClassOf.
func (c *classified) Permanent() bool { return c.class == ClassPermanent }
func (c *classified) Auth() bool      { return c.class == ClassAuth }

// Permanent marks err as a permanent refusal of the entry.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &classified{ClassPermanent, err}
}

// AuthRefused marks err as a refusal of the sink's credentials.
func AuthRefused(err error) error {
	if err == nil {
		return nil
	}
	return &classified{ClassAuth, err}
}

// ClassOf is the class of err, decided by the outermost error of its chain
// (errors.Unwrap, joined errors depth first) that classifies itself: one
// made by Permanent or AuthRefused, or any error with a method
// Permanent() bool or Auth() bool — the convention of the upstream clients
// (remote.Error, cubit.ValidationError, spapi.FormatError). Auth() true is
// ClassAuth, else Permanent() true is ClassPermanent, else the error says
// it is transient. An error that nothing classifies is ClassTransient.
// This is the one classification of delivery errors: the Runner and every
// Sink go by it.
func ClassOf(err error) Class {
	c, _ := classOf(err, 0)
	return c
}

type permanenter interface{ Permanent() bool }
type authRefuser interface{ Auth() bool }

// classOf returns the class the outermost classifying error of err's chain
// gives, and whether one did.
func classOf(err error, depth int) (Class, bool) {
	for err != nil && depth < 100 {
		depth++
		a, isA := err.(authRefuser)
		p, isP := err.(permanenter)
		switch {
		case isA && a.Auth():
			return ClassAuth, true
		case isP && p.Permanent():
			return ClassPermanent, true
		case isA || isP:
			return ClassTransient, true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if c, ok := classOf(e, depth); ok {
					return c, true
				}
			}
			return ClassTransient, false
		default:
			return ClassTransient, false
		}
	}
	return ClassTransient, false
}

// HTTPError is an upstream's answer with a status code other than 2xx.
type HTTPError struct {
	Status int
	Body   string // trimmed to maxBody, control characters replaced
}

const maxBody = 512

func (e *HTTPError) Error() string {
	if e.Body == "" || strings.Contains(e.Body, http.StatusText(e.Status)) && len(e.Body) < 64 {
		return fmt.Sprintf("upstream answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("upstream answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Body)
}

// HTTPStatus classifies an upstream's HTTP answer: nil for 2xx; 401 and
// 403 are AuthRefused; 408, 425, 429 and 5xx are transient; any other
// status (400, 404, 409, 413, 422, …) is Permanent. body is kept, trimmed,
// as the error's text: it is what the operator sees for a parked entry, so
// a Sink must not pass a body that echoes secrets.
func HTTPStatus(status int, body []byte) error {
	if status >= 200 && status < 300 {
		return nil
	}
	err := &HTTPError{Status: status, Body: cleanBody(body)}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return AuthRefused(err)
	case status == http.StatusRequestTimeout || status == http.StatusTooEarly ||
		status == http.StatusTooManyRequests || status >= 500:
		return err
	case status >= 400:
		return Permanent(err)
	}
	return err // 1xx, 3xx: not an answer a sink can act on; try again
}

func cleanBody(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > maxBody {
		s = strings.ToValidUTF8(s[:maxBody], "") + "…"
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
