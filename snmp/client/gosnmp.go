package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/gosnmp/gosnmp"

	"github.com/stadsnat/accessd/snmp/ifmib"
	"github.com/stadsnat/accessd/snmp/internal/usm"
)

// Net dials real agents with gosnmp over UDP.
type Net struct{}

// Dial opens a UDP session with t.Address. It sends nothing: an agent
// that does not answer shows only at the first request.
//
// Each gosnmp socket comes with a 64 KiB receive buffer: with thousands of
// switches that was most of the daemon's memory. A session gives socket
// and buffer back on Idle (the poller calls it after each cycle) and
// opens a new socket at its next request. An SNMPv2c session opens it on
// a gosnmp value (and buffer) another idle session gave back: as many
// buffers as sessions at work, and none made and thrown away per cycle.
// An SNMPv3 session connects a new gosnmp value (gosnmp sets up the
// security parameters there: a new salt for privacy) and keeps its
// security parameters and context engine ID (no new engine discovery, no
// new keys).
func (Net) Dial(ctx context.Context, t Target) (Client, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	s := &session{t: t, addr: t.Address}
	if u := t.Credentials.V3; u != nil {
		// A fresh parameter struct per session: gosnmp stores the agent's
		// engine ID, boots and time in it.
		s.sp, s.flags = usmParameters(*u)
	}
	if err := s.open(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// carriers are gosnmp values of idle sessions, each with the receive
// buffer its first Connect made, for the next SNMPv2c session to open a
// socket on. gosnmp makes a new buffer at every Connect, so a reused value
// gets its socket from carry instead.
var carriers sync.Pool

// open gives an idle session a gosnmp value with a socket to its agent.
func (s *session) open(ctx context.Context) error {
	if s.g != nil {
		return nil
	}
	t := s.t
	host, port, _ := SplitAddress(t.Address)
	var g *gosnmp.GoSNMP
	reused := false
	if t.Credentials.V3 == nil {
		g, reused = carriers.Get().(*gosnmp.GoSNMP)
	}
	if !reused {
		g = &gosnmp.GoSNMP{}
	}
	// Every field a session sets, set again: a reused value was another
	// agent's.
	g.Target, g.Port, g.Transport, g.Context = host, port, "udp", ctx
	g.Timeout, g.Retries, g.ExponentialTimeout, g.MaxOids = t.Timeout, t.Retries, false, MaxOIDs
	g.OnSent, g.OnRetry = nil, nil
	if t.Hooks.OnSend != nil {
		g.OnSent = func(*gosnmp.GoSNMP) { t.Hooks.OnSend() }
	}
	if t.Hooks.OnRetry != nil {
		g.OnRetry = func(*gosnmp.GoSNMP) { t.Hooks.OnRetry() }
	}
	g.Version, g.Community = gosnmp.Version2c, t.Credentials.Community
	g.SecurityModel, g.ContextName, g.ContextEngineID, g.SecurityParameters, g.MsgFlags = 0, "", "", nil, 0
	if u := t.Credentials.V3; u != nil {
		g.Version, g.Community, g.SecurityModel, g.ContextName = gosnmp.Version3, "", gosnmp.UserSecurityModel, u.ContextName
		g.SecurityParameters, g.MsgFlags, g.ContextEngineID = s.sp, s.flags, s.contextEngineID
	}
	var err error
	if reused {
		err = carry(ctx, g)
	} else {
		err = g.Connect()
	}
	if err != nil {
		return fmt.Errorf("agent %s: %w", t.Address, err)
	}
	s.g = g
	return nil
}

// carry opens g's socket as gosnmp's Connect does for UDP (a connected
// socket, no local address), without a new receive buffer.
func carry(ctx context.Context, g *gosnmp.GoSNMP) error {
	d := net.Dialer{Timeout: g.Timeout}
	conn, err := d.DialContext(ctx, "udp", net.JoinHostPort(g.Target, strconv.Itoa(int(g.Port))))
	if err != nil {
		return fmt.Errorf("error establishing connection to host: %w", err)
	}
	g.Conn = conn
	return nil
}

// release closes s's socket and gives its gosnmp value to the next
// session that opens one.
func (s *session) release() error {
	if s.g == nil {
		return nil
	}
	err := s.g.Close()
	s.contextEngineID = s.g.ContextEngineID // gosnmp learnt it from the agent's first SNMPv3 answer
	s.g.Context, s.g.OnSent, s.g.OnRetry, s.g.SecurityParameters = nil, nil, nil, nil
	carriers.Put(s.g)
	s.g = nil
	return err
}

func usmParameters(u USM) (*gosnmp.UsmSecurityParameters, gosnmp.SnmpV3MsgFlags) {
	auth, _ := ParseAuthProtocol(string(u.Auth))
	priv, _ := ParsePrivProtocol(string(u.Priv))
	sp, flags, _ := usm.Params(u.User, string(auth), u.AuthPass, string(priv), u.PrivPass)
	return sp, flags
}

type session struct {
	t     Target
	addr  string
	sp    *gosnmp.UsmSecurityParameters // SNMPv3: kept across sockets
	flags gosnmp.SnmpV3MsgFlags
	// contextEngineID is the SNMPv3 context engine ID gosnmp learnt.
	contextEngineID string
	g               *gosnmp.GoSNMP // nil while idle
}

// Idle closes the session's socket and gives its receive buffer to the
// next session that opens one; its next request opens a new socket.
func (s *session) Idle() { s.release() }

func (s *session) Get(ctx context.Context, oids []string) ([]ifmib.Varbind, error) {
	if len(oids) > MaxOIDs {
		return nil, fmt.Errorf("get from %s: %d OIDs, at most %d per request", s.addr, len(oids), MaxOIDs)
	}
	if err := s.open(ctx); err != nil {
		return nil, err
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
	if err := s.open(ctx); err != nil {
		return nil, err
	}
	s.g.Context = ctx
	oids := append(append(make([]string, 0, n), nonRepeaters...), repeaters...)
	pkt, err := s.g.GetBulk(oids, uint8(len(nonRepeaters)), uint32(maxRepetitions))
	return s.result("getbulk", pkt, err)
}

func (s *session) Close() error { return s.release() }

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
