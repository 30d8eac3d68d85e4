package demosim

import (
	"github.com/stadsnat/accessd/snmp/portmatch"
)

// Circuit is a relay's Option 82 identity of one port: the remote-id (the
// relay switch) and the circuit-id (the port), as text.
type Circuit struct {
	RemoteID  string
	CircuitID string
}

// String returns the circuit as an inventory Option82 text: "remote circuit".
func (c Circuit) String() string { return c.RemoteID + " " + c.CircuitID }

// CircuitsFromOption82 returns the circuits of inventory Option82 texts
// ("127.0.0.1 acc0") whose switch is sw, in the order given; sw "" keeps
// every text that names a switch. Texts without a switch are skipped, and
// so are repeats.
func CircuitsFromOption82(texts []string, sw string) []Circuit {
	var out []Circuit
	seen := map[Circuit]bool{}
	for _, t := range texts {
		s, port, ok := portmatch.SplitOption82(t)
		if !ok || (sw != "" && s != sw) {
			continue
		}
		c := Circuit{RemoteID: s, CircuitID: port}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// PortsFromOption82 returns the port names of switch sw among inventory
// Option82 texts, in the order given, without repeats: the ports a
// simulated switch must have.
func PortsFromOption82(texts []string, sw string) []string {
	var out []string
	for _, c := range CircuitsFromOption82(texts, sw) {
		out = append(out, c.CircuitID)
	}
	return out
}
