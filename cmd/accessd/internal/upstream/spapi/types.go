package spapi

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// Customer is the SP's end customer behind a service. Every attribute may
// be empty (access_customer_info.md). It is personal data: String, Format
// and LogValue redact it; read the fields to show it.
type Customer struct {
	Name        string `json:"name"`
	Email       string `json:"email"`
	Phone       string `json:"phone"`
	MobilePhone string `json:"mobilePhone"`
}

const redacted = "[redacted]"

// String redacts.
func (Customer) String() string { return redacted }

// GoString redacts.
func (Customer) GoString() string { return redacted }

// Format redacts whatever the verb.
func (Customer) Format(f fmt.State, _ rune) { f.Write([]byte(redacted)) }

// LogValue redacts.
func (Customer) LogValue() slog.Value { return slog.StringValue(redacted) }

// IsEmpty reports whether the SP gave no attribute at all.
func (c Customer) IsEmpty() bool { return c == Customer{} }

// Service is one service of an answer with its customer.
type Service struct {
	// Service is the technical service (e.g. BB-1000-100).
	Service  string
	Customer Customer
	// SPReference is the SP's reference of the service (at most 255
	// characters; may be empty in access_customer_info).
	SPReference string
	// AccessID is the access; access_customer_info's answer does not carry
	// it, and the client fills in the access asked for.
	AccessID string
}

// FormatError is an SP answer that does not follow the specification.
type FormatError struct {
	Call  string // access or services
	Line  int    // services: the line of the answer; 0 otherwise
	Where string // the service key or "" for the whole answer
	Field string // e.g. customer.email
	Msg   string
}

func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("malformed ")
	b.WriteString(e.Call)
	b.WriteString(" answer")
	if e.Line > 0 {
		b.WriteString(": line ")
		b.WriteString(strconv.Itoa(e.Line))
	}
	if e.Where != "" {
		b.WriteString(": service ")
		b.WriteString(strconv.Quote(e.Where))
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Permanent is false: a malformed answer may be a passing fault.
func (e *FormatError) Permanent() bool { return false }

// Auth is false.
func (e *FormatError) Auth() bool { return false }

// RefusalError is an activation refused because the SP could not give the
// customer (Netadmin's mode). Cause names the SP, the access, the service
// and why, never a customer's data: it is the order's error text.
type RefusalError struct {
	SP, AccessID, Service string
	Cause                 string
	Err                   error // the underlying failure, if any
}

func (e *RefusalError) Error() string { return e.Cause }

func (e *RefusalError) Unwrap() error { return e.Err }
