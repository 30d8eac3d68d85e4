package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/gosnmp/gosnmp"

	"github.com/stadsnat/accessd/snmp/ifmib"
	"github.com/stadsnat/accessd/snmp/internal/usm"
)

// Net dials real agents with gosnmp over UDP.
type Net struct{}

// Dial opens a UDP session with t.Address. It sends nothing: an agent
// that does not answer shows only at the first request.
func (Net) Dial(ctx context.Context, t Target) (Client, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	host, port, _ := SplitAddress(t.Address)
	g := &gosnmp.GoSNMP{
		Target:             host,
		Port:               port,
		Transport:          "udp",
		Context:            ctx,
		Timeout:            t.Timeout,
		Retries:            t.Retries,
		ExponentialTimeout: false,
		MaxOids:            MaxOIDs,
	}
	if t.Hooks.OnSend != nil {
		g.OnSent = func(*gosnmp.GoSNMP) { t.Hooks.OnSend() }
	}
	if t.Hooks.OnRetry != nil {
		g.OnRetry = func(*gosnmp.GoSNMP) { t.Hooks.OnRetry() }
	}
	if u := t.Credentials.V3; u != nil {
		g.Version = gosnmp.Version3
		g.SecurityModel = gosnmp.UserSecurityModel
		g.ContextName = u.ContextName
		// A fresh parameter struct per session: gosnmp stores the agent's
		// engine ID, boots and time in it.
		sp, flags := usmParameters(*u)
		g.SecurityParameters, g.MsgFlags = sp, flags
	} else {
		g.Version = gosnmp.Version2c
		g.Community = t.Credentials.Community
	}
	if err := g.Connect(); err != nil {
		return nil, fmt.Errorf("agent %s: %w", t.Address, err)
	}
	return &session{g: g, addr: t.Address}, nil
}

func usmParameters(u USM) (*gosnmp.UsmSecurityParameters, gosnmp.SnmpV3MsgFlags) {
	auth, _ := ParseAuthProtocol(string(u.Auth))
	priv, _ := ParsePrivProtocol(string(u.Priv))
	sp, flags, _ := usm.Params(u.User, string(auth), u.AuthPass, string(priv), u.PrivPass)
	return sp, flags
}

type session struct {
	g    *gosnmp.GoSNMP
	addr string
}

func (s *session) Get(ctx context.Context, oids []string) ([]ifmib.Varbind, error) {
	if len(oids) > MaxOIDs {
		return nil, fmt.Errorf("get from %s: %d OIDs, at most %d per request", s.addr, len(oids), MaxOIDs)
	}
	s.g.Context = ctx
	pkt, err := s.g.Get(oids)
	return s.result("get", pkt, err)
}

func (s *session) GetBulk(ctx context.Context, nonRepeaters, repeaters []string, maxRepetitions int) ([]ifmib.Varbind, error) {
	n := len(nonRepeaters) + len(repeaters)
	if n > MaxOIDs || len(nonRepeaters) > 255 {
		return nil, fmt.Errorf("getbulk from %s: %d OIDs, at most %d per request", s.addr, n, MaxOIDs)
	}
	if maxRepetitions < 1 {
		maxRepetitions = 1
	}
	s.g.Context = ctx
	oids := append(append(make([]string, 0, n), nonRepeaters...), repeaters...)
	pkt, err := s.g.GetBulk(oids, uint8(len(nonRepeaters)), uint32(maxRepetitions))
	return s.result("getbulk", pkt, err)
}

func (s *session) Close() error { return s.g.Close() }

