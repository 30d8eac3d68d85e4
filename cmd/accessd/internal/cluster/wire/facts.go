package wire

import "time"

// Binding is the state of one DHCP client (one MAC) after a change: the
// whole value, so applying the newest one is enough. The client's host
// name is never sent.
type Binding struct {
	MAC    string `json:"mac"`              // the client, aa:bb:cc:dd:ee:ff
	IP     string `json:"ip,omitempty"`     // its IPv4 address, "" before one is known
	State  string `json:"state"`            // tentative | bound | released | expired | declined
	Source string `json:"source,omitempty"` // relay | snoop | kea: where the last change came from
	Access string `json:"access,omitempty"` // the AccessId its circuit matched, "" unknown
	// Circuit is the circuit key the site's decoder made of Option 82.
	Circuit   string `json:"circuit,omitempty"`
	RemoteID  string `json:"remoteId,omitempty"`
	CircuitID string `json:"circuitId,omitempty"`
	Profile   string `json:"profile,omitempty"`  // the decoder profile
	Option82  string `json:"option82,omitempty"` // upper-case hex of the last Option 82
	GIAddr    string `json:"giaddr,omitempty"`   // the relay
	// FirstSeen and LastSeen bound the observations of the MAC; Since
	// starts the current (IP, MAC, access) interval; Ended is when an
	// ended binding ended; Expires when an active one lapses.
	FirstSeen    time.Time `json:"firstSeen"`
	LastSeen     time.Time `json:"lastSeen"`
	Since        time.Time `json:"since"`
	Ended        time.Time `json:"ended,omitzero"`
	Expires      time.Time `json:"expires,omitzero"`
	LeaseSeconds uint32    `json:"leaseSeconds,omitempty"`
	Confirmed    bool      `json:"confirmed,omitempty"` // the interval reached bound
}

// Kind is binding.
func (*Binding) Kind() Kind { return KindBinding }

func (b *Binding) validate(v *validator) {
	v.mac("mac", b.MAC)
	v.ipv4("ip", b.IP)
	v.oneOf("state", b.State, "tentative", "bound", "released", "expired", "declined")
	if b.Source != "" {
		v.oneOf("source", b.Source, "relay", "snoop", "kea")
	}
	v.text("access", b.Access, maxShort)
	v.text("circuit", b.Circuit, maxText)
	v.text("remoteId", b.RemoteID, maxText)
	v.text("circuitId", b.CircuitID, maxText)
	v.text("profile", b.Profile, maxShort)
	v.hexUpper("option82", b.Option82)
	v.ipv4("giaddr", b.GIAddr)
	v.time("firstSeen", b.FirstSeen)
	v.time("lastSeen", b.LastSeen)
	v.time("since", b.Since)
	v.optTime("ended", b.Ended)
	v.optTime("expires", b.Expires)
}

// Link is one switch port's state after a change. A port is named by the
// switch's polled address and the port name as the inventory writes it.
type Link struct {
	Switch     string    `json:"switch"`           // host:port the site polls
	Port       string    `json:"port"`             // ifName (or ifDescr)
	Access     string    `json:"access,omitempty"` // the AccessId on the port, when known
	Link       string    `json:"link"`             // UP | DOWN | UNKNOWN
	Admin      string    `json:"admin,omitempty"`  // ifAdminStatus
	Oper       string    `json:"oper,omitempty"`   // ifOperStatus
	SpeedMbps  uint64    `json:"speedMbps,omitempty"`
	Since      time.Time `json:"since"`      // when the link took this state
	SinceExact bool      `json:"sinceExact"` // since comes from ifLastChange, not from polling
	PolledAt   time.Time `json:"polledAt"`   // when the site last asked the switch
	Reachable  bool      `json:"reachable"`  // the switch answered
	Source     string    `json:"source,omitempty"`
	Problem    string    `json:"problem,omitempty"` // why UNKNOWN on a reachable switch
}

// Kind is link.
func (*Link) Kind() Kind { return KindLink }

