package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Plant is the power installation (Cubit's "anlegg") at an access, for a
// KO that belongs to a power utility: the optional "plant" object of the
// JSON inventory. Its keys, types and hierarchy are those of Cubit's plant
// import ("API for kunde og anlegg"): meteringPointId (the 18-digit EAN
// metering point id, the plant's key), the required consumptionCode and
// industrialClassification, and the grid hierarchy netStation →
// transformer → connectionPoint → the plant, each node keyed by name.
// accessd stores it with the access and pushes it to Cubit; no other API
// shows it. Whole numbers the import leaves at 0 are "not given".
type Plant struct {
	CustomerChangeFrom       string                `json:"customerChangeFrom,omitempty"`
	CustomerID               string                `json:"customerId,omitempty"`
	MeteringPointID          string                `json:"meteringPointId"`
	PlantID                  string                `json:"plantId,omitempty"`
	SearchCategory           string                `json:"searchCategory,omitempty"`
	ConsumptionCode          int                   `json:"consumptionCode"`
	IndustrialClassification string                `json:"industrialClassification"`
	BuildingCode             int                   `json:"buildingCode,omitempty"`
	ConnectedDate            string                `json:"connectedDate,omitempty"`
	Status                   string                `json:"status,omitempty"`
	Address                  *PlantAddress         `json:"address,omitempty"`
	Meter                    *PlantMeter           `json:"meter,omitempty"`
	Description              string                `json:"description,omitempty"`
	ExternalPlantNumber      string                `json:"externalPlantNumber,omitempty"`
	TechnicalData            *PlantTechnicalData   `json:"technicalData,omitempty"`
	BuiltByElCompanyID       int                   `json:"builtByElCompanyId,omitempty"`
	AuditSpecificInfo        *PlantAudit           `json:"auditSpecificInfo,omitempty"`
	Location                 *PlantLocation        `json:"location,omitempty"`
	ConnectionPoint          *PlantConnectionPoint `json:"connectionPoint,omitempty"`
}

// PlantAddress is where the plant is; postalCode is a four-digit string.
type PlantAddress struct {
	AddressText       string `json:"addressText,omitempty"`
	PostalCode        string `json:"postalCode,omitempty"`
	Floor             string `json:"floor,omitempty"`
	ApartmentNumber   string `json:"apartmentNumber,omitempty"`
	HoldingNumber     int    `json:"holdingNumber,omitempty"`
	SubHoldingNumber  int    `json:"subHoldingNumber,omitempty"`
	LeaseNumber       int    `json:"leaseNumber,omitempty"`
	SectionNumber     int    `json:"sectionNumber,omitempty"`
	ResidentialNumber string `json:"residentialNumber,omitempty"`
}

// PlantMeter is the plant's meter ("modell" as the seed spells it).
type PlantMeter struct {
	MeterNumber string `json:"meterNumber,omitempty"`
	Supplier    string `json:"supplier,omitempty"`
	Model       string `json:"modell,omitempty"`
}

// PlantTechnicalData is the plant's electrical data.
type PlantTechnicalData struct {
	MainCircuitBreakerCurrent   int    `json:"mainCircuitBreakerCurrent,omitempty"`
	MainCircuitBreakerPhase     int    `json:"mainCircuitBreakerPhase,omitempty"`
	MainCircuitBreakerAmps      int    `json:"mainCircuitBreakerAmps,omitempty"`
	MainCircuitBreakerVoltage   int    `json:"mainCircuitBreakerVoltage,omitempty"`
	OverLoadAmps                int    `json:"overLoadAmps,omitempty"`
	OverLoadPhase               int    `json:"overLoadPhase,omitempty"`
	ShortCircuitProtectionAmps  int    `json:"shortCircuitProtectionAmps,omitempty"`
	ShortCircuitProtectionPhase int    `json:"shortCircuitProtectionPhase,omitempty"`
	IO                          int    `json:"IO,omitempty"`
	EarthingSystem              string `json:"earthingSystem,omitempty"`
	ConnectionType              string `json:"connectionType,omitempty"`
}

// PlantAudit overrides what Cubit derives from the codes.
type PlantAudit struct {
	PlantType         string `json:"plantType,omitempty"`
	InspectionArea    int    `json:"inspectionArea,omitempty"`
	RiskCategoryGroup int    `json:"riskCategoryGroup,omitempty"`
	InspectionRate    int    `json:"inspectionRate,omitempty"`
}

// PlantLocation is a WGS84 position in decimal degrees.
type PlantLocation struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// PlantNodeAddress is the address of a node of the grid hierarchy.
type PlantNodeAddress struct {
	AddressText string `json:"addressText,omitempty"`
	PostalCode  string `json:"postalCode,omitempty"`
}

// PlantConnectionPoint (tilknytningspunkt) is keyed by Name.
type PlantConnectionPoint struct {
	Name        string            `json:"name"`
	Address     *PlantNodeAddress `json:"address,omitempty"`
	Location    *PlantLocation    `json:"location,omitempty"`
	Transformer *PlantTransformer `json:"transformer,omitempty"`
}

// PlantTransformer is keyed by Name.
type PlantTransformer struct {
	Name       string            `json:"name"`
	Address    *PlantNodeAddress `json:"address,omitempty"`
	Location   *PlantLocation    `json:"location,omitempty"`
	NetStation *PlantNetStation  `json:"netStation,omitempty"`
}

// PlantNetStation (nettstasjon) is keyed by Name.
type PlantNetStation struct {
	Name     string            `json:"name"`
	Address  *PlantNodeAddress `json:"address,omitempty"`
	Location *PlantLocation    `json:"location,omitempty"`
}

// SamePlant reports whether a and b hold the same plant (both nil is the
// same).
func SamePlant(a, b *Plant) bool {
	if a == nil || b == nil {
		return a == b
	}
	ja, _ := json.Marshal(a) // a Plant always marshals
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// DecodePlant decodes a plant's JSON strictly: an unknown key or a value
// of the wrong type is an error naming the key (Cubit's key spelling; keys
// match in any case, as Cubit binds them). It does not validate.
func DecodePlant(b []byte) (*Plant, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Plant
	if err := dec.Decode(&p); err != nil {
		return nil, plantDecodeError(err)
	}
	if dec.More() {
		return nil, &PlantError{Message: "data after the plant object"}
	}
	return &p, nil
}

// PlantError is a fault of a plant: Field is the key path inside the
// plant ("address.postalCode"), Offset the byte offset in its JSON when
// known (else -1).
type PlantError struct {
	Field   string
	Offset  int64
	Message string
}

func (e *PlantError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

var unknownFieldRe = regexp.MustCompile(`^json: unknown field "(.*)"$`)

func plantDecodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &PlantError{Field: te.Field, Offset: te.Offset, Message: fmt.Sprintf("must be %s, not %s", goKind(te.Type.Kind().String()), te.Value)}
	}
	if m := unknownFieldRe.FindStringSubmatch(err.Error()); m != nil {
		return &PlantError{Field: m[1], Offset: -1, Message: "unknown key (Cubit's plant import has no such field)"}
	}
	return &PlantError{Offset: -1, Message: err.Error()}
}

func goKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "int", "int64":
		return "a whole number"
	case "float64":
		return "a number"
	case "struct", "ptr":
		return "an object"
	}
	return k
}

