package trap

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/netip"

	"github.com/gosnmp/gosnmp"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/ifmib"
	"github.com/stadsnat/accessd/snmp/internal/usm"
)

// Kind is what a notification says.
type Kind string

// The kinds.
const (
	LinkDown Kind = "linkDown"
	LinkUp   Kind = "linkUp"
	Other    Kind = "other"
)

// Notification OIDs of SNMPv2-MIB / IF-MIB.
const (
	oidSnmpTrapOID = ".1.3.6.1.6.3.1.1.4.1.0"
	oidLinkDown    = ".1.3.6.1.6.3.1.1.5.3"
	oidLinkUp      = ".1.3.6.1.6.3.1.1.5.4"
)

// Trap is a decoded, accepted notification.
type Trap struct {
	Version string // "v1", "v2c" or "v3"
	User    string // v3 user
	Kind    Kind
	// IfIndex of the interface (0 when the notification names none).
	IfIndex int
	// AgentAddr is the v1 agent-addr field (invalid for v2c/v3).
	AgentAddr netip.Addr
	// Inform is set for an SNMPv2c InformRequest; Reply is the response
	// to send back to the sender.
	Inform bool
	Reply  []byte
}

// Errors of Decode, for errors.Is; they carry the details.
var (
	ErrMalformed = errors.New("malformed SNMP message")
	ErrCommunity = errors.New("community not accepted")
	ErrAuth      = errors.New("snmpv3 user or authentication not accepted")
	ErrNotTrap   = errors.New("not a notification")
)

// Decoder checks and decodes notifications. Not safe for concurrent use.
type Decoder struct {
	g, g3       *gosnmp.GoSNMP // v1/v2c, and v3 (gosnmp checks the version)
	communities [][]byte
	users       map[string]bool
}

// NewDecoder returns a decoder accepting v1/v2c with one of communities
// and v3 from one of users (each must validate as client credentials).
func NewDecoder(communities []string, users []client.USM) (*Decoder, error) {
	d := &Decoder{
		g:     &gosnmp.GoSNMP{Version: gosnmp.Version2c},
		g3:    &gosnmp.GoSNMP{Version: gosnmp.Version3, SecurityModel: gosnmp.UserSecurityModel},
		users: map[string]bool{},
	}
	for _, c := range communities {
		if c == "" {
			return nil, errors.New("trap: empty community")
		}
		d.communities = append(d.communities, []byte(c))
	}
	if len(users) > 0 {
		table := gosnmp.NewSnmpV3SecurityParametersTable(gosnmp.Logger{})
		for _, u := range users {
			if err := (client.Credentials{V3: &u}).Validate(); err != nil {
				return nil, fmt.Errorf("trap: %w", err)
			}
			auth, _ := client.ParseAuthProtocol(string(u.Auth))
			priv, _ := client.ParsePrivProtocol(string(u.Priv))
			sp, _, ok := usm.Params(u.User, string(auth), u.AuthPass, string(priv), u.PrivPass)
			if !ok {
				return nil, fmt.Errorf("trap: v3 user %q: unsupported protocols", u.User)
			}
			if err := table.Add(u.User, sp); err != nil {
				return nil, fmt.Errorf("trap: v3 user %q: %w", u.User, err)
			}
			d.users[u.User] = true
		}
		d.g3.SetTrapSecurityParametersTable(table)
	}
	return d, nil
}

// Decode checks and decodes one datagram. It never panics on bad input
// (gosnmp's own recovery is not relied on: Decode recovers too).
func (d *Decoder) Decode(pkt []byte) (t Trap, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = Trap{}, fmt.Errorf("%w: decoder panic: %v", ErrMalformed, r)
		}
	}()
	p, err := d.unmarshal(pkt)
	if err != nil {
		return Trap{}, err
	}
	if err := d.authorize(p, &t); err != nil {
		return Trap{}, err
	}
	if err := kindOf(p, &t); err != nil {
		return Trap{}, err
	}
	t.IfIndex = ifIndexOf(p.Variables)
	if t.Inform {
		// acknowledge with the same request-id and varbinds
		p.PDUType = gosnmp.GetResponse
		p.Error, p.ErrorIndex = gosnmp.NoError, 0
		if t.Reply, err = p.MarshalMsg(); err != nil {
			return Trap{}, fmt.Errorf("%w: inform response: %v", ErrMalformed, err)
		}
	}
	return t, nil
}

