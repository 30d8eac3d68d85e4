package store

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stadsnat/accessd/store/inventory"
)

// Incoming is one access of an import, with the line it came from (0 when
// unknown) for error messages.
type Incoming struct {
	Line   int
	Access inventory.Access
}

// ImportOptions change how Import applies a set of accesses.
type ImportOptions struct {
	// Replace makes the set the whole inventory: live accesses not in it
	// become tombstones.
	Replace bool
	// DryRun checks and counts but changes nothing.
	DryRun bool
	// Plants says the source carries plant data (the JSON inventory): an
	// access without a plant then has none. Otherwise (CSV, PI V1 and the
	// pulls of PI-API and ON-API accesses, which cannot carry one) every
	// updated access keeps the plant it has.
	Plants bool
}

// ImportSummary counts what an import did (or would do, for a dry run).
type ImportSummary struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Removed   int `json:"removed"`
}

// Conflict is an incoming access that cannot be stored as it is, in the
// form of the inventory readers' problems.
type Conflict = inventory.Problem

// ConflictError lists the conflicts of a refused import, the first
// inventory.MaxProblems by line, and counts them all; nothing was changed.
type ConflictError struct {
	Conflicts []Conflict
	Total     int
}

// Count is the number of conflicts, listed or not.
func (e *ConflictError) Count() int { return max(e.Total, len(e.Conflicts)) }

func (e *ConflictError) Error() string {
	const show = 50
	var b strings.Builder
	fmt.Fprintf(&b, "import refused, nothing changed: %d conflicting accesses", e.Count())
	listed := e.Conflicts[:min(len(e.Conflicts), show)]
	for _, c := range listed {
		b.WriteString("\n")
		b.WriteString(c.Error())
	}
	if rest := e.Count() - len(listed); rest > 0 {
		fmt.Fprintf(&b, "\n… and %d more", rest)
	}
	return b.String()
}

// Import creates or updates the given accesses (an upsert) in one
// transaction: either all of them are stored or, on any conflict, none. The
// accesses must have been validated; Import checks what only the store can:
// that AccessIds are unique in the set and that Option82 texts and circuits
// stay unique across the whole inventory.
//
// Import lets go of in once its accesses are in the transaction, before
// the commit: a caller that keeps no reference of its own (that takes
// len(in) before the call) lets the collector free the parsed accesses
// while bbolt writes, a large import's peak.
func (inv Inventory) Import(in []Incoming, opts ImportOptions) (ImportSummary, error) {
	var sum ImportSummary
	if err := inv.db.followingError(); err != nil {
		return sum, err
	}
	err := inv.db.update(func(tx *bolt.Tx) error {
		var err error
		sum, err = inv.importTx(tx, &in, opts)
		if err == nil && opts.DryRun {
			return errDryRun
		}
		return err
	})
	if err == errDryRun {
		err = nil
	}
	return sum, err
}

var errDryRun = errorString("dry run")

type importItem struct {
	in      *Incoming
	old     *AccessRecord // nil when new or a tombstone
	revived bool          // the id was a tombstone
	changed bool
}

// importPlan is one import being checked and applied in a transaction.
type importPlan struct {
	ix        indexes
	opts      ImportOptions
	byID      map[string]*importItem
	order     []*importItem // by AccessId
	conflicts []Conflict
	removed   []AccessRecord // the live accesses a replace removes
	sum       ImportSummary
	// db, tx and out run the Access hook (outbox_hooks.go).
	db  *DB
	tx  *bolt.Tx
	out *OutboxTx
}

