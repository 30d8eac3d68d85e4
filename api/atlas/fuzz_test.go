package atlas

import (
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// Seeds: the table tests' inputs.
var callSeeds = []string{
	"method=port_status&socket=123-456-ABC",
	"method=service_deactivate&socket=123-456-ABC&service_uid=12&date=2011-12-23",
	"method=service_deliverable&socket=123-456-ABC&service_uid=12&origin=customer",
	"method=service_order&socket=123-456-ABC&service_uid=12&date=2011-02-30&origin=customer&customer=123&order=12345&xspcid=2938",
	"method=service_order&socket=A1&service_uid=IPTV&date=2026-03-02&origin=service+provider&api_user=atlas&api_key=k",
	"method=port_status&socket=A1&socket=A2", "method=drop_tables", "method=%zz", "socket=%", "",
}

// ParseCall never panics, and what it accepts is within its bounds.
func FuzzParseCall(f *testing.F) {
	for _, s := range callSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := ParseCall(raw)
		if err != nil {
			if pe, ok := err.(*ParamError); !ok || pe.Param == "" {
				t.Fatalf("ParseCall(%q): error %v is not a *ParamError naming the parameter", raw, err)
			}
			return
		}
		if c.Socket == "" || len(c.Socket) > 64 || strings.ContainsAny(c.Socket, " \t\r\n<>&") {
			t.Fatalf("ParseCall(%q) accepted socket %q", raw, c.Socket)
		}
		if c.Method == MethodServiceOrder && (c.Date == "" || c.Origin == "") {
			t.Fatalf("ParseCall(%q): service_order without date or origin", raw)
		}
	})
}

var returnSeeds = []string{
	"https://tg.example.se/serviceguide", "https://tg.example.se/serviceguide/step2?x=1#f",
	"//evil.example/", "https://tg.example.se@evil.example/serviceguide", "https://evil.example\\@tg.example.se/serviceguide",
	"https%3A%2F%2Fevil.example", "https://tg.example.se./serviceguide", "https://tg.exаmple.se/serviceguide",
	"https://tg.example.se/serviceguide/%2e%2e/x", "javascript:alert(1)", "http://tg.example.se/serviceguide",
}

// Whatever the bounce accepts as return_url, the redirect it builds goes
// to an allowed scheme, host and port, below the allowed path.
func FuzzReturnURL(f *testing.F) {
	for _, s := range returnSeeds {
		f.Add(s, "sv")
	}
	al := NewAllowList(parseURLs(f, []string{"https://tg.example.se/serviceguide"}))
	f.Fuzz(func(t *testing.T, raw, param string) {
		tg, err := al.Match(raw)
		if err != nil {
			return
		}
		loc := tg.with([][2]string{{"status", "ok"}, {"message", param}, {"uid", param}})
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatalf("Match(%q) accepted, but the redirect %q does not parse: %v", raw, loc, err)
		}
		if !strings.EqualFold(u.Scheme, "https") || !strings.EqualFold(u.Host, "tg.example.se") && !strings.EqualFold(u.Host, "tg.example.se:443") || u.User != nil {
			t.Fatalf("Match(%q) leads to %q: scheme %q host %q", raw, loc, u.Scheme, u.Host)
		}
		if u.Path != "/serviceguide" && !strings.HasPrefix(u.Path, "/serviceguide/") {
			t.Fatalf("Match(%q) leads to path %q", raw, u.Path)
		}
		if got := u.Query()["uid"]; len(got) != 1 || got[0] != param {
			t.Fatalf("Match(%q): redirect %q carries uid %q, want exactly [%q]", raw, loc, got, param)
		}
	})
}

// ParseBounce never panics and keeps its bounds.
func FuzzParseBounce(f *testing.F) {
	f.Add("return_url=http%3A//www.example.com/serviceguide&api_key=abc&api_secret=12978376")
	f.Add("return_url=a&return_url=b")
	f.Add("api_key=%")
	f.Fuzz(func(t *testing.T, raw string) {
		b, err := ParseBounce(raw)
		if err == nil && (b.ReturnURL == "" || len(b.APIKey) > 64) {
			t.Fatalf("ParseBounce(%q) = %+v", raw, b)
		}
	})
}

// ClientIP decides who the visitor is and whether Atlas may call the API
// (atlas.allowed_ips): X-Forwarded-For counts only from a trusted proxy,
// and what it gives is an address the header holds.
func FuzzClientIP(f *testing.F) {
	f.Add("192.0.2.7:5000", "198.51.100.1")
	f.Add("10.9.0.1:5000", "203.0.113.5, 198.51.100.1")
	f.Add("10.9.0.1:5000", "198.51.100.1, 10.9.0.2")
	f.Add("[::1]:5000", "::ffff:198.51.100.9")
	f.Add("[::ffff:192.0.2.7]:5000", "")
	f.Add("10.9.0.1:5000", "198.51.100.1, garbage")
	f.Add("@", "1.2.3.4")
	trusted := []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16"), netip.MustParsePrefix("::1/128")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		ip, err := ClientIP(r, trusted)
		if err != nil {
			return
		}
		conn := netip.MustParseAddrPort(remote).Addr().Unmap()
		if !inPrefixes(conn, trusted) {
			if ip != conn {
				t.Fatalf("ClientIP(%q, XFF %q) = %v, want the connection's address: only a trusted proxy's header counts", remote, xff, ip)
			}
			return
		}
		if ip == conn {
			return
		}
		for _, e := range strings.Split(xff, ",") {
			if a, err := netip.ParseAddr(strings.TrimSpace(e)); err == nil && a.Unmap() == ip {
				return
			}
		}
		t.Fatalf("ClientIP(%q, XFF %q) = %v, an address the header does not hold", remote, xff, ip)
	})
}