// unmarshal reads the packet's version, refuses versions nothing is
// configured for, and decodes it (a v3 packet authenticated and
// decrypted with the configured users).
func (d *Decoder) unmarshal(pkt []byte) (*gosnmp.SnmpPacket, error) {
	if len(pkt) < 2 || pkt[0] != 0x30 {
		return nil, fmt.Errorf("%w: not a BER SEQUENCE at byte 0", ErrMalformed)
	}
	version, err := peekVersion(pkt)
	if err != nil {
		return nil, err
	}
	switch version {
	case gosnmp.Version1, gosnmp.Version2c:
		if len(d.communities) == 0 {
			return nil, fmt.Errorf("%w: no community configured for v1/v2c", ErrCommunity)
		}
	case gosnmp.Version3:
		if len(d.users) == 0 {
			return nil, fmt.Errorf("%w: no v3 user configured", ErrAuth)
		}
	default:
		return nil, fmt.Errorf("%w: SNMP version %d", ErrMalformed, version)
	}
	g := d.g
	if version == gosnmp.Version3 {
		g = d.g3
	}
	p, err := g.UnmarshalTrap(pkt, false)
	if err != nil || p == nil {
		if version == gosnmp.Version3 {
			return nil, fmt.Errorf("%w: %v", ErrAuth, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return p, nil
}

// authorize checks the community (v1, v2c) or the authenticated user
// (v3) and records who sent the trap in t.
func (d *Decoder) authorize(p *gosnmp.SnmpPacket, t *Trap) error {
	switch p.Version {
	case gosnmp.Version1, gosnmp.Version2c:
		if !d.communityOK(p.Community) {
			return ErrCommunity
		}
		t.Version = map[gosnmp.SnmpVersion]string{gosnmp.Version1: "v1", gosnmp.Version2c: "v2c"}[p.Version]
	case gosnmp.Version3:
		sp, ok := p.SecurityParameters.(*gosnmp.UsmSecurityParameters)
		if !ok || sp == nil || !d.users[sp.UserName] || p.MsgFlags&gosnmp.AuthNoPriv == 0 {
			return fmt.Errorf("%w: unauthenticated or unknown user", ErrAuth)
		}
		t.Version, t.User = "v3", sp.UserName
	}
	return nil
}

// kindOf sets t's kind (linkDown, linkUp or other), its agent address for
// a v1 trap and whether it is an inform; any other PDU is ErrNotTrap.
func kindOf(p *gosnmp.SnmpPacket, t *Trap) error {
	switch p.PDUType {
	case gosnmp.Trap:
		t.AgentAddr, _ = netip.ParseAddr(p.AgentAddress)
		switch p.GenericTrap {
		case 2:
			t.Kind = LinkDown
		case 3:
			t.Kind = LinkUp
		default:
			t.Kind = Other
		}
	case gosnmp.SNMPv2Trap, gosnmp.InformRequest:
		if p.PDUType == gosnmp.InformRequest {
			if p.Version == gosnmp.Version3 {
				return fmt.Errorf("%w: v3 inform", ErrNotTrap)
			}
			t.Inform = true
		}
		t.Kind = Other
		for _, v := range p.Variables {
			vb := client.Convert(v.Name, byte(v.Type), v.Value)
			if vb.OID == oidSnmpTrapOID && vb.Type == ifmib.TypeObjectIdentifier {
				switch "." + trimDot(string(vb.Bytes)) {
				case oidLinkDown:
					t.Kind = LinkDown
				case oidLinkUp:
					t.Kind = LinkUp
				}
			}
		}
	default:
		return fmt.Errorf("%w: PDU type %#x", ErrNotTrap, byte(p.PDUType))
	}
	return nil
}

func trimDot(s string) string {
	if len(s) > 0 && s[0] == '.' {
		return s[1:]
	}
	return s
}

// ifIndexOf finds the interface a notification is about: the value of
// ifIndex.N, else the N of ifIndex/ifAdminStatus/ifOperStatus.N.
func ifIndexOf(vars []gosnmp.SnmpPDU) int {
	for _, v := range vars {
		vb := client.Convert(v.Name, byte(v.Type), v.Value)
		if _, ok := ifmib.IndexUnder(ifmib.OIDIfIndex, vb.OID); ok && vb.Type == ifmib.TypeInteger && vb.Int > 0 && vb.Int <= 2147483647 {
			return int(vb.Int)
		}
	}
	for _, v := range vars {
		vb := client.Convert(v.Name, byte(v.Type), v.Value)
		for _, prefix := range []string{ifmib.OIDIfIndex, ifmib.ColAdmin.OID(), ifmib.ColOper.OID()} {
			if idx, ok := ifmib.IndexUnder(prefix, vb.OID); ok {
				return idx
			}
		}
	}
	return 0
}

func (d *Decoder) communityOK(c string) bool {
	ok := 0
	for _, want := range d.communities {
		ok |= subtle.ConstantTimeCompare([]byte(c), want)
	}
	return ok == 1
}

// peekVersion reads the msgVersion INTEGER that follows the outer
// SEQUENCE header.
func peekVersion(pkt []byte) (gosnmp.SnmpVersion, error) {
	i := 1
	if i >= len(pkt) {
		return 0, fmt.Errorf("%w: truncated at byte %d", ErrMalformed, i)
	}
	if l := pkt[i]; l&0x80 != 0 {
		i += 1 + int(l&0x7f)
	} else {
		i++
	}
	if i+2 >= len(pkt) || pkt[i] != 0x02 || pkt[i+1] != 1 {
		return 0, fmt.Errorf("%w: no one-byte version INTEGER at byte %d", ErrMalformed, i)
	}
	return gosnmp.SnmpVersion(pkt[i+2]), nil
}
