package demosim

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// option82 encodes the relay agent information of c: circuit-id (1) and
// remote-id (2), as text.
func option82(c Circuit) []byte {
	v := append([]byte{1, byte(len(c.CircuitID))}, c.CircuitID...)
	if c.RemoteID != "" {
		v = append(append(v, 2, byte(len(c.RemoteID))), c.RemoteID...)
	}
	return v
}

// relayed builds a BOOTREQUEST of client i as its relay forwards it: hops
// 1, giaddr, the client's options, and option 82 last (insomniacslk puts
// it there, as RFC 3046 2.1 asks).
func (r *Relay) relayed(i int, xid uint32, mt dhcpv4.MessageType, more ...dhcpv4.Modifier) ([]byte, error) {
	c := r.clients[i]
	mods := []dhcpv4.Modifier{
		dhcpv4.WithMessageType(mt),
		dhcpv4.WithTransactionID(dhcpv4.TransactionID{byte(xid >> 24), byte(xid >> 16), byte(xid >> 8), byte(xid)}),
		dhcpv4.WithHwAddr(c.MAC),
		dhcpv4.WithGatewayIP(r.o.GIAddr.AsSlice()),
		func(d *dhcpv4.DHCPv4) { d.HopCount = 1 },
		dhcpv4.WithOption(dhcpv4.OptClientIdentifier(append([]byte{1}, c.MAC...))),
		dhcpv4.WithOption(dhcpv4.OptParameterRequestList(dhcpv4.OptionSubnetMask, dhcpv4.OptionRouter,
			dhcpv4.OptionDomainNameServer, dhcpv4.OptionIPAddressLeaseTime)),
	}
	mods = append(mods, more...)
	mods = append(mods, dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.OptionRelayAgentInformation, option82(c.Circuit))))
	d, err := dhcpv4.New(mods...)
	if err != nil {
		return nil, fmt.Errorf("build %v: %w", mt, err)
	}
	return d.ToBytes(), nil
}

func (r *Relay) discover(i int, xid uint32) ([]byte, error) {
	return r.relayed(i, xid, dhcpv4.MessageTypeDiscover)
}

// selecting is the REQUEST that answers an offer: option 50 and the
// chosen server's option 54.
func (r *Relay) selecting(i int, xid uint32, ip netip.Addr) ([]byte, error) {
	return r.relayed(i, xid, dhcpv4.MessageTypeRequest,
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.IP(ip.AsSlice()))),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IP(r.o.ServerID.AsSlice()))))
}

// renewal is the REQUEST of a client extending its lease: ciaddr set, no
// option 50 or 54 (the REBINDING form, broadcast, which the relay sees).
func (r *Relay) renewal(i int, xid uint32) ([]byte, error) {
	return r.relayed(i, xid, dhcpv4.MessageTypeRequest, dhcpv4.WithClientIP(net.IP(r.Current(i).AsSlice())))
}
