package cubit

// Customer is the body of POST /api/import/{environment}/customer and the
// answer of GET /api/customer/environment/{environment}/bynumber/{number}.
// Keys are spelled as the seed's example spells them (PascalCase).
type Customer struct {
	// Number is the key of the customer: a personal number (fødselsnummer,
	// 11 digits) for a person, an organisation number (9 digits) for a
	// company, or the format agreed with Cubit (Config.NumberFormat).
	Number    string `json:"Number"`
	FirstName string `json:"FirstName,omitempty"`
	// LastName is the surname, or a company's name.
	LastName string           `json:"LastName,omitempty"`
	Address  *CustomerAddress `json:"Address,omitempty"`
	Email    string           `json:"Email,omitempty"`
	Phone    string           `json:"Phone,omitempty"`
	// BirthDate (YYYY-MM-DD) is for persons, OrganizationNumber for
	// companies.
	BirthDate                     string `json:"BirthDate,omitempty"`
	OrganizationNumber            string `json:"OrganizationNumber,omitempty"`
	AcceptElectronicCommunication bool   `json:"AcceptElectronicCommunication"`
}

// CustomerAddress is the customer's postal (contact) address. AddressText
// is the whole address as text; "\n" separates lines.
type CustomerAddress struct {
	AddressText string `json:"AddressText"`
	// PostalCode is four digits for a Norwegian address, kept as a string
	// so that 0485 keeps its leading zero.
	PostalCode string `json:"PostalCode,omitempty"`
	// ForeignCity and Country (ISO 3166-1 alpha-2) are set for a foreign
	// address only.
	ForeignCity string `json:"ForeignCity,omitempty"`
	Country     string `json:"Country,omitempty"`
}

// Plant statuses, as the seed's field list spells them (its example's
// "Spennnigsatt" is a typo).
const (
	StatusEnergised  = "Spenningsatt" // an active plant
	StatusInactive   = "Inaktivt"     // temporarily inactive
	StatusTerminated = "Terminert"    // no longer to be used
)

// Plant (anlegg) is the body of POST /api/import/{environment}/plant and
// the answer of GET /api/plant/{environment}/getDataForImport/{id}. Keys are
// camelCase as the seed's field list spells them. Whole numbers that the
// seed writes as JSON numbers are ints; 0 means "not given" and is left
// out.
type Plant struct {
	// CustomerChangeFrom (YYYY-MM-DD) dates a change of customer that does
	// not apply from today.
	CustomerChangeFrom string `json:"customerChangeFrom,omitempty"`
	// CustomerID is the Number of the plant's customer; empty leaves the
	// plant without a customer.
	CustomerID string `json:"customerId,omitempty"`
	// MeteringPointID is the plant's key: the 18-digit EAN/GSRN metering
	// point id. Required.
	MeteringPointID string `json:"meteringPointId"`
	PlantID         string `json:"plantId,omitempty"`
	SearchCategory  string `json:"searchCategory,omitempty"`
	// ConsumptionCode (forbrukskode) is required.
	ConsumptionCode int `json:"consumptionCode"`
	// IndustrialClassification (næringskode, e.g. "55.102") is required.
	IndustrialClassification string `json:"industrialClassification"`
	BuildingCode             int    `json:"buildingCode,omitempty"`
	// ConnectedDate (YYYY-MM-DD) is when the plant was first connected.
	// Once set in Cubit it cannot be removed or moved later.
	ConnectedDate string `json:"connectedDate,omitempty"`
	// Status is one of StatusEnergised, StatusInactive, StatusTerminated.
	Status              string             `json:"status,omitempty"`
	Address             *PlantAddress      `json:"address,omitempty"`
	Meter               *Meter             `json:"meter,omitempty"`
	Description         string             `json:"description,omitempty"`
	ExternalPlantNumber string             `json:"externalPlantNumber,omitempty"`
	TechnicalData       *TechnicalData     `json:"technicalData,omitempty"`
	BuiltByElCompanyID  int                `json:"builtByElCompanyId,omitempty"`
	AuditSpecificInfo   *AuditSpecificInfo `json:"auditSpecificInfo,omitempty"`
	Location            *Location          `json:"location,omitempty"`
	// ConnectionPoint places the plant in the grid: netStation →
	// transformer → connectionPoint → meteringPoint, each keyed by name and
	// created by Cubit when missing.
	ConnectionPoint *ConnectionPoint `json:"connectionPoint,omitempty"`
}

