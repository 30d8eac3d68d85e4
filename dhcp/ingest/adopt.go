package ingest

import (
	"github.com/stadsnat/accessd/store"
)

// Adopt puts into the working set what another box learned and this
// box's store already holds (a hub applies its sites' bindings to the
// store, then here): the answers see it at once. Nothing is written: an
// adopted binding leaves the writer's pending work, so an older state in
// memory is never written over the one just stored.
func (s *Service) Adopt(bindings []store.BindingRecord, unknown []store.UnknownCircuit, unknownGone []string, lastO82 []store.LastOption82) {
	st := s.set
	st.mu.Lock()
	defer st.mu.Unlock()
	for i := range bindings {
		r := fromStore(&bindings[i])
		e := st.put(&r)
		e.storedExpires = r.Expires
		delete(st.pending.dirty, r.MAC)
		st.pending.dropLazy(e)
	}
	for _, k := range unknownGone {
		st.unknown.remove(k)
		delete(st.pending.unknown, k)
		delete(st.pending.unknownLazy, k)
	}
	for _, u := range unknown {
		c, _, _ := st.unknown.touch(u.Key)
		*c = u
		delete(st.pending.unknown, u.Key)
		delete(st.pending.unknownLazy, u.Key)
	}
	for _, l := range lastO82 {
		raw, err := hexBytes(l.Hex)
		if err != nil {
			continue
		}
		st.lastO82[l.Access] = newLastOption82(raw, l.Seen)
		delete(st.pending.lastO82, l.Access)
		delete(st.pending.lastO82Lazy, l.Access)
	}
}
