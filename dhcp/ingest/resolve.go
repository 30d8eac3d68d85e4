package ingest

import (
	"github.com/stadsnat/accessd/dhcp/lookup"
	"github.com/stadsnat/accessd/dhcp/option82"
)

// Resolver returns the service's option82 / dhcplookup resolver (it
// implements piapi.Resolver): the one resolver of package lookup over the
// store's inventory, the service's current decoder profiles, and its live
// bindings as the live step.
func (s *Service) Resolver() *lookup.Resolver { return s.resolver }

// LiveAccess implements lookup.Live: the access that packets whose
// Option 82 has the key (lookup.LiveKey) resolved to, since the inventory
// last changed.
func (s *Service) LiveAccess(key string) (string, bool) {
	s.set.mu.RLock()
	defer s.set.mu.RUnlock()
	id, ok := s.set.learned[key]
	return id, ok
}

// Decoded is what one profile makes of an Option 82 (accessctl lookup
// option82).
type Decoded = lookup.Decoded

// DecodeAll decodes opts with every configured profile (no matchers, no
// giaddr), for people who want to see what each would make of it.
func (s *Service) DecodeAll(opts []option82.Option) []Decoded {
	return s.profile.Load().lookup.Decode(opts)
}
