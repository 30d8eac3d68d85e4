package web

import "sync/atomic"

// maxVerified bounds the Authorization values a Users remembers: a few
// per user (clients differ in how they spell "Basic"), and a full set
// starts over rather than grow.
const maxVerified = 32

// verified remembers the Authorization header values that checked out,
// exactly as sent, so that a service provider's system calling a look-up
// thousands of times a second with the same credentials pays for one
// base64 decoding and SHA-256 digest, not one a request (about a tenth
// of what the router adds to a look-up). The set is replaced whole on a
// change (readers take no lock) and lives as long as its Users: a
// reloaded configuration starts with none.
//
// What it may tell an attacker: a value it holds is answered sooner than
// one it does not, and a value it holds is a right password, which the
// answer (200 against 401) says anyway. The map's hash is seeded per
// process, so the time of a look-up for a wrong value says nothing of how
// close it came.
type verified struct {
	set atomic.Pointer[map[string]*userEntry]
}

// lookup returns the entry of a value that checked out.
func (v *verified) lookup(auth string) (*userEntry, bool) {
	m := v.set.Load()
	if m == nil {
		return nil, false
	}
	e, ok := (*m)[auth]
	return e, ok
}

// remember notes that auth checked out as e's credentials.
func (v *verified) remember(auth string, e *userEntry) {
	for {
		old := v.set.Load()
		next := make(map[string]*userEntry, 1)
		if old != nil && len(*old) < maxVerified {
			for k, x := range *old {
				next[k] = x
			}
		}
		next[auth] = e
		if v.set.CompareAndSwap(old, &next) {
			return
		}
	}
}
