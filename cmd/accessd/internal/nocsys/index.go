package nocsys

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
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
// Every address line and AccessId lies in one byte slice, and an entry is
// three offsets into it: the index holds no pointer but the slices'. The
// collector scans it in no time at each cycle — with 100,000 accesses,
// entries of two strings each were 200,000 pointers to follow at every
// collection, most of its mark work under a flood of look-ups — and it
// takes 1.2 MB of entries where strings took 3.2 MB. A change appends its
// line to the text and leaves the old bytes dead until they are half of
// it; then the text is written again from the entries.
type addrIndex struct {
	build sync.Mutex // one refresh at a time

	mu      sync.RWMutex
	built   bool
	gen     uint64
	since   time.Time // Last-Modified of the last read of the change feed
	text    []byte    // every entry's line and AccessId, one after the other
	dead    int       // bytes of text no entry refers to any more
	entries []addrEntry
	fulls   int // full reads so far
}

// addrEntry is an address line, text[off:keyEnd], and its AccessId,
// text[keyEnd:idEnd].
type addrEntry struct {
	off, keyEnd, idEnd uint32
}

func (x *addrIndex) key(e addrEntry) []byte { return x.text[e.off:e.keyEnd] }
func (x *addrIndex) id(e addrEntry) []byte  { return x.text[e.keyEnd:e.idEnd] }

func (x *addrIndex) compare(a, b addrEntry) int {
	return cmp.Or(bytes.Compare(x.key(a), x.key(b)), bytes.Compare(x.id(a), x.id(b)))
}

// add appends a line and its AccessId to the text and returns their entry.
func (x *addrIndex) add(key, id string) (addrEntry, error) {
	off := len(x.text)
	if off+len(key)+len(id) > math.MaxUint32 {
		return addrEntry{}, fmt.Errorf("address index: more than %d bytes of address lines", uint32(math.MaxUint32))
	}
	x.text = append(append(x.text, key...), id...)
	return addrEntry{uint32(off), uint32(off + len(key)), uint32(len(x.text))}, nil
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

// full reads every live access into a new text and entries, and puts
// them in place of the old ones.
func (x *addrIndex) full(db *store.DB, gen uint64) error {
	snap, err := db.Inventory().Export(store.ExportOptions{Follow: true})
	if err != nil {
		return err
	}
	defer snap.Close()
	var next addrIndex
	err = snap.Each(func(r *store.AccessRecord) error {
		if len(next.entries)%releaseEvery == 0 {
			db.ReleaseMappedSoon() // the pages of the accesses read so far
		}
		e, err := next.add(strings.ToLower(addressLine(&r.Access)), r.AccessID)
		next.entries = append(next.entries, e)
		return err
	})
	if err != nil {
		return fmt.Errorf("address index: %w", err)
	}
	next.text = slices.Clip(next.text)
	next.entries = slices.Clip(next.entries)
	slices.SortFunc(next.entries, next.compare)
	x.mu.Lock()
	x.text, x.entries, x.dead = next.text, next.entries, 0
	x.gen, x.since, x.built = gen, snap.LastModified, true
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
	x.entries = slices.DeleteFunc(x.entries, func(e addrEntry) bool {
		_, changed := last[string(x.id(e))]
		if changed {
			x.dead += int(e.idEnd - e.off)
		}
		return changed
	})
	for _, c := range last {
		if c.removed {
			continue
		}
		e, err := x.add(c.key, c.id)
		if err != nil {
			return false, err
		}
		i, _ := slices.BinarySearchFunc(x.entries, e, x.compare)
		x.entries = slices.Insert(x.entries, i, e)
	}
	if x.dead > len(x.text)/2 {
		x.compact()
	}
	x.gen, x.since = gen, snap.LastModified
	return true, nil
}

// compact writes the text again with only the entries' bytes, in their
// order.
func (x *addrIndex) compact() {
	text := make([]byte, 0, len(x.text)-x.dead)
	for i, e := range x.entries {
		off := len(text)
		text = append(text, x.text[e.off:e.idEnd]...)
		x.entries[i] = addrEntry{uint32(off), uint32(off) + e.keyEnd - e.off, uint32(len(text))}
	}
	x.text, x.dead = text, 0
}

// search returns the AccessIds of the addresses that start with prefix
// (case-insensitive), in address order, at most limit, and whether there
// are more.
func (x *addrIndex) search(prefix string, limit int) ([]string, bool) {
	p := []byte(strings.ToLower(strings.Join(strings.Fields(prefix), " ")))
	x.mu.RLock()
	defer x.mu.RUnlock()
	var ids []string
	i := sort.Search(len(x.entries), func(i int) bool { return bytes.Compare(x.key(x.entries[i]), p) >= 0 })
	for ; i < len(x.entries) && bytes.HasPrefix(x.key(x.entries[i]), p); i++ {
		if len(ids) == limit {
			return ids, true
		}
		ids = append(ids, string(x.id(x.entries[i])))
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
