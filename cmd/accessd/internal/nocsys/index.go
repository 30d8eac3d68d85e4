package nocsys

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// addrIndex is every live access's address line, lower-case, sorted: a
// search by the start of an address is a binary search. It follows the
// inventory's generation: the first build reads every access (about 0.2 s
// with 100,000), later ones only the accesses changed since (the store's
// change feed), unless so many changed that reading all is cheaper.
//
// A full read puts every address line and AccessId in one string the
// entries are slices of (with 100,000 accesses 5 MB, where a string each
// and a map from AccessId to line were 17 MB); a change finds the entry it
// replaces in one pass over the entries.
type addrIndex struct {
	build sync.Mutex // one refresh at a time

	mu      sync.RWMutex
	built   bool
	gen     uint64
	since   time.Time // Last-Modified of the last read of the change feed
	entries []addrEntry
	fulls   int // full reads so far
}

type addrEntry struct {
	key string // the lower-case address line
	id  string
}

func compareEntries(a, b addrEntry) int {
	return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.id, b.id))
}

// releaseEvery is how many accesses a full read reads between two
// releases of the store's pages (store.DB.ReleaseMappedSoon).
const releaseEvery = 2048

// maxDelta is the most changed accesses applied one by one; more, and the
// index is read again whole.
const maxDelta = 2000

// refresh brings the index up to the inventory's generation.
func (x *addrIndex) refresh(db *store.DB) error {
	x.build.Lock()
	defer x.build.Unlock()
	gen, err := db.Inventory().Generation()
	if err != nil {
		return err
	}
	x.mu.RLock()
	built, fresh, since := x.built, x.built && x.gen == gen, x.since
	x.mu.RUnlock()
	if fresh {
		return nil
	}
	if built {
		done, err := x.delta(db, gen, since)
		if err != nil || done {
			return err
		}
	}
	if err := x.full(db, gen); err != nil {
		return err
	}
	// The read went through every access's pages of the store's map:
	// they are the page cache's, not the index's.
	if err := db.ReleaseMapped(); err != nil {
		return fmt.Errorf("address index built, but the store pages it read stay resident: %w", err)
	}
	return nil
}

// full reads every live access.
func (x *addrIndex) full(db *store.DB, gen uint64) error {
	snap, err := db.Inventory().Export(store.ExportOptions{Follow: true})
	if err != nil {
		return err
	}
	defer snap.Close()
	var text []byte // every line and AccessId, one after the other
	ends := []int{} // where each line and each AccessId ends in text
	err = snap.Each(func(r *store.AccessRecord) error {
		if len(ends)%(2*releaseEvery) == 0 {
			db.ReleaseMappedSoon() // the pages of the accesses read so far
		}
		text = append(text, strings.ToLower(addressLine(&r.Access))...)
		ends = append(ends, len(text))
		text = append(text, r.AccessID...)
		ends = append(ends, len(text))
		return nil
	})
	if err != nil {
		return fmt.Errorf("address index: %w", err)
	}
	all := string(text)
	text = nil
	entries := make([]addrEntry, 0, len(ends)/2)
	for i, start := 0, 0; i+1 < len(ends); i += 2 {
		entries = append(entries, addrEntry{key: all[start:ends[i]], id: all[ends[i]:ends[i+1]]})
		start = ends[i+1]
	}
	slices.SortFunc(entries, compareEntries)
	x.mu.Lock()
	x.entries, x.gen, x.since, x.built = entries, gen, snap.LastModified, true
	x.fulls++
	x.mu.Unlock()
	return nil
}

// delta applies the accesses changed since the last read; false when
// there are too many (full instead).
func (x *addrIndex) delta(db *store.DB, gen uint64, since time.Time) (bool, error) {
	// The second of since is read again: changes made in it after the
	// last read come now (and those already applied again, which is
	// harmless).
	snap, err := db.Inventory().Export(store.ExportOptions{Since: since.Add(-time.Second), Follow: true})
	if err != nil {
		return false, err
	}
	defer snap.Close()
	if snap.Count > maxDelta {
		return false, nil
	}
	type change struct {
		id, key string
		removed bool
	}
	var cs []change
	err = snap.Each(func(r *store.AccessRecord) error {
		cs = append(cs, change{strings.Clone(r.AccessID), strings.ToLower(addressLine(&r.Access)), r.Removed})
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("address index: %w", err)
	}
	last := make(map[string]change, len(cs)) // an access changed twice: its last change
	for _, c := range cs {
		last[c.id] = c
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.entries = slices.DeleteFunc(x.entries, func(e addrEntry) bool { _, changed := last[e.id]; return changed })
	for _, c := range last {
		if !c.removed {
			e := addrEntry{c.key, c.id}
			i, _ := slices.BinarySearchFunc(x.entries, e, compareEntries)
			x.entries = slices.Insert(x.entries, i, e)
		}
	}
	x.gen, x.since = gen, snap.LastModified
	return true, nil
}

// search returns the AccessIds of the addresses that start with prefix
// (case-insensitive), in address order, at most limit, and whether there
// are more.
func (x *addrIndex) search(prefix string, limit int) ([]string, bool) {
	p := strings.ToLower(strings.Join(strings.Fields(prefix), " "))
	x.mu.RLock()
	defer x.mu.RUnlock()
	var ids []string
	i := sort.Search(len(x.entries), func(i int) bool { return x.entries[i].key >= p })
	for ; i < len(x.entries) && strings.HasPrefix(x.entries[i].key, p); i++ {
		if len(ids) == limit {
			return ids, true
		}
		ids = append(ids, x.entries[i].id)
	}
	return ids, false
}

// isBuilt reports whether the index was built once.
func (x *addrIndex) isBuilt() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.built
}

// addressLine is the premises on one line, as the search lists them:
// "Storgatan 12 B, lgh 1101, 123 45 Stad".
func addressLine(a *inventory.Access) string {
	var parts []string
	if street := strings.Join(strings.Fields(a.StreetName+" "+a.StreetNumber+" "+a.StreetLittera), " "); street != "" {
		parts = append(parts, street)
	}
	if a.MDUApartmentNumber != "" {
		parts = append(parts, "lgh "+a.MDUApartmentNumber)
	}
	if town := strings.Join(strings.Fields(a.PostalCode+" "+a.City), " "); town != "" {
		parts = append(parts, town)
	}
	return strings.Join(parts, ", ")
}