var (
	industrialRe  = regexp.MustCompile(`^[0-9]{2}(\.[0-9]{1,3})?$`)
	residentialRe = regexp.MustCompile(`^[HUKL][0-9]{4}$`)
	customerIDRe  = regexp.MustCompile(`^[0-9A-Za-z-]{1,64}$`)
)

// The plant statuses of Cubit's field list.
var plantStatuses = []string{"Spenningsatt", "Inaktivt", "Terminert"}

// ValidatePlant checks a plant against the rules of Cubit's plant import
// that do not depend on the agreement with Cubit: the required fields,
// the 18-digit metering point id, ISO dates, four-digit postal codes,
// status values, WGS84 ranges, the names of the hierarchy and text
// without control characters. The customer number's format and the check
// digits are the Cubit client's business (they depend on its settings).
func ValidatePlant(p *Plant) []*PlantError {
	v := &plantValidator{}
	if !nDigits(p.MeteringPointID, 18) {
		v.add("meteringPointId", "is required: the 18-digit metering point id (EAN)")
	}
	if p.ConsumptionCode <= 0 {
		v.add("consumptionCode", "is required (a whole number above 0)")
	}
	if !industrialRe.MatchString(p.IndustrialClassification) {
		v.add("industrialClassification", "is required: a næringskode like 55.102")
	}
	if p.CustomerID != "" && !customerIDRe.MatchString(p.CustomerID) {
		v.add("customerId", "must be the customer's number (digits)")
	}
	v.date("customerChangeFrom", p.CustomerChangeFrom)
	v.date("connectedDate", p.ConnectedDate)
	if n := p.BuildingCode; n != 0 && (n < 100 || n > 999) {
		v.add("buildingCode", fmt.Sprintf("%d is not a three-digit bygningstype code", n))
	}
	if p.Status != "" && !contains(plantStatuses, p.Status) {
		v.add("status", fmt.Sprintf("%q is not %s", p.Status, strings.Join(plantStatuses, ", ")))
	}
	v.texts("", "plantId", p.PlantID, "searchCategory", p.SearchCategory, "description", p.Description,
		"externalPlantNumber", p.ExternalPlantNumber)
	if a := p.Address; a != nil {
		v.texts("address.", "addressText", a.AddressText, "floor", a.Floor, "apartmentNumber", a.ApartmentNumber)
		v.postal("address.postalCode", a.PostalCode)
		v.nonNegative("address.", "holdingNumber", a.HoldingNumber, "subHoldingNumber", a.SubHoldingNumber,
			"leaseNumber", a.LeaseNumber, "sectionNumber", a.SectionNumber)
		if s := a.ResidentialNumber; s != "" && !residentialRe.MatchString(s) {
			v.add("address.residentialNumber", fmt.Sprintf("%q is not a bruksenhetsnummer like H0101", s))
		}
	}
	if m := p.Meter; m != nil {
		v.texts("meter.", "meterNumber", m.MeterNumber, "supplier", m.Supplier, "modell", m.Model)
	}
	if t := p.TechnicalData; t != nil {
		v.nonNegative("technicalData.", "mainCircuitBreakerCurrent", t.MainCircuitBreakerCurrent,
			"mainCircuitBreakerPhase", t.MainCircuitBreakerPhase, "mainCircuitBreakerAmps", t.MainCircuitBreakerAmps,
			"mainCircuitBreakerVoltage", t.MainCircuitBreakerVoltage, "overLoadAmps", t.OverLoadAmps,
			"overLoadPhase", t.OverLoadPhase, "shortCircuitProtectionAmps", t.ShortCircuitProtectionAmps,
			"shortCircuitProtectionPhase", t.ShortCircuitProtectionPhase, "IO", t.IO)
		v.texts("technicalData.", "earthingSystem", t.EarthingSystem, "connectionType", t.ConnectionType)
	}
	v.nonNegative("", "builtByElCompanyId", p.BuiltByElCompanyID)
	if a := p.AuditSpecificInfo; a != nil {
		v.texts("auditSpecificInfo.", "plantType", a.PlantType)
		v.nonNegative("auditSpecificInfo.", "inspectionArea", a.InspectionArea, "riskCategoryGroup", a.RiskCategoryGroup,
			"inspectionRate", a.InspectionRate)
	}
	v.location("location", p.Location)
	if cp := p.ConnectionPoint; cp != nil {
		v.node("connectionPoint", cp.Name, cp.Address, cp.Location)
		if t := cp.Transformer; t != nil {
			v.node("connectionPoint.transformer", t.Name, t.Address, t.Location)
			if n := t.NetStation; n != nil {
				v.node("connectionPoint.transformer.netStation", n.Name, n.Address, n.Location)
			}
		}
	}
	return v.errs
}

