package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// WriteJSONField writes what WriteJSON writes for a struct of one string
// field, byte for byte and with the same headers.
func FuzzWriteJSONField(f *testing.F) {
	for _, s := range []string{"", "ALS10001", "GEN00004242", `a"b\c`, "<x>&", "Ändrad väg", "\x00\x1f\t\n", "\xff\xfe", "\u2028\u2029", "😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := httptest.NewRecorder()
		if err := WriteJSON(want, 200, struct {
			AccessID string `json:"accessId"`
		}{s}); err != nil {
			t.Fatal(err)
		}
		got := httptest.NewRecorder()
		if err := WriteJSONField(got, 200, "accessId", s); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.Body.String(), got.Body.String()); diff != "" {
			t.Errorf("body of %q (-want +got):\n%s", s, diff)
		}
		if diff := cmp.Diff(want.Header(), got.Header()); diff != "" {
			t.Errorf("headers (-want +got):\n%s", diff)
		}
	})
}

// A shared header value is never written into: an Add after it copies.
func TestSharedHeaderValues(t *testing.T) {
	w := httptest.NewRecorder()
	SetJSONType(w.Header())
	w.Header().Add("Content-Type", "text/plain")
	if headerJSON[0] != "application/json" || len(headerJSON) != 1 || cap(headerJSON) != 1 {
		t.Errorf("shared value changed: %q (cap %d)", headerJSON, cap(headerJSON))
	}
}

// credentials reads what Request.BasicAuth reads, whatever the header.
func FuzzCredentials(f *testing.F) {
	for _, s := range []string{"Basic c3A6cHc=", "basic c3A6cHc=", "BASIC c3A6cHc=", "Basic c3Bwdw==", "Basic !!", "Bearer x", "Basic ", "",
		"Basic " + "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh", "Baſic c3A6cHc=", "Basic c3A6cHc", "Basic c3A6\ncHc="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Authorization"] = []string{h}
		wantName, wantPass, wantOK := r.BasicAuth()
		for _, size := range []int{512, 16} { // the buffer, and too small a one
			buf := make([]byte, size)
			name, pass, ok := credentials(r, buf)
			if ok != wantOK || string(name) != wantName || string(pass) != wantPass {
				t.Fatalf("credentials(%q) with %d bytes = %q %q %v, want %q %q %v", h, size, name, pass, ok, wantName, wantPass, wantOK)
			}
		}
	})
}

// clientIPByList is ClientIP as it was, splitting every X-Forwarded-For
// into a list: the reference of FuzzClientIP.
func clientIPByList(r *http.Request, trusted []netip.Prefix) (netip.Addr, error) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, err
	}
	addr := ap.Addr().Unmap()
	if !inPrefixes(addr, trusted) {
		return addr, nil
	}
	var list []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		list = append(list, strings.Split(h, ",")...)
	}
	for i := len(list) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(list[i]))
		if err != nil {
			return netip.Addr{}, err
		}
		a = a.Unmap()
		if !inPrefixes(a, trusted) || i == 0 {
			return a, nil
		}
	}
	return addr, nil
}

// ClientIP reads X-Forwarded-For as the list it was.
func FuzzClientIP(f *testing.F) {
	for _, s := range []string{"", "10.64.0.5", "10.64.0.5, 127.0.0.2", "1.2.3.4,10.0.0.1,127.0.0.1", ",", "x", " 10.0.0.9 ,127.0.0.1", "::ffff:10.1.2.3", "10.0.0.1\x00127.0.0.1"} {
		f.Add(s, "127.0.0.1", true)
		f.Add(s, "", false)
	}
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/24")}
	f.Fuzz(func(t *testing.T, a, b string, two bool) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "127.0.0.1:1234"
		r.Header["X-Forwarded-For"] = []string{a}
		if two {
			r.Header["X-Forwarded-For"] = append(r.Header["X-Forwarded-For"], b)
		}
		want, werr := clientIPByList(r, trusted)
		got, err := ClientIP(r, trusted)
		if (werr == nil) != (err == nil) || got != want {
			t.Fatalf("ClientIP(%q) = %v, %v; want %v, %v", r.Header["X-Forwarded-For"], got, err, want, werr)
		}
	})
}

// ClientIP allocates nothing, through a trusted proxy's X-Forwarded-For
// too (every bounce asks it).
func TestClientIPAllocates0(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:40000"
	r.Header.Set("X-Forwarded-For", "203.0.113.5, 10.64.0.5")
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	if a := testing.AllocsPerRun(100, func() {
		if ip, err := ClientIP(r, trusted); err != nil || ip != netip.MustParseAddr("10.64.0.5") {
			t.Fatalf("ClientIP = %v, %v", ip, err)
		}
	}); a != 0 {
		t.Errorf("ClientIP allocates %v times", a)
	}
}
