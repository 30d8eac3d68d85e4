package cubit

import "regexp"

var (
	// industrialRe is a næringskode (SN2007): two digits, optionally a dot
	// and up to three more, e.g. "55.102".
	industrialRe = regexp.MustCompile(`^[0-9]{2}(\.[0-9]{1,3})?$`)
	// residentialRe is a bruksenhetsnummer: H, U, K or L, a two-digit
	// floor and a two-digit unit, e.g. H0101.
	residentialRe = regexp.MustCompile(`^[HUKL][0-9]{4}$`)
)

// CheckPlant checks a plant's shape: the seed's required fields
// (meteringPointId, consumptionCode, industrialClassification), formats,
// status values, dates, postal codes, WGS84 ranges and the names of the
// grid hierarchy. It returns the check-digit warnings and, when anything
// keeps it from being sent, a *ValidationError.
//
// connectedDate can only be checked as a date here: that Cubit refuses to
// move a stored connectedDate later is known only to Cubit.
func (r Rules) CheckPlant(p Plant) ([]Warning, error) {
	c := &checker{r: r}
	switch s := p.MeteringPointID; {
	case s == "":
		c.problem("meteringPointId", "is required")
	case !allDigits(s, 18):
		c.problem("meteringPointId", "%q is not 18 digits", s)
	case !ValidGSRN(s):
		c.warn("meteringPointId", CheckGSRN, "the GS1 check digit of the metering point id does not hold")
	}
	if p.ConsumptionCode <= 0 {
		c.problem("consumptionCode", "is required (a whole number above 0)")
	}
	switch s := p.IndustrialClassification; {
	case s == "":
		c.problem("industrialClassification", "is required")
	case !industrialRe.MatchString(s):
		c.problem("industrialClassification", "%q is not a næringskode like 55.102", s)
	}
	c.number("customerId", p.CustomerID, false)
	c.date("customerChangeFrom", p.CustomerChangeFrom, false)
	c.date("connectedDate", p.ConnectedDate, false)
	if n := p.BuildingCode; n != 0 && (n < 100 || n > 999) {
		c.problem("buildingCode", "%d is not a three-digit bygningstype code", n)
	}
	switch p.Status {
	case "", StatusEnergised, StatusInactive, StatusTerminated:
	default:
		c.problem("status", "%q is not %s, %s or %s", p.Status, StatusEnergised, StatusInactive, StatusTerminated)
	}
	for _, f := range []struct{ name, v string }{
		{"plantId", p.PlantID}, {"searchCategory", p.SearchCategory}, {"description", p.Description},
		{"externalPlantNumber", p.ExternalPlantNumber},
	} {
		c.text(f.name, f.v, false)
	}
	c.plantAddress(p.Address)
	if m := p.Meter; m != nil {
		c.text("meter.meterNumber", m.MeterNumber, false)
		c.text("meter.supplier", m.Supplier, false)
		c.text("meter.modell", m.Model, false)
	}
	c.technicalData(p.TechnicalData)
	c.nonNegative("builtByElCompanyId", p.BuiltByElCompanyID)
	if a := p.AuditSpecificInfo; a != nil {
		c.text("auditSpecificInfo.plantType", a.PlantType, false)
		c.nonNegative("auditSpecificInfo.inspectionArea", a.InspectionArea)
		c.nonNegative("auditSpecificInfo.riskCategoryGroup", a.RiskCategoryGroup)
		c.nonNegative("auditSpecificInfo.inspectionRate", a.InspectionRate)
	}
	c.location("location", p.Location)
	c.hierarchy(p.ConnectionPoint)
	return c.result(KindPlant)
}

func (c *checker) plantAddress(a *PlantAddress) {
	if a == nil {
		return
	}
	c.text("address.addressText", a.AddressText, true)
	c.postalCode("address.postalCode", a.PostalCode)
	c.text("address.floor", a.Floor, false)
	c.text("address.apartmentNumber", a.ApartmentNumber, false)
	c.nonNegative("address.holdingNumber", a.HoldingNumber)
	c.nonNegative("address.subHoldingNumber", a.SubHoldingNumber)
	c.nonNegative("address.leaseNumber", a.LeaseNumber)
	c.nonNegative("address.sectionNumber", a.SectionNumber)
	if s := a.ResidentialNumber; s != "" && !residentialRe.MatchString(s) {
		c.problem("address.residentialNumber", "%q is not a bruksenhetsnummer like H0101", s)
	}
}

func (c *checker) technicalData(t *TechnicalData) {
	if t == nil {
		return
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"mainCircuitBreakerCurrent", t.MainCircuitBreakerCurrent}, {"mainCircuitBreakerPhase", t.MainCircuitBreakerPhase},
		{"mainCircuitBreakerAmps", t.MainCircuitBreakerAmps}, {"mainCircuitBreakerVoltage", t.MainCircuitBreakerVoltage},
		{"overLoadAmps", t.OverLoadAmps}, {"overLoadPhase", t.OverLoadPhase},
		{"shortCircuitProtectionAmps", t.ShortCircuitProtectionAmps}, {"shortCircuitProtectionPhase", t.ShortCircuitProtectionPhase},
		{"IO", t.IO},
	} {
		c.nonNegative("technicalData."+f.name, f.v)
	}
	c.text("technicalData.earthingSystem", t.EarthingSystem, false)
	c.text("technicalData.connectionType", t.ConnectionType, false)
}

// hierarchy checks connectionPoint → transformer → netStation: each node
// given needs its name (the key), and its address and location the same
// rules as the plant's.
func (c *checker) hierarchy(cp *ConnectionPoint) {
	if cp == nil {
		return
	}
	c.node("connectionPoint", cp.Name, cp.Address, cp.Location)
	if t := cp.Transformer; t != nil {
		c.node("connectionPoint.transformer", t.Name, t.Address, t.Location)
		if n := t.NetStation; n != nil {
			c.node("connectionPoint.transformer.netStation", n.Name, n.Address, n.Location)
		}
	}
}

func (c *checker) node(path, name string, a *NodeAddress, l *Location) {
	if name == "" {
		c.problem(path+".name", "is required: it is the key of the node")
	}
	c.text(path+".name", name, false)
	if a != nil {
		c.text(path+".address.addressText", a.AddressText, true)
		c.postalCode(path+".address.postalCode", a.PostalCode)
	}
	c.location(path+".location", l)
}
