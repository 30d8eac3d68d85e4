package atlasportal

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// FormatError is an answer that is not what the assumptions describe:
// malformed XML, or a required element missing or wrong.
type FormatError struct {
	Method string
	// Element names the element, e.g. "<response><order><socket>"; empty
	// when the XML itself is malformed.
	Element string
	Problem string
}

func (e *FormatError) Error() string {
	if e.Element == "" {
		return fmt.Sprintf("atlas portal %s answer: %s", e.Method, e.Problem)
	}
	return fmt.Sprintf("atlas portal %s answer: %s %s", e.Method, e.Element, e.Problem)
}

// Malformed reports whether the XML itself was broken (a cut or garbled
// answer, worth another try) rather than well-formed but wrong.
func (e *FormatError) Malformed() bool { return e.Element == "" }

// Refusal is a failed answer (A2).
type Refusal struct {
	Method  string
	Code    string
	Message string
}

func (e *Refusal) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "no message"
	}
	if e.Code != "" {
		return fmt.Sprintf("atlas portal refused %s: %s (code %s)", e.Method, msg, e.Code)
	}
	return fmt.Sprintf("atlas portal refused %s: %s", e.Method, msg)
}

// Order is an order as order_info gives it (A8).
type Order struct {
	ID         string
	Status     Status
	Socket     string // the access
	ServiceUID string
	Date       string // YYYY-MM-DD, or empty: as soon as possible
	CustomerID string
	XSPCID     string
	Created    string
}

// Customer is customer_info's answer (A10). It is personal data: it
// prints, formats and logs as a redaction, never as its fields.
type Customer struct {
	ID, Socket, Serial        string
	FirstName, Surname, Email string
	Address, Zip, City        string
	Phone, Premise            string
}

const redacted = "[customer data redacted]"

func (Customer) String() string             { return redacted }
func (Customer) GoString() string           { return redacted }
func (Customer) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }
func (Customer) LogValue() slog.Value       { return slog.StringValue(redacted) }

// MarshalJSON keeps the data out of JSON too (a log handler or a status
// dump that marshals a struct holding a Customer): the engine copies the
// fields into its own record under the store policy.
func (Customer) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

var (
	_ fmt.Formatter  = Customer{}
	_ slog.LogValuer = Customer{}
)

func decodeXML(method string, body []byte, v any) error {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.CharsetReader = charsetReader
	if err := d.Decode(v); err != nil {
		return &FormatError{Method: method, Problem: "malformed XML: " + err.Error()}
	}
	return nil
}

// checkStatus turns <status> into nil (success), a *Refusal (failed) or a
// *FormatError.
func checkStatus(method string, status *string, f failure) error {
	if status == nil {
		return &FormatError{Method: method, Element: "<status>", Problem: "is missing"}
	}
	switch strings.TrimSpace(*status) {
	case statusSuccess:
		return nil
	case statusFailed:
		return &Refusal{Method: method, Code: strings.TrimSpace(f.Code), Message: strings.TrimSpace(f.Message)}
	}
	return &FormatError{Method: method, Element: "<status>", Problem: fmt.Sprintf("%q is neither success nor failed", printable(*status))}
}

func required(method, element string, v *string) (string, error) {
	if v == nil {
		return "", &FormatError{Method: method, Element: element, Problem: "is missing"}
	}
	s := strings.TrimSpace(*v)
	if s == "" {
		return "", &FormatError{Method: method, Element: element, Problem: "is empty"}
	}
	return s, nil
}

// DecodeLogin reads api_login's answer: the hash.
func DecodeLogin(body []byte) (string, error) {
	const m = "api_login"
	var x loginXML
	if err := decodeXML(m, body, &x); err != nil {
		return "", err
	}
	if err := checkStatus(m, x.Status, x.Response.failure); err != nil {
		return "", err
	}
	return required(m, "<response><hash_key>", x.Response.HashKey)
}

