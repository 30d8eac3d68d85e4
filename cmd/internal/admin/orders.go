package admin

import "time"

// Requests of the order engine: GET PathAccess+ID+"/services" →
// []Service, GET PathOrders?state=&access=&owner=&limit= → []Order (newest
// first, without customer data), GET PathOrders+"/"+ID → OrderDetail.
const (
	PathOrders = "/v1/orders"
)

// OrderStates are the states of an order.
func OrderStates() []string {
	return []string{"RECEIVED", "IN_PROGRESS", "DONE_SUCCESS", "DONE_FAILED"}
}

// Order is one activation or deactivation, from whichever API it came.
type Order struct {
	ID               string      `json:"id"`
	Seq              uint64      `json:"seq"`
	Owner            string      `json:"owner"`
	Channel          string      `json:"channel"`
	AccessID         string      `json:"accessId"`
	Service          string      `json:"service"`
	Operation        string      `json:"operation"`
	State            string      `json:"state"`
	Message          string      `json:"message"`
	SubscriptionID   string      `json:"subscriptionId,omitempty"`
	ForcedTakeover   bool        `json:"forcedTakeover,omitempty"`
	Equipment        []Equipment `json:"equipment,omitempty"`
	SPReference      string      `json:"spReference,omitempty"`
	SPSubscriptionID string      `json:"spSubscriptionId,omitempty"`
	Due              time.Time   `json:"due"`
	Requested        time.Time   `json:"requested,omitzero"`
	Date             string      `json:"date,omitempty"`
	Atlas            *AtlasRef   `json:"atlas,omitempty"`
	CustomerRef      string      `json:"customerRef,omitempty"`
	// Customer is PI-API 2.2's customer data, kept under customer_data:
	// store; only GET /v1/orders/{id} answers it.
	Customer *Customer `json:"customer,omitempty"`
	Attempts int       `json:"attempts,omitempty"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// Equipment ties a service to a device.
type Equipment struct {
	VendorID   string `json:"vendorId"`
	MACAddress string `json:"macAddress,omitempty"`
}

// AtlasRef is what an order placed through Atlas Tjänsteguiden carries.
type AtlasRef struct {
	Order    string `json:"order,omitempty"`
	Customer string `json:"customer,omitempty"`
	XSPCID   string `json:"xspcid,omitempty"`
	Origin   string `json:"origin,omitempty"`
}

// Customer is PI-API 2.2's customer and deliveryAddress: personal data.
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

// OrderEvent is one entry of the change log of orders and services.
type OrderEvent struct {
	// ID is the event's id as orderevents' "event" spells it.
	ID             string    `json:"id"`
	Seq            uint64    `json:"seq"`
	Time           time.Time `json:"time"`
	Kind           string    `json:"kind"`
	OrderID        string    `json:"orderId,omitempty"`
	Owner          string    `json:"owner"`
	AccessID       string    `json:"accessId"`
	Service        string    `json:"service"`
	Operation      string    `json:"operation,omitempty"`
	State          string    `json:"state,omitempty"`
	Message        string    `json:"message"`
	SubscriptionID string    `json:"subscriptionId,omitempty"`
}

// OrderDetail is GET /v1/orders/{id}: the order and its change log.
type OrderDetail struct {
	Order   Order        `json:"order"`
	History []OrderEvent `json:"history"`
}

// Service is a service active on an access.
type Service struct {
	SubscriptionID string      `json:"subscriptionId"`
	AccessID       string      `json:"accessId"`
	UID            string      `json:"uid"`
	Name           string      `json:"name"`
	Type           string      `json:"type"`
	Owner          string      `json:"owner"`
	Origin         string      `json:"origin"`
	Activated      string      `json:"activated"`
	Commitment     string      `json:"commitment,omitempty"`
	Release        string      `json:"release,omitempty"`
	Message        string      `json:"message,omitempty"`
	SPReference    string      `json:"spReference,omitempty"`
	Equipment      []Equipment `json:"equipment,omitempty"`
	CustomerRef    string      `json:"customerRef,omitempty"`
	OrderID        string      `json:"orderId"`
	Since          time.Time   `json:"since"`
}