// importTx checks and applies *in in tx; it sets *in to nil, and drops
// its own references to the incoming accesses once they are written (see
// Import).
func (inv Inventory) importTx(tx *bolt.Tx, in *[]Incoming, opts ImportOptions) (ImportSummary, error) {
	p := newImportPlan(openIndexes(tx), *in, opts)
	*in = nil
	p.db, p.tx = inv.db, tx
	if err := p.readStored(); err != nil {
		return p.sum, err
	}
	if err := p.checkUnique(); err != nil {
		return p.sum, err
	}
	if len(p.conflicts) > 0 {
		slices.SortStableFunc(p.conflicts, func(a, b Conflict) int { return a.Line - b.Line })
		n := len(p.conflicts)
		return p.sum, &ConflictError{Conflicts: slices.Clip(p.conflicts[:min(n, inventory.MaxProblems)]), Total: n}
	}
	if err := p.readRemoved(); err != nil {
		return p.sum, err
	}
	p.byID = nil // checked: the writes go by p.order
	stamp := inv.db.stamp()
	if err := p.write(stamp); err != nil {
		return p.sum, err
	}
	if p.sum.Created+p.sum.Updated+p.sum.Removed > 0 {
		if err := inv.db.commitStamp(p.ix.meta, stamp, tx); err != nil {
			return p.sum, err
		}
	}
	return p.sum, nil
}

// newImportPlan lists the incoming accesses by AccessId, in key order
// (sequential B+tree inserts are much cheaper), and notes the ones that
// appear twice.
func newImportPlan(ix indexes, in []Incoming, opts ImportOptions) *importPlan {
	p := &importPlan{ix: ix, opts: opts, byID: make(map[string]*importItem, len(in))}
	items := make([]importItem, len(in))
	for i := range in {
		it := &items[i]
		it.in = &in[i]
		id := in[i].Access.AccessID
		if prev, dup := p.byID[id]; dup {
			p.conflicts = append(p.conflicts, Conflict{Line: in[i].Line, AccessID: id, Field: "accessId", Message: fmt.Sprintf("appears twice (also line %d)", prev.in.Line)})
			continue
		}
		p.byID[id] = it
	}
	p.order = make([]*importItem, 0, len(p.byID))
	for _, it := range p.byID {
		p.order = append(p.order, it)
	}
	slices.SortFunc(p.order, func(a, b *importItem) int { return strings.Compare(a.in.Access.AccessID, b.in.Access.AccessID) })
	return p
}

// readStored finds each incoming access's stored record and whether it
// changes.
func (p *importPlan) readStored() error {
	for _, it := range p.order {
		a := &it.in.Access
		if v := p.ix.accesses.Get([]byte(a.AccessID)); v != nil {
			old, err := openRecord([]byte(a.AccessID), v)
			if err != nil {
				return err
			}
			if old.Removed {
				it.revived = true
			} else {
				it.old = &old
				if !p.opts.Plants && !inventory.SamePlant(a.Plant, old.Plant) {
					in := *it.in // the caller's Incoming stays as it was
					in.Access.Plant = old.Plant
					it.in, a = &in, &in.Access
				}
			}
		}
		it.changed = it.old == nil || !sameAccess(&it.old.Access, a)
		if !it.changed {
			it.old = nil // nothing to unindex or compare with: a re-import holds no second copy of the inventory
		}
	}
	return nil
}

// stays reports whether a live access that owns an Option82 text or a
// circuit keeps it in the final inventory: it is not incoming (its
// incoming form is checked on its own) and not removed by a replace.
func (p *importPlan) stays(owner string) bool {
	if _, incoming := p.byID[owner]; incoming {
		return false
	}
	return !p.opts.Replace
}

