package admin

import "time"

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
}

// Section is a titled list of figures in the status.
type Section struct {
	Title string      `json:"title"`
	Rows  [][2]string `json:"rows"`
}

// ImportResult is POST /v1/import.
type ImportResult struct {
	Format    string `json:"format"`
	Accesses  int    `json:"accesses"`
	Created   int    `json:"created"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Removed   int    `json:"removed"`
	DryRun    bool   `json:"dryRun"`
	Replace   bool   `json:"replace"`
	Millis    int64  `json:"millis"`
}
