package store

import (
	"bytes"
	"fmt"
	"io"
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

// ConflictError lists every conflict of a refused import; nothing was
// changed.
type ConflictError struct {
	Conflicts []Conflict
}

func (e *ConflictError) Error() string {
	const show = 50
	var b strings.Builder
	fmt.Fprintf(&b, "import refused, nothing changed: %d conflicting accesses", len(e.Conflicts))
	for i, c := range e.Conflicts {
		if i == show {
			fmt.Fprintf(&b, "\n… and %d more", len(e.Conflicts)-show)
			break
		}
		b.WriteString("\n")
		b.WriteString(c.Error())
	}
	return b.String()
}

// Import creates or updates the given accesses (an upsert) in one
// transaction: either all of them are stored or, on any conflict, none. The
// accesses must have been validated; Import checks what only the store can:
// that AccessIds are unique in the set and that Option82 texts and circuits
// stay unique across the whole inventory.
func (d *DB) Import(in []Incoming, opts ImportOptions) (ImportSummary, error) {
	var sum ImportSummary
	err := d.update(func(tx *bolt.Tx) error {
		var err error
		sum, err = d.importTx(tx, in, opts)
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
	newEnc  []byte        // encoded access, for the equality check
	changed bool
}

func (d *DB) importTx(tx *bolt.Tx, in []Incoming, opts ImportOptions) (ImportSummary, error) {
	var sum ImportSummary
	ix := openIndexes(tx)
	items := make([]importItem, len(in))
	byID := make(map[string]*importItem, len(in))
	var conflicts []Conflict
	for i := range in {
		it := &items[i]
		it.in = &in[i]
		id := in[i].Access.AccessID
		if prev, dup := byID[id]; dup {
			conflicts = append(conflicts, Conflict{Line: in[i].Line, AccessID: id, Field: "accessId", Message: fmt.Sprintf("appears twice (also line %d)", prev.in.Line)})
			continue
		}
		byID[id] = it
	}
	// Process in key order: sequential B+tree inserts are much cheaper.
	order := make([]*importItem, 0, len(byID))
	for _, it := range byID {
		order = append(order, it)
	}
	slices.SortFunc(order, func(a, b *importItem) int { return strings.Compare(a.in.Access.AccessID, b.in.Access.AccessID) })

	for _, it := range order {
		a := &it.in.Access
		if v := ix.accesses.Get([]byte(a.AccessID)); v != nil {
			old, err := decodeRecord(v)
			if err != nil {
				return sum, fmt.Errorf("access %q: %w", a.AccessID, err)
			}
			if old.Removed {
				it.revived = true
			} else {
				it.old = &old
			}
		}
		if it.old == nil {
			it.changed = true
			continue
		}
		it.changed = !sameAccess(&it.old.Access, a)
	}

	// The final inventory's owner of an Option82 text or circuit: an
	// incoming access, or a live one that is neither changed nor removed.
	stays := func(owner string) bool {
		if _, incoming := byID[owner]; incoming {
			return false // its incoming form is checked on its own
		}
		return !opts.Replace
	}
	seenText := make(map[string]string, len(order))
	seenPair := make(map[string]string, len(order))
	for _, it := range order {
		a := &it.in.Access
		text := strings.TrimSpace(a.Option82)
		other, textDup := seenText[text]
		if textDup {
			conflicts = append(conflicts, Conflict{Line: it.in.Line, AccessID: a.AccessID, Field: "option82", Message: fmt.Sprintf("%q is also the Option82 of %q (line %d)", text, other, byID[other].in.Line)})
		} else {
			seenText[text] = a.AccessID
			if owner := ix.opt82.Get([]byte(text)); owner != nil && string(owner) != a.AccessID && stays(string(owner)) {
				conflicts = append(conflicts, Conflict{Line: it.in.Line, AccessID: a.AccessID, Field: "option82", Message: fmt.Sprintf("%q is already the Option82 of access %q", text, owner)})
				textDup = true // the circuit read from the same text clashes too: say it once
			}
		}
		c, r := circuitOf(a)
		pk := string(pairKey(c, r))
		if other, ok := seenPair[pk]; ok {
			if !textDup {
				conflicts = append(conflicts, Conflict{Line: it.in.Line, AccessID: a.AccessID, Field: "dhcpIdentifier", Message: fmt.Sprintf("circuit-id %q remote-id %q is also the circuit of %q", c, r, other)})
			}
		} else {
			seenPair[pk] = a.AccessID
			if owner := ix.pair.Get([]byte(pk)); !textDup && owner != nil && string(owner) != a.AccessID && stays(string(owner)) {
				conflicts = append(conflicts, Conflict{Line: it.in.Line, AccessID: a.AccessID, Field: "dhcpIdentifier", Message: fmt.Sprintf("circuit-id %q remote-id %q is already the circuit of access %q", c, r, owner)})
			}
		}
	}
	if len(conflicts) > 0 {
		slices.SortStableFunc(conflicts, func(a, b Conflict) int { return a.Line - b.Line })
		return sum, &ConflictError{Conflicts: conflicts}
	}

	// Collect the live accesses a replace removes.
	var removed []AccessRecord
	if opts.Replace {
		c := ix.accesses.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if _, incoming := byID[string(k)]; incoming {
				continue
			}
			rec, err := decodeRecord(v)
			if err != nil {
				return sum, fmt.Errorf("access %q: %w", k, err)
			}
			if !rec.Removed {
				removed = append(removed, rec)
			}
		}
	}

	stamp := d.stamp()
	ix.batch = newWriteBatch()
	// Unindex first, so that accesses swapping Option82 texts do not
	// delete each other's new entries.
	for i := range removed {
		if err := ix.unindex(&removed[i].Access); err != nil {
			return sum, err
		}
	}
	for _, it := range order {
		if it.changed && it.old != nil {
			if err := ix.unindex(&it.old.Access); err != nil {
				return sum, err
			}
		}
	}
	for i := range removed {
		rec := removed[i]
		old := removed[i]
		rec.Removed = true
		rec.Modified = stamp
		if err := d.nextSeq(ix, &rec); err != nil {
			return sum, err
		}
		if err := ix.put(&rec, &old); err != nil {
			return sum, err
		}
		sum.Removed++
	}
	for _, it := range order {
		if !it.changed {
			sum.Unchanged++
			continue
		}
		rec := AccessRecord{Access: it.in.Access, Created: stamp, Modified: stamp}
		var prev *AccessRecord
		switch {
		case it.old != nil:
			rec.Created = it.old.Created
			prev = it.old
			sum.Updated++
		case it.revived:
			v := ix.accesses.Get([]byte(rec.AccessID))
			tomb, err := decodeRecord(v)
			if err != nil {
				return sum, err
			}
			prev = &tomb
			sum.Created++
		default:
			sum.Created++
		}
		if err := d.nextSeq(ix, &rec); err != nil {
			return sum, err
		}
		if err := ix.put(&rec, prev); err != nil {
			return sum, err
		}
		if err := ix.index(&rec.Access); err != nil {
			return sum, err
		}
	}
	if err := ix.batch.flush(); err != nil {
		return sum, err
	}
	if err := addUint(ix.meta, keyAccessCount, sum.Created-sum.Removed); err != nil {
		return sum, err
	}
	revived := 0
	for _, it := range order {
		if it.revived {
			revived++
		}
	}
	if err := addUint(ix.meta, keyTombstoneCount, sum.Removed-revived); err != nil {
		return sum, err
	}
	if sum.Created+sum.Updated+sum.Removed > 0 {
		if err := d.commitStamp(ix.meta, stamp, tx); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// ReadIncoming reads a whole inventory file in format f. On bad rows it
// returns an *inventory.Problems listing all of them.
func ReadIncoming(f inventory.Format, r io.Reader) ([]Incoming, error) {
	var in []Incoming
	err := inventory.Read(f, r, func(line int, a inventory.Access) error {
		in = append(in, Incoming{Line: line, Access: a})
		return nil
	})
	return in, err
}

func sameAccess(a, b *inventory.Access) bool { return *a == *b }

func (d *DB) nextSeq(ix indexes, rec *AccessRecord) error {
	seq, err := ix.accesses.NextSequence()
	if err != nil {
		return err
	}
	rec.Seq = seq
	return nil
}

// RemoveAccess turns a live access into a tombstone.
func (d *DB) RemoveAccess(id string) error {
	return d.update(func(tx *bolt.Tx) error {
		ix := openIndexes(tx)
		v := ix.accesses.Get([]byte(id))
		if v == nil {
			return fmt.Errorf("access %q: %w", id, ErrNotFound)
		}
		old, err := decodeRecord(v)
		if err != nil {
			return err
		}
		if old.Removed {
			return fmt.Errorf("access %q: already removed: %w", id, ErrNotFound)
		}
		rec := old
		rec.Removed = true
		rec.Modified = d.stamp()
		if err := d.nextSeq(ix, &rec); err != nil {
			return err
		}
		if err := ix.unindex(&old.Access); err != nil {
			return err
		}
		if err := ix.put(&rec, &old); err != nil {
			return err
		}
		if err := addUint(ix.meta, keyAccessCount, -1); err != nil {
			return err
		}
		if err := addUint(ix.meta, keyTombstoneCount, 1); err != nil {
			return err
		}
		return d.commitStamp(ix.meta, rec.Modified, tx)
	})
}

// PurgeTombstones forgets removed accesses whose removal is older than
// before. It returns how many it purged.
func (d *DB) PurgeTombstones(before time.Time) (int, error) {
	n := 0
	err := d.update(func(tx *bolt.Tx) error {
		ix := openIndexes(tx)
		limit := mtimeKey(before, 0)
		c := ix.mtime.Cursor()
		var purge [][]byte
		for k, id := c.First(); k != nil && bytes.Compare(k, limit) < 0; k, id = c.Next() {
			v := ix.accesses.Get(id)
			if v == nil {
				continue
			}
			rec, err := decodeRecord(v)
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
