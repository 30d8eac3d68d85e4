package demosim

import (
	"strconv"

	"github.com/stadsnat/accessd/snmp/ifmib"
)

// Scalars of the system group and IF-MIB the simulated switch serves
// besides the columns ifmib names.
const (
	oidSysDescr    = ".1.3.6.1.2.1.1.1.0"
	oidSysObjectID = ".1.3.6.1.2.1.1.2.0"
	oidSysContact  = ".1.3.6.1.2.1.1.4.0"
	oidSysName     = ".1.3.6.1.2.1.1.5.0"
	oidSysLocation = ".1.3.6.1.2.1.1.6.0"
	oidIfNumber    = ".1.3.6.1.2.1.2.1.0"
	colIfType      = ".1.3.6.1.2.1.2.2.1.3"
	colIfMtu       = ".1.3.6.1.2.1.2.2.1.4"

	// netSnmpAgentOIDs.10 (Linux), what a small Linux-based switch reports.
	sysObjectID = ".1.3.6.1.4.1.8072.3.2.10"
	// startUptime is the agent's sysUpTime when the demo starts: 42 days,
	// so that "since" times look like a switch that has been running.
	startUptime = 42 * 24 * 3600 * ifmib.TicksPerSecond
	// maxGauge32 is ifSpeed for an interface faster than 4.29 Gbit/s.
	maxGauge32 = 1<<32 - 1
)

// SpeedMbit is the simulated speed of the port at index i, in Mbit/s:
// 100 when i mod 4 = 1, 10000 when i mod 4 = 3, 1000 otherwise.
func SpeedMbit(i int) uint64 {
	switch i % 4 {
	case 1:
		return 100
	case 3:
		return 10000
	}
	return 1000
}

func str(oid, s string) ifmib.Varbind {
	return ifmib.Varbind{OID: oid, Type: ifmib.TypeOctetString, Bytes: []byte(s)}
}

func integer(oid string, v int64) ifmib.Varbind {
	return ifmib.Varbind{OID: oid, Type: ifmib.TypeInteger, Int: v}
}

func gauge(oid string, v uint64) ifmib.Varbind {
	return ifmib.Varbind{OID: oid, Type: ifmib.TypeGauge32, Uint: v}
}

func ticks(oid string, v uint64) ifmib.Varbind {
	return ifmib.Varbind{OID: oid, Type: ifmib.TypeTimeTicks, Uint: v}
}

// switchMIB returns the varbinds of a switch with the given ports (ifIndex
// i+1 for ports[i]); down[i] makes the port's link down. Every port's last
// change lies some hours before the start, a different time per port.
func switchMIB(name string, ports []string, down []bool) []ifmib.Varbind {
	vbs := []ifmib.Varbind{
		str(oidSysDescr, "accessd demo access switch (simulated), "+strconv.Itoa(len(ports))+" access ports"),
		{OID: oidSysObjectID, Type: ifmib.TypeObjectIdentifier, Bytes: []byte(sysObjectID)},
		ticks(ifmib.OIDSysUpTime, startUptime),
		str(oidSysContact, "NOC <noc@example.net>"),
		str(oidSysName, name),
		str(oidSysLocation, "accessd demo"),
		integer(oidIfNumber, int64(len(ports))),
		ticks(ifmib.OIDIfTableLastChange, 0),
	}
	for i, p := range ports {
		idx := i + 1
		mbit := SpeedMbit(i)
		oper := ifmib.OperUp
		if down[i] {
			oper = ifmib.OperDown
		}
		since := startUptime - uint64(i+1)*3*3600*ifmib.TicksPerSecond
		vbs = append(vbs,
			integer(ifmib.OIDIfIndex+"."+strconv.Itoa(idx), int64(idx)),
			str(ifmib.ColDescr.Instance(idx), p),
			integer(colIfType+"."+strconv.Itoa(idx), 6), // ethernetCsmacd
			integer(colIfMtu+"."+strconv.Itoa(idx), 1500),
			gauge(ifmib.ColSpeed.Instance(idx), min(mbit*1_000_000, maxGauge32)),
			integer(ifmib.ColAdmin.Instance(idx), int64(ifmib.AdminUp)),
			integer(ifmib.ColOper.Instance(idx), int64(oper)),
			ticks(ifmib.ColLastChange.Instance(idx), since),
			str(ifmib.ColName.Instance(idx), p),
			gauge(ifmib.ColHighSpeed.Instance(idx), mbit),
			str(ifmib.ColAlias.Instance(idx), ""),
		)
	}
	return vbs
}
