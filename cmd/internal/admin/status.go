package admin

import "time"

// Paths of the daemon's own requests.
const (
	PathStatus = "/v1/status"
	PathBackup = "/v1/backup"
)

// Status is GET /v1/status.
type Status struct {
	Version     string    `json:"version"`
	KOID        string    `json:"koId"`
	Environment string    `json:"environment"`
	Config      string    `json:"config"`
	StateDir    string    `json:"stateDir"`
	Started     time.Time `json:"started"`
	Ready       bool      `json:"ready"`
	NotReady    string    `json:"notReady,omitempty"`
	Store       StoreInfo `json:"store"`
	// Sections of the subsystems (dhcp, snmp, …), each a small table of
	// name ⇒ value for people and scripts.
	Sections []Section `json:"sections,omitempty"`
}

// StoreInfo describes the store.
type StoreInfo struct {
	File       string `json:"file"`
	Bytes      int64  `json:"bytes"`
	Schema     uint64 `json:"schema"`
	Accesses   int    `json:"accesses"`
	Tombstones int    `json:"tombstones"`
	// ReadOnly says why the store refuses writes (a full disk); empty
	// when it writes.
	ReadOnly string `json:"readOnly,omitempty"`
	// Errors counts the store errors met since start, by kind (damaged
	// records, meta pages, a rollback, a full disk).
	Errors map[string]uint64 `json:"errors,omitempty"`
}

// Section is a titled list of figures in the status.
type Section struct {
	Title string      `json:"title"`
	Rows  [][2]string `json:"rows"`
}
