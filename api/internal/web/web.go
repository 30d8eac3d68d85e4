// Package web holds what the API handlers of accessd share: handlers that
// return errors, the adapters that turn those errors into each standard's
// error body, HTTP Basic authentication, If-Modified-Since handling and
// response helpers.
package web

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/stadsnat/accessd/api/httperr"
)

// Error is a failed request: the one error type of accessd's HTTP APIs
// and admin socket (see package httperr).
type Error = httperr.Error

// Errorf makes an Error whose cause the client sees.
func Errorf(status int, format string, args ...any) *Error {
	return httperr.Errorf(status, format, args...)
}

// Internal wraps an unexpected error: the client sees a generic cause, the
// log the error.
func Internal(err error) *Error { return httperr.Internal(err) }

// HandlerFunc is an HTTP handler that returns its error instead of writing
// it; one adapter per standard turns the error into that standard's body.
type HandlerFunc = httperr.HandlerFunc

// ErrorWriter writes an error response in a standard's format.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, e *Error)

// Adapter turns HandlerFuncs into http.Handlers.
type Adapter struct {
	Log   *slog.Logger
	Write ErrorWriter
}

// Handle adapts h: a returned error is logged once (at warn for 5xx, debug
// otherwise) and written with a.Write. An error after the response has
// started can only be logged; a 5xx one then cuts the connection, so the
// client sees a broken answer rather than a short one.
func (a Adapter) Handle(h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The router's Recorder already tracks whether the answer
		// started; a handler mounted without one gets its own.
		rw, ok := w.(*Recorder)
		if !ok {
			rw = &Recorder{ResponseWriter: w, Code: http.StatusOK}
		}
		err := h(rw, r)
		if err == nil {
			return
		}
		e := httperr.From(err)
		if e.Status >= 500 {
			a.Log.Warn("request failed", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", e)
		} else {
			a.Log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "status", e.Status, "cause", e.Cause)
		}
		if rw.Started {
			a.Log.Warn("response aborted after it started", "path", r.URL.Path, "err", err)
			if e.Status >= 500 {
				// Cut the connection: a body that ends early but well
				// (a damaged record met mid-export) must not pass for the
				// whole answer. net/http aborts without a log line.
				panic(http.ErrAbortHandler)
			}
			return
		}
		a.Write(rw, r, e)
	})
}

// Recorder wraps an answer's ResponseWriter once per request: it keeps the
// status code (for the metrics) and whether the answer has started (for
// Adapter). The router makes one per request; Adapter uses it when it is
// there.
type Recorder struct {
	http.ResponseWriter
	Code    int  // the status written (http.StatusOK until then)
	Started bool // WriteHeader or Write was called
}

// WriteHeader records code and passes it on.
func (t *Recorder) WriteHeader(code int) {
	t.Code = code
	t.Started = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *Recorder) Write(b []byte) (int, error) {
	t.Started = true
	return t.ResponseWriter.Write(b)
}

// ReadFrom copies r into the answer through the underlying writer's own
// ReadFrom, so that net/http sends a file with sendfile.
func (t *Recorder) ReadFrom(r io.Reader) (int64, error) {
	t.Started = true
	if rf, ok := t.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(t.ResponseWriter, r)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (t *Recorder) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// JSONCause writes ON-API / PI-API error bodies: {"cause": "..."}, with
// the problems of a refused import (httperr.Body).
func JSONCause(w http.ResponseWriter, _ *http.Request, e *Error) {
	if e.Status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="accessd", charset="UTF-8"`)
	}
	httperr.WriteJSON(w, e)
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
// unparseable header, or a date later than now (the server's time), gives
// ok=false: RFC 9110 §13.1.3 says to ignore an invalid date, and a date
// later than the server's time is invalid, so the client gets the full
// answer.
func IfModifiedSince(r *http.Request, now time.Time) (t time.Time, ok bool) {
	v := r.Header.Get("If-Modified-Since")
	if v == "" {
		return time.Time{}, false
	}
	t, err := http.ParseTime(v)
	if err != nil || t.IsZero() || t.After(now) {
		return time.Time{}, false
	}
	return t.UTC().Truncate(time.Second), true
}

// SetLastModified sets Last-Modified in the HTTP date format.
func SetLastModified(w http.ResponseWriter, t time.Time) {
	w.Header().Set("Last-Modified", t.UTC().Format(http.TimeFormat))
}