type plantValidator struct{ errs []*PlantError }

func (v *plantValidator) add(field, msg string) {
	v.errs = append(v.errs, &PlantError{Field: field, Offset: -1, Message: msg})
}

func (v *plantValidator) date(field, s string) {
	if s == "" {
		return
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil || len(s) != len(time.DateOnly) {
		v.add(field, fmt.Sprintf("%q is not a date YYYY-MM-DD", s))
	}
}

func (v *plantValidator) postal(field, s string) {
	if s != "" && !nDigits(s, 4) {
		v.add(field, fmt.Sprintf("%q is not a Norwegian postal code: four digits, as a string", s))
	}
}

// texts checks name/value pairs of text fields under prefix.
func (v *plantValidator) texts(prefix string, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		s := kv[i+1]
		switch {
		case !utf8.ValidString(s):
			v.add(prefix+kv[i], "is not valid UTF-8")
		case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) >= 0:
			v.add(prefix+kv[i], "contains a control character")
		case utf8.RuneCountInString(s) > 1000:
			v.add(prefix+kv[i], "is longer than 1000 characters")
		}
	}
}

// nonNegative checks name/value pairs of whole numbers under prefix.
func (v *plantValidator) nonNegative(prefix string, kv ...any) {
	for i := 0; i+1 < len(kv); i += 2 {
		if n := kv[i+1].(int); n < 0 {
			v.add(prefix+kv[i].(string), fmt.Sprintf("%d is negative", n))
		}
	}
}

func (v *plantValidator) location(field string, l *PlantLocation) {
	if l == nil {
		return
	}
	if math.IsNaN(l.Latitude) || l.Latitude < -90 || l.Latitude > 90 {
		v.add(field+".latitude", strconv.FormatFloat(l.Latitude, 'g', -1, 64)+" is outside WGS84's -90 to 90 degrees")
	}
	if math.IsNaN(l.Longitude) || l.Longitude < -180 || l.Longitude > 180 {
		v.add(field+".longitude", strconv.FormatFloat(l.Longitude, 'g', -1, 64)+" is outside WGS84's -180 to 180 degrees")
	}
}

func (v *plantValidator) node(path, name string, a *PlantNodeAddress, l *PlantLocation) {
	if strings.TrimSpace(name) == "" {
		v.add(path+".name", "is required: it is the key of the node")
	}
	v.texts(path+".", "name", name)
	if a != nil {
		v.texts(path+".address.", "addressText", a.AddressText)
		v.postal(path+".address.postalCode", a.PostalCode)
	}
	v.location(path+".location", l)
}

func nDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
