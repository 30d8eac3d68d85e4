package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// Orders and the services they make. See doc.go for the buckets; the
// business rules (which order is allowed, when it runs) live in the
// activation engine (api/activation), which calls Orders.Batch and Orders.View.

// Operation is what an order does.
type Operation string

// The operations of PI-API 2.3, ON-API 2.6 and Atlas.
const (
	Activate   Operation = "ACTIVATE"
	Deactivate Operation = "DEACTIVATE"
)

// OrderState is where an order is; PI-API's and ON-API's orderState.
type OrderState string

// Order states. An order is RECEIVED until it runs, IN_PROGRESS while the
// activation hook runs, and then DONE_SUCCESS or DONE_FAILED for ever.
const (
	Received    OrderState = "RECEIVED"
	InProgress  OrderState = "IN_PROGRESS"
	DoneSuccess OrderState = "DONE_SUCCESS"
	DoneFailed  OrderState = "DONE_FAILED"
)

// Done reports whether the state is final.
func (s OrderState) Done() bool { return s == DoneSuccess || s == DoneFailed }

// Valid reports whether s is one of the four states.
func (s OrderState) Valid() bool {
	switch s {
	case Received, InProgress, DoneSuccess, DoneFailed:
		return true
	}
	return false
}

// Equipment ties a service to a device (PI-API/ON-API equipment).
type Equipment struct {
	VendorID   string `json:"vendorId"`
	MACAddress string `json:"macAddress,omitempty"`
}

// AtlasRef is what an order placed through Atlas Tjänsteguiden's
// service_order carries: the ids of Atlas's order and customer, the
// service provider's customer id, and who initiated it. None of them is
// personal data; they are references into Atlas.
type AtlasRef struct {
	Order    string `json:"order,omitempty"`
	Customer string `json:"customer,omitempty"`
	XSPCID   string `json:"xspcid,omitempty"`
	Origin   string `json:"origin,omitempty"` // customer | service provider
}

// Customer is PI-API 2.2's customer and deliveryAddress, kept only when
// the service provider's customer_data policy is "store". It is personal
// data: never log it.
type Customer struct {
	FirstName            string `json:"firstName"`
	LastName             string `json:"lastName"`
	SocialSecurityNumber string `json:"socialSecurityNumber"`
	Email                string `json:"email"`
	Phone                string `json:"phone"`
	MobilePhone          string `json:"mobilePhone"`
	SMSNotificationPhone string `json:"smsNotificationPhone"`
	StreetName           string `json:"streetName"`
	StreetNumber         string `json:"streetNumber"`
	StreetLittera        string `json:"streetLittera"`
	ZipCode              string `json:"zipCode"`
	City                 string `json:"city"`
}

