package atlas

import (
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
