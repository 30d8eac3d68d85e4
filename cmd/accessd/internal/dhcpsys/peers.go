package dhcpsys

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/stadsnat/accessd/api/piapi"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/dhcp/ingest"
	"github.com/stadsnat/accessd/store"
)

// Bindings finds the access of a device by its live DHCP binding.
type Bindings interface {
	AccessByIP(ip netip.Addr) (accessID string, ok bool)
	AccessByMAC(mac [6]byte) (accessID string, ok bool)
}

// Neighbours is the neighbour table: the MAC behind an address on the
// box's own links.
type Neighbours interface {
	MAC(ctx context.Context, ip netip.Addr) (mac [6]byte, ok bool, err error)
}

// liveBindings finds visitors in the DHCP service's working set.
type liveBindings struct{ svc *ingest.Service }

func (l liveBindings) AccessByIP(ip netip.Addr) (string, bool) {
	b, ok := l.svc.BindingOfIP(ip)
	return live(b, ok)
}

func (l liveBindings) AccessByMAC(mac [6]byte) (string, bool) {
	b, ok := l.svc.Binding(hwaddr.MAC(mac))
	return live(b, ok)
}

// live is the access of an active, unexpired binding that has one.
func live(b store.BindingRecord, ok bool) (string, bool) {
	if !ok || !b.State.Active() || b.Access == "" || (!b.Expires.IsZero() && b.Expires.Before(time.Now())) {
		return "", false
	}
	return b.Access, true
}

// BindingClients lists the devices on an access for the PI-API link from
// its active DHCP bindings: the MAC of every active binding, its IP once
// bound (a tentative binding's address was only asked for).
type BindingClients struct {
	Of func(accessID string) ([]store.BindingRecord, error)
}

// ClientsOf implements piapi.ClientSource.
func (s BindingClients) ClientsOf(accessID string) ([]piapi.Client, error) {
	rs, err := s.Of(accessID)
	if err != nil {
		return nil, err
	}
	out := make([]piapi.Client, 0, len(rs))
	for _, r := range rs {
		c := piapi.Client{MAC: net.HardwareAddr(r.MAC[:])}
		if r.State == store.BindingBound {
			c.IP = r.IP
		}
		out = append(out, c)
	}
	return out, nil
}
