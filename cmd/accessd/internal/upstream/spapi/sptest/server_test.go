package sptest

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestServerEnforcesTheSpec(t *testing.T) {
	s := New(Config{User: "ko", Password: "pw"})
	defer s.Close()
	s.Add(Entry{AccessID: "STTA0001", Service: "BB-1000-100", SPReference: "ref1", Name: "Kalle Anka"})
	for _, tc := range []struct {
		name, method, path string
		auth               bool
		status             int
		ctype, body        string
	}{
		{"no auth", "GET", "access/STTA0001", false, 401, "application/json", `"cause"`},
		{"access", "GET", "access/STTA0001", true, 200, "application/json",
			`{"BB-1000-100":{"customer":{"email":"","mobilePhone":"","name":"Kalle Anka","phone":""},"spReference":"ref1"}}`},
		{"unknown access", "GET", "access/STTA0404", true, 404, "application/json", `"cause"`},
		{"bad access id", "GET", "access/STTA_01", true, 400, "application/json", `"cause"`},
		{"parameters on access", "GET", "access/STTA0001?x=1", true, 400, "application/json", `"cause"`},
		{"POST", "POST", "access/STTA0001", true, 405, "application/json", `"cause"`},
		{"services", "GET", "services/?spReference=ref1", true, 200, "application/x-ldjson",
			`{"service":"BB-1000-100","customer":{"email":"","mobilePhone":"","name":"Kalle Anka","phone":""},"accessId":"STTA0001","spReference":"ref1"}` + "\n"},
		{"no match", "GET", "services/?spReference=none", true, 200, "application/x-ldjson", ""},
		{"no reference", "GET", "services/", true, 400, "application/json", `"cause"`},
		{"two references", "GET", "services/?spReference=a&spReference=b", true, 400, "application/json", `"cause"`},
		{"other parameter", "GET", "services/?spReference=a&accessId=b", true, 400, "application/json", `"cause"`},
		{"unknown path", "GET", "orders/", true, 404, "application/json", `"cause"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, s.Root()+tc.path, nil)
			if tc.auth {
				req.SetBasicAuth("ko", "pw")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, resp.Header.Get("Content-Type"), tc.status, tc.ctype)
			}
			if tc.status == 200 && string(b) != tc.body || tc.status != 200 && !strings.Contains(string(b), tc.body) {
				t.Errorf("body %q, want %q", b, tc.body)
			}
			if tc.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("401 without a Basic challenge")
			}
		})
	}
	if got := s.Count("access", 200); got != 1 {
		t.Errorf("Count(access, 200) = %d, want 1", got)
	}
}
