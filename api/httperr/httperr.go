// Package httperr is accessd's one convention for a request that fails,
// shared by the HTTP APIs and the admin socket: a handler returns an error
// instead of writing one; an *Error carries the status, the cause the
// client may see, the internal error (logged, never shown) and, for a
// refused import, every problem with its line and field. One place per
// server turns it into the answer; the JSON form is Body,
// {"cause": "...", "problems": [...]}, the error body of PI-API, ON-API,
// the import API and the admin socket alike.
package httperr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is a failed request: the status and the cause a client may see.
type Error struct {
	Status int
	Cause  string
	// Err is the internal cause: logged, never shown to an API client.
	Err error
	// Problems are what is wrong in a refused import, each with its place:
	// the first ones, when ProblemCount says there were more.
	Problems []Problem
	// ProblemCount is how many problems there were in all, when more than
	// Problems lists (0 otherwise).
	ProblemCount int
}

// Error renders the cause, the internal error after it, and each problem
// on a line of its own.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Cause)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	for _, p := range e.Problems {
		b.WriteString("\n")
		b.WriteString(p.String())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf makes an Error whose cause the client sees.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Cause: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected error: the client sees a generic cause, the
// log the error. An error that carries a cause meant for clients (Public:
// a damaged store record, a store that is read-only for want of disk
// space) answers with that cause and status instead.
func Internal(err error) *Error {
	var p Public
	if errors.As(err, &p) {
		return &Error{Status: p.PublicStatus(), Cause: p.PublicCause(), Err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Cause: "internal error", Err: err}
}

// Public is an error whose cause and status a client may see: the store's
// damaged records (500) and its read-only mode (503) implement it, so
// that every API says why instead of "internal error".
type Public interface {
	error
	PublicCause() string
	PublicStatus() int
}

// From is err as an *Error: itself when it is one (or wraps one), else
// Internal(err).
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// HandlerFunc is an HTTP handler that returns its error instead of writing
// it; the server it is mounted on writes the error in its format.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Body is the JSON error body. problemCount is there only when the
// problems listed are the first of more.
type Body struct {
	Cause        string    `json:"cause"`
	Problems     []Problem `json:"problems,omitempty"`
	ProblemCount int       `json:"problemCount,omitempty"`
}

// WriteJSON writes e as Body with e's status.
func WriteJSON(w http.ResponseWriter, e *Error) error {
	body := Body{Cause: e.Cause, Problems: e.Problems}
	if e.ProblemCount > len(e.Problems) {
		body.ProblemCount = e.ProblemCount
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_, err = w.Write(append(b, '\n'))
	return err
}

// Problem is one thing wrong in a refused import.
type Problem struct {
	// Line is the 1-based line where the record or the fault is; 0 when
	// there is no file. Column is the 1-based byte column on it, 0 when
	// the fault is not pinned to a place.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// AccessID is the record's accessId as read, when it has one.
	AccessID string `json:"accessId,omitempty"`
	// Field is the field as the input spells it; empty for the whole
	// record or file.
	Field string `json:"field,omitempty"`
	// Message says what is wrong, quoting the offending value.
	Message string `json:"message"`
}

// maxQuoted bounds how much of an access id String quotes.
const maxQuoted = 40

// String renders the problem as
// `line 7: accessId "A1": postalCode: "1234" is not five digits`.
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		b.WriteString("line " + strconv.Itoa(p.Line))
		if p.Column > 0 {
			b.WriteString(", column " + strconv.Itoa(p.Column))
		}
		b.WriteString(": ")
	}
	if p.AccessID != "" && p.Field != "accessId" {
		b.WriteString("accessId " + quote(p.AccessID) + ": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

func quote(s string) string {
	if utf8.RuneCountInString(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	n := 0
	for i := range s {
		if n == maxQuoted {
			return strconv.Quote(s[:i]) + "…"
		}
		n++
	}
	return strconv.Quote(s)
}
