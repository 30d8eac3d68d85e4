package atlasportal

import "fmt"

// Status is an order's status in the portal: set_status's documented
// values.
type Status string

// The statuses of set_status.
const (
	StatusNew       Status = "new"       // order is new and unhandled
	StatusReceived  Status = "received"  // order is received by target (xsp)
	StatusActive    Status = "active"    // order is being handled
	StatusWaiting   Status = "waiting"   // order is pending action from other party
	StatusCancelled Status = "cancelled" // order has been cancelled
	StatusDelivered Status = "delivered" // order has been fulfilled to end customer
)

// Valid reports whether s is one of the six statuses.
func (s Status) Valid() bool { return rank(s) >= 0 }

// Final reports whether s is delivered or cancelled.
func (s Status) Final() bool { return s == StatusDelivered || s == StatusCancelled }

// Forward reports whether an order whose portal status is from may be set
// to to: a higher rank (A13), never away from a final status, never the
// same status again. An unknown from ("") is before new.
func Forward(from, to Status) bool {
	if !to.Valid() || from == to || from.Final() {
		return false
	}
	if from == "" {
		return true
	}
	return rank(to) > rank(from)
}

// MessageType is add_message's type.
type MessageType string

// The types of add_message.
const (
	MessageError  MessageType = "error"  // this is an error message
	MessageAlert  MessageType = "alert"  // important information regarding this order
	MessageSystem MessageType = "system" // system message from XSP order system
	MessageLog    MessageType = "log"    // general message
)

// Valid reports whether t is one of the four types.
func (t MessageType) Valid() bool {
	switch t {
	case MessageError, MessageAlert, MessageSystem, MessageLog:
		return true
	}
	return false
}

// CustomerPolicy says what accessd does with the customer of an order, as
// PI-API 2.2's customer_data: store (read customer_info and hand it to the
// order), anonymous (an anonymised customer; customer_info is not read),
// none (no customer; customer_info is not read).
type CustomerPolicy string

// The customer-data policies.
const (
	CustomerStore     CustomerPolicy = "store"
	CustomerAnonymous CustomerPolicy = "anonymous"
	CustomerNone      CustomerPolicy = "none"
)

// Valid reports whether p is one of the three policies.
func (p CustomerPolicy) Valid() bool {
	return p == CustomerStore || p == CustomerAnonymous || p == CustomerNone
}

func validID(what, id string) error {
	if id == "" || len(id) > maxIDDigits {
		return fmt.Errorf("%s %q: want 1 to %d digits", what, printable(id), maxIDDigits)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return fmt.Errorf("%s %q: want 1 to %d digits", what, printable(id), maxIDDigits)
		}
	}
	return nil
}

// printable trims v for an error message and keeps control characters
// out of it.
func printable(v string) string {
	const n = 40
	r := []rune(v)
	if len(r) > n {
		r = append(r[:n], '…')
	}
	for i, c := range r {
		if c < ' ' || c == 0x7f {
			r[i] = '?'
		}
	}
	return string(r)
}
