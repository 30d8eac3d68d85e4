package admin

import "time"

// Requests of the inventory: POST PathImport?format=csv|json[&replace=1]
// [&dry_run=1][&name=FILE] with the file as the body (format empty: from
// name, else sniffed), GET and DELETE PathAccess+ID.
const (
	PathImport = "/v1/import"
	PathAccess = "/v1/accesses/"
)

// ImportFormats are the inventory file formats: CSV Access Upload API 1.1
// and ON-API / PI-API 2.3 access JSON.
func ImportFormats() []string { return []string{"csv", "json"} }

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

// Access is GET /v1/accesses/{id}: the access as the inventory has it,
// its change in the store and its sales state today.
type Access struct {
	AccessID            string         `json:"accessId"`
	LegacyAccessID      string         `json:"legacyAccessId,omitempty"`
	StreetName          string         `json:"streetName"`
	StreetNumber        string         `json:"streetNumber,omitempty"`
	StreetLittera       string         `json:"streetLittera,omitempty"`
	PostalCode          string         `json:"postalCode"`
	City                string         `json:"city"`
	CountryCode         string         `json:"countryCode"`
	PremisesType        string         `json:"premisesType"`
	MDUApartmentNumber  string         `json:"mduApartmentNumber,omitempty"`
	MDUDistinguisher    string         `json:"mduDistinguisher,omitempty"`
	Outlet              string         `json:"outlet,omitempty"`
	Population          string         `json:"population,omitempty"`
	Activatable         string         `json:"activatable"`
	Sellable            string         `json:"sellable"`
	FiberConverter      string         `json:"coFiberConverter,omitempty"`
	CPESwitch           string         `json:"coCpeSwitch,omitempty"`
	CPERouter           string         `json:"coCpeRouter,omitempty"`
	Option82            string         `json:"option82"`
	DHCPIdentifier      DHCPIdentifier `json:"dhcpIdentifier,omitzero"`
	PortSpeedMbps       int            `json:"portSpeed,omitempty"`
	Media               string         `json:"media,omitempty"`
	IPTV                bool           `json:"iptv,omitempty"`
	RFoF                bool           `json:"rfof,omitempty"`
	PriceGroup          int            `json:"priceGroup,omitempty"`
	AccessState         string         `json:"accessState,omitempty"`
	NationalAddressUUID string         `json:"nationalAddressUUID,omitempty"`
	// SalesState is the PI V1 state today (Stockholm date), e.g. "sellable
	// and deliverable".
	SalesState string `json:"salesState"`
	// Seq is the change sequence of its latest change, Created its first
	// import, Modified its latest change; Removed: a tombstone.
	Seq      uint64    `json:"seq"`
	Created  time.Time `json:"created"`
	Modified time.Time `json:"modified"`
	Removed  bool      `json:"removed,omitempty"`
}

// DHCPIdentifier is ON-API's dhcpIdentifier.
type DHCPIdentifier struct {
	IPv4CircuitID string `json:"ipv4CircuitId,omitempty"`
	IPv4RemoteID  string `json:"ipv4RemoteId,omitempty"`
}

// Removed is DELETE /v1/accesses/{id}.
type Removed struct {
	Removed string `json:"removed"`
}
