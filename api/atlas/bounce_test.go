package atlas

import (
	"fmt"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// md5 vectors, computed independently (Python's hashlib).
func TestBounceKey(t *testing.T) {
	tests := []struct{ user, key, secret, want string }{
		{"atlas", "secretkey", "12978376", "82c8eec22a5a6bd95fa85ea3a53e33a9"},
		{"stadsnat", "", "0", "97cfa9c8e8ec59c6afcbf59c338da694"},
		{"Tjänsteguiden", "nyckel åäö", "", "8d4a2d242e9693f8bd010fbe0ef17c68"},
	}
	for _, tt := range tests {
		if got := BounceKey(tt.user, tt.key, tt.secret); got != tt.want {
			t.Errorf("BounceKey(%q, %q, %q) = %s, want %s", tt.user, tt.key, tt.secret, got, tt.want)
		}
		b := Bounce{APIKey: strings.ToUpper(tt.want), APISecret: tt.secret}
		if !checkBounceKey(tt.user, tt.key, b) {
			t.Errorf("upper-case hex of a right key refused")
		}
		b.APISecret += "1"
		if checkBounceKey(tt.user, tt.key, b) {
			t.Errorf("a key for another secret accepted")
		}
	}
}

var allowed = []string{"https://tg.example.se/serviceguide", "http://portal.example.se:8080/", "https://tg.example.se/other/"}

// Open-redirect attempts are refused; the allowed URLs and their subpaths
// are not.
func TestReturnURLAllowList(t *testing.T) {
	al := NewAllowList(parseURLs(t, allowed))
	tests := []struct {
		raw string
		ok  bool
	}{
		{"https://tg.example.se/serviceguide", true},
		{"https://tg.example.se/serviceguide/", true},
		{"https://tg.example.se/serviceguide/step2?x=1&y=%C3%A5#top", true},
		{"HTTPS://TG.EXAMPLE.SE/serviceguide", true}, // scheme and host are case-insensitive
		{"https://tg.example.se:443/serviceguide", true},
		{"http://portal.example.se:8080/anything/at/all", true},
		{"https://tg.example.se/other/x", true},
		{"https://tg.example.se/other", true}, // the entry's trailing slash is not required

		{"", false},
		{"https://evil.example/serviceguide", false},                              // another host
		{"https://tg.example.se.evil.example/serviceguide", false},                // suffix trick
		{"https://evil.example/https://tg.example.se/serviceguide", false},        // the allowed URL in the path
		{"https://evil.example/?r=https://tg.example.se/serviceguide", false},     // … in the query
		{"//evil.example/serviceguide", false},                                    // scheme-relative
		{"///evil.example/serviceguide", false},                                   // empty host
		{"https:///evil.example/serviceguide", false},                             // empty host
		{"https:evil.example/serviceguide", false},                                // opaque
		{"/serviceguide", false},                                                  // relative
		{"https://tg.example.se@evil.example/serviceguide", false},                // userinfo
		{"https://tg.example.se:443@evil.example/serviceguide", false},            // userinfo with a "port"
		{"https://user:pw@tg.example.se/serviceguide", false},                     // any userinfo
		{"https://evil.example\\@tg.example.se/serviceguide", false},              // backslash
		{"https://tg.example.se\\evil.example/serviceguide", false},               // backslash
		{"https:\\\\evil.example/serviceguide", false},                            // backslashes as slashes
		{"/\\evil.example/serviceguide", false},                                   // backslash, relative
		{"https%3A%2F%2Fevil.example%2Fserviceguide", false},                      // encoded once more
		{"https://tg.example.se%2eevil.example/serviceguide", false},              // encoded dot in the host
		{"https://tg.example.se%40evil.example/serviceguide", false},              // encoded @ in the host
		{"https://evil.example%2ftg.example.se/serviceguide", false},              // encoded slash in the host
		{"https://tg.example.se/serviceguide/%2e%2e/admin", false},                // encoded dot segment
		{"https://tg.example.se/serviceguide/../admin", false},                    // dot segment
		{"https://tg.example.se/serviceguide/..", false},                          // dot segment at the end
		{"https://tg.example.se/serviceguide%2f..%2fadmin", false},                // encoded slash
		{"https://tg.example.se/serviceguide%5cadmin", false},                     // encoded backslash
		{"https://tg.example.se/serviceguidex", false},                            // not below the path
		{"https://tg.example.se/", false},                                         // above the path
		{"http://tg.example.se/serviceguide", false},                              // scheme change to http
		{"ftp://tg.example.se/serviceguide", false},                               // other scheme
		{"javascript://tg.example.se/serviceguide%0aalert(1)", false},             // script scheme
		{"javascript:alert(1)", false},                                            // script
		{"data:text/html,<script>alert(1)</script>", false},                       // data
		{"https://tg.example.se./serviceguide", false},                            // trailing-dot host
		{"https://tg.example.se:8443/serviceguide", false},                        // other port
		{"http://portal.example.se/", false},                                      // default port is not 8080
		{"https://tg.exаmple.se/serviceguide", false},                             // Cyrillic а (IDN homograph)
		{"https://xn--tg-example-se/serviceguide", false},                         // punycode
		{"https://ｔｇ.example.se/serviceguide", false},                             // full-width letters
		{" https://tg.example.se/serviceguide", false},                            // leading space
		{"https://tg.example.se/service guide", false},                            // space
		{"https://tg.example.se/serviceguide\r\nSet-Cookie: x=1", false},          // header injection
		{"https://tg.example.se/serviceguide\t", false},                           // control character
		{"https://tg.exa\tmple.se/serviceguide", false},                           // tab that browsers drop
		{"https://tg.example.se/serviceguide?x=<script>", false},                  // characters a URL may not hold
		{"https://tg.example.se/serviceguide?x=%zz", false},                       // bad escape
		{"https://tg.example.se/serviceguide?x=%", false},                         // truncated escape
		{"https://[::1]/serviceguide", false},                                     // an address, not the host
		{"https://tg.example.se/serviceguide" + strings.Repeat("a", 3000), false}, // too long
	}
	// Twice: the second time the accepted ones come from what the list
	// kept, and give what a fresh match gives.
	for range 2 {
		for _, tt := range tests {
			got, err := al.Match(tt.raw)
			if (err == nil) != tt.ok {
				t.Errorf("Match(%q): err = %v, want allowed = %v", tt.raw, err, tt.ok)
			}
			if want, _ := al.match(tt.raw); err == nil && *got != *want {
				t.Errorf("Match(%q) = %+v, a fresh match %+v", tt.raw, *got, *want)
			}
		}
	}
}

// The accepted return URLs an AllowList keeps are bounded.
func TestAllowListKeepsBoundedURLs(t *testing.T) {
	al := NewAllowList(parseURLs(t, allowed))
	for i := range acceptedMax + 10 {
		if _, err := al.Match(fmt.Sprintf("https://tg.example.se/serviceguide?visit=%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(al.accepted); n == 0 || n > acceptedMax {
		t.Fatalf("%d return URLs kept, want 1..%d", n, acceptedMax)
	}
}

func TestRedirectKeepsQuery(t *testing.T) {
	al := NewAllowList(parseURLs(t, allowed))
	tests := []struct{ raw, want string }{
		{"https://tg.example.se/serviceguide",
			"https://tg.example.se/serviceguide?status=not+found&message=Ingen+tr%C3%A4ff+%26+mer&uid=&accessId=&api_key=K&api_secret=S%2F1"},
		{"https://tg.example.se/serviceguide?step=2&lang=sv&flag#frag",
			"https://tg.example.se/serviceguide?step=2&lang=sv&flag&status=not+found&message=Ingen+tr%C3%A4ff+%26+mer&uid=&accessId=&api_key=K&api_secret=S%2F1#frag"},
		// return_url's own status/uid are dropped: the answer must be ours.
		{"https://tg.example.se/serviceguide?uid=A999&%73tatus=ok&a=%C3%A5&&",
			"https://tg.example.se/serviceguide?a=%C3%A5&status=not+found&message=Ingen+tr%C3%A4ff+%26+mer&uid=&accessId=&api_key=K&api_secret=S%2F1"},
	}
	for _, tt := range tests {
		tg, err := al.Match(tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		got := tg.with([][2]string{{"status", "not found"}, {"message", "Ingen träff & mer"}, {"uid", ""}, {"accessId", ""},
			{"api_key", "K"}, {"api_secret", "S/1"}})
		if got != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.raw, got, tt.want)
		}
		if _, err := url.Parse(got); err != nil {
			t.Errorf("redirect %q does not parse: %v", got, err)
		}
	}
}

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16"), netip.MustParsePrefix("::1/128")}
	tests := []struct {
		remote string
		xff    []string
		want   string
	}{
		{"192.0.2.7:5000", nil, "192.0.2.7"},
		{"192.0.2.7:5000", []string{"198.51.100.1"}, "192.0.2.7"}, // not from a proxy: XFF ignored
		{"10.9.0.1:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"10.9.0.1:5000", []string{"203.0.113.5, 198.51.100.1"}, "198.51.100.1"}, // right-most untrusted
		{"10.9.0.1:5000", []string{"198.51.100.1, 10.9.0.2"}, "198.51.100.1"},    // through two proxies
		{"10.9.0.1:5000", []string{"203.0.113.5", "198.51.100.1"}, "198.51.100.1"},
		{"10.9.0.1:5000", nil, "10.9.0.1"},
		{"10.9.0.1:5000", []string{"10.9.0.3"}, "10.9.0.3"},
		{"[::1]:5000", []string{"::ffff:198.51.100.9"}, "198.51.100.9"},
		{"[::ffff:192.0.2.7]:5000", nil, "192.0.2.7"},
		{"10.9.0.1:5000", []string{"198.51.100.1, garbage"}, "error"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		for _, x := range tt.xff {
			r.Header.Add("X-Forwarded-For", x)
		}
		got, err := ClientIP(r, trusted)
		s := got.String()
		if err != nil {
			s = "error"
		}
		if s != tt.want {
			t.Errorf("ClientIP(%s, %q) = %s (%v), want %s", tt.remote, tt.xff, s, err, tt.want)
		}
	}
}

func TestParseBounce(t *testing.T) {
	b, err := ParseBounce("return_url=http%3A//www.example.com/serviceguide&api_key=abc&api_secret=12978376")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Bounce{ReturnURL: "http://www.example.com/serviceguide", APIKey: "abc", APISecret: "12978376"}, b); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "api_key=x", "return_url=a&return_url=b", "return_url=%zz", "return_url=x&api_key=" + strings.Repeat("a", 65)} {
		if _, err := ParseBounce(bad); err == nil {
			t.Errorf("ParseBounce(%q) accepted", bad)
		}
	}
}

// parseURLs parses return URLs as the configuration does.
func parseURLs(t testing.TB, raw []string) []*url.URL {
	t.Helper()
	out := make([]*url.URL, len(raw))
	for i, r := range raw {
		u, err := url.Parse(r)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = u
	}
	return out
}
