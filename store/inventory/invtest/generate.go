// Package invtest generates realistic, valid and unique inventories for the
// tests and benchmarks of accessd's packages: Swedish addresses, apartment
// buildings with Lantmäteriet apartment numbers, houses, commercial and
// public premises, a mix of Sellable/Activatable values covering every state
// of the sellability table, and Option82 texts "SWITCH_IP PORT" with 48 ports
// per switch.
//
// The output depends only on n and seed. AccessId, Option82 and
// dhcpIdentifier depend only on the position in the inventory, so two
// inventories of different seeds describe the same ports with different
// addresses and states: importing one over the other updates every access.
package invtest

import (
	"io"
	"iter"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/stadsnat/accessd/store/inventory"
)

// PortsPerSwitch is the number of access ports per generated switch.
const PortsPerSwitch = 48

// Generate returns n valid, unique accesses generated from seed.
func Generate(n int, seed uint64) []inventory.Access {
	out := make([]inventory.Access, 0, n)
	for a := range All(n, seed) {
		out = append(out, a)
	}
	return out
}

// All yields the accesses of Generate(n, seed) one by one, without building
// a slice.
func All(n int, seed uint64) iter.Seq[inventory.Access] {
	return func(yield func(inventory.Access) bool) {
		g := newGenerator(seed)
		for i := range n {
			if !yield(g.access(i)) {
				return
			}
		}
	}
}

// WriteCSV writes Generate(n, seed) to w in the CSV format with every
// column of inventory.ExtendedCSVColumns.
func WriteCSV(w io.Writer, n int, seed uint64) error {
	return inventory.WriteCSV(w, All(n, seed), inventory.ExtendedCSVColumns()...)
}

// WriteJSON writes Generate(n, seed) to w as a JSON array.
func WriteJSON(w io.Writer, n int, seed uint64) error {
	return inventory.WriteJSON(w, All(n, seed))
}

// SwitchAddress returns the management address of generated switch s
// (0-based): 10.20.0.1, 10.20.0.2, … 10.20.0.250, 10.20.1.1, …
func SwitchAddress(s int) string {
	return "10." + strconv.Itoa(20+s/62500) + "." + strconv.Itoa(s/250%250) + "." + strconv.Itoa(s%250+1)
}

// PortName returns the name of port p (0-based) of a generated switch.
func PortName(p int) string { return "ge-0/0/" + strconv.Itoa(p) }

// AccessID returns the AccessId of the access at position i.
func AccessID(i int) string {
	s := strconv.Itoa(i)
	if len(s) < 8 {
		s = "00000000"[len(s):] + s
	}
	return "GEN" + s
}

// streets, cities: text tables split once per generator.
const (
	streetList = "Storgatan|Kungsgatan|Drottninggatan|Vasagatan|Skolgatan|Kyrkogatan|Järnvägsgatan|" +
		"Parkvägen|Björkvägen|Ekvägen|Tallvägen|Granvägen|Lindvägen|Lönnvägen|Rönnvägen|Sjövägen|" +
		"Strandvägen|Ängsvägen|Backvägen|Skogsvägen|Industrigatan|Hantverkargatan|Fabriksgatan|" +
		"Nygatan|Västra Hamngatan|Östra Långgatan|Södra vägen|Norra Allén|Tegelbruksvägen|" +
		"Smedjegatan|Prästgårdsvägen|Mejerivägen|Kvarngatan|Bryggaregatan|Trädgårdsgatan|" +
		"Solrosvägen|Blåklintsvägen|Vitsippsvägen|Hagavägen|Ringvägen"
	// city:first-last postal code prefix (three digits)
	cityList = "Göteborg:411-427|Stockholm:111-129|Malmö:211-218|Uppsala:752-757|Västerås:721-725|" +
		"Örebro:702-703|Linköping:582-589|Umeå:903-907|Luleå:971-977|Sundsvall:852-857|" +
		"Borås:503-507|Karlstad:652-656|Växjö:352-355|Halmstad:302-305|Falun:791-791"
	equipmentRouters  = "Zyxel VMG8825-T50|Inteno EG400|Netgear R7000|TP-Link Archer C6"
	equipmentSwitches = "Zyxel GS1200-5|Netgear GS105|D-Link DGS-105"
	converters        = "Zyxel MC100FX|LASER_3001X_MK2|Transition M/GE-PSW-SX-01"
)

type city struct {
	name   string
	lo, hi int // postal code prefixes
}

// generator builds accesses one after the other, walking through buildings.
type generator struct {
	rng       *rand.Rand
	streets   []string
	cities    []city
	routers   []string
	switches  []string
	converter []string
	b         building
}

// building is the premises being filled: an apartment building yields one
// access per apartment (and perhaps a common room), others one access.
type building struct {
	left       int // accesses still to give
	kind       inventory.PremisesType
	street     string
	number     string
	littera    string
	postal     string
	city       string
	population string
	perFloor   int
	apartment  int // apartments given so far
	common     bool
}

