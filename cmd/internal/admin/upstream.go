package admin

import (
	"encoding/json"
	"time"
)

// Requests of the upstream subsystem:
//
//	GET  PathUpstream                           → Upstream
//	POST PathUpstream+"/"+SINK+"/retry[?seq=N…]" → RetryResult (the parked entries named, or all)
//	POST PathUpstream+"/"+SINK+"/pause"         → UpstreamSink
//	POST PathUpstream+"/"+SINK+"/resume"        → UpstreamSink
//	GET  PathUpstream+"/"+SINK+"/parked[?after=&limit=]" → []ParkedEntry (oldest first)
//	GET  PathUpstream+"/cubit/verify/"+ID       → CubitVerification
//	GET  PathCustomer+ACCESSID                  → Customers
//
// No answer carries a secret; only CubitVerification and Customers carry
// personal data (the operator asked for it), and neither is logged.
const (
	PathUpstream = "/v1/upstream"
	PathCustomer = "/v1/customer/"
)

// UpstreamActions are what accessctl upstream does to a sink.
func UpstreamActions() []string { return []string{"retry", "pause", "resume"} }

// Upstream is the state of every upstream system.
type Upstream struct {
	Sinks  []UpstreamSink `json:"sinks"`
	Outbox OutboxUsage    `json:"outbox"`
	// Portal is the Atlas portal's order follower; nil when not configured.
	Portal *PortalFollower `json:"portal,omitempty"`
	// Pull is the inventory pull; nil when not configured.
	Pull *InventoryPull `json:"pull,omitempty"`
}

// OutboxUsage is the outbox against its disk budget.
type OutboxUsage struct {
	Bytes      int64 `json:"bytes"`
	Budget     int64 `json:"budget"` // 0: unbounded
	OverBudget bool  `json:"overBudget"`
}

// UpstreamSink is one upstream system's delivery.
type UpstreamSink struct {
	Sink string `json:"sink"`
	// Configured is false for a sink whose entries wait in the outbox but
	// that the configuration no longer names.
	Configured bool `json:"configured"`
	// Lag is how many entries wait; OldestAgeSeconds how long the oldest
	// has.
	Lag              int       `json:"lag"`
	Oldest           time.Time `json:"oldest,omitzero"`
	OldestAgeSeconds float64   `json:"oldestAgeSeconds"`
	LastSuccess      time.Time `json:"lastSuccess,omitzero"`
	LastError        string    `json:"lastError,omitempty"`
	LastErrorAt      time.Time `json:"lastErrorAt,omitzero"`
	LastErrorClass   string    `json:"lastErrorClass,omitempty"`
	// Failing counts transient failures since the last success; RetryAt
	// is the next attempt.
	Failing int       `json:"failing,omitempty"`
	RetryAt time.Time `json:"retryAt,omitzero"`
	// Paused says whether delivery is paused, PauseReason why (operator,
	// or auth: the upstream refused the credentials, PauseError says how).
	Paused      bool              `json:"paused"`
	PauseReason string            `json:"pauseReason,omitempty"`
	PauseError  string            `json:"pauseError,omitempty"`
	Parked      int               `json:"parked"`
	Bytes       int64             `json:"bytes"`
	Compacted   uint64            `json:"compacted"`
	Delivered   uint64            `json:"delivered"`
	Failures    map[string]uint64 `json:"failures,omitempty"`
}

// ParkedEntry is an entry its sink refused for good. The payload is not
// shown (it may hold personal data): Key and Kind say what it is about.
type ParkedEntry struct {
	Seq            uint64    `json:"seq"`
	Key            string    `json:"key"`
	Kind           string    `json:"kind"`
	IdempotencyKey string    `json:"idempotencyKey"`
	Created        time.Time `json:"created"`
	Parked         time.Time `json:"parked"`
	Attempts       int       `json:"attempts"`
	Error          string    `json:"error"`
}

// RetryResult is what a retry requeued.
type RetryResult struct {
	Sink     string `json:"sink"`
	Requeued int    `json:"requeued"`
}

// PortalFollower is the Atlas portal's order follower.
type PortalFollower struct {
	LastPoll    time.Time         `json:"lastPoll,omitzero"`
	LastSuccess time.Time         `json:"lastSuccess,omitzero"`
	LastError   string            `json:"lastError,omitempty"`
	LastCheck   string            `json:"lastCheck,omitempty"`
	ReadIn      uint64            `json:"readIn"`
	Outcomes    map[string]uint64 `json:"outcomes,omitempty"`
}

// InventoryPull is the inventory pull's state.
type InventoryPull struct {
	Name           string    `json:"name"`
	URL            string    `json:"url"`
	Format         string    `json:"format"`
	LastModified   string    `json:"lastModified,omitempty"`
	LastAttempt    time.Time `json:"lastAttempt,omitzero"`
	LastSuccess    time.Time `json:"lastSuccess,omitzero"`
	LastReplace    time.Time `json:"lastReplace,omitzero"`
	LastError      string    `json:"lastError,omitempty"`
	LastErrorLine  int       `json:"lastErrorLine,omitempty"`
	LastErrorField string    `json:"lastErrorField,omitempty"`
	// Refused says the last pull's data broke a rule and nothing was
	// applied.
	Refused  bool   `json:"refused,omitempty"`
	Pulls    uint64 `json:"pulls"`
	Failures uint64 `json:"failures"`
	Applied  int    `json:"applied"` // accesses of the last applied pull
}

// CubitVerification is what Cubit holds for an id (accessctl upstream
// verify cubit ID): personal data for a customer.
type CubitVerification struct {
	Kind  string `json:"kind"` // customer | plant
	ID    string `json:"id"`
	Found bool   `json:"found"`
	// Stored is Cubit's object in the import's JSON form.
	Stored json.RawMessage `json:"stored,omitempty"`
	// Differences are the fields of the inventory's plant that Cubit holds
	// otherwise.
	Differences []CubitDifference `json:"differences,omitempty"`
}

// CubitDifference is one field that differs.
type CubitDifference struct {
	Field  string `json:"field"`
	Sent   string `json:"sent"`
	Stored string `json:"stored"`
}

// Customers is accessctl customer ACCESSID: what the providers holding
// the access's services answer. Never stored by accessd.
type Customers struct {
	AccessID  string             `json:"accessId"`
	Providers []ProviderCustomer `json:"providers"`
}

// ProviderCustomer is one provider's answer.
type ProviderCustomer struct {
	Provider string            `json:"provider"`
	Services []CustomerService `json:"services"`
	// Error says why the provider could not answer.
	Error string `json:"error,omitempty"`
}

// CustomerService is one service of the answer with its customer.
type CustomerService struct {
	Service     string `json:"service"`
	SPReference string `json:"spReference,omitempty"`
	Name        string `json:"name"`
	Email       string `json:"email,omitempty"`
	Phone       string `json:"phone,omitempty"`
	MobilePhone string `json:"mobilePhone,omitempty"`
}
