package client

import (
	"errors"
	"fmt"
	"strings"
)

// AuthProtocol is an SNMPv3 USM authentication protocol. Only the SHA-2
// family (RFC 7860) is accepted.
type AuthProtocol string

// The accepted authentication protocols.
const (
	SHA224 AuthProtocol = "SHA224"
	SHA256 AuthProtocol = "SHA256"
	SHA384 AuthProtocol = "SHA384"
	SHA512 AuthProtocol = "SHA512"
)

// PrivProtocol is an SNMPv3 USM privacy protocol. Only AES is accepted:
// AES (128, RFC 3826), AES192 and AES256 (Blumenthal key extension, as
// net-snmp), AES192C and AES256C (Reeder key extension, as Cisco).
type PrivProtocol string

// The accepted privacy protocols; NoPriv is authNoPriv.
const (
	NoPriv  PrivProtocol = ""
	AES     PrivProtocol = "AES"
	AES192  PrivProtocol = "AES192"
	AES256  PrivProtocol = "AES256"
	AES192C PrivProtocol = "AES192C"
	AES256C PrivProtocol = "AES256C"
)

// ParseAuthProtocol accepts the four SHA-2 names with or without a dash,
// in any case: "SHA256", "SHA-256", "sha256".
func ParseAuthProtocol(s string) (AuthProtocol, error) {
	n := AuthProtocol(strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "")))
	switch n {
	case SHA224, SHA256, SHA384, SHA512:
		return n, nil
	}
	return "", fmt.Errorf("auth protocol %q: want one of SHA224, SHA256, SHA384, SHA512", s)
}

// ParsePrivProtocol accepts "AES", "AES128", "AES192", "AES256",
// "AES192C", "AES256C" (with or without a dash, any case); "" means none.
func ParsePrivProtocol(s string) (PrivProtocol, error) {
	n := PrivProtocol(strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "")))
	switch n {
	case "AES128":
		return AES, nil
	case NoPriv, AES, AES192, AES256, AES192C, AES256C:
		return n, nil
	}
	return "", fmt.Errorf("priv protocol %q: want one of AES, AES192, AES256, AES192C, AES256C", s)
}

// USM is an SNMPv3 user (User-based Security Model): authPriv, or
// authNoPriv when Priv is NoPriv. noAuthNoPriv is not offered.
type USM struct {
	User     string
	Auth     AuthProtocol
	AuthPass string
	Priv     PrivProtocol
	PrivPass string
	// ContextName is the SNMPv3 context (usually empty; snmpsim uses the
	// community name).
	ContextName string
}

// Credentials are how accessd talks to one switch: SNMPv2c with a
// community, or SNMPv3 with a USM user (when V3 is not nil).
type Credentials struct {
	Community string
	V3        *USM
}

// Version returns "v2c" or "v3".
func (c Credentials) Version() string {
	if c.V3 != nil {
		return "v3"
	}
	return "v2c"
}

// Validate checks that the credentials are complete and use accepted
// protocols. Pass phrases must have at least 8 characters (RFC 3414).
func (c Credentials) Validate() error {
	if c.V3 == nil {
		if c.Community == "" {
			return errors.New("no credentials: neither a v2c community nor a v3 user")
		}
		return nil
	}
	u := c.V3
	if c.Community != "" {
		return errors.New("both a v2c community and a v3 user")
	}
	if u.User == "" {
		return errors.New("v3: empty user name")
	}
	if _, err := ParseAuthProtocol(string(u.Auth)); err != nil {
		return fmt.Errorf("v3 user %q: %w", u.User, err)
	}
	if len(u.AuthPass) < 8 {
		return fmt.Errorf("v3 user %q: auth pass phrase shorter than 8 characters", u.User)
	}
	p, err := ParsePrivProtocol(string(u.Priv))
	if err != nil {
		return fmt.Errorf("v3 user %q: %w", u.User, err)
	}
	if p != NoPriv && len(u.PrivPass) < 8 {
		return fmt.Errorf("v3 user %q: priv pass phrase shorter than 8 characters", u.User)
	}
	return nil
}

// String describes the credentials without any secret.
func (c Credentials) String() string {
	if c.V3 == nil {
		return "v2c"
	}
	p := c.V3.Priv
	if p == NoPriv {
		p = "noPriv"
	}
	return fmt.Sprintf("v3 user %s %s/%s", c.V3.User, c.V3.Auth, p)
}
