package web

import "sync/atomic"

// maxVerified bounds the credentials a Verified remembers: a few per user
// (clients differ in how they spell "Basic"), and a full set starts over
// rather than grow.
const maxVerified = 32

// Verified remembers credentials that checked out, exactly as sent, so
// that a system calling a look-up thousands of times a second with the
// same credentials pays for one digest, not one a request (for HTTP
// Basic a base64 decoding and a SHA-256 digest, about a tenth of what the
// router adds to a look-up; for Atlas's api_user and api_key two). The set
// is replaced whole on a change (readers take no lock) and lives as long
// as its owner (Users, an Atlas handler): a reloaded configuration starts
// with none. Only what checked out in full is remembered, never a failure,
// and the callers' throttling of failed logins comes before it.
//
// What it may tell an attacker: a value it holds is answered sooner than
// one it does not, and a value it holds is a right password, which the
// answer (200 against 401) says anyway. The map's hash is seeded per
// process, so the time of a look-up for a wrong value says nothing of how
// close it came.
type Verified[K comparable, V any] struct {
	set atomic.Pointer[map[K]V]
}

// Lookup returns what was remembered for credentials that checked out.
func (v *Verified[K, V]) Lookup(k K) (V, bool) {
	m := v.set.Load()
	if m == nil {
		var zero V
		return zero, false
	}
	e, ok := (*m)[k]
	return e, ok
}

// Remember notes that k checked out, as e.
func (v *Verified[K, V]) Remember(k K, e V) {
	for {
		old := v.set.Load()
		next := make(map[K]V, 1)
		if old != nil && len(*old) < maxVerified {
			for x, y := range *old {
				next[x] = y
			}
		}
		next[k] = e
		if v.set.CompareAndSwap(old, &next) {
			return
		}
	}
}

// Len is how many credentials are remembered (for tests).
func (v *Verified[K, V]) Len() int {
	if m := v.set.Load(); m != nil {
		return len(*m)
	}
	return 0
}

// verified is what Users remembers: Authorization values as sent.
type verified = Verified[string, *userEntry]
