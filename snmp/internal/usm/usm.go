// Package usm builds gosnmp's SNMPv3 USM security parameters from
// validated protocol names, for the client (sessions) and the trap
// listener (decoding). It is internal so no gosnmp type leaks into the
// public API of accessd's snmp packages.
package usm

import "github.com/gosnmp/gosnmp"

// Params returns new security parameters and the message flags (authPriv,
// or authNoPriv when priv is empty). auth is one of SHA224, SHA256, SHA384,
// SHA512; priv one of "", AES, AES192, AES256, AES192C, AES256C (callers
// validate first; anything else gives ok false).
func Params(user, auth, authPass, priv, privPass string) (sp *gosnmp.UsmSecurityParameters, flags gosnmp.SnmpV3MsgFlags, ok bool) {
	a, okA := map[string]gosnmp.SnmpV3AuthProtocol{"SHA224": gosnmp.SHA224, "SHA256": gosnmp.SHA256,
		"SHA384": gosnmp.SHA384, "SHA512": gosnmp.SHA512}[auth]
	p, okP := map[string]gosnmp.SnmpV3PrivProtocol{"": gosnmp.NoPriv, "AES": gosnmp.AES, "AES192": gosnmp.AES192,
		"AES256": gosnmp.AES256, "AES192C": gosnmp.AES192C, "AES256C": gosnmp.AES256C}[priv]
	if !okA || !okP {
		return nil, 0, false
	}
	sp = &gosnmp.UsmSecurityParameters{
		UserName:                 user,
		AuthenticationProtocol:   a,
		AuthenticationPassphrase: authPass,
		PrivacyProtocol:          p,
	}
	flags = gosnmp.AuthNoPriv
	if p != gosnmp.NoPriv {
		sp.PrivacyPassphrase = privPass
		flags = gosnmp.AuthPriv
	}
	return sp, flags, true
}