// checkUnique notes every incoming access whose Option82 text or circuit
// another access has: another incoming one, or a live one that stays.
func (p *importPlan) checkUnique() error {
	seenText := make(map[string]string, len(p.order))
	seenPair := make(map[string]string, len(p.order))
	conflict := func(it *importItem, field, format string, args ...any) {
		p.conflicts = append(p.conflicts, Conflict{Line: it.in.Line, AccessID: it.in.Access.AccessID, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	for _, it := range p.order {
		a := &it.in.Access
		text := strings.TrimSpace(a.Option82)
		other, textDup := seenText[text]
		if textDup {
			conflict(it, "option82", "%q is also the Option82 of %q (line %d)", text, other, p.byID[other].in.Line)
		} else {
			seenText[text] = a.AccessID
			owner, err := getIn(p.ix.opt82, bucketAccessOption82, []byte(text))
			if err != nil {
				return err
			}
			if owner != nil && string(owner) != a.AccessID && p.stays(string(owner)) {
				conflict(it, "option82", "%q is already the Option82 of access %q", text, owner)
				textDup = true // the circuit read from the same text clashes too: say it once
			}
		}
		c, r := circuitOf(a)
		pk := string(pairKey(c, r))
		if other, ok := seenPair[pk]; ok {
			if !textDup {
				conflict(it, "dhcpIdentifier", "circuit-id %q remote-id %q is also the circuit of %q", c, r, other)
			}
		} else {
			seenPair[pk] = a.AccessID
			owner, err := getIn(p.ix.pair, bucketAccessCircuit, []byte(pk))
			if err != nil {
				return err
			}
			if !textDup && owner != nil && string(owner) != a.AccessID && p.stays(string(owner)) {
				conflict(it, "dhcpIdentifier", "circuit-id %q remote-id %q is already the circuit of access %q", c, r, owner)
			}
		}
	}
	return nil
}

// readRemoved collects the live accesses a replace removes.
func (p *importPlan) readRemoved() error {
	if !p.opts.Replace {
		return nil
	}
	c := p.ix.accesses.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if _, incoming := p.byID[string(k)]; incoming {
			continue
		}
		rec, err := openRecord(k, v)
		if err != nil {
			return err
		}
		if !rec.Removed {
			p.removed = append(p.removed, rec)
		}
	}
	return nil
}

// write applies the plan with change stamp stamp, batched (see indexes),
// and counts what it did.
func (p *importPlan) write(stamp time.Time) error {
	ix := &p.ix
	ix.batch = newWriteBatch()
	// Unindex first, so that accesses swapping Option82 texts do not
	// delete each other's new entries.
	for i := range p.removed {
		if err := ix.unindex(&p.removed[i].Access); err != nil {
			return err
		}
	}
	for _, it := range p.order {
		if it.changed && it.old != nil {
			if err := ix.unindex(&it.old.Access); err != nil {
				return err
			}
		}
	}
	for i := range p.removed {
		rec, old := p.removed[i], p.removed[i]
		rec.Removed, rec.Modified = true, stamp
		if err := nextSeq(*ix, &rec); err != nil {
			return err
		}
		if err := ix.put(&rec, &old); err != nil {
			return err
		}
		if err := p.db.accessChanged(p.tx, &p.out, &old, &rec); err != nil {
			return err
		}
		p.sum.Removed++
	}
	revived := 0
	for _, it := range p.order {
		if it.revived {
			revived++
		}
		if err := p.writeItem(it, stamp); err != nil {
			return err
		}
	}
	// Everything is in the batch now: the incoming accesses can go
	// before bbolt copies the batch and writes its pages.
	p.order, p.byID, p.removed = nil, nil, nil
	if err := ix.batch.flush(); err != nil {
		return err
	}
	if err := addUint(ix.meta, keyAccessCount, p.sum.Created-p.sum.Removed); err != nil {
		return err
	}
	return addUint(ix.meta, keyTombstoneCount, p.sum.Removed-revived)
}

// writeItem stores one incoming access (if it changed) and indexes it.
func (p *importPlan) writeItem(it *importItem, stamp time.Time) error {
	if !it.changed {
		p.sum.Unchanged++
		return nil
	}
	ix := p.ix
	rec := AccessRecord{Access: it.in.Access, Created: stamp, Modified: stamp}
	var prev *AccessRecord
	switch {
	case it.old != nil:
		rec.Created = it.old.Created
		prev = it.old
		p.sum.Updated++
	case it.revived:
		tomb, err := openRecord([]byte(rec.AccessID), ix.accesses.Get([]byte(rec.AccessID)))
		if err != nil {
			return err
		}
		prev = &tomb
		p.sum.Created++
	default:
		p.sum.Created++
	}
	if err := nextSeq(ix, &rec); err != nil {
		return err
	}
	if err := ix.put(&rec, prev); err != nil {
		return err
	}
	if err := ix.index(&rec.Access); err != nil {
		return err
	}
	if prev != nil && prev.Removed {
		prev = nil // revived: new to whoever learns of it
	}
	return p.db.accessChanged(p.tx, &p.out, prev, &rec)
}

func sameAccess(a, b *inventory.Access) bool { return a.Same(b) }

func nextSeq(ix indexes, rec *AccessRecord) error {
	seq, err := ix.accesses.NextSequence()
	if err != nil {
		return err
	}
	rec.Seq = seq
	return nil
}

// RemoveAccess turns a live access into a tombstone.
func (inv Inventory) RemoveAccess(id string) error {
	if err := inv.db.followingError(); err != nil {
		return err
	}
	return inv.db.update(func(tx *bolt.Tx) error {
		stamp, err := removeTx(inv.db, tx, id, inv.db.stamp())
		if err != nil {
			return err
		}
		return inv.db.commitStamp(tx.Bucket(bucketMeta), stamp, tx)
	})
}

// removeTx makes the live access id a tombstone stamped stamp, in tx.
func removeTx(d *DB, tx *bolt.Tx, id string, stamp time.Time) (time.Time, error) {
	ix := openIndexes(tx)
	v := ix.accesses.Get([]byte(id))
	if v == nil {
		return stamp, fmt.Errorf("access %q: %w", id, ErrNotFound)
	}
	old, err := openRecord([]byte(id), v)
	if err != nil {
		return stamp, err
	}
	if old.Removed {
		return stamp, fmt.Errorf("access %q: already removed: %w", id, ErrNotFound)
	}
	rec := old
	rec.Removed = true
	rec.Modified = stamp
	if err := nextSeq(ix, &rec); err != nil {
		return stamp, err
	}
	if err := ix.unindex(&old.Access); err != nil {
		return stamp, err
	}
	if err := ix.put(&rec, &old); err != nil {
		return stamp, err
	}
	if err := addUint(ix.meta, keyAccessCount, -1); err != nil {
		return stamp, err
	}
	if err := addUint(ix.meta, keyTombstoneCount, 1); err != nil {
		return stamp, err
	}
	var out *OutboxTx
	return stamp, d.accessChanged(tx, &out, &old, &rec)
}

// PurgeTombstones forgets removed accesses whose removal is older than
// before. It returns how many it purged.
func (inv Inventory) PurgeTombstones(before time.Time) (int, error) {
	n := 0
	err := inv.db.update(func(tx *bolt.Tx) error {
		ix := openIndexes(tx)
		limit := mtimeKey(before, 0)
		c := ix.mtime.Cursor()
		var purge [][]byte
		for k, sealedID := c.First(); k != nil && bytes.Compare(k, limit) < 0; k, sealedID = c.Next() {
			id, err := open(bucketAccessMtime, k, sealedID)
			if err != nil {
				return err
			}
			v := ix.accesses.Get(id)
			if v == nil {
				continue
			}
			rec, err := openRecord(id, v)
			if err != nil {
				return err
			}
			if rec.Removed {
				purge = append(purge, append([]byte(nil), k...), append([]byte(nil), id...))
			}
		}
		for i := 0; i < len(purge); i += 2 {
			if err := ix.mtime.Delete(purge[i]); err != nil {
				return err
			}
			if err := ix.accesses.Delete(purge[i+1]); err != nil {
				return err
			}
			n++
		}
		return addUint(ix.meta, keyTombstoneCount, -n)
	})
	return n, err
}
