package ifmib

import (
	"fmt"
	"strconv"
)

// Type is the ASN.1/SMI type of a varbind value, reduced to what accessd
// distinguishes.
type Type uint8

// The varbind types. The three exception types (RFC 3416) mean "no value".
const (
	TypeOther Type = iota
	TypeInteger
	TypeOctetString
	TypeObjectIdentifier
	TypeIPAddress
	TypeCounter32
	TypeGauge32
	TypeTimeTicks
	TypeCounter64
	TypeNull
	TypeNoSuchObject
	TypeNoSuchInstance
	TypeEndOfMibView
)

// String returns the SMI name of the type.
func (t Type) String() string {
	switch t {
	case TypeInteger:
		return "INTEGER"
	case TypeOctetString:
		return "OCTET STRING"
	case TypeObjectIdentifier:
		return "OBJECT IDENTIFIER"
	case TypeIPAddress:
		return "IpAddress"
	case TypeCounter32:
		return "Counter32"
	case TypeGauge32:
		return "Gauge32"
	case TypeTimeTicks:
		return "TimeTicks"
	case TypeCounter64:
		return "Counter64"
	case TypeNull:
		return "NULL"
	case TypeNoSuchObject:
		return "noSuchObject"
	case TypeNoSuchInstance:
		return "noSuchInstance"
	case TypeEndOfMibView:
		return "endOfMibView"
	default:
		return "other(" + strconv.Itoa(int(t)) + ")"
	}
}

// IsException reports whether t is one of the SNMPv2 exception values
// noSuchObject, noSuchInstance or endOfMibView (or NULL, which SNMPv1
// agents and some v2c agents use for the same meaning).
func (t Type) IsException() bool {
	return t == TypeNoSuchObject || t == TypeNoSuchInstance || t == TypeEndOfMibView || t == TypeNull
}

// Varbind is one variable binding of a response: a numeric OID and its
// value. Which value field is meaningful depends on Type: Int for INTEGER,
// Uint for Counter32, Gauge32, TimeTicks and Counter64, Bytes for OCTET
// STRING (and the dotted text of an OBJECT IDENTIFIER or IpAddress).
type Varbind struct {
	// OID is the numeric object identifier with a leading dot, as gosnmp
	// and net-snmp's -On print it: ".1.3.6.1.2.1.1.3.0".
	OID   string
	Type  Type
	Int   int64
	Uint  uint64
	Bytes []byte
}

// String formats the varbind like net-snmp's snmpwalk -On, for logs and
// test failures.
func (v Varbind) String() string {
	switch v.Type {
	case TypeInteger:
		return fmt.Sprintf("%s = INTEGER: %d", v.OID, v.Int)
	case TypeOctetString:
		return fmt.Sprintf("%s = STRING: %q", v.OID, v.Bytes)
	case TypeCounter32, TypeGauge32, TypeTimeTicks, TypeCounter64:
		return fmt.Sprintf("%s = %s: %d", v.OID, v.Type, v.Uint)
	case TypeObjectIdentifier, TypeIPAddress:
		return fmt.Sprintf("%s = %s: %s", v.OID, v.Type, v.Bytes)
	default:
		return fmt.Sprintf("%s = %s", v.OID, v.Type)
	}
}

// TimeTicks returns the value of a TimeTicks varbind.
func (v Varbind) TimeTicks() (uint32, error) {
	if v.Type != TypeTimeTicks {
		return 0, fmt.Errorf("%s: want TimeTicks, got %s", v.OID, v.Type)
	}
	if v.Uint > 0xffffffff {
		return 0, fmt.Errorf("%s: TimeTicks %d out of 32-bit range", v.OID, v.Uint)
	}
	return uint32(v.Uint), nil
}
