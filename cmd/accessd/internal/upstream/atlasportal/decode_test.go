package atlasportal

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func golden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeGolden(t *testing.T) {
	hash, err := DecodeLogin(golden(t, "login_success.xml"))
	if err != nil || hash != "0123456789abcdef0123456789abcdef" {
		t.Errorf("login: %q, %v", hash, err)
	}
	ids, err := DecodeOrders(golden(t, "orders.xml"))
	if diff := cmp.Diff([]string{"1234", "1235"}, ids); diff != "" || err != nil {
		t.Errorf("orders %v (-want +got):\n%s", err, diff)
	}
	ids, err = DecodeOrders(golden(t, "orders_empty.xml"))
	if len(ids) != 0 || err != nil {
		t.Errorf("orders_empty: %v, %v", ids, err)
	}
	o, err := DecodeOrderInfo(golden(t, "order_info.xml"))
	want := Order{ID: "1234", Status: StatusNew, Socket: "AB123", ServiceUID: "AB100100", Date: "2018-01-10",
		CustomerID: "5678", XSPCID: "998877", Created: "2018-01-04 08:15:00"}
	if diff := cmp.Diff(want, o); diff != "" || err != nil {
		t.Errorf("order_info %v (-want +got):\n%s", err, diff)
	}
	c, err := DecodeCustomerInfo(golden(t, "customer_info.xml"))
	wantC := Customer{ID: "5678", Socket: "AB123", Serial: "S-1", FirstName: "Test", Surname: "Testsson", Email: "test@example.se",
		Address: "Demogatan 123", Zip: "12345", City: "Demostad", Phone: "0701234567", Premise: "1101"}
	if c != wantC || err != nil {
		t.Errorf("customer_info: fields differ (%v); want the golden's", err)
	}
	for _, f := range []string{"set_status.xml", "add_message.xml"} {
		if err := DecodeAck(strings.TrimSuffix(f, ".xml"), golden(t, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestDecodeRefusals(t *testing.T) {
	for _, tt := range []struct {
		file, msg string
		decode    func([]byte) error
	}{
		{"login_failed.xml", "wrong api_user or api_key", func(b []byte) error { _, err := DecodeLogin(b); return err }},
		{"order_info_unknown.xml", "no order 999", func(b []byte) error { _, err := DecodeOrderInfo(b); return err }},
		{"set_status_backwards.xml", "status change from received to new is backwards", func(b []byte) error { return DecodeAck("set_status", b) }},
		{"hash_invalid.xml", "invalid hash: log in with api_login", func(b []byte) error { _, err := DecodeOrders(b); return err }},
		{"missing_method.xml", "missing parameter method", func(b []byte) error { return DecodeAck("x", b) }},
		{"refusal_cp1252.xml", "“status” – changed €", func(b []byte) error { return DecodeAck("set_status", b) }},
	} {
		var ref *Refusal
		if err := tt.decode(golden(t, tt.file)); !errors.As(err, &ref) || ref.Message != tt.msg {
			t.Errorf("%s: %v, want a refusal %q", tt.file, err, tt.msg)
		}
	}
}

func TestDecodeTolerant(t *testing.T) {
	o, err := DecodeOrderInfo(golden(t, "order_info_tolerant.xml"))
	want := Order{ID: "1234", Status: StatusWaiting, Socket: "AB123", ServiceUID: "AB100100"}
	if diff := cmp.Diff(want, o); diff != "" || err != nil {
		t.Errorf("order_info_tolerant %v (-want +got):\n%s", err, diff)
	}
	ids, err := DecodeOrders(golden(t, "orders_tolerant.xml"))
	if diff := cmp.Diff([]string{"17", "18"}, ids); diff != "" || err != nil {
		t.Errorf("orders_tolerant %v (-want +got):\n%s", err, diff)
	}
	c, err := DecodeCustomerInfo(golden(t, "customer_info_latin1.xml"))
	if err != nil || c.FirstName != "Åsa" || c.Surname != "Öberg" || c.City != "Göteborg" || c.Phone != "031-123456" || c.Premise != "1202" {
		t.Errorf("latin1 customer with <data> beside <customer>: %v", err)
	}
	if n := utf8.RuneCountInString(cp1252High); n != 32 {
		t.Errorf("windows-1252 table has %d runes", n)
	}
}

// TestDecodeErrors: each missing or wrong element is named.
func TestDecodeErrors(t *testing.T) {
	order := func(inner string) string {
		return "<order_info><response><order>" + inner + "</order></response><status>success</status></order_info>"
	}
	full := "<id>1</id><status>new</status><socket>A</socket><service_uid>S</service_uid>"
	for _, tt := range []struct {
		name, body, want string
		decode           func([]byte) error
	}{
		{"no status", "<orders><response/></orders>", "atlas portal orders answer: <status> is missing", decodeOrders},
		{"odd status", "<orders><status>ok</status></orders>", `<status> "ok" is neither success nor failed`, decodeOrders},
		{"not XML", "<html><body>Bad gateway", "atlas portal orders answer: malformed XML", decodeOrders},
		{"empty body", "", "atlas portal orders answer: malformed XML: EOF", decodeOrders},
		{"order without id", "<orders><response><order><id>1</id></order><order/></response><status>success</status></orders>",
			"<response><order>[2]<id> is missing", decodeOrders},
		{"order id not a number", "<orders><response><order><id>1x</id></order></response><status>success</status></orders>",
			`<response><order>[1]<id> is "1x": want 1 to 18 digits`, decodeOrders},
		{"no order", "<order_info><response/><status>success</status></order_info>", "<response><order> is missing", decodeOrderInfo},
		{"no socket", order("<id>1</id><status>new</status><service_uid>S</service_uid>"), "<response><order><socket> is missing", decodeOrderInfo},
		{"empty service", order("<id>1</id><status>new</status><socket>A</socket><service_uid> </service_uid>"), "<response><order><service_uid> is empty", decodeOrderInfo},
		{"no status in order", order("<id>1</id><socket>A</socket><service_uid>S</service_uid>"), "<response><order><status> is missing", decodeOrderInfo},
		{"bad status", order("<id>1</id><status>done</status><socket>A</socket><service_uid>S</service_uid>"), `<response><order><status> "done" is not one of`, decodeOrderInfo},
		{"bad date", order(full + "<date>10/1/2018</date>"), `<response><order><date> "10/1/2018" is not a date YYYY-MM-DD`, decodeOrderInfo},
		{"bad customer", order(full + "<customer>abc</customer>"), `<response><order><customer> is "abc"`, decodeOrderInfo},
		{"no hash", "<api_login><response><message/></response><status>success</status></api_login>", "<response><hash_key> is missing", decodeLogin},
		{"empty hash", "<api_login><response><hash_key/></response><status>success</status></api_login>", "<response><hash_key> is empty", decodeLogin},
		{"no customer", "<customer_info><response/><status>success</status></customer_info>", "<response><customer> is missing", decodeCustomer},
		{"customer without id", "<customer_info><response><customer><firstname>Åsa</firstname></customer></response><status>success</status></customer_info>",
			"<response><customer><id> is missing", decodeCustomer},
		{"customer id not a number, not quoted", "<customer_info><response><customer><id>Åsa Öberg</id></customer></response><status>success</status></customer_info>",
			"<response><customer><id> is not a number", decodeCustomer},
		{"unknown charset", `<?xml version="1.0" encoding="KOI8-R"?><orders/>`, `character set "KOI8-R" is not supported`, decodeOrders},
	} {
		err := tt.decode([]byte(tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
		if strings.Contains(tt.name, "customer") && err != nil && strings.Contains(err.Error(), "Åsa") {
			t.Errorf("%s: the error quotes customer data: %v", tt.name, err)
		}
	}
}

func decodeOrders(b []byte) error    { _, err := DecodeOrders(b); return err }
func decodeOrderInfo(b []byte) error { _, err := DecodeOrderInfo(b); return err }
func decodeLogin(b []byte) error     { _, err := DecodeLogin(b); return err }
func decodeCustomer(b []byte) error  { _, err := DecodeCustomerInfo(b); return err }
