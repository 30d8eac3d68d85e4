package poller

import (
	"context"
	"net/netip"
	"testing"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/ifmib"
)

type contextT = context.Context

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// countingClient wraps a client to see how many requests run at once.
type countingClient struct {
	client.Client
	enter, leave func()
}

func (c countingClient) Get(ctx context.Context, oids []string) ([]ifmib.Varbind, error) {
	c.enter()
	defer c.leave()
	return c.Client.Get(ctx, oids)
}

func (c countingClient) GetBulk(ctx context.Context, nr, r []string, n int) ([]ifmib.Varbind, error) {
	c.enter()
	defer c.leave()
	return c.Client.GetBulk(ctx, nr, r, n)
}
