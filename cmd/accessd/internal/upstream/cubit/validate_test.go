package cubit

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// seedCustomer is the seed's customer example, as valid data.
func seedCustomer() Customer {
	return Customer{
		Number: seedNumber, FirstName: "Ola", LastName: "Normann",
		Address: &CustomerAddress{AddressText: "Testveien 24", PostalCode: "0484", ForeignCity: "Stockholm", Country: "SE"},
		Email:   "ola.normann@test.com", Phone: "40506070", BirthDate: "1982-01-01",
		OrganizationNumber: seedOrgNumber, AcceptElectronicCommunication: true,
	}
}

// seedPlant is the seed's plant example, as valid data: status spelt as
// the field list spells it, the postal code a string, the customer the
// seed's customer (its "1234567" is neither 11 nor 9 digits), and the
// hierarchy's coordinates in the right order.
func seedPlant() Plant {
	loc := &Location{Latitude: 59.911491, Longitude: 10.757933}
	return Plant{
		CustomerChangeFrom: "2020-01-01", CustomerID: seedNumber, MeteringPointID: seedMeteringPointID,
		PlantID: "123456", SearchCategory: "123456", ConsumptionCode: 23, IndustrialClassification: "55.102",
		BuildingCode: 114, ConnectedDate: "1989-01-01", Status: StatusEnergised,
		Address: &PlantAddress{AddressText: "Testveien 8", PostalCode: "0485", Floor: "1", ApartmentNumber: "1",
			HoldingNumber: 35, SubHoldingNumber: 108, LeaseNumber: 2, SectionNumber: 5, ResidentialNumber: "H0101"},
		Meter:               &Meter{MeterNumber: "7359992893145468", Supplier: "Målerleverandør AS", Model: "ML2784"},
		Description:         "New description",
		ExternalPlantNumber: "ExternalId",
		TechnicalData: &TechnicalData{MainCircuitBreakerCurrent: 230, MainCircuitBreakerPhase: 3, MainCircuitBreakerAmps: 80,
			MainCircuitBreakerVoltage: 400, OverLoadAmps: 30, OverLoadPhase: 3, ShortCircuitProtectionAmps: 400,
			ShortCircuitProtectionPhase: 3, EarthingSystem: "xxx", ConnectionType: "xxx"},
		BuiltByElCompanyID: 12345,
		Location:           loc,
		ConnectionPoint: &ConnectionPoint{Name: "6293115", Address: &NodeAddress{AddressText: "Averstadmoen 24", PostalCode: "2040"}, Location: loc,
			Transformer: &Transformer{Name: "TU2839-1", Address: &NodeAddress{AddressText: "Gamlevn.79", PostalCode: "2040"}, Location: loc,
				NetStation: &NetStation{Name: "Gamlevn.79", Address: &NodeAddress{AddressText: "Gamlevn.79", PostalCode: "2040"}, Location: loc}}},
	}
}

func TestSeedExamplesWarnByDefault(t *testing.T) {
	r := Rules{}
	ws, err := r.CheckCustomer(seedCustomer())
	if err != nil {
		t.Fatalf("CheckCustomer(seed): %v", err)
	}
	want := []Warning{
		{Field: "Number", Check: CheckFodselsnummer, Message: "the mod-11 check digits of the personal number (fødselsnummer) do not hold"},
		{Field: "OrganizationNumber", Check: CheckOrganisasjonsnummer, Message: "the mod-11 check digit of the organisation number does not hold"},
	}
	if d := cmp.Diff(want, ws); d != "" {
		t.Errorf("customer warnings (-want +got):\n%s", d)
	}
	ws, err = r.CheckPlant(seedPlant())
	if err != nil {
		t.Fatalf("CheckPlant(seed): %v", err)
	}
	want = []Warning{
		{Field: "meteringPointId", Check: CheckGSRN, Message: "the GS1 check digit of the metering point id does not hold"},
		{Field: "customerId", Check: CheckFodselsnummer, Message: "the mod-11 check digits of the personal number (fødselsnummer) do not hold"},
	}
	if d := cmp.Diff(want, ws); d != "" {
		t.Errorf("plant warnings (-want +got):\n%s", d)
	}
	cu := seedCustomer()
	cu.Number = seedOrgNumber // a company keyed by its organisation number
	if ws, err := r.CheckCustomer(cu); err != nil || len(ws) != 2 || ws[0].Check != CheckOrganisasjonsnummer {
		t.Errorf("CheckCustomer(orgnr key) = %v, %v; want two organisasjonsnummer warnings", ws, err)
	}
}