func newGenerator(seed uint64) *generator {
	g := &generator{
		rng:       rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		streets:   strings.Split(streetList, "|"),
		routers:   strings.Split(equipmentRouters, "|"),
		switches:  strings.Split(equipmentSwitches, "|"),
		converter: strings.Split(converters, "|"),
	}
	for _, c := range strings.Split(cityList, "|") {
		name, rng, _ := strings.Cut(c, ":")
		lo, hi, _ := strings.Cut(rng, "-")
		l, _ := strconv.Atoi(lo)
		h, _ := strconv.Atoi(hi)
		g.cities = append(g.cities, city{name, l, h})
	}
	return g
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// newBuilding chooses the next premises.
func (g *generator) newBuilding() {
	c := g.cities[g.rng.IntN(len(g.cities))]
	b := building{
		street:     g.pick(g.streets),
		number:     strconv.Itoa(1 + g.rng.IntN(150)),
		city:       c.name,
		postal:     strconv.Itoa(c.lo+g.rng.IntN(c.hi-c.lo+1)) + twoDigits(g.rng.IntN(100)),
		population: "Etapp " + strconv.Itoa(1+g.rng.IntN(5)),
		left:       1,
	}
	switch r := g.rng.IntN(100); {
	case r < 55:
		b.kind = inventory.MDUApartment
		floors := 2 + g.rng.IntN(7)
		b.perFloor = 2 + g.rng.IntN(4)
		b.left = floors * b.perFloor
		b.common = g.rng.IntN(3) == 0
		if b.common {
			b.left++
		}
		if g.rng.IntN(4) == 0 {
			b.littera = string(rune('A' + g.rng.IntN(4)))
		}
	case r < 88:
		b.kind = inventory.ResidentialHouse
	case r < 94:
		b.kind = inventory.Commercial
	case r < 97:
		b.kind = inventory.Public
	case r < 99:
		b.kind = inventory.MDUTechnical
	default:
		b.kind = inventory.Unknown
	}
	g.b = b
}

// access returns the access at position i.
func (g *generator) access(i int) inventory.Access {
	if g.b.left == 0 {
		g.newBuilding()
	}
	b := &g.b
	b.left--
	sw, port := SwitchAddress(i/PortsPerSwitch), PortName(i%PortsPerSwitch)
	a := inventory.Access{
		AccessID:       AccessID(i),
		StreetName:     b.street,
		StreetNumber:   b.number,
		StreetLittera:  b.littera,
		PostalCode:     b.postal,
		City:           b.city,
		CountryCode:    "SE",
		PremisesType:   b.kind,
		Population:     b.population,
		Option82:       sw + " " + port,
		DHCPIdentifier: inventory.DHCPIdentifier{IPv4CircuitID: port, IPv4RemoteID: sw},
		Media:          "FTTH",
	}
	if b.kind == inventory.MDUApartment {
		if b.common && b.left == 0 {
			a.PremisesType = inventory.MDUCommon
			a.Outlet = "TVÄTTSTUGA"
		} else {
			floor, n := 10+b.apartment/b.perFloor, 1+b.apartment%b.perFloor
			a.MDUApartmentNumber = twoDigits(floor) + twoDigits(n)
			if g.rng.IntN(10) == 0 {
				a.MDUDistinguisher = strconv.Itoa(1 + b.apartment)
			}
			b.apartment++
		}
	}
	if g.rng.IntN(3) == 0 {
		a.Outlet = "U" + strconv.Itoa(1+g.rng.IntN(4))
	}
	if b.kind == inventory.MDUTechnical && a.Outlet == "" {
		a.Outlet = "NÄTRUM" // it must say which room it is, as MDU_COMMON must
	}
	g.availability(&a)
	g.equipment(&a)
	return a
}

// availability sets Sellable and Activatable so that every state occurs.
func (g *generator) availability(a *inventory.Access) {
	switch r := g.rng.IntN(100); {
	case r < 70:
		a.Sellable, a.Activatable = inventory.Yes, inventory.Yes
	case r < 78:
		a.Sellable, a.Activatable = inventory.No, inventory.No
	case r < 85:
		a.Sellable, a.Activatable = g.date(2040), inventory.No
	case r < 93:
		a.Sellable, a.Activatable = inventory.Yes, g.date(2040)
	case r < 97:
		a.Sellable, a.Activatable = g.date(2012), g.date(2012)
	default:
		a.Sellable, a.Activatable = inventory.Yes, inventory.No
	}
}

// date returns a date in the ten years from year.
func (g *generator) date(year int) inventory.Availability {
	y := year + g.rng.IntN(10)
	return inventory.Availability(strconv.Itoa(y) + "-" + twoDigits(1+g.rng.IntN(12)) + "-" + twoDigits(1+g.rng.IntN(28)))
}

// equipment sets the KO's equipment, speed and TV capabilities.
func (g *generator) equipment(a *inventory.Access) {
	switch r := g.rng.IntN(10); {
	case r < 4:
		a.CPERouter = g.pick(g.routers)
	case r < 6:
		a.CPESwitch = g.pick(g.switches)
	}
	if a.PremisesType == inventory.ResidentialHouse && g.rng.IntN(2) == 0 {
		a.FiberConverter = g.pick(g.converter)
	}
	switch r := g.rng.IntN(20); {
	case r < 2:
		a.PortSpeedMbps = 100
	case r < 4:
		a.PortSpeedMbps = 250
	case r < 7:
		a.PortSpeedMbps = 500
	case r < 19:
		a.PortSpeedMbps = 1000
	default:
		a.PortSpeedMbps = 10000
	}
	a.IPTV = g.rng.IntN(3) != 0
	a.RFoF = g.rng.IntN(4) == 0
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