// PlantAddress is where the plant is.
type PlantAddress struct {
	AddressText string `json:"addressText,omitempty"`
	// PostalCode is four digits, kept as a string (the seed's example
	// writes 0485 as a number, which is not JSON).
	PostalCode      string `json:"postalCode,omitempty"`
	Floor           string `json:"floor,omitempty"`
	ApartmentNumber string `json:"apartmentNumber,omitempty"`
	// HoldingNumber (gårdsnummer), SubHoldingNumber (bruksnummer),
	// LeaseNumber (festenummer), SectionNumber (seksjonsnummer).
	HoldingNumber    int `json:"holdingNumber,omitempty"`
	SubHoldingNumber int `json:"subHoldingNumber,omitempty"`
	LeaseNumber      int `json:"leaseNumber,omitempty"`
	SectionNumber    int `json:"sectionNumber,omitempty"`
	// ResidentialNumber is the bruksenhetsnummer, e.g. H0101.
	ResidentialNumber string `json:"residentialNumber,omitempty"`
}

// Meter is the plant's meter. "modell" is spelled as the seed spells it.
type Meter struct {
	MeterNumber string `json:"meterNumber,omitempty"`
	Supplier    string `json:"supplier,omitempty"`
	Model       string `json:"modell,omitempty"`
}

// TechnicalData is the plant's electrical data.
type TechnicalData struct {
	MainCircuitBreakerCurrent   int    `json:"mainCircuitBreakerCurrent,omitempty"`
	MainCircuitBreakerPhase     int    `json:"mainCircuitBreakerPhase,omitempty"`
	MainCircuitBreakerAmps      int    `json:"mainCircuitBreakerAmps,omitempty"`
	MainCircuitBreakerVoltage   int    `json:"mainCircuitBreakerVoltage,omitempty"`
	OverLoadAmps                int    `json:"overLoadAmps,omitempty"`
	OverLoadPhase               int    `json:"overLoadPhase,omitempty"`
	ShortCircuitProtectionAmps  int    `json:"shortCircuitProtectionAmps,omitempty"`
	ShortCircuitProtectionPhase int    `json:"shortCircuitProtectionPhase,omitempty"`
	IO                          int    `json:"IO,omitempty"` // not in use
	EarthingSystem              string `json:"earthingSystem,omitempty"`
	ConnectionType              string `json:"connectionType,omitempty"`
}

// AuditSpecificInfo overrides what Cubit derives from the consumption and
// industrial codes (honoured again since 14/4/25).
type AuditSpecificInfo struct {
	PlantType         string `json:"plantType,omitempty"`
	InspectionArea    int    `json:"inspectionArea,omitempty"`
	RiskCategoryGroup int    `json:"riskCategoryGroup,omitempty"`
	InspectionRate    int    `json:"inspectionRate,omitempty"`
}

// Location is a WGS84 position in decimal degrees.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// NodeAddress is the address of a node of the grid hierarchy (not in use
// by Cubit yet, but accepted).
type NodeAddress struct {
	AddressText string `json:"addressText,omitempty"`
	PostalCode  string `json:"postalCode,omitempty"`
}

// ConnectionPoint (tilknytningspunkt) is keyed by Name.
type ConnectionPoint struct {
	Name        string       `json:"name"`
	Address     *NodeAddress `json:"address,omitempty"`
	Location    *Location    `json:"location,omitempty"`
	Transformer *Transformer `json:"transformer,omitempty"`
}

// Transformer is keyed by Name.
type Transformer struct {
	Name       string       `json:"name"`
	Address    *NodeAddress `json:"address,omitempty"`
	Location   *Location    `json:"location,omitempty"`
	NetStation *NetStation  `json:"netStation,omitempty"`
}

// NetStation (nettstasjon) is keyed by Name.
type NetStation struct {
	Name     string       `json:"name"`
	Address  *NodeAddress `json:"address,omitempty"`
	Location *Location    `json:"location,omitempty"`
}
