// Package web holds what the API handlers of accessd share: handlers that
// return errors, the adapters that turn those errors into each standard's
// error body, HTTP Basic authentication, If-Modified-Since handling and
// response helpers.
package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Error is an error with the HTTP status and the cause a client may see.
type Error struct {
	Status int
	Cause  string
	Err    error // the internal cause, logged, never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Cause, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Cause)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf makes an Error whose cause the client sees.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Cause: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected error: the client sees a generic cause, the
// log the error.
func Internal(err error) *Error {
	return &Error{Status: http.StatusInternalServerError, Cause: "internal error", Err: err}
}

// HandlerFunc is an HTTP handler that returns its error instead of writing
// it; one adapter per standard turns the error into that standard's body.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// ErrorWriter writes an error response in a standard's format.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, e *Error)

// Adapter turns HandlerFuncs into http.Handlers.
type Adapter struct {
	Log   *slog.Logger
	Write ErrorWriter
}

// Handle adapts h: a returned error is logged once (at warn for 5xx, debug
// otherwise) and written with a.Write. Errors after the response has started
// can only be logged.
func (a Adapter) Handle(h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &trackingWriter{ResponseWriter: w}
		err := h(rw, r)
		if err == nil {
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			e = Internal(err)
		}
		if e.Status >= 500 {
			a.Log.Warn("request failed", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", e)
		} else {
			a.Log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "status", e.Status, "cause", e.Cause)
		}
		if rw.wrote {
			a.Log.Warn("response aborted after it started", "path", r.URL.Path, "err", err)
			return
		}
		a.Write(w, r, e)
	})
}

// trackingWriter remembers whether the response has started.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) {
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// JSONCause writes ON-API / PI-API error bodies: {"cause": "..."}.
func JSONCause(w http.ResponseWriter, _ *http.Request, e *Error) {
	if e.Status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="accessd", charset="UTF-8"`)
	}
	WriteJSON(w, e.Status, struct {
		Cause string `json:"cause"`
	}{e.Cause})
}

// PlainText writes an error as text/plain.
func PlainText(w http.ResponseWriter, _ *http.Request, e *Error) {
	if e.Status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="accessd", charset="UTF-8"`)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.Status)
	fmt.Fprintln(w, e.Cause)
}

// WriteJSON writes v as a JSON response.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return Internal(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}

// IfModifiedSince returns the request's If-Modified-Since time. An absent or
// unparseable header gives ok=false: RFC 9110 §13.1.3 says to ignore an
// invalid date, so the client gets the full answer.
func IfModifiedSince(r *http.Request) (t time.Time, ok bool) {
	v := r.Header.Get("If-Modified-Since")
	if v == "" {
		return time.Time{}, false
	}
	t, err := http.ParseTime(v)
	if err != nil || t.IsZero() {
		return time.Time{}, false
	}
	return t.UTC().Truncate(time.Second), true
}

// SetLastModified sets Last-Modified in the HTTP date format.
func SetLastModified(w http.ResponseWriter, t time.Time) {
	w.Header().Set("Last-Modified", t.UTC().Format(http.TimeFormat))
}
