package demosim

import (
	"fmt"
	"net"
	"strconv"

	"github.com/gosnmp/gosnmp"

	"github.com/stadsnat/accessd/snmp/ifmib"
)

// The SNMPv2-MIB notification objects of a link trap (RFC 3418, RFC 2863).
const (
	oidSnmpTrapOID = ".1.3.6.1.6.3.1.1.4.1.0"
	oidLinkDown    = ".1.3.6.1.6.3.1.1.5.3"
	oidLinkUp      = ".1.3.6.1.6.3.1.1.5.4"
)

// linkTrap encodes the SNMPv2-Trap of a link change of ifIndex idx, as
// RFC 2863 defines it: sysUpTime.0, snmpTrapOID.0, then ifIndex,
// ifAdminStatus and ifOperStatus of the interface.
func linkTrap(community string, reqID, uptime uint32, idx int, oper ifmib.OperStatus) ([]byte, error) {
	trapOID := oidLinkDown
	if oper == ifmib.OperUp {
		trapOID = oidLinkUp
	}
	p := &gosnmp.SnmpPacket{
		Version: gosnmp.Version2c, Community: community, PDUType: gosnmp.SNMPv2Trap, RequestID: reqID,
		Variables: []gosnmp.SnmpPDU{
			{Name: ifmib.OIDSysUpTime, Type: gosnmp.TimeTicks, Value: uptime},
			{Name: oidSnmpTrapOID, Type: gosnmp.ObjectIdentifier, Value: trapOID},
			{Name: ifmib.OIDIfIndex + "." + strconv.Itoa(idx), Type: gosnmp.Integer, Value: idx},
			{Name: ifmib.ColAdmin.Instance(idx), Type: gosnmp.Integer, Value: int(ifmib.AdminUp)},
			{Name: ifmib.ColOper.Instance(idx), Type: gosnmp.Integer, Value: int(oper)},
		},
	}
	b, err := p.MarshalMsg()
	if err != nil {
		return nil, fmt.Errorf("encode link trap: %w", err)
	}
	return b, nil
}

// sendTrap sends the link trap of idx from the switch's own socket.
func (s *Switch) sendTrap(conn *net.UDPConn, to *net.UDPAddr, reqID uint32, idx int, oper ifmib.OperStatus) error {
	b, err := linkTrap(s.o.TrapCommunity, reqID, s.agent.Uptime(), idx, oper)
	if err != nil {
		return err
	}
	if _, err := conn.WriteToUDP(b, to); err != nil {
		return fmt.Errorf("send link trap to %s: %w", to, err)
	}
	return nil
}