func TestSeedExamplesRefusedWhenStrict(t *testing.T) {
	r := Rules{Strict: true}
	_, err := r.CheckCustomer(seedCustomer())
	var ve *ValidationError
	if !errors.As(err, &ve) || !ve.Permanent() || len(ve.Problems) != 2 {
		t.Fatalf("strict CheckCustomer(seed) = %v; want a permanent ValidationError with 2 problems", err)
	}
	if strings.Contains(err.Error(), seedNumber) {
		t.Errorf("the error %q quotes the personal number", err)
	}
	if _, err := r.CheckPlant(seedPlant()); !errors.As(err, &ve) || len(ve.Problems) != 2 {
		t.Errorf("strict CheckPlant(seed) = %v; want 2 problems", err)
	}
	good := seedCustomer()
	good.Number, good.OrganizationNumber = goodNumber, goodOrgNumber
	if ws, err := r.CheckCustomer(good); err != nil || len(ws) != 0 {
		t.Errorf("strict CheckCustomer(good numbers) = %v, %v", ws, err)
	}
	p := seedPlant()
	p.MeteringPointID, p.CustomerID = goodMeteringPointID, goodNumber
	if ws, err := r.CheckPlant(p); err != nil || len(ws) != 0 {
		t.Errorf("strict CheckPlant(good numbers) = %v, %v", ws, err)
	}
}

func TestCheckCustomerProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Customer)
		want []Problem
	}{
		{"no number", func(c *Customer) { c.Number = "" }, []Problem{{"Number", "is required"}}},
		{"short number", func(c *Customer) { c.Number = "1234567" },
			[]Problem{{"Number", "is neither 11 digits (a personal number) nor 9 digits (an organisation number)"}}},
		{"bad birth date", func(c *Customer) { c.BirthDate = "1982-02-30" }, []Problem{{"BirthDate", "is not a date YYYY-MM-DD"}}},
		{"e-mail", func(c *Customer) { c.Email = "ola at test" }, []Problem{{"Email", "is not an e-mail address"}}},
		{"phone", func(c *Customer) { c.Phone = "40-50-60" }, []Problem{{"Phone", "is not a phone number (digits, an optional leading +, spaces)"}}},
		{"org number", func(c *Customer) { c.OrganizationNumber = "95112312" }, []Problem{{"OrganizationNumber", "is not 9 digits"}}},
		{"norwegian postal code", func(c *Customer) { c.Address = &CustomerAddress{AddressText: "Testveien 24", PostalCode: "485"} },
			[]Problem{{"Address.PostalCode", `"485" is not a Norwegian postal code of four digits`}}},
		{"foreign city missing", func(c *Customer) { c.Address.ForeignCity = "" },
			[]Problem{{"Address.ForeignCity", `is required for a foreign address (Country "SE")`}}},
		{"country missing", func(c *Customer) { c.Address.Country = "" },
			[]Problem{{"Address.Country", "is required, and not NO, when ForeignCity is given"}}},
		{"country code", func(c *Customer) { c.Address.Country = "XX" },
			[]Problem{{"Address.Country", `"XX" is not an ISO 3166-1 alpha-2 country code`}}},
		{"control character", func(c *Customer) { c.FirstName = "Ola\x00" }, []Problem{{"FirstName", "contains the control character U+0000"}}},
		{"multiline address", func(c *Customer) { c.Address.AddressText = "Testveien 24\nOppgang B" }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cu := seedCustomer()
			cu.Number, cu.OrganizationNumber = goodNumber, goodOrgNumber
			tc.edit(&cu)
			_, err := Rules{}.CheckCustomer(cu)
			var got []Problem
			var ve *ValidationError
			if errors.As(err, &ve) {
				got = ve.Problems
			} else if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("problems (-want +got):\n%s", d)
			}
		})
	}
}

func TestCheckPlantProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Plant)
		want []Problem
	}{
		{"seed's status typo", func(p *Plant) { p.Status = "Spennnigsatt" },
			[]Problem{{"status", `"Spennnigsatt" is not Spenningsatt, Inaktivt or Terminert`}}},
		{"required", func(p *Plant) { p.MeteringPointID, p.ConsumptionCode, p.IndustrialClassification = "", 0, "" },
			[]Problem{{"meteringPointId", "is required"}, {"consumptionCode", "is required (a whole number above 0)"}, {"industrialClassification", "is required"}}},
		{"metering point digits", func(p *Plant) { p.MeteringPointID = "70705750002639273" },
			[]Problem{{"meteringPointId", `"70705750002639273" is not 18 digits`}}},
		{"seed's customerId", func(p *Plant) { p.CustomerID = "1234567" },
			[]Problem{{"customerId", "is neither 11 digits (a personal number) nor 9 digits (an organisation number)"}}},
		{"no customer", func(p *Plant) { p.CustomerID = "" }, nil},
		{"dates", func(p *Plant) { p.ConnectedDate, p.CustomerChangeFrom = "01.01.1989", "2020-1-1" },
			[]Problem{{"customerChangeFrom", `"2020-1-1" is not a date YYYY-MM-DD`}, {"connectedDate", `"01.01.1989" is not a date YYYY-MM-DD`}}},
		{"næringskode", func(p *Plant) { p.IndustrialClassification = "55,102" },
			[]Problem{{"industrialClassification", `"55,102" is not a næringskode like 55.102`}}},
		{"building code", func(p *Plant) { p.BuildingCode = 14 }, []Problem{{"buildingCode", "14 is not a three-digit bygningstype code"}}},
		{"postal code", func(p *Plant) { p.Address.PostalCode = "485" },
			[]Problem{{"address.postalCode", `"485" is not a Norwegian postal code of four digits`}}},
		{"residential number", func(p *Plant) { p.Address.ResidentialNumber = "0101" },
			[]Problem{{"address.residentialNumber", `"0101" is not a bruksenhetsnummer like H0101`}}},
		{"latitude", func(p *Plant) { p.Location = &Location{Latitude: 91, Longitude: math.NaN()} },
			[]Problem{{"location.latitude", "91 is outside WGS84's -90 to 90 degrees"}, {"location.longitude", "NaN is outside WGS84's -180 to 180 degrees"}}},
		{"node name", func(p *Plant) { p.ConnectionPoint.Transformer.NetStation.Name = "" },
			[]Problem{{"connectionPoint.transformer.netStation.name", "is required: it is the key of the node"}}},
		{"node location", func(p *Plant) { p.ConnectionPoint.Transformer.Location = &Location{Latitude: 10, Longitude: 190} },
			[]Problem{{"connectionPoint.transformer.location.longitude", "190 is outside WGS84's -180 to 180 degrees"}}},
		{"negative", func(p *Plant) { p.TechnicalData.OverLoadAmps = -1 }, []Problem{{"technicalData.overLoadAmps", "-1 is negative"}}},
		{"hierarchy optional", func(p *Plant) { p.ConnectionPoint = nil }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := seedPlant()
			p.MeteringPointID, p.CustomerID = goodMeteringPointID, goodNumber
			tc.edit(&p)
			_, err := Rules{}.CheckPlant(p)
			var got []Problem
			var ve *ValidationError
			if errors.As(err, &ve) {
				got = ve.Problems
			} else if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("problems (-want +got):\n%s", d)
			}
		})
	}
}

func TestNumberFormat(t *testing.T) {
	r, err := NewRules(false, `K[0-9]{6}`)
	if err != nil {
		t.Fatal(err)
	}
	cu := Customer{Number: "K123456", LastName: "AS"}
	if ws, err := r.CheckCustomer(cu); err != nil || len(ws) != 0 {
		t.Errorf("agreed format: %v, %v", ws, err)
	}
	cu.Number = seedNumber // not the agreed format any more
	if _, err := r.CheckCustomer(cu); err == nil {
		t.Error("a number outside the agreed format was accepted")
	}
	cu.Number = "K123456x" // anchored: no partial match
	if _, err := r.CheckCustomer(cu); err == nil {
		t.Error("the format matched part of the value")
	}
	if _, err := NewRules(false, "("); err == nil {
		t.Error("a bad expression was accepted")
	}
}
