package option82

import "strconv"

// Code is a relay agent sub-option code (IANA "DHCP Relay Agent Sub-Option
// Codes").
type Code uint8

// Assigned sub-option codes.
const (
	CircuitID            Code = 1   // Agent Circuit ID, RFC 3046
	RemoteID             Code = 2   // Agent Remote ID, RFC 3046
	DOCSISDeviceClass    Code = 4   // RFC 3256
	LinkSelection        Code = 5   // RFC 3527
	SubscriberID         Code = 6   // RFC 3993
	RADIUSAttributes     Code = 7   // RFC 4014
	Authentication       Code = 8   // RFC 4030
	VendorSpecific       Code = 9   // RFC 4243
	RelayAgentFlags      Code = 10  // RFC 5010
	ServerIDOverride     Code = 11  // RFC 5107
	RelayID              Code = 12  // RFC 6925
	AccessTechnologyType Code = 13  // RFC 7839
	AccessNetworkName    Code = 14  // RFC 7839
	AccessPointName      Code = 15  // RFC 7839
	AccessPointBSSID     Code = 16  // RFC 7839
	OperatorID           Code = 17  // RFC 7839
	OperatorRealm        Code = 18  // RFC 7839
	RelaySourcePort      Code = 19  // RFC 8357
	VSSInformation       Code = 151 // RFC 6607
	VSSControl           Code = 152 // RFC 6607
)

var codeNames = [...]string{
	CircuitID:            "circuit-id",
	RemoteID:             "remote-id",
	DOCSISDeviceClass:    "docsis-device-class",
	LinkSelection:        "link-selection",
	SubscriberID:         "subscriber-id",
	RADIUSAttributes:     "radius-attributes",
	Authentication:       "authentication",
	VendorSpecific:       "vendor-specific",
	RelayAgentFlags:      "relay-agent-flags",
	ServerIDOverride:     "server-id-override",
	RelayID:              "relay-id",
	AccessTechnologyType: "access-technology-type",
	AccessNetworkName:    "access-network-name",
	AccessPointName:      "access-point-name",
	AccessPointBSSID:     "access-point-bssid",
	OperatorID:           "operator-id",
	OperatorRealm:        "operator-realm",
	RelaySourcePort:      "relay-source-port",
}

// String returns the sub-option's name, "unassigned(N)" for a code with no
// assignment, and "reserved(0)" / "reserved(255)" for the two invalid codes.
func (c Code) String() string {
	switch {
	case int(c) < len(codeNames) && codeNames[c] != "":
		return codeNames[c]
	case c == VSSInformation:
		return "vss-information"
	case c == VSSControl:
		return "vss-control"
	case c == 0 || c == 255:
		return "reserved(" + strconv.Itoa(int(c)) + ")"
	}
	return "unassigned(" + strconv.Itoa(int(c)) + ")"
}

// Assigned reports whether c has an IANA assignment this package knows.
func (c Code) Assigned() bool {
	return (int(c) < len(codeNames) && codeNames[c] != "") || c == VSSInformation || c == VSSControl
}
