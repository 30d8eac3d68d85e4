package wire

// AccessChange is the new value of one access at the hub, or its removal.
// The hub publishes the changes of one batch (one import, all-or-nothing
// at the hub) and then an [InventoryCommit]; a receiver applies a batch
// only when it has read the commit.
type AccessChange struct {
	// Batch is the batch the change belongs to: the seq of its commit.
	Batch    uint64 `json:"batch"`
	AccessID string `json:"accessId"` // also the subject token
	Removed  bool   `json:"removed,omitempty"`
	// Access is the whole access; nil when Removed.
	Access *Access `json:"access,omitempty"`
}

// Kind is access.
func (*AccessChange) Kind() Kind { return KindAccess }

func (c *AccessChange) validate(v *validator) {
	if c.Batch == 0 {
		v.fail("batch", "must be above 0")
	}
	v.token("accessId", c.AccessID)
	switch {
	case c.Removed && c.Access != nil:
		v.fail("access", "present on a removal")
	case !c.Removed && c.Access == nil:
		v.fail("access", "missing")
	case c.Access != nil:
		if c.Access.AccessID != c.AccessID {
			v.fail("access.accessId", "%q is not the change's %q", clip(c.Access.AccessID), c.AccessID)
			return
		}
		c.Access.validate(v.in("access"))
	}
}

// Access is an access as the inventory holds it: the ON-API / PI-API 2.3
// access object with option82, dhcpIdentifier and the KO-internal fields.
// The wire checks only bounds; the receiver's inventory rules (the same an
// import applies) decide whether it is a good access.
type Access struct {
	AccessID            string          `json:"accessId"`
	LegacyAccessID      string          `json:"legacyAccessId,omitempty"`
	StreetName          string          `json:"streetName"`
	StreetNumber        string          `json:"streetNumber,omitempty"`
	StreetLittera       string          `json:"streetLittera,omitempty"`
	PostalCode          string          `json:"postalCode"`
	City                string          `json:"city"`
	CountryCode         string          `json:"countryCode"`
	PremisesType        string          `json:"premisesType"`
	MDUApartmentNumber  string          `json:"mduApartmentNumber,omitempty"`
	MDUDistinguisher    string          `json:"mduDistinguisher,omitempty"`
	Outlet              string          `json:"outlet,omitempty"`
	Population          string          `json:"population,omitempty"`
	Activatable         string          `json:"activatable"`
	Sellable            string          `json:"sellable"`
	FiberConverter      string          `json:"coFiberConverter,omitempty"`
	CPESwitch           string          `json:"coCpeSwitch,omitempty"`
	CPERouter           string          `json:"coCpeRouter,omitempty"`
	Option82            string          `json:"option82"`
	DHCPIdentifier      *DHCPIdentifier `json:"dhcpIdentifier,omitempty"`
	PortSpeedMbps       int             `json:"portSpeed,omitempty"`
	Media               string          `json:"media,omitempty"`
	IPTV                bool            `json:"iptv,omitempty"`
	RFoF                bool            `json:"rfof,omitempty"`
	PriceGroup          int             `json:"priceGroup,omitempty"`
	AccessState         string          `json:"accessState,omitempty"`
	NationalAddressUUID string          `json:"nationalAddressUUID,omitempty"`
	// CPECapacityMbps is what the KO's equipment on the access carries
	// (Atlas port_status's cpecapacity); added within version 1.
	CPECapacityMbps int `json:"cpeCapacity,omitempty"`
}

// DHCPIdentifier is ON-API's dhcpIdentifier.
type DHCPIdentifier struct {
	IPv4CircuitID string `json:"ipv4CircuitId,omitempty"`
	IPv4RemoteID  string `json:"ipv4RemoteId,omitempty"`
}

func (a *Access) validate(v *validator) {
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"legacyAccessId", a.LegacyAccessID, maxShort},
		{"streetName", a.StreetName, maxText},
		{"streetNumber", a.StreetNumber, maxShort},
		{"streetLittera", a.StreetLittera, maxShort},
		{"postalCode", a.PostalCode, maxShort},
		{"city", a.City, maxText},
		{"countryCode", a.CountryCode, maxShort},
		{"premisesType", a.PremisesType, maxShort},
		{"mduApartmentNumber", a.MDUApartmentNumber, maxShort},
		{"mduDistinguisher", a.MDUDistinguisher, maxText},
		{"outlet", a.Outlet, maxText},
		{"population", a.Population, maxText},
		{"activatable", a.Activatable, maxShort},
		{"sellable", a.Sellable, maxShort},
		{"coFiberConverter", a.FiberConverter, maxText},
		{"coCpeSwitch", a.CPESwitch, maxText},
		{"coCpeRouter", a.CPERouter, maxText},
		{"option82", a.Option82, maxText},
		{"media", a.Media, maxShort},
		{"accessState", a.AccessState, maxShort},
		{"nationalAddressUUID", a.NationalAddressUUID, maxShort},
	} {
		v.text(f.name, f.value, f.max)
	}
	if d := a.DHCPIdentifier; d != nil {
		v.text("dhcpIdentifier.ipv4CircuitId", d.IPv4CircuitID, maxText)
		v.text("dhcpIdentifier.ipv4RemoteId", d.IPv4RemoteID, maxText)
	}
	if a.PortSpeedMbps < 0 {
		v.fail("portSpeed", "negative")
	}
	if a.PriceGroup < 0 {
		v.fail("priceGroup", "negative")
	}
	if a.CPECapacityMbps < 0 {
		v.fail("cpeCapacity", "negative")
	}
}

// InventoryCommit ends a batch: every [AccessChange] of the batch (its seq)
// and of the origin's earlier batches precedes it on the stream.
type InventoryCommit struct {
	// Changes is the number of changes the batch published; a receiver
	// may read fewer, when later batches replaced some.
	Changes int `json:"changes"`
}

// Kind is inventory_commit.
func (*InventoryCommit) Kind() Kind { return KindInventoryCommit }

func (c *InventoryCommit) validate(v *validator) {
	if c.Changes < 0 {
		v.fail("changes", "negative")
	}
}
