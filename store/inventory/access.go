package inventory

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
}