// DecodeOrders reads orders' answer (A7): the order ids, in the order
// given.
func DecodeOrders(body []byte) ([]string, error) {
	const m = "orders"
	var x ordersXML
	if err := decodeXML(m, body, &x); err != nil {
		return nil, err
	}
	if err := checkStatus(m, x.Status, x.Response.failure); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(x.Response.Order))
	for i, o := range x.Response.Order {
		el := fmt.Sprintf("<response><order>[%d]<id>", i+1)
		id, err := required(m, el, o.ID)
		if err != nil {
			return nil, err
		}
		if err := validID("is", id); err != nil {
			return nil, &FormatError{Method: m, Element: el, Problem: err.Error()}
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// DecodeOrderInfo reads order_info's answer (A8).
func DecodeOrderInfo(body []byte) (Order, error) {
	const m = "order_info"
	var x orderInfoXML
	if err := decodeXML(m, body, &x); err != nil {
		return Order{}, err
	}
	if err := checkStatus(m, x.Status, x.Response.failure); err != nil {
		return Order{}, err
	}
	o := x.Response.Order
	if o == nil {
		return Order{}, &FormatError{Method: m, Element: "<response><order>", Problem: "is missing"}
	}
	var out Order
	var status string
	for _, f := range []struct {
		el  string
		v   *string
		dst *string
	}{
		{"<id>", o.ID, &out.ID}, {"<status>", o.Status, &status},
		{"<socket>", o.Socket, &out.Socket}, {"<service_uid>", o.ServiceUID, &out.ServiceUID},
	} {
		v, err := required(m, "<response><order>"+f.el, f.v)
		if err != nil {
			return Order{}, err
		}
		*f.dst = v
	}
	bad := func(el string, err error) error {
		return &FormatError{Method: m, Element: "<response><order>" + el, Problem: err.Error()}
	}
	if err := validID("is", out.ID); err != nil {
		return Order{}, bad("<id>", err)
	}
	out.Status = Status(status)
	if !out.Status.Valid() {
		return Order{}, bad("<status>", fmt.Errorf("%q is not one of new, received, active, waiting, cancelled, delivered", printable(status)))
	}
	out.Date = strings.TrimSpace(o.Date)
	if out.Date != "" {
		if _, err := time.Parse(dateLayout, out.Date); err != nil {
			return Order{}, bad("<date>", fmt.Errorf("%q is not a date YYYY-MM-DD", printable(out.Date)))
		}
	}
	out.CustomerID = strings.TrimSpace(o.Customer)
	if out.CustomerID != "" {
		if err := validID("is", out.CustomerID); err != nil {
			return Order{}, bad("<customer>", err)
		}
	}
	out.XSPCID, out.Created = strings.TrimSpace(o.XSPCID), strings.TrimSpace(o.Created)
	return out, nil
}

// DecodeCustomerInfo reads customer_info's answer (A10). Errors never
// quote the customer's data.
func DecodeCustomerInfo(body []byte) (Customer, error) {
	const m = "customer_info"
	var x customerInfoXML
	if err := decodeXML(m, body, &x); err != nil {
		return Customer{}, err
	}
	if err := checkStatus(m, x.Status, x.Response.failure); err != nil {
		return Customer{}, err
	}
	c := x.Response.Customer
	if c == nil {
		return Customer{}, &FormatError{Method: m, Element: "<response><customer>", Problem: "is missing"}
	}
	id, err := required(m, "<response><customer><id>", c.ID)
	if err != nil {
		return Customer{}, err
	}
	if validID("is", id) != nil {
		return Customer{}, &FormatError{Method: m, Element: "<response><customer><id>", Problem: "is not a number"}
	}
	t := strings.TrimSpace
	out := Customer{ID: id, Socket: t(c.Socket), Serial: t(c.Serial), FirstName: t(c.FirstName), Surname: t(c.Surname),
		Email: t(c.Email), Address: t(c.Address), Zip: t(c.Zip), City: t(c.City)}
	data := c.Data
	if data == nil {
		data = x.Response.Data
	}
	if data != nil {
		out.Phone, out.Premise = t(data.Phone), t(data.Premise)
	}
	return out, nil
}

// DecodeAck reads the answer of set_status or add_message (A11).
func DecodeAck(method string, body []byte) error {
	var x ackXML
	if err := decodeXML(method, body, &x); err != nil {
		return err
	}
	return checkStatus(method, x.Status, x.Response)
}

// charsetReader decodes the two single-byte encodings A14 allows.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "iso-8859-1", "iso8859-1", "latin1", "l1", "iso_8859-1":
		return &singleByte{r: in}, nil
	case "windows-1252", "cp1252":
		return &singleByte{r: in, high: []rune(cp1252High)}, nil
	}
	return nil, fmt.Errorf("character set %q is not supported (UTF-8, ISO-8859-1, windows-1252)", printable(label))
}

// singleByte turns ISO-8859-1 (or, with high, windows-1252) bytes into
// UTF-8.
type singleByte struct {
	r    io.Reader
	high []rune // windows-1252's 0x80…0x9f
	buf  []byte
	out  []byte
}

// cp1252High is windows-1252's 0x80…0x9f; the five bytes it leaves
// undefined stay their ISO-8859-1 control characters.
const cp1252High = "€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ"

func (s *singleByte) Read(p []byte) (int, error) {
	for len(s.out) == 0 {
		if cap(s.buf) == 0 {
			s.buf = make([]byte, 4096)
		}
		n, err := s.r.Read(s.buf[:cap(s.buf)])
		for _, b := range s.buf[:n] {
			r := rune(b)
			if s.high != nil && b >= 0x80 && b < 0xa0 {
				r = s.high[b-0x80]
			}
			s.out = utf8.AppendRune(s.out, r)
		}
		if n == 0 && err != nil {
			return 0, err
		}
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}
