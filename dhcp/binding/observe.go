package binding

import (
	"time"

	"github.com/stadsnat/accessd/dhcp/dhcp4"
	"github.com/stadsnat/accessd/dhcp/kealease"
)

// FromPacket turns a decoded packet into an observation. access and circuit
// are what the circuit decoder and the inventory made of its option 82 (""
// when unknown). ok is false for a packet without an Ethernet chaddr or
// without a known DHCP message type: nothing to learn.
func FromPacket(p *dhcp4.Packet, src Source, at time.Time, access, circuit string) (Observation, bool) {
	mac, ok := p.MAC()
	if !ok {
		return Observation{}, false
	}
	var k Kind
	switch p.MessageType {
	case dhcp4.Discover:
		k = Discover
	case dhcp4.Offer:
		k = Offer
	case dhcp4.Request:
		k = Request
	case dhcp4.Decline:
		k = Decline
	case dhcp4.Ack:
		k = Ack
	case dhcp4.Nak:
		k = Nak
	case dhcp4.Release:
		k = Release
	case dhcp4.Inform:
		k = Inform
	default:
		return Observation{}, false
	}
	ob := Observation{
		Source: src, Kind: k, Time: at, MAC: mac,
		CIAddr: p.CIAddr, YIAddr: p.YIAddr, RequestedIP: p.RequestedIP, ServerID: p.ServerID,
		Access: access, Circuit: circuit, Option82: len(p.Option82) > 0, GIAddr: p.GIAddr,
	}
	if p.HasLeaseTime {
		ob.LeaseTime = time.Duration(p.LeaseTime) * time.Second
	}
	if len(p.Hostname) > 0 {
		ob.Hostname = string(p.Hostname)
	}
	return ob, true
}

// FromLease turns a Kea lease row into an observation (Time is the row's
// cltt). ok is false for a row without a 6-byte hardware address (Kea clears
// it on a declined lease).
func FromLease(l *kealease.Lease, access, circuit string) (Observation, bool) {
	mac, ok := l.MAC()
	if !ok {
		return Observation{}, false
	}
	var k Kind
	switch {
	case l.State == kealease.StateDeclined:
		k = LeaseDeclined
	case l.State == kealease.StateExpiredReclaimed:
		k = LeaseReclaimed
	case l.ValidLifetime == 0:
		k = LeaseReleased
	case l.State == kealease.StateDefault:
		k = LeaseActive
	default:
		return Observation{}, false
	}
	return Observation{
		Source: SourceKea, Kind: k, Time: l.CLTT(), MAC: mac,
		YIAddr: l.Address, LeaseTime: l.ValidLifetime, Expire: l.Expire,
		Access: access, Circuit: circuit, Hostname: l.Hostname,
	}, true
}
