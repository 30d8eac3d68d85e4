package atlas

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/api/internal/web"
)

// The appended answers are byte for byte what encoding/xml writes for
// the same values, whatever the text in them: every shape of xml.go with
// the fuzzed text in each string and the fuzzed numbers in each code.
func FuzzAppendAnswer(f *testing.F) {
	f.Add("Uttaget finns inte", "LAYER2", "Tjänst aktiverad via Tjänsteguiden", 404, 3, false)
	f.Add("", "", "", 0, 0, true)
	f.Add("<a href='x'>&amp;\"</a>", "\t\n\r", "\xff\xfe\x00\x7f", -1, 1<<40, false)
	f.Add("🙂 ]]> <![CDATA[", "\u2028", "a\x1fb", 590, 0, true)
	f.Fuzz(func(t *testing.T, a, b, c string, n, m int, services bool) {
		info := &portInfo{Message: a, NetType: b, Media: c, PortCapacity: a, CPECapacity: b, CoCPE: c, DHCPOption: a, ServicePort: b}
		var sv *servicesXML
		if services {
			sv = &servicesXML{Service: []serviceXML{{ID: a, Date: b, Name: c, Commitment: a, Release: b, Message: c}, {ID: c}}}
		} else if n%2 == 0 {
			sv = &servicesXML{}
		}
		ints := []*int{&n, nil, &m, nil}
		if services {
			ints = []*int{nil, &m, nil, &n}
		}
		for _, v := range []any{
			portStatusXML{Response: &portStatusResponse{Info: info, Services: sv}, Status: a},
			portStatusXML{Response: &portStatusResponse{Code: n, Message: a}, Status: statusFailed},
			&portStatusXML{Response: &portStatusResponse{Info: info, Services: sv}, Status: c}, // as API writes it
			portStatusXML{Status: b},
			failure(MethodPortStatus, n, a),
			failure(MethodServiceOrder, m, c),
			failure(a, n, b),
			statusFirst{XMLName: xml.Name{Local: MethodServiceDeliverable}, Status: a},
			statusFirst{XMLName: xml.Name{Local: MethodServiceDeactivate}, Status: b, Response: &responseXML{Code: n, Service: a,
				CurrentMedia: ints[0], RequiredMedia: ints[1], CurrentCapacity: ints[2], RequiredCapacity: ints[3], Hardware: b, Message: c}},
		} {
			want, err := encodeXML(nil, v)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := appendAnswer(nil, v)
			if !ok {
				t.Fatalf("%T not appended", v)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Fatalf("%#v (-encoding/xml +appended):\n%s", v, diff)
			}
		}
	})
}

// TestWriteXMLContentLength: every answer reaches the client with its
// Content-Length, not chunked, short or long (net/http chunks an answer
// without one from 2,048 bytes).
func TestWriteXMLContentLength(t *testing.T) {
	var lengths web.Lengths
	for _, n := range []int{1, 1024, 2048, 6000} {
		msg := strings.Repeat("x", n)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeXML(w, &lengths, http.StatusOK, failure(MethodPortStatus, 1, msg))
		}))
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		if resp.ContentLength != int64(len(body)) || len(resp.TransferEncoding) != 0 || !strings.Contains(string(body), msg) {
			t.Errorf("message of %d bytes: Content-Length %d, %d bytes, transfer encoding %v", n, resp.ContentLength, len(body), resp.TransferEncoding)
		}
	}
}

// BenchmarkAppendPortStatus appends a port_status answer as the API
// writes it, with two services:
//
//	go test ./api/atlas -run XXX -bench AppendPortStatus -benchmem
func BenchmarkAppendPortStatus(b *testing.B) {
	info := portInfo{Message: "", NetType: "LAYER2", Media: "FIBER", PortCapacity: "1000", CPECapacity: "1000", CoCPE: "NO",
		DHCPOption: "5217010967652D302F302F3138020A31302E32302E302E3839", ServicePort: "ASAP"}
	sv := servicesXML{Service: []serviceXML{
		{ID: "8d2f6b0e-1c3a-4c55-9f0e-2b7d1e6a9c01", Date: "2026-01-15", Name: "Bredband 1000/1000", Commitment: "0", Release: "0"},
		{ID: "1f0e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", Date: "2026-02-01", Name: "IP-TV & Play", Commitment: "2026-08-01", Release: "0"},
	}}
	p := portStatusXML{Response: &portStatusResponse{Info: &info, Services: &sv}, Status: statusSuccess}
	buf := make([]byte, 0, 4096)
	for b.Loop() {
		var x xmlw
		buf = p.append(buf[:0], &x)
	}
}

// appendEscaped writes what xml.EscapeText writes, for any bytes.
func FuzzAppendEscaped(f *testing.F) {
	for _, s := range []string{"", "ABC-123", "IP-TV & Play", "<a href='x'>\"</a>", "\t\n\r\x00\x1f\x7f", "\xff\xfe", "\uFFFD\ufffe\uffff",
		"\xed\xa0\x80", "Tjänst 🙂 \u2028", "\U0010FFFF\xf4\x90\x80\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		want.WriteString("x")
		xml.EscapeText(&want, []byte(s))
		if got := appendEscaped([]byte("x"), s); string(got) != want.String() {
			t.Fatalf("appendEscaped(%q) = %q, xml.EscapeText %q", s, got[1:], want.String()[1:])
		}
	})
}

// A leaf allocates nothing, its text clean or escaped, and an element
// deeper than the indentation kept as a constant is indented all the same.
func TestLeafAllocates0AndIndents(t *testing.T) {
	b := make([]byte, 0, 1024)
	if a := testing.AllocsPerRun(100, func() {
		var x xmlw
		b = x.leaf(x.leaf(b[:0], "id", "ABC-123"), "name", "IP-TV & <Play>\x01")
	}); a != 0 {
		t.Errorf("leaf allocates %v times", a)
	}
	var x xmlw
	var want strings.Builder
	b = b[:0]
	for d := range maxIndent + 3 {
		b = x.open(b, "e")
		if d > 0 {
			want.WriteString("\n")
		}
		want.WriteString(strings.Repeat("   ", d) + "<e>")
	}
	b = x.leaf(b, "v", "1")
	want.WriteString("\n" + strings.Repeat("   ", maxIndent+3) + "<v>1</v>")
	for d := maxIndent + 2; d >= 0; d-- {
		b = x.close(b, "e")
		want.WriteString("\n" + strings.Repeat("   ", d) + "</e>")
	}
	if string(b) != want.String() {
		t.Errorf("deep elements:\n%s\nwant\n%s", b, want.String())
	}
}
