package dhcp4

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/stadsnat/accessd/dhcp/option82"
)

func seeds(f *testing.F) {
	f.Add(typicalRelayed(f))
	f.Add(build(f, dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest), dhcpv4.WithClientIP(net.IPv4(10, 0, 0, 9))))
	f.Add(build(f, dhcpv4.WithMessageType(dhcpv4.MessageTypeAck), dhcpv4.WithYourIP(net.IPv4(10, 0, 0, 9))))
	f.Add(withOptions(header(), OptMessageType, 1, 1, OptRelayAgent, 3, 1, 1, 'a', OptRelayAgent, 3, 1, 1, 'b'))
	f.Add(withOptions(header(), OptOverload, 1, 3, OptRelayAgent, 4, 1, 7, 'e', 't'))
	f.Add(withOptions(header(), 82, 0))
	f.Add(append(header(), 12, 5, 'a'))
	files, _ := filepath.Glob("testdata/lab-*.bin")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
}

// FuzzDecode is the differential test against insomniacslk/dhcp: for every
// input insomniacslk accepts, either we accept it too and agree on xid,
// addresses, chaddr and message type, or we refuse it for a reason where we
// are deliberately stricter (malformed option 82, invalid fixed-size option,
// overload, hlen). We never panic, and every error is a *DecodeError.
func FuzzDecode(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Packet
		err := p.Decode(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T %v is not a *DecodeError", err, err)
			}
			if de.Offset < 0 || de.Offset > len(b) {
				t.Fatalf("offset %d outside packet of %d bytes", de.Offset, len(b))
			}
		}
		ref, refErr := dhcpv4.FromBytes(b)
		if refErr != nil {
			return
		}
		if err != nil {
			switch {
			case errors.Is(err, ErrOption82), errors.Is(err, ErrOptionLength), errors.Is(err, ErrHLen):
				return // stricter by design
			case errors.Is(err, ErrOptionTruncated) && ref.Options.Has(dhcpv4.OptionOptionOverload):
				return // we also read the file/sname areas
			}
			t.Fatalf("insomniacslk accepts, we refuse: %v", err)
		}
		if p.XID != uint32(ref.TransactionID[0])<<24|uint32(ref.TransactionID[1])<<16|uint32(ref.TransactionID[2])<<8|uint32(ref.TransactionID[3]) {
			t.Fatalf("xid %08x vs %v", p.XID, ref.TransactionID)
		}
		for _, pair := range []struct {
			name string
			ours []byte
			ref  net.IP
		}{
			{"ciaddr", p.CIAddr.AsSlice(), ref.ClientIPAddr.To4()},
			{"yiaddr", p.YIAddr.AsSlice(), ref.YourIPAddr.To4()},
			{"siaddr", p.SIAddr.AsSlice(), ref.ServerIPAddr.To4()},
			{"giaddr", p.GIAddr.AsSlice(), ref.GatewayIPAddr.To4()},
		} {
			if !bytes.Equal(pair.ours, pair.ref) {
				t.Fatalf("%s: %v vs %v", pair.name, pair.ours, pair.ref)
			}
		}
		if !bytes.Equal(p.CHAddr[:p.HLen], ref.ClientHWAddr) {
			t.Fatalf("chaddr %x vs %x", p.CHAddr[:p.HLen], ref.ClientHWAddr)
		}
		if p.Overload == 0 && uint8(p.MessageType) != uint8(ref.MessageType()) {
			t.Fatalf("message type %v vs %v", p.MessageType, ref.MessageType())
		}
		if p.Overload == 0 {
			// Option 82 bytes: the concatenation of our instances is
			// insomniacslk's RFC 3396 value.
			var all []byte
			for _, o := range p.Option82 {
				all = append(all, o.Raw...)
			}
			if !bytes.Equal(all, ref.Options.Get(dhcpv4.OptionRelayAgentInformation)) {
				t.Fatalf("option 82 %x vs %x", all, ref.Options.Get(dhcpv4.OptionRelayAgentInformation))
			}
			for _, o := range p.Option82 {
				if _, err := option82.Parse(o.Raw); err != nil && len(p.Option82) > 1 {
					t.Fatalf("instance does not parse alone: %v", err)
				}
			}
		}
	})
}
