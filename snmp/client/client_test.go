package client

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gosnmp/gosnmp"

	"github.com/stadsnat/accessd/snmp/ifmib"
)

func TestNormalizeAddress(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"192.168.248.85", "192.168.248.85:161", ""},
		{"192.168.248.85:1161", "192.168.248.85:1161", ""},
		{" sw1.example ", "sw1.example:161", ""},
		{"2001:db8::1", "[2001:db8::1]:161", ""},
		{"[2001:db8::1]:162", "[2001:db8::1]:162", ""},
		{"", "", "empty agent address"},
		{"10.0.0.1:0", "", "bad port"},
		{"10.0.0.1:x", "", "bad port"},
		{":161", "", "no host"},
	}
	for _, tt := range tests {
		got, err := NormalizeAddress(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("NormalizeAddress(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeAddress(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestCredentialsValidate(t *testing.T) {
	good := USM{User: "u", Auth: SHA256, AuthPass: "12345678", Priv: AES, PrivPass: "abcdefgh"}
	mod := func(f func(*USM)) *USM { u := good; f(&u); return &u }
	tests := []struct {
		name string
		c    Credentials
		err  string
	}{
		{"v2c", Credentials{Community: "public"}, ""},
		{"v3 authPriv", Credentials{V3: &good}, ""},
		{"v3 authNoPriv", Credentials{V3: mod(func(u *USM) { u.Priv, u.PrivPass = NoPriv, "" })}, ""},
		{"v3 sha-384 spelled with dash", Credentials{V3: mod(func(u *USM) { u.Auth = "sha-384" })}, ""},
		{"v3 aes256c", Credentials{V3: mod(func(u *USM) { u.Priv = AES256C })}, ""},
		{"nothing", Credentials{}, "no credentials"},
		{"both", Credentials{Community: "x", V3: &good}, "both"},
		{"no user", Credentials{V3: mod(func(u *USM) { u.User = "" })}, "empty user"},
		{"md5", Credentials{V3: mod(func(u *USM) { u.Auth = "MD5" })}, "want one of SHA224"},
		{"sha1", Credentials{V3: mod(func(u *USM) { u.Auth = "SHA" })}, "want one of SHA224"},
		{"des", Credentials{V3: mod(func(u *USM) { u.Priv = "DES" })}, "want one of AES"},
		{"short auth pass", Credentials{V3: mod(func(u *USM) { u.AuthPass = "short" })}, "auth pass phrase shorter"},
		{"short priv pass", Credentials{V3: mod(func(u *USM) { u.PrivPass = "short" })}, "priv pass phrase shorter"},
	}
	for _, tt := range tests {
		err := tt.c.Validate()
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: Validate() = %v, want %q", tt.name, err, tt.err)
		}
	}
	if s := (Credentials{V3: &good}).String(); strings.Contains(s, good.AuthPass) || strings.Contains(s, good.PrivPass) {
		t.Errorf("String() shows a secret: %q", s)
	}
}

func TestTargetValidate(t *testing.T) {
	ok := Target{Address: "10.0.0.1:161", Credentials: Credentials{Community: "c"}, Timeout: time.Second}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(%+v) = %v", ok, err)
	}
	for _, bad := range []Target{
		{Address: "10.0.0.1", Credentials: Credentials{Community: "c"}},
		{Address: "10.0.0.1", Credentials: Credentials{Community: "c"}, Timeout: time.Second, Retries: -1},
		{Address: "", Credentials: Credentials{Community: "c"}, Timeout: time.Second},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("Validate(%+v) accepted", bad)
		}
	}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		name  string
		typ   gosnmp.Asn1BER
		value any
		want  ifmib.Varbind
	}{
		{"integer", gosnmp.Integer, 7, ifmib.Varbind{OID: ".1.3", Type: ifmib.TypeInteger, Int: 7}},
		{"string", gosnmp.OctetString, []byte("ge-0/0/1"), ifmib.Varbind{OID: ".1.3", Type: ifmib.TypeOctetString, Bytes: []byte("ge-0/0/1")}},
		{"timeticks", gosnmp.TimeTicks, uint32(4294967295), ifmib.Varbind{OID: ".1.3", Type: ifmib.TypeTimeTicks, Uint: 4294967295}},
		{"gauge", gosnmp.Gauge32, uint(1000), ifmib.Varbind{OID: ".1.3", Type: ifmib.TypeGauge32, Uint: 1000}},
		{"counter64", gosnmp.Counter64, uint64(1 << 40), ifmib.Varbind{OID: ".1.3", Type: ifmib.TypeCounter64, Uint: 1 << 40}},
		{"oid", gosnmp.ObjectIdentifier, ".1.3.6.1.6.3.1.1.5.3", ifmib.Varbind{OID: ".1.3", Type: ifmib.TypeObjectIdentifier, Bytes: []byte(".1.3.6.1.6.3.1.1.5.3")}},
		{"no such instance", gosnmp.NoSuchInstance, nil, ifmib.Varbind{OID: ".1.3", Type: ifmib.TypeNoSuchInstance}},
		{"end of mib", gosnmp.EndOfMibView, nil, ifmib.Varbind{OID: ".1.3", Type: ifmib.TypeEndOfMibView}},
		{"wrong go type", gosnmp.Integer, "x", ifmib.Varbind{OID: ".1.3"}},
	}
	for _, tt := range tests {
		got := Convert("1.3", byte(tt.typ), tt.value)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestErrors(t *testing.T) {
	err := error(&StatusError{Status: 1, Index: 2})
	if !errors.Is(err, ErrTooBig) || err.Error() != "agent answered tooBig (error-index 2)" {
		t.Errorf("tooBig status: %v, Is(ErrTooBig) %v", err, errors.Is(err, ErrTooBig))
	}
	if errors.Is(&StatusError{Status: 5}, ErrTooBig) {
		t.Error("genErr is ErrTooBig")
	}
	if got := classify(gosnmp.ErrMaxRetriesExceeded); !errors.Is(got, ErrTimeout) {
		t.Errorf("classify(max retries) = %v, not ErrTimeout", got)
	}
	if got := classify(gosnmp.ErrWrongDigest); !errors.Is(got, ErrAuth) {
		t.Errorf("classify(wrong digest) = %v, not ErrAuth", got)
	}
}
