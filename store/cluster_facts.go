package store

import (
	"encoding/hex"
	"maps"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// ClusterFacts is one run of facts from the sites, applied at a hub in one
// transaction together with the marks, so that after a crash either both
// are there or neither (see Cluster.ApplyFacts).
type ClusterFacts struct {
	// Bindings are new values of DHCP bindings, in the order the sites
	// made them (a later one of the same MAC wins).
	Bindings []BindingRecord
	// Unknown upserts unknown circuits; UnknownGone deletes them by key.
	Unknown     []UnknownCircuit
	UnknownGone []string
	// Links are port states the sites reported, in order.
	Links []RemoteLink
	// Orders, when set, applies order outcomes in the same transaction
	// (the order engine knows how; the OrderTx marks its changes Remote).
	Orders func(o *OrderTx) error
	// Marks are the new marks by origin.
	Marks map[string]ClusterMark
}

// ClusterApplied is what ApplyFacts wrote that the daemon keeps in memory
// too (the DHCP service's working set).
type ClusterApplied struct {
	// Bindings are the new value of each binding, one per MAC.
	Bindings []BindingRecord
	// LastOption82 are the last Option 82 of the accesses the bindings
	// name.
	LastOption82 []LastOption82
}

// ApplyFacts writes facts of the sites and their marks in one
// transaction. A binding's change of IP, access or interval closes the
// interval it had into the IP history, as the site's own DHCP service
// does; its Option 82 becomes the last one of its access.
func (c Cluster) ApplyFacts(f *ClusterFacts) (ClusterApplied, error) {
	var out ClusterApplied
	err := c.db.update(func(tx *bolt.Tx) error {
		var err error
		out, err = applyBindingFacts(tx, f.Bindings)
		if err != nil {
			return err
		}
		if err := putUnknown(tx, f.Unknown, f.UnknownGone); err != nil {
			return err
		}
		lb, ib := tx.Bucket(bucketClusterLinks), tx.Bucket(bucketClusterLinkAccess)
		now := c.db.now().UTC()
		for i := range f.Links {
			f.Links[i].Applied = now
			if err := putRemoteLink(lb, ib, &f.Links[i]); err != nil {
				return err
			}
		}
		if f.Orders != nil {
			o := &OrderTx{tx: tx, now: c.db.stamp(), db: c.db, remote: true}
			if err := f.Orders(o); err != nil {
				return err
			}
			if err := c.db.commitStamp(tx.Bucket(bucketMeta), o.now, tx); err != nil {
				return err
			}
		}
		mb := tx.Bucket(bucketClusterMarks)
		for origin, m := range f.Marks {
			if err := mb.Put([]byte(origin), sealOwned(encodeMark(m))); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// applyBindingFacts writes the bindings (the newest per MAC) with their
// indexes, the intervals their changes close and the last Option 82 of
// their accesses.
func applyBindingFacts(tx *bolt.Tx, bindings []BindingRecord) (ClusterApplied, error) {
	var out ClusterApplied
	if len(bindings) == 0 {
		return out, nil
	}
	bs := tx.Bucket(bucketBindings)
	cur := map[MAC]*BindingRecord{}
	var history []BindingInterval
	lastO82 := map[string]LastOption82{}
	for i := range bindings {
		b := &bindings[i]
		old, ok := cur[b.MAC]
		if !ok {
			if v := bs.Get(b.MAC[:]); v != nil {
				if r, err := openBinding(b.MAC[:], v); err == nil {
					old = &r
				}
			}
		}
		if iv, closed := closedInterval(old, b); closed {
			history = append(history, iv)
		}
		cur[b.MAC] = b
		if b.Access != "" && len(b.Option82) > 0 && b.State.Active() {
			lastO82[b.Access] = LastOption82{Access: b.Access, Hex: strings.ToUpper(hex.EncodeToString(b.Option82)), Seen: b.LastSeen}
		}
	}
	for _, mac := range slices.SortedFunc(maps.Keys(cur), func(a, b MAC) int { return strings.Compare(string(a[:]), string(b[:])) }) {
		out.Bindings = append(out.Bindings, *cur[mac])
	}
	for _, a := range slices.Sorted(maps.Keys(lastO82)) {
		out.LastOption82 = append(out.LastOption82, lastO82[a])
	}
	if err := putBindings(tx, out.Bindings); err != nil {
		return out, err
	}
	if err := putHistory(tx, history); err != nil {
		return out, err
	}
	return out, putLastOption82(tx, out.LastOption82)
}

// closedInterval is the history interval old had when next replaces it:
// an active binding with an address whose address, access or interval
// start changes, or which ends.
func closedInterval(old, next *BindingRecord) (BindingInterval, bool) {
	if old == nil || !old.State.Active() || !old.IP.Is4() {
		return BindingInterval{}, false
	}
	same := next.State.Active() && next.IP == old.IP && next.Access == old.Access && next.Since.Equal(old.Since)
	if same {
		return BindingInterval{}, false
	}
	to := next.Since
	if !next.State.Active() && !next.Ended.IsZero() {
		to = next.Ended
	}
	if to.Before(old.Since) {
		to = old.LastSeen
	}
	return BindingInterval{IP: old.IP, MAC: old.MAC, Access: old.Access, Circuit: old.Circuit, From: old.Since, To: to,
		Confirmed: old.Confirmed}, true
}
