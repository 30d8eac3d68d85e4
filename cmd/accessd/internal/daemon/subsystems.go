package daemon

// subsystemTasks are the tasks of the DHCP and SNMP subsystems, built from
// the configuration; each subsystem's wiring file adds its own.
func (d *Daemon) subsystemTasks() []task {
	var ts []task
	for _, build := range d.subsystemBuilders() {
		ts = append(ts, build()...)
	}
	return ts
}

// subsystemBuilders lists the wiring of each subsystem.
func (d *Daemon) subsystemBuilders() []func() []task {
	return []func() []task{
		d.dhcpTasks,
		d.snmpTasks,
		d.ordersTasks,
	}
}