func (s *session) result(op string, pkt *gosnmp.SnmpPacket, err error) ([]ifmib.Varbind, error) {
	if err != nil {
		return nil, fmt.Errorf("%s from %s: %w", op, s.addr, classify(err))
	}
	if pkt == nil {
		return nil, fmt.Errorf("%s from %s: no response packet", op, s.addr)
	}
	if pkt.PDUType == gosnmp.Report {
		// an SNMPv3 report gosnmp did not resolve (e.g. out of the time
		// window twice): not data
		name := ""
		if len(pkt.Variables) > 0 {
			name = pkt.Variables[0].Name
		}
		return nil, fmt.Errorf("%s from %s: %w: agent sent a report (%s)", op, s.addr, ErrAuth, name)
	}
	if pkt.Error != gosnmp.NoError {
		return nil, fmt.Errorf("%s from %s: %w", op, s.addr, &StatusError{Status: int(pkt.Error), Index: int(pkt.ErrorIndex)})
	}
	out := make([]ifmib.Varbind, len(pkt.Variables))
	for i, v := range pkt.Variables {
		out[i] = Convert(v.Name, byte(v.Type), v.Value)
	}
	return out, nil
}

// classify maps gosnmp's errors onto this package's.
func classify(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, gosnmp.ErrMaxRetriesExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout(), errors.Is(err, syscall.ECONNREFUSED),
		strings.Contains(err.Error(), "timeout"):
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	case errors.Is(err, gosnmp.ErrUnknownUsername), errors.Is(err, gosnmp.ErrWrongDigest),
		errors.Is(err, gosnmp.ErrUnknownSecurityLevel), errors.Is(err, gosnmp.ErrDecryption):
		return fmt.Errorf("%w: %w", ErrAuth, err)
	}
	return err
}

// Convert turns one gosnmp variable (name, ASN.1 BER type byte, decoded
// value) into an ifmib.Varbind. Unknown combinations become TypeOther.
func Convert(name string, berType byte, value any) ifmib.Varbind {
	vb := ifmib.Varbind{OID: name}
	if name != "" && name[0] != '.' {
		vb.OID = "." + name
	}
	switch gosnmp.Asn1BER(berType) {
	case gosnmp.Integer:
		if v, ok := value.(int); ok {
			vb.Type, vb.Int = ifmib.TypeInteger, int64(v)
		}
	case gosnmp.OctetString:
		if v, ok := value.([]byte); ok {
			vb.Type, vb.Bytes = ifmib.TypeOctetString, v
		}
	case gosnmp.ObjectIdentifier:
		if v, ok := value.(string); ok {
			vb.Type, vb.Bytes = ifmib.TypeObjectIdentifier, []byte(v)
		}
	case gosnmp.IPAddress:
		if v, ok := value.(string); ok {
			vb.Type, vb.Bytes = ifmib.TypeIPAddress, []byte(v)
		}
	case gosnmp.Counter32, gosnmp.Gauge32, gosnmp.TimeTicks, gosnmp.Counter64, gosnmp.Uinteger32:
		t := map[gosnmp.Asn1BER]ifmib.Type{gosnmp.Counter32: ifmib.TypeCounter32, gosnmp.Gauge32: ifmib.TypeGauge32,
			gosnmp.TimeTicks: ifmib.TypeTimeTicks, gosnmp.Counter64: ifmib.TypeCounter64, gosnmp.Uinteger32: ifmib.TypeGauge32}[gosnmp.Asn1BER(berType)]
		switch v := value.(type) {
		case uint:
			vb.Type, vb.Uint = t, uint64(v)
		case uint32:
			vb.Type, vb.Uint = t, uint64(v)
		case uint64:
			vb.Type, vb.Uint = t, v
		case int:
			if v >= 0 {
				vb.Type, vb.Uint = t, uint64(v)
			}
		}
	case gosnmp.Null:
		vb.Type = ifmib.TypeNull
	case gosnmp.NoSuchObject:
		vb.Type = ifmib.TypeNoSuchObject
	case gosnmp.NoSuchInstance:
		vb.Type = ifmib.TypeNoSuchInstance
	case gosnmp.EndOfMibView:
		vb.Type = ifmib.TypeEndOfMibView
	}
	return vb
}
