package demosim

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/gosnmp/gosnmp"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/ifmib"
)

// SNMP error-status values (RFC 3416) the front answers itself.
const (
	statusTooBig      = 1
	statusNotWritable = 17
)

// maxBulkVarbinds bounds the varbinds one GETBULK response is built from
// before it is shortened to the message size.
const maxBulkVarbinds = 2048

// front answers SNMPv2c request datagrams from a session with the fake
// agent: it is the agent's UDP face. Not safe for concurrent use (the
// switch calls it from its one reader goroutine).
type front struct {
	community []byte
	maxSize   int
	sess      client.Client
}

// errNoAnswer: the datagram gets no response (not SNMPv2c, wrong
// community, not a request, or the agent is silent).
var errNoAnswer = errors.New("no answer")

// handle returns the response datagram to pkt, or an error saying why
// there is none (wrapping errNoAnswer). A panic in gosnmp's decoder is a
// malformed packet.
func (f *front) handle(ctx context.Context, pkt []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%w: malformed request: decoder panic: %v", errNoAnswer, r)
		}
	}()
	if len(pkt) < 2 || pkt[0] != 0x30 {
		return nil, fmt.Errorf("%w: not a BER SEQUENCE", errNoAnswer)
	}
	dec := &gosnmp.GoSNMP{Version: gosnmp.Version2c}
	req, err := dec.SnmpDecodePacket(pkt)
	if err != nil {
		return nil, fmt.Errorf("%w: malformed request: %v", errNoAnswer, err)
	}
	if req.Version != gosnmp.Version2c {
		return nil, fmt.Errorf("%w: SNMP version %v (only v2c is served)", errNoAnswer, req.Version)
	}
	if subtle.ConstantTimeCompare([]byte(req.Community), f.community) != 1 {
		return nil, fmt.Errorf("%w: wrong community", errNoAnswer)
	}
	oids := make([]string, len(req.Variables))
	for i, v := range req.Variables {
		oids[i] = v.Name
	}
	resp := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: req.Community, PDUType: gosnmp.GetResponse,
		RequestID: req.RequestID}
	nonRep := 0
	var vbs []ifmib.Varbind
	switch req.PDUType {
	case gosnmp.GetRequest:
		vbs, err = chunked(oids, func(o []string) ([]ifmib.Varbind, error) { return f.sess.Get(ctx, o) })
	case gosnmp.GetNextRequest:
		vbs, err = chunked(oids, func(o []string) ([]ifmib.Varbind, error) { return f.sess.GetBulk(ctx, o, nil, 1) })
	case gosnmp.GetBulkRequest:
		if len(oids) > client.MaxOIDs {
			resp.Error = statusTooBig
			return f.fit(resp, 0, 0)
		}
		nonRep = min(int(req.NonRepeaters), len(oids))
		rep := oids[nonRep:]
		reps := int(min(req.MaxRepetitions, maxBulkVarbinds))
		if len(rep) > 0 {
			reps = min(reps, max(1, (maxBulkVarbinds-nonRep)/len(rep)))
		}
		if len(rep) == 0 || reps < 1 {
			reps = 0
		}
		vbs, err = f.sess.GetBulk(ctx, oids[:nonRep], rep, reps)
		if err == nil && reps == 0 {
			vbs = vbs[:nonRep] // GETBULK with max-repetitions 0: the non-repeaters only
		}
	case gosnmp.SetRequest:
		resp.Error, resp.ErrorIndex = statusNotWritable, 1
		resp.Variables = req.Variables
		return resp.MarshalMsg()
	default:
		return nil, fmt.Errorf("%w: PDU type %v is not a request", errNoAnswer, req.PDUType)
	}
	var se *client.StatusError
	switch {
	case errors.As(err, &se):
		resp.Error = gosnmp.SNMPError(se.Status)
		return f.fit(resp, 0, 0)
	case err != nil:
		return nil, fmt.Errorf("%w: agent: %v", errNoAnswer, err)
	}
	resp.Variables = make([]gosnmp.SnmpPDU, len(vbs))
	for i, vb := range vbs {
		resp.Variables[i] = toPDU(vb)
	}
	if req.PDUType == gosnmp.GetBulkRequest {
		return f.fit(resp, nonRep, max(1, len(oids)-nonRep))
	}
	return f.fit(resp, len(resp.Variables), 0)
}

// chunked asks the agent for oids at most client.MaxOIDs at a time.
func chunked(oids []string, ask func([]string) ([]ifmib.Varbind, error)) ([]ifmib.Varbind, error) {
	var out []ifmib.Varbind
	for len(oids) > 0 {
		n := min(len(oids), client.MaxOIDs)
		vbs, err := ask(oids[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, vbs...)
		oids = oids[n:]
	}
	return out, nil
}

// fit marshals resp, dropping whole repetitions (of width each, after the
// first keep varbinds) until the message fits in maxSize; when even keep
// varbinds do not fit, the answer is tooBig with no varbinds (RFC 3416
// 4.2.1, 4.2.3).
func (f *front) fit(resp *gosnmp.SnmpPacket, keep, width int) ([]byte, error) {
	for {
		out, err := resp.MarshalMsg()
		if err != nil {
			return nil, fmt.Errorf("encode response: %w", err)
		}
		if len(out) <= f.maxSize {
			return out, nil
		}
		n := len(resp.Variables)
		if width == 0 || n <= keep {
			if resp.Error == statusTooBig && n == 0 {
				return nil, fmt.Errorf("%w: even an empty response exceeds %d bytes", errNoAnswer, f.maxSize)
			}
			resp.Error, resp.ErrorIndex, resp.Variables = statusTooBig, 0, nil
			width, keep = 0, 0
			continue
		}
		// drop the last (possibly partial) repetition
		cut := keep + (n-keep-1)/width*width
		resp.Variables = resp.Variables[:cut]
	}
}

// toPDU converts a varbind into gosnmp's form (the inverse of
// client.Convert).
func toPDU(vb ifmib.Varbind) gosnmp.SnmpPDU {
	p := gosnmp.SnmpPDU{Name: vb.OID}
	switch vb.Type {
	case ifmib.TypeInteger:
		p.Type, p.Value = gosnmp.Integer, int(vb.Int)
	case ifmib.TypeOctetString:
		p.Type, p.Value = gosnmp.OctetString, vb.Bytes
	case ifmib.TypeObjectIdentifier:
		p.Type, p.Value = gosnmp.ObjectIdentifier, string(vb.Bytes)
	case ifmib.TypeIPAddress:
		p.Type, p.Value = gosnmp.IPAddress, string(vb.Bytes)
	case ifmib.TypeCounter32:
		p.Type, p.Value = gosnmp.Counter32, uint32(vb.Uint)
	case ifmib.TypeGauge32:
		p.Type, p.Value = gosnmp.Gauge32, uint32(vb.Uint)
	case ifmib.TypeTimeTicks:
		p.Type, p.Value = gosnmp.TimeTicks, uint32(vb.Uint)
	case ifmib.TypeCounter64:
		p.Type, p.Value = gosnmp.Counter64, vb.Uint
	case ifmib.TypeNoSuchObject:
		p.Type = gosnmp.NoSuchObject
	case ifmib.TypeNoSuchInstance:
		p.Type = gosnmp.NoSuchInstance
	case ifmib.TypeEndOfMibView:
		p.Type = gosnmp.EndOfMibView
	default:
		p.Type = gosnmp.Null
	}
	return p
}
