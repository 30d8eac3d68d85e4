package wire

import "time"

// Order is an order placed at the hub, to be carried out exactly once by
// one hub instance. It carries all the order says, because the instance
// that runs it may not be the one that took it. Customer holds personal
// data: never log it.
type Order struct {
	OrderID   string `json:"orderId"`
	Owner     string `json:"owner"`   // the service provider's user, or "atlas"
	Channel   string `json:"channel"` // pi-api-2.2 | pi-api-2.3 | on-api-2.6 | atlas | accessctl
	AccessID  string `json:"accessId"`
	Service   string `json:"service"`   // the catalogue UID
	Operation string `json:"operation"` // ACTIVATE | DEACTIVATE

	SubscriptionID   string      `json:"subscriptionId,omitempty"`
	ForcedTakeover   bool        `json:"forcedTakeover,omitempty"`
	Equipment        []Equipment `json:"equipment,omitempty"`
	SPReference      string      `json:"spReference,omitempty"`
	SPSubscriptionID string      `json:"spSubscriptionId,omitempty"`
	// Due is when the order may run; Requested the start it asked for.
	Due       time.Time `json:"due"`
	Requested time.Time `json:"requested,omitzero"`
	Date      string    `json:"date,omitempty"` // Atlas: the local date it names
	Atlas     *AtlasRef `json:"atlas,omitempty"`

	CustomerRef string    `json:"customerRef,omitempty"`
	Customer    *Customer `json:"customer,omitempty"`
	Created     time.Time `json:"created"`
}

// Equipment ties a service to a device.
type Equipment struct {
	VendorID   string `json:"vendorId"`
	MACAddress string `json:"macAddress,omitempty"`
}

// AtlasRef is what Atlas's service_order names.
type AtlasRef struct {
	Order    string `json:"order,omitempty"`
	Customer string `json:"customer,omitempty"`
	XSPCID   string `json:"xspcid,omitempty"`
	Origin   string `json:"origin,omitempty"`
}

// Customer is the end customer an order names (personal data).
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

// Kind is order.
func (*Order) Kind() Kind { return KindOrder }

func (o *Order) validate(v *validator) {
	v.required("orderId", o.OrderID, maxShort)
	v.required("owner", o.Owner, maxShort)
	v.oneOf("channel", o.Channel, "pi-api-2.2", "pi-api-2.3", "on-api-2.6", "atlas", "accessctl")
	v.required("accessId", o.AccessID, maxShort)
	v.required("service", o.Service, maxShort)
	v.oneOf("operation", o.Operation, "ACTIVATE", "DEACTIVATE")
	v.text("subscriptionId", o.SubscriptionID, maxShort)
	if len(o.Equipment) > 16 {
		v.fail("equipment", "more than 16 entries")
	}
	for _, e := range o.Equipment {
		v.required("equipment.vendorId", e.VendorID, maxShort)
		v.text("equipment.macAddress", e.MACAddress, maxShort)
	}
	v.text("spReference", o.SPReference, maxText)
	v.text("spSubscriptionId", o.SPSubscriptionID, maxText)
	v.time("due", o.Due)
	v.optTime("requested", o.Requested)
	v.text("date", o.Date, maxShort)
	if a := o.Atlas; a != nil {
		for _, f := range [][2]string{{"order", a.Order}, {"customer", a.Customer}, {"xspcid", a.XSPCID}, {"origin", a.Origin}} {
			v.text("atlas."+f[0], f[1], maxText)
		}
	}
	v.text("customerRef", o.CustomerRef, maxShort)
	if c := o.Customer; c != nil {
		for _, f := range [][2]string{
			{"firstName", c.FirstName}, {"lastName", c.LastName}, {"socialSecurityNumber", c.SocialSecurityNumber},
			{"email", c.Email}, {"phone", c.Phone}, {"mobilePhone", c.MobilePhone},
			{"smsNotificationPhone", c.SMSNotificationPhone}, {"streetName", c.StreetName},
			{"streetNumber", c.StreetNumber}, {"streetLittera", c.StreetLittera}, {"zipCode", c.ZipCode}, {"city", c.City},
		} {
			v.text("customer."+f[0], f[1], maxText)
		}
	}
	v.time("created", o.Created)
}
