package inventory

import (
	"encoding/hex"
	"strings"
)

// Availability is the value of PI V1's Activatable and Sellable fields (CSV:
// activationDate and salesStartDate): "YES", "NO" or an ISO-8601 date
// YYYY-MM-DD not before 1970-01-01.
type Availability string

// The two non-date values of an Availability.
const (
	Yes Availability = "YES"
	No  Availability = "NO"
)

// PremisesType says what kind of premises an access ends in.
type PremisesType string

// The premises types of PI V1, PI-API 2.3 and ON-API 2.6.
const (
	MDUApartment     PremisesType = "MDU_APARTMENT"
	MDUCommon        PremisesType = "MDU_COMMON"
	MDUTechnical     PremisesType = "MDU_TECHNICAL"
	ResidentialHouse PremisesType = "RESIDENTIAL_HOUSE"
	Commercial       PremisesType = "COMMERCIAL"
	Public           PremisesType = "PUBLIC"
	Unknown          PremisesType = "UNKNOWN"
)

// DHCPIdentifier is ON-API's dhcpIdentifier: the DHCP Option 82 sub-options
// that identify the access, as readable text.
type DHCPIdentifier struct {
	IPv4CircuitID string `json:"ipv4CircuitId,omitempty"`
	IPv4RemoteID  string `json:"ipv4RemoteId,omitempty"`
}

// IsZero reports whether neither sub-option is set.
func (d DHCPIdentifier) IsZero() bool { return d.IPv4CircuitID == "" && d.IPv4RemoteID == "" }

// Access is one delivery point. Its JSON form is the ON-API / PI-API 2.3
// access object extended with option82, dhcpIdentifier and the KO-internal
// fields accessd needs (portSpeed, media, iptv, rfof); it is also the form
// the store keeps.
type Access struct {
	AccessID            string         `json:"accessId"`
	LegacyAccessID      string         `json:"legacyAccessId,omitempty"`
	StreetName          string         `json:"streetName"`
	StreetNumber        string         `json:"streetNumber,omitempty"`
	StreetLittera       string         `json:"streetLittera,omitempty"`
	PostalCode          string         `json:"postalCode"`
	City                string         `json:"city"`
	CountryCode         string         `json:"countryCode"`
	PremisesType        PremisesType   `json:"premisesType"`
	MDUApartmentNumber  string         `json:"mduApartmentNumber,omitempty"`
	MDUDistinguisher    string         `json:"mduDistinguisher,omitempty"`
	Outlet              string         `json:"outlet,omitempty"`
	Population          string         `json:"population,omitempty"`
	Activatable         Availability   `json:"activatable"`
	Sellable            Availability   `json:"sellable"`
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
	// CPECapacityMbps is what the KO's customer equipment on the access
	// can carry, in Mbit/s (Atlas port_status's cpecapacity); 0: unknown.
	CPECapacityMbps int `json:"cpeCapacity,omitempty"`
	// Plant is the power installation at the access (Cubit's anlegg), for
	// a KO that belongs to a power utility; nil when none. JSON only.
	Plant *Plant `json:"plant,omitempty"`
}

// Circuit is the (circuit-id, remote-id) pair an access is found by: its
// dhcpIdentifier, else its Option82 text read with the default key
// template "{remote_id} {circuit_id}" (the first word is the remote-id,
// the rest the circuit-id; one word is a circuit-id alone).
func (a *Access) Circuit() (circuitID, remoteID string) {
	if !a.DHCPIdentifier.IsZero() {
		return a.DHCPIdentifier.IPv4CircuitID, a.DHCPIdentifier.IPv4RemoteID
	}
	text := strings.TrimSpace(a.Option82)
	if r, c, ok := strings.Cut(text, " "); ok {
		return strings.TrimSpace(c), r
	}
	return text, ""
}

// Option82Hex is the whole DHCP option 82 of the access's circuit as upper
// case hex (52 LL, sub-option 1 circuit-id, 2 remote-id), the form of
// PI-API's option82.md and ON-API's option82 data format; "" when the
// circuit does not fit one option.
func (a *Access) Option82Hex() string {
	c, r := a.Circuit()
	var v []byte
	if c != "" && len(c) < 256 {
		v = append(append(v, 1, byte(len(c))), c...)
	}
	if r != "" && len(r) < 256 {
		v = append(append(v, 2, byte(len(r))), r...)
	}
	if len(v) == 0 || len(v) > 255 {
		return ""
	}
	return strings.ToUpper(hex.EncodeToString(append([]byte{82, byte(len(v))}, v...)))
}

// Same reports whether a and b are the same access, plant included.
func (a *Access) Same(b *Access) bool {
	x, y := *a, *b
	x.Plant, y.Plant = nil, nil
	return x == y && SamePlant(a.Plant, b.Plant)
}
