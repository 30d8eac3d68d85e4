package onapi_test

import (
	"testing"

	"github.com/stadsnat/accessd/api/onapi"
)

// A parameter dhcplookup.md defines once is a 400 when it is repeated, in
// any case, and a query that is not URL-encoded is a 400: never "the first
// wins" (a look-up of a circuit the caller did not mean).
func TestDHCPLookupRepeatedParameter(t *testing.T) {
	h := lookupPaths(t)
	for _, q := range []string{
		"ipv4circuitid=eth%200%2F1&ipv4circuitid=nowhere&ipv4remoteid=10.10.10.10",
		"ipv4CircuitId=eth%200%2F1&IPV4CIRCUITID=eth%200%2F1",
		"ipv4option82=52&ipv4option82=52",
		"ipv4circuitid=%zz",
	} {
		got := get(t, h, onapi.Base+"dhcplookup/?"+q)
		if got != "400" {
			t.Errorf("dhcplookup/?%s: %s", q, got)
		}
	}
	if got := get(t, h, onapi.Base+"dhcplookup/?ipv4circuitid=eth%200%2F1&ipv4remoteid=10.10.10.10"); got != "200 SPEC" {
		t.Errorf("a good look-up: %s", got)
	}
}
