package admin

import "time"

// Requests of the DHCP subsystem.
const (
	// PathLookup?kind=ip|mac|circuit|option82&value=V → Lookup.
	PathLookup = "/v1/dhcp/lookup"
	// PathBindings+ACCESS → AccessBindings.
	PathBindings = "/v1/dhcp/bindings/"
	// PathHistory?ip=IP[&at=RFC3339] → History.
	PathHistory = "/v1/dhcp/history"
	// PathCircuits?unknown=1 → []UnknownCircuit.
	PathCircuits = "/v1/dhcp/circuits"
	// PathEvents?limit=N → []BindingEvent, newest first.
	PathEvents = "/v1/dhcp/events"
	// PathCommitted → Committed.
	PathCommitted = "/v1/dhcp/committed"
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

// UnknownCircuit is a circuit seen in DHCP that matches no single access.
type UnknownCircuit struct {
	// Key is the rendered key template, or "hex:" and the option 82 hex
	// when the circuit could not be decoded.
	Key string `json:"key"`
	// Reason: "no access", "ambiguous" or "undecodable: …".
	Reason    string    `json:"reason"`
	Profile   string    `json:"profile,omitempty"`
	RemoteID  string    `json:"remoteId,omitempty"`
	CircuitID string    `json:"circuitId,omitempty"`
	GIAddr    string    `json:"giaddr,omitempty"`
	Option82  string    `json:"option82,omitempty"` // hex of the TLVs
	Count     uint64    `json:"count"`
	FirstSeen time.Time `json:"firstSeen"`
	LastSeen  time.Time `json:"lastSeen"`
	LastMAC   string    `json:"lastMac,omitempty"`
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
	Unknown []UnknownCircuit `json:"unknown,omitempty"`
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

// History is GET /v1/dhcp/history?ip=IP[&at=TIME].
type History struct {
	IP        string     `json:"ip"`
	At        *time.Time `json:"at,omitempty"`
	Intervals []Interval `json:"intervals"`
	// Older: older intervals exist than the newest ones listed.
	Older bool `json:"older,omitempty"`
}

// BindingEvent is something the NOC may want to know about a client or a
// circuit: a MAC moving to another access, an IP taken over by another
// MAC, an IP claimed without evidence, a client changing IP, or two
// accesses claiming one circuit.
type BindingEvent struct {
	Seq        uint64    `json:"seq"`
	Kind       string    `json:"kind"`
	Time       time.Time `json:"time"`
	MAC        string    `json:"mac,omitempty"`
	IP         string    `json:"ip,omitempty"`
	Access     string    `json:"access,omitempty"`
	PrevAccess string    `json:"prevAccess,omitempty"`
	PrevIP     string    `json:"prevIp,omitempty"`
	PrevMAC    string    `json:"prevMac,omitempty"`
	// Circuit is the circuit key (circuit-conflict); Accesses the accesses
	// that claim it.
	Circuit  string   `json:"circuit,omitempty"`
	Accesses []string `json:"accesses,omitempty"`
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
