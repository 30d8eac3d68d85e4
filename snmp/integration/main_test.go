package integration

import (
	"testing"

	"github.com/stadsnat/accessd/internal/testkit"
)

// TestMain removes the commands testkit.Binaries built.
func TestMain(m *testing.M) { testkit.Main(m) }

// slow is why every test here skips under go test -short: each starts real
// peers (snmpd with veth ports, snmpsim, the daemon) and waits for poll
// cycles; together they take about a minute and a half.
const slow = "real SNMP peers and poll cycles"