func (l *Link) validate(v *validator) {
	v.required("switch", l.Switch, maxText)
	v.required("port", l.Port, maxText)
	v.text("access", l.Access, maxShort)
	v.oneOf("link", l.Link, "UP", "DOWN", "UNKNOWN")
	v.text("admin", l.Admin, maxShort)
	v.text("oper", l.Oper, maxShort)
	v.time("since", l.Since)
	v.time("polledAt", l.PolledAt)
	if l.Source != "" {
		v.oneOf("source", l.Source, "poll", "trap")
	}
	v.text("problem", l.Problem, maxLong)
}

// UnknownCircuit is a circuit seen in DHCP that matches no access.
type UnknownCircuit struct {
	Key       string    `json:"key"`    // the circuit key the decoder made
	Reason    string    `json:"reason"` // why it matched nothing
	Profile   string    `json:"profile,omitempty"`
	RemoteID  string    `json:"remoteId,omitempty"`
	CircuitID string    `json:"circuitId,omitempty"`
	GIAddr    string    `json:"giaddr,omitempty"`
	Option82  string    `json:"option82,omitempty"`
	Count     uint64    `json:"count"`
	FirstSeen time.Time `json:"firstSeen"`
	LastSeen  time.Time `json:"lastSeen"`
	// Gone says the circuit is no longer unknown (it now matches, or was
	// forgotten); the other fields but Key may then be empty.
	Gone bool `json:"gone,omitempty"`
}

// Kind is unknown_circuit.
func (*UnknownCircuit) Kind() Kind { return KindUnknownCircuit }

func (u *UnknownCircuit) validate(v *validator) {
	v.required("key", u.Key, maxText)
	if u.Gone {
		return
	}
	v.required("reason", u.Reason, maxText)
	v.text("profile", u.Profile, maxShort)
	v.text("remoteId", u.RemoteID, maxText)
	v.text("circuitId", u.CircuitID, maxText)
	v.ipv4("giaddr", u.GIAddr)
	v.hexUpper("option82", u.Option82)
	v.time("firstSeen", u.FirstSeen)
	v.time("lastSeen", u.LastSeen)
}

// OrderOutcome is an order's new state, sent by whoever carried it out.
type OrderOutcome struct {
	OrderID        string    `json:"orderId"`
	AccessID       string    `json:"accessId"`
	Service        string    `json:"service"`   // the catalogue UID
	Operation      string    `json:"operation"` // ACTIVATE | DEACTIVATE
	State          string    `json:"state"`     // IN_PROGRESS | DONE_SUCCESS | DONE_FAILED
	Message        string    `json:"message,omitempty"`
	SubscriptionID string    `json:"subscriptionId,omitempty"`
	Attempts       int       `json:"attempts,omitempty"`
	Changed        time.Time `json:"changed"` // when the order took this state
	// Order is the order itself, without its customer (added within
	// version 1): a hub instance that never saw the order records it
	// from here. Absent in outcomes from senders that do not send it.
	Order *Order `json:"order,omitempty"`
}

// Kind is order_outcome.
func (*OrderOutcome) Kind() Kind { return KindOrderOutcome }

func (o *OrderOutcome) validate(v *validator) {
	v.required("orderId", o.OrderID, maxShort)
	v.required("accessId", o.AccessID, maxShort)
	v.required("service", o.Service, maxShort)
	v.oneOf("operation", o.Operation, "ACTIVATE", "DEACTIVATE")
	v.oneOf("state", o.State, "IN_PROGRESS", "DONE_SUCCESS", "DONE_FAILED")
	v.text("message", o.Message, maxLong)
	v.text("subscriptionId", o.SubscriptionID, maxShort)
	if o.Attempts < 0 {
		v.fail("attempts", "negative")
	}
	v.time("changed", o.Changed)
	if o.Order != nil {
		if o.Order.Customer != nil {
			v.fail("order.customer", "an outcome never carries the customer")
		}
		if o.Order.OrderID != o.OrderID {
			v.fail("order.orderId", "%q is not the outcome's %q", clip(o.Order.OrderID), clip(o.OrderID))
		}
		o.Order.validate(v.in("order"))
	}
}
