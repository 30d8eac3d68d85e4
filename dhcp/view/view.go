// Package view holds the JSON shapes of the DHCP answers of accessd's
// admin socket (GET /v1/dhcp/…), shared by the daemon that writes them and
// accessctl that prints them (tables for people, the JSON itself with
// -json).
package view

import (
	"net/netip"
	"time"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/option82"
	"github.com/stadsnat/accessd/store"
)

// Binding is one DHCP binding.
type Binding struct {
	MAC       string     `json:"mac"`
	IP        string     `json:"ip,omitempty"`
	State     string     `json:"state"`
	Access    string     `json:"access,omitempty"`
	Circuit   string     `json:"circuit,omitempty"`
	RemoteID  string     `json:"remoteId,omitempty"`
	CircuitID string     `json:"circuitId,omitempty"`
	Profile   string     `json:"profile,omitempty"`
	Option82  string     `json:"option82,omitempty"`
	GIAddr    string     `json:"giaddr,omitempty"`
	FirstSeen time.Time  `json:"firstSeen"`
	LastSeen  time.Time  `json:"lastSeen"`
	Since     time.Time  `json:"since"`
	Ended     *time.Time `json:"ended,omitempty"`
	Expires   *time.Time `json:"expires,omitempty"`
	LeaseSecs int64      `json:"leaseSeconds,omitempty"`
	Confirmed bool       `json:"confirmed"`
	Source    string     `json:"source,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// FromRecord converts a stored binding.
func FromRecord(r *store.BindingRecord) Binding {
	b := Binding{
		MAC: r.MAC.String(), IP: addrText(r.IP), State: r.State.String(), Access: r.Access, Circuit: r.Circuit,
		RemoteID: r.RemoteID, CircuitID: r.CircuitID, Profile: r.Profile, GIAddr: addrText(r.GIAddr),
		FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, Since: r.Since, Ended: timePtr(r.Ended), Expires: timePtr(r.Expires),
		LeaseSecs: int64(r.LeaseTime / time.Second), Confirmed: r.Confirmed,
	}
	if len(r.Option82) > 0 {
		b.Option82 = string(option82.AppendHex(nil, r.Option82, true))
	}
	if r.Source != 0 {
		b.Source = r.Source.String()
	}
	return b
}

// FromRecords converts stored bindings.
func FromRecords(rs []store.BindingRecord) []Binding {
	out := make([]Binding, len(rs))
	for i := range rs {
		out[i] = FromRecord(&rs[i])
	}
	return out
}

// Decoded is what one decoder profile makes of an Option 82.
type Decoded struct {
	Profile   string `json:"profile"`
	Key       string `json:"key,omitempty"`
	RemoteID  string `json:"remoteId,omitempty"`
	CircuitID string `json:"circuitId,omitempty"`
	Switch    string `json:"switch,omitempty"`
	Module    string `json:"module,omitempty"`
	Port      string `json:"port,omitempty"`
	VLAN      uint16 `json:"vlan,omitempty"`
	Interface string `json:"interface,omitempty"`
	Error     string `json:"error,omitempty"`
}

// FromCircuit converts a decoded circuit (err: why it failed).
func FromCircuit(profile string, c *circuit.Circuit, err error) Decoded {
	d := Decoded{Profile: profile, Key: c.Key, RemoteID: c.RemoteID, CircuitID: c.CircuitID, Switch: c.Switch,
		Module: c.Module, Port: c.Port, VLAN: c.VLAN, Interface: c.Interface}
	if err != nil {
		d.Error = err.Error()
	}
	return d
}

// Lookup is GET /v1/dhcp/lookup?kind=ip|mac|circuit|option82&value=V.
type Lookup struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	// Access is the access the value leads to ("" when none);
	// AccessNote says how it was found or why there is none.
	Access     string `json:"access,omitempty"`
	AccessNote string `json:"accessNote,omitempty"`
	// Bindings are the bindings the value names (active ones, or the
	// MAC's binding in any state).
	Bindings []Binding `json:"bindings"`
	// Unknown is the circuit's entry in the unknown-circuit list.
	Unknown []store.UnknownCircuit `json:"unknown,omitempty"`
	// Decoded is what each profile makes of an Option 82 (kind option82).
	Decoded []Decoded `json:"decoded,omitempty"`
}

// AccessBindings is GET /v1/dhcp/bindings/{access}.
type AccessBindings struct {
	Access           string     `json:"access"`
	LastOption82     string     `json:"lastOption82,omitempty"`
	LastOption82Seen *time.Time `json:"lastOption82Seen,omitempty"`
	Bindings         []Binding  `json:"bindings"`
}

// Interval is one stretch of an IP's history; To is nil while it is the
// active binding's.
type Interval struct {
	IP        string     `json:"ip"`
	MAC       string     `json:"mac"`
	Access    string     `json:"access,omitempty"`
	Circuit   string     `json:"circuit,omitempty"`
	From      time.Time  `json:"from"`
	To        *time.Time `json:"to,omitempty"`
	Confirmed bool       `json:"confirmed"`
}

// FromInterval converts a history interval.
func FromInterval(iv *binding.Interval) Interval {
	return Interval{IP: iv.IP.String(), MAC: iv.MAC.String(), Access: iv.Access, Circuit: iv.Circuit, From: iv.From,
		To: timePtr(iv.To), Confirmed: iv.Confirmed}
}

// History is GET /v1/dhcp/history?ip=IP[&at=TIME].
type History struct {
	IP        string     `json:"ip"`
	At        *time.Time `json:"at,omitempty"`
	Intervals []Interval `json:"intervals"`
	// Older: older intervals exist than the newest ones listed.
	Older bool `json:"older,omitempty"`
}

// Committed is GET /v1/dhcp/committed: what the store holds, from one
// read transaction, and the commit sequence that transaction saw.
type Committed struct {
	CommitSeq uint64             `json:"commitSeq"`
	Bindings  []CommittedBinding `json:"bindings"`
}

// CommittedBinding is a stored binding in brief.
type CommittedBinding struct {
	MAC    string `json:"mac"`
	IP     string `json:"ip,omitempty"`
	State  string `json:"state"`
	Access string `json:"access,omitempty"`
}
