package kealease

import (
	"net/netip"
	"time"

	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/dhcp/option82"
)

// State is Kea's lease state column.
type State uint8

// Kea lease states.
const (
	StateDefault          State = 0
	StateDeclined         State = 1
	StateExpiredReclaimed State = 2
)

func (s State) String() string {
	switch s {
	case StateDefault:
		return "default"
	case StateDeclined:
		return "declined"
	case StateExpiredReclaimed:
		return "expired-reclaimed"
	}
	return "state(" + itoa(int(s)) + ")"
}

// Lease is one row of the lease file.
type Lease struct {
	Line    int // 1-based line number in the file
	Address netip.Addr
	// HWAddr is the raw hardware address (Kea allows any length, or none).
	HWAddr []byte
	// ClientID is the raw client identifier (option 61), if any.
	ClientID      []byte
	ValidLifetime time.Duration
	Expire        time.Time
	SubnetID      uint32
	FQDNFwd       bool
	FQDNRev       bool
	// Hostname is personal data: keep it out of logs.
	Hostname string
	State    State
	// UserContext is the raw (unescaped) JSON of the user_context column.
	UserContext string
	// RelayAgentInfo is the option 82 value from user_context (nil when
	// absent); RemoteID and RelayID are Kea 2.3+'s extracted copies.
	RelayAgentInfo []byte
	RemoteID       []byte
	RelayID        []byte
	// PoolID is Kea 2.6+'s pool_id column (0 when absent).
	PoolID uint32
}

// MAC returns the hardware address when it is 6 bytes long.
func (l *Lease) MAC() (hwaddr.MAC, bool) { return hwaddr.FromBytes(l.HWAddr) }

// CLTT returns the client's last transmission time, expire - valid_lifetime.
func (l *Lease) CLTT() time.Time { return l.Expire.Add(-l.ValidLifetime) }

// Released reports a row that ends the lease: valid_lifetime 0 (released or
// deleted) or state expired-reclaimed.
func (l *Lease) Released() bool {
	return l.ValidLifetime == 0 || l.State == StateExpiredReclaimed
}

// Active reports whether the lease is held at time now: default state, a
// lifetime, and an expiry after now.
func (l *Lease) Active(now time.Time) bool {
	return l.State == StateDefault && l.ValidLifetime > 0 && l.Expire.After(now)
}

// Option82 parses RelayAgentInfo; ok is false when the row has none.
func (l *Lease) Option82() (opt option82.Option, ok bool, err error) {
	if l.RelayAgentInfo == nil {
		return option82.Option{}, false, nil
	}
	o, err := option82.Parse(l.RelayAgentInfo)
	if err != nil {
		return option82.Option{}, true, err
	}
	return o, true, nil
}