// Order is one activation or deactivation, from whichever API it came.
type Order struct {
	ID      string `json:"id"`
	Seq     uint64 `json:"seq"`
	Owner   string `json:"owner"`   // the service provider's user name, or "atlas"
	Channel string `json:"channel"` // pi-api-2.2 | pi-api-2.3 | on-api-2.6 | atlas | accessctl

	AccessID  string     `json:"accessId"`
	Service   string     `json:"service"` // the catalogue UID
	Operation Operation  `json:"operation"`
	State     OrderState `json:"state"`
	Message   string     `json:"message"`

	// SubscriptionID is the service instance the order made (ACTIVATE, once
	// done) or ends (DEACTIVATE).
	SubscriptionID   string      `json:"subscriptionId,omitempty"`
	ForcedTakeover   bool        `json:"forcedTakeover,omitempty"`
	Equipment        []Equipment `json:"equipment,omitempty"`
	SPReference      string      `json:"spReference,omitempty"`
	SPSubscriptionID string      `json:"spSubscriptionId,omitempty"`
	// Due is when the order may run: now for most, local midnight of
	// Atlas's date, ON-API's requestedDateTime.
	Due time.Time `json:"due"`
	// Requested is the start the order asked for, as given (ON-API's
	// requestedDateTime, which its answers echo even when it is past);
	// zero when it asked for none.
	Requested time.Time `json:"requested,omitzero"`
	// RequestedText is requestedDateTime as the caller wrote it (up to
	// four decimals, a leap second), which ON-API echoes.
	RequestedText string `json:"requestedText,omitempty"`
	// Date is the local date (Europe/Stockholm) an Atlas order names for
	// the activation or the release; empty otherwise.
	Date  string    `json:"date,omitempty"`
	Atlas *AtlasRef `json:"atlas,omitempty"`
	// CustomerRef names the customer the service is tied to: an anonymous
	// reference under customer_data: anonymous, the order's own id under
	// store (the data is in Customer), empty under none.
	CustomerRef string    `json:"customerRef,omitempty"`
	Customer    *Customer `json:"customer,omitempty"`
	// Attempts counts the runs of the activation hook.
	Attempts int       `json:"attempts,omitempty"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// Service is a service active on an access: what port_status lists and
// PI-API's services/ and availability's active[] show.
type Service struct {
	SubscriptionID string `json:"subscriptionId"`
	AccessID       string `json:"accessId"`
	UID            string `json:"uid"`
	Name           string `json:"name"`
	Type           string `json:"type"`
	Owner          string `json:"owner"`  // who ordered it: a service provider's user name or "atlas"
	Origin         string `json:"origin"` // the channel of the order: atlas, pi-api-2.3, …
	// Activated is the local activation date, Commitment the earliest
	// deactivation date and Release the scheduled deactivation date
	// (YYYY-MM-DD; empty: none).
	Activated   string `json:"activated"`
	Commitment  string `json:"commitment,omitempty"`
	Release     string `json:"release,omitempty"`
	Message     string `json:"message,omitempty"`
	SPReference string `json:"spReference,omitempty"`
	// SPSubscriptionID is the provider's own id of it (ON-API).
	SPSubscriptionID string      `json:"spSubscriptionId,omitempty"`
	Equipment        []Equipment `json:"equipment,omitempty"`
	CustomerRef      string      `json:"customerRef,omitempty"`
	OrderID          string      `json:"orderId"` // the order that made it
	Since            time.Time   `json:"since"`
}

// EventKind says what an OrderEvent records.
type EventKind string

// Kinds of change in the order change log.
const (
	EventOrderState     EventKind = "order"           // an order was created or changed state
	EventServiceStarted EventKind = "service-started" // a service became active
	EventServiceEnded   EventKind = "service-ended"   // a service ended
	EventServiceChanged EventKind = "service-changed" // e.g. a release date set
)

// OrderEvent is one entry of the change log of orders and services. It is
// immutable: it holds a copy of the order's fields as they were.
type OrderEvent struct {
	Seq            uint64     `json:"seq"`
	Time           time.Time  `json:"time"`
	Kind           EventKind  `json:"kind"`
	OrderID        string     `json:"orderId,omitempty"`
	Owner          string     `json:"owner"`
	AccessID       string     `json:"accessId"`
	Service        string     `json:"service"`
	Operation      Operation  `json:"operation,omitempty"`
	State          OrderState `json:"state,omitempty"`
	Message        string     `json:"message"`
	SubscriptionID string     `json:"subscriptionId,omitempty"`
}

// EventID is the text form of an event sequence: what orderevents' "event"
// and "since" carry.
func EventID(seq uint64) string { return fmt.Sprintf("%016x", seq) }

// ParseEventID reverses EventID.
func ParseEventID(s string) (uint64, bool) {
	if len(s) != 16 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | uint64(v)
	}
	return n, true
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), n) }

func key2(a string, seq uint64) []byte {
	k := make([]byte, 0, len(a)+9)
	k = append(k, a...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, seq)
}

func keyStr(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	k := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			k = append(k, 0)
		}
		k = append(k, p...)
	}
	return k
}

func dueKey(t time.Time, seq uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(max(t.UnixNano(), 0)))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

// decodeJSON checks and decodes the sealed JSON record v read from bucket
// at key (openJSON).
func decodeJSON[T any](bucket, key, v []byte) (T, error) {
	var x T
	err := openJSON(bucket, key, v, &x)
	return x, err
}

// rawJSON decodes an unsealed JSON record: for migrations that run before
// records were sealed.
func rawJSON[T any](what string, v []byte) (T, error) {
	var x T
	if err := json.Unmarshal(v, &x); err != nil {
		return x, fmt.Errorf("decode %s: %w", what, err)
	}
	return x, nil
}
