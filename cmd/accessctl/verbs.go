package main

// extraVerbs are the commands of the subsystems (DHCP look-ups, SNMP
// ports, services and orders), each defined in its own file.
func extraVerbs() []verb {
	var vs []verb
	for _, group := range verbGroups() {
		vs = append(vs, group...)
	}
	return vs
}

// verbGroups lists each subsystem's commands.
func verbGroups() [][]verb {
	return [][]verb{
		dhcpVerbs(),
		snmpVerbs(),
		ordersVerbs(),
		upstreamVerbs(),
		clusterVerbs(),
	}
}
