package atlas_test

import (
	"encoding/xml"
	"io"
	"net/url"
	"strings"
	"testing"
)

// Each answer of the activation API is a well-formed XML document whose
// root element is the method's name (seed 004); a call with a method that
// is none of the four, whatever its text, gets <api>.
func TestAPIUnknownMethodAnswersWellFormedXML(t *testing.T) {
	f := newFixture(t)
	for _, m := range []string{"drop_tables", "a b", "<x>", "x><y", "1abc", "a&b", ""} {
		for _, from := range []string{atlasIP, "10.9.9.9"} { // 592 bad parameter, 590 address not allowed
			_, got := f.do(t, "GET", apiURL("method", m, "socket", "A1"), from)
			_, body, _ := strings.Cut(got, "\n\n")
			dec := xml.NewDecoder(strings.NewReader(body))
			root := ""
			for {
				tok, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("method %q from %s: not well-formed XML: %v\n%s", m, from, err, body)
				}
				if se, ok := tok.(xml.StartElement); ok && root == "" {
					root = se.Name.Local
				}
			}
			if root != "api" {
				t.Errorf("method %q from %s: root element <%s>, want <api>", url.QueryEscape(m), from, root)
			}
		}
	}
}
