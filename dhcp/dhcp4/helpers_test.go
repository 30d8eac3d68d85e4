package dhcp4

import (
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

var (
	testMAC = net.HardwareAddr{0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e}
	// PI-API example value: circuit-id "eth 0/1", remote-id "10.10.10.10".
	testO82 = []byte{1, 7, 'e', 't', 'h', ' ', '0', '/', '1', 2, 11, '1', '0', '.', '1', '0', '.', '1', '0', '.', '1', '0'}
)

// build makes a packet with insomniacslk (the reference encoder).
func build(t testing.TB, mods ...dhcpv4.Modifier) []byte {
	t.Helper()
	base := []dhcpv4.Modifier{
		dhcpv4.WithHwAddr(testMAC),
		dhcpv4.WithTransactionID(dhcpv4.TransactionID{0xde, 0xad, 0xbe, 0xef}),
	}
	d, err := dhcpv4.New(append(base, mods...)...)
	if err != nil {
		t.Fatal(err)
	}
	return d.ToBytes()
}

// typicalRelayed is a DISCOVER as a switch relays it: hops 1, giaddr set,
// client options (client-id, hostname, parameter list, max size, vendor
// class) and option 82 last.
func typicalRelayed(t testing.TB) []byte {
	return build(t,
		dhcpv4.WithMessageType(dhcpv4.MessageTypeDiscover),
		dhcpv4.WithGatewayIP(net.IPv4(10, 0, 0, 1)),
		func(d *dhcpv4.DHCPv4) { d.HopCount = 1 },
		dhcpv4.WithOption(dhcpv4.OptClientIdentifier(append([]byte{1}, testMAC...))),
		dhcpv4.WithOption(dhcpv4.OptHostName("host-1")),
		dhcpv4.WithOption(dhcpv4.OptParameterRequestList(dhcpv4.OptionSubnetMask, dhcpv4.OptionRouter, dhcpv4.OptionDomainNameServer, dhcpv4.OptionDomainName, dhcpv4.OptionBroadcastAddress, dhcpv4.OptionNTPServers, dhcpv4.OptionIPAddressLeaseTime, dhcpv4.OptionRenewTimeValue, dhcpv4.OptionRebindingTimeValue)),
		dhcpv4.WithOption(dhcpv4.OptMaxMessageSize(1500)),
		dhcpv4.WithOption(dhcpv4.OptClassIdentifier("udhcp 1.36.1")),
		dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.OptionRelayAgentInformation, testO82)),
	)
}

var cmpOpts = []cmp.Option{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmpopts.IgnoreUnexported(Packet{}),
	cmpopts.EquateEmpty(),
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// header returns a 240-byte BOOTREQUEST header with the magic cookie and
// the test MAC, for hand-made packets.
func header() []byte {
	b := make([]byte, MinLen)
	b[0], b[1], b[2] = 1, 1, 6
	copy(b[28:], testMAC)
	copy(b[236:], []byte{99, 130, 83, 99})
	return b
}
