package remote

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClassOf(t *testing.T) {
	for status, want := range map[int]Class{
		400: Permanent, 401: Auth, 403: Auth, 404: Transient, 408: Transient, 409: Permanent,
		413: Permanent, 415: Permanent, 422: Permanent, 429: Transient, 500: Transient, 502: Transient, 503: Transient,
	} {
		if got := ClassOf(status); got != want {
			t.Errorf("ClassOf(%d) = %v, want %v", status, got, want)
		}
	}
}

func TestErrorClassThroughWrapping(t *testing.T) {
	err := fmt.Errorf("deliver entry 7: %w", StatusError("POST /x", http.StatusBadRequest, []byte(`{"cause":"bad"}`)))
	if !IsPermanent(err) || IsAuth(err) {
		t.Errorf("400: IsPermanent %v IsAuth %v, want true false", IsPermanent(err), IsAuth(err))
	}
	err = fmt.Errorf("wrap: %w", StatusError("POST /x", http.StatusUnauthorized, nil))
	if IsPermanent(err) || !IsAuth(err) {
		t.Errorf("401: IsPermanent %v IsAuth %v, want false true", IsPermanent(err), IsAuth(err))
	}
	err = Failed("GET /x", errors.New("connection refused"))
	if IsPermanent(err) || IsAuth(err) {
		t.Error("a transport failure must be transient")
	}
	if got, want := StatusError("POST /x", 400, []byte("  bad\n body ")).Error(), "POST /x: HTTP 400 Bad Request: bad body"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestExcerpt(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"  plain\t\ttext\r\n", "plain text"},
		{`{"Number":"22097312401","postal":"0485"}`, `{"Number":"#","postal":"0485"}`},
		{"org 951123123 and 12345678", "org # and 12345678"},
		{"bad \xff byte", "bad byte"},
		{strings.Repeat("a", 600), strings.Repeat("a", 512) + "…"},
		{strings.Repeat("a", 508) + "123456789012", strings.Repeat("a", 508) + "#…"},
	} {
		if got := Excerpt([]byte(tc.in)); got != tc.want {
			t.Errorf("Excerpt(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzExcerpt(f *testing.F) {
	f.Add([]byte(`{"Number":"22097312401"}`))
	f.Add([]byte("\xff\x00 12345678901234"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := Excerpt(b)
		if len(s) > maxExcerpt+len("…") {
			t.Fatalf("excerpt of %d bytes", len(s))
		}
		run := 0
		for _, c := range []byte(s) {
			if c >= '0' && c <= '9' {
				run++
				if run >= 9 {
					t.Fatalf("excerpt %q keeps a run of 9 digits", s)
				}
			} else {
				run = 0
			}
		}
	})
}

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if s, err := ReadSecret(write("k", "s3cret\n")); err != nil || s != "s3cret" {
		t.Errorf("ReadSecret = %q, %v; want s3cret", s, err)
	}
	for _, p := range []string{"", write("empty", "\n"), write("two", "a\nb\n"), filepath.Join(dir, "missing")} {
		if _, err := ReadSecret(p); err == nil {
			t.Errorf("ReadSecret(%q): no error", p)
		}
	}
	_, err := ReadSecret(write("two2", "topsecret\nmore\n"))
	if err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("error %v must not quote the secret", err)
	}
}

func TestNewHTTPClientCAFile(t *testing.T) {
	if _, err := NewHTTPClient(ClientOptions{CAFile: filepath.Join(t.TempDir(), "none.pem")}); err == nil {
		t.Error("a missing CA file must be an error")
	}
	p := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(p, []byte("not pem"), 0o600)
	if _, err := NewHTTPClient(ClientOptions{CAFile: p}); err == nil {
		t.Error("a CA file without certificates must be an error")
	}
	c, err := NewHTTPClient(ClientOptions{})
	if err != nil || c.Timeout != DefaultTimeout {
		t.Errorf("NewHTTPClient() = %v, %v; want the default time-out", c, err)
	}
}

func TestReadBody(t *testing.T) {
	if _, err := ReadBody(strings.NewReader("12345"), 4); err == nil {
		t.Error("a body over the limit must be an error")
	}
	if b, err := ReadBody(strings.NewReader("1234"), 4); err != nil || string(b) != "1234" {
		t.Errorf("ReadBody = %q, %v", b, err)
	}
}
