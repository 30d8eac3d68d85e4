package inventory

// Valid reports whether p is one of the seven premises types accessd
// accepts: PI V1's five plus ON-API's MDU_TECHNICAL and UNKNOWN.
func (p PremisesType) Valid() bool {
	switch p {
	case MDUApartment, MDUCommon, MDUTechnical, ResidentialHouse, Commercial, Public, Unknown:
		return true
	}
	return false
}

// PIV1 returns the premises type to show in PI V1, which knows only five:
// MDU_TECHNICAL (a technical room of an apartment building) is shown as
// MDU_COMMON, the nearest PI V1 type. UNKNOWN has no PI V1 equivalent and is
// returned unchanged with ok false; the PI V1 view shows it as it is rather
// than invent a type. ok is true for the five PI V1 types.
func (p PremisesType) PIV1() (pt PremisesType, ok bool) {
	switch p {
	case MDUApartment, MDUCommon, ResidentialHouse, Commercial, Public:
		return p, true
	case MDUTechnical:
		return MDUCommon, true
	}
	return p, false
}

// needsApartment reports whether an access of premises type p must say
// which part of the building it is (mduApartmentNumber or
// mduDistinguisher, or an outlet that is shown as the distinguisher):
// MDU_APARTMENT (PI V1, PI-API, ON-API), MDU_COMMON (PI-API 2.3
// feasibility.md: "at MDU_APARTMENT and MDU_COMMON MduDistinguisher or
// MduApartmentNumber must be populated"), and MDU_TECHNICAL, which PI V1
// and PI-API show as MDU_COMMON.
func (p PremisesType) needsApartment() bool {
	return p == MDUApartment || p == MDUCommon || p == MDUTechnical
}

// premisesTypeList is the list of valid premises types for messages.
const premisesTypeList = "MDU_APARTMENT, MDU_COMMON, MDU_TECHNICAL, RESIDENTIAL_HOUSE, COMMERCIAL, PUBLIC or UNKNOWN"

// FromBYGGTYP maps a Lantmäteriet BYGGTYP code (two digits, e.g. "33") to a
// premises type as the table of CSV Access Upload API 1.1 says, and reports
// false for a code the table does not list.
func FromBYGGTYP(code string) (PremisesType, bool) {
	if len(code) != 2 {
		return "", false
	}
	n, ok := digits(code)
	switch {
	case !ok:
		return "", false
	case n >= 1 && n <= 22, n == 24:
		return Public, true
	case n == 30, n == 31:
		return ResidentialHouse, true
	case n == 32, n == 33, n == 35:
		return MDUApartment, true
	case n >= 40 && n <= 53:
		return Commercial, true
	case n == 99:
		return Unknown, true
	}
	return "", false
}

// The values of ON-API's accessState.
const (
	AccessStatePlanned      = "PLANNED"
	AccessStateDeploying    = "DEPLOYING"
	AccessStateHomesPassed  = "HOMESPASSED"
	AccessStateConnected    = "CONNECTED"
	AccessStateDisconnected = "DISCONNECTED"
	AccessStateInMigration  = "INMIGRATION"
	AccessStateOutMigration = "OUTMIGRATION"
)

// validAccessState reports whether s is one of ON-API's accessState values.
func validAccessState(s string) bool {
	switch s {
	case AccessStatePlanned, AccessStateDeploying, AccessStateHomesPassed, AccessStateConnected,
		AccessStateDisconnected, AccessStateInMigration, AccessStateOutMigration:
		return true
	}
	return false
}

const accessStateList = "PLANNED, DEPLOYING, HOMESPASSED, CONNECTED, DISCONNECTED, INMIGRATION or OUTMIGRATION"

// PIV1MDUDistinguisher returns the MduDistinguisher to show in PI V1. PI V1
// has no outlet field, yet CSV 1.1 accepts an MDU_APARTMENT (and accessd
// an MDU_COMMON or MDU_TECHNICAL) identified by its outletId alone; such
// an access shows its outlet as MduDistinguisher
// ("identifies the apartment uniquely per address"), so that PI V1 still
// gets one of the two fields it requires. Otherwise it is MDUDistinguisher.
func (a *Access) PIV1MDUDistinguisher() string {
	if a.PremisesType.needsApartment() && a.MDUApartmentNumber == "" && a.MDUDistinguisher == "" {
		return a.Outlet
	}
	return a.MDUDistinguisher
}
