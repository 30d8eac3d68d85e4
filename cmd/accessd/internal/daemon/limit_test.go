package daemon

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLimitBody(t *testing.T) {
	var readErr error
	var sameRequest bool
	var orig *http.Request
	h := limitBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, readErr = io.ReadAll(r.Body)
		sameRequest = r == orig
	}), 10)
	orig = httptest.NewRequest("POST", "/api/import/prod/access", strings.NewReader(strings.Repeat("x", 11)))
	h.ServeHTTP(httptest.NewRecorder(), orig)
	var mbe *http.MaxBytesError
	if !errors.As(readErr, &mbe) || mbe.Limit != 10 {
		t.Errorf("11 bytes through a 10-byte limit: %v", readErr)
	}
	orig = httptest.NewRequest("POST", "/x", strings.NewReader(strings.Repeat("x", 10)))
	h.ServeHTTP(httptest.NewRecorder(), orig)
	if readErr != nil {
		t.Errorf("10 bytes: %v", readErr)
	}
	orig = httptest.NewRequest("GET", "/api/2.3/accesses/", nil)
	h.ServeHTTP(httptest.NewRecorder(), orig)
	if readErr != nil || !sameRequest {
		t.Errorf("a GET without a body: %v, passed on as is: %v", readErr, sameRequest)
	}
}
