package ifmib

import "strconv"

// AdminStatus is ifAdminStatus: the configured state of an interface.
type AdminStatus int

// The ifAdminStatus values of RFC 2863.
const (
	AdminUp      AdminStatus = 1
	AdminDown    AdminStatus = 2
	AdminTesting AdminStatus = 3
)

// String returns the RFC 2863 name ("up", "down", "testing") or the number.
func (a AdminStatus) String() string {
	switch a {
	case 0:
		return ""
	case AdminUp:
		return "up"
	case AdminDown:
		return "down"
	case AdminTesting:
		return "testing"
	}
	return strconv.Itoa(int(a))
}

// OperStatus is ifOperStatus: the current operational state of an
// interface.
type OperStatus int

// The ifOperStatus values of RFC 2863.
const (
	OperUp             OperStatus = 1
	OperDown           OperStatus = 2
	OperTesting        OperStatus = 3
	OperUnknown        OperStatus = 4
	OperDormant        OperStatus = 5
	OperNotPresent     OperStatus = 6
	OperLowerLayerDown OperStatus = 7
)

// String returns the RFC 2863 name or the number.
func (o OperStatus) String() string {
	switch o {
	case 0:
		return ""
	case OperUp:
		return "up"
	case OperDown:
		return "down"
	case OperTesting:
		return "testing"
	case OperUnknown:
		return "unknown"
	case OperDormant:
		return "dormant"
	case OperNotPresent:
		return "notPresent"
	case OperLowerLayerDown:
		return "lowerLayerDown"
	}
	return strconv.Itoa(int(o))
}

// Link is the physical link state of an access as PI-API 2.3 ("UP",
// "DOWN") and ON-API 2.6 (link: true/false) report it, plus UNKNOWN for a
// port whose state accessd does not know (unreachable switch, port not
// found, an ifOperStatus that says nothing about the link).
type Link string

// The link states.
const (
	LinkUp      Link = "UP"
	LinkDown    Link = "DOWN"
	LinkUnknown Link = "UNKNOWN"
)

// Link maps ifOperStatus to the link state:
//
//	up(1)             UP
//	dormant(5)        UP       the physical link is there; the interface
//	                           waits for something above it (e.g. 802.1X)
//	down(2)           DOWN
//	notPresent(6)     DOWN     a missing component (e.g. no SFP): no link
//	lowerLayerDown(7) DOWN     the layer below (the physical port) is down
//	testing(3)        UNKNOWN  in test mode: says nothing about the link
//	unknown(4)        UNKNOWN
//	anything else     UNKNOWN  (including absent)
//
// An administratively down port reports oper down(2) and so DOWN; the
// admin state is reported beside the link (ON-API adminDown).
func (o OperStatus) Link() Link {
	switch o {
	case OperUp, OperDormant:
		return LinkUp
	case OperDown, OperNotPresent, OperLowerLayerDown:
		return LinkDown
	}
	return LinkUnknown
}
