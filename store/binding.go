package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DHCP binding buckets (see doc.go).
var (
	bucketBindings       = []byte("dhcp_bindings")
	bucketBindingIP      = []byte("dhcp_binding_ip")
	bucketBindingHistory = []byte("dhcp_history")
	bucketHistoryTo      = []byte("dhcp_history_to")
	bucketBindingEvents  = []byte("dhcp_events")
	bucketUnknownCircuit = []byte("dhcp_unknown_circuits")
	bucketLastOption82   = []byte("dhcp_last_option82")

	keyDHCPCommitSeq = []byte("dhcp_commit_seq")
)

// bucketBindingAccessV4 indexed the active bindings by access (AccessId
// 0x00 MAC ⇒ ∅) from migration 4 to migration 12, which dropped it: its
// random inserts cost more than half of a new binding's commit, and
// nothing but Bindings.OfAccess read it.
var bucketBindingAccessV4 = []byte("dhcp_binding_access")

// bindingBuckets are the DHCP buckets of the current schema.
func bindingBuckets() [][]byte {
	return [][]byte{bucketBindings, bucketBindingIP, bucketBindingHistory, bucketHistoryTo,
		bucketBindingEvents, bucketUnknownCircuit, bucketLastOption82}
}

// migrateCreateBindingBuckets is migration 4: the DHCP buckets of schema 4.
func migrateCreateBindingBuckets(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketBindings, bucketBindingIP, bucketBindingAccessV4, bucketBindingHistory, bucketHistoryTo,
		bucketBindingEvents, bucketUnknownCircuit, bucketLastOption82} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// BindingEvent is something the NOC may want to know about a client or a
// circuit: a MAC moving to another access, an IP taken over by another
// MAC, an IP claimed without evidence, a client changing IP, or two
// accesses claiming one circuit.
type BindingEvent struct {
	Seq        uint64           `json:"seq"`
	Kind       BindingEventKind `json:"kind"`
	Time       time.Time        `json:"time"`
	MAC        MAC              `json:"mac,omitzero"`
	IP         netip.Addr       `json:"ip,omitzero"`
	Access     string           `json:"access,omitempty"`
	PrevAccess string           `json:"prevAccess,omitempty"`
	PrevIP     netip.Addr       `json:"prevIp,omitzero"`
	PrevMAC    MAC              `json:"prevMac,omitzero"`
	// Circuit is the circuit key (circuit-conflict); Accesses the accesses
	// that claim it.
	Circuit  string   `json:"circuit,omitempty"`
	Accesses []string `json:"accesses,omitempty"`
}

// UnknownCircuit is a circuit seen in DHCP that matches no single access.
type UnknownCircuit struct {
	// Key is the rendered key template, or "hex:" and the option 82 hex
	// when the circuit could not be decoded.
	Key string `json:"key"`
	// Reason: "no access", "ambiguous" or "undecodable: …".
	Reason    string     `json:"reason"`
	Profile   string     `json:"profile,omitempty"`
	RemoteID  string     `json:"remoteId,omitempty"`
	CircuitID string     `json:"circuitId,omitempty"`
	GIAddr    netip.Addr `json:"giaddr,omitzero"`
	Option82  string     `json:"option82,omitempty"` // hex of the TLVs
	Count     uint64     `json:"count"`
	FirstSeen time.Time  `json:"firstSeen"`
	LastSeen  time.Time  `json:"lastSeen"`
	LastMAC   MAC        `json:"lastMac,omitzero"`
}

// LastOption82 is the last Option 82 seen on an access.
type LastOption82 struct {
	Access string    `json:"access"`
	Hex    string    `json:"hex"` // the TLVs, upper-case hex
	Seen   time.Time `json:"seen"`
}

// BindingCommit is one group commit of the DHCP writer.
type BindingCommit struct {
	// Bindings are the new values of changed bindings.
	Bindings []BindingRecord
	// Forget removes ended bindings (past the history retention).
	Forget []MAC
	// History appends closed intervals.
	History []BindingInterval
	// Events appends events (their Seq is assigned here).
	Events []BindingEvent
	// Unknown upserts unknown circuits; UnknownGone deletes them by key.
	Unknown     []UnknownCircuit
	UnknownGone []string
	// LastOption82 upserts the last Option 82 per access.
	LastOption82 []LastOption82
}

// Empty reports a commit with nothing to write.
func (c *BindingCommit) Empty() bool {
	return len(c.Bindings)+len(c.Forget)+len(c.History)+len(c.Events)+len(c.Unknown)+len(c.UnknownGone)+len(c.LastOption82) == 0
}

// migrateDropBindingAccessIndex is migration 12: the access index of the
// bindings goes (OfAccess reads the bindings themselves).
func migrateDropBindingAccessIndex(tx *bolt.Tx) error {
	if tx.Bucket(bucketBindingAccessV4) == nil {
		return nil
	}
	return tx.DeleteBucket(bucketBindingAccessV4)
}

// Commit writes c in one transaction (one fsync) and returns the
// DHCP commit sequence it got: 1 for the first commit of the file, then 2,
// 3, … A binding's IP index entry follows its new value (active bindings
// only); an entry that another MAC took in the same or an earlier commit
// is left alone.
func (bv Bindings) Commit(c *BindingCommit) (uint64, error) {
	var seq uint64
	err := bv.db.update(func(tx *bolt.Tx) error {
		if err := putBindings(tx, c.Bindings); err != nil {
			return err
		}
		if err := forgetBindings(tx, c.Forget); err != nil {
			return err
		}
		if err := putHistory(tx, c.History); err != nil {
			return err
		}
		if err := putEvents(tx, c.Events); err != nil {
			return err
		}
		if err := putUnknown(tx, c.Unknown, c.UnknownGone); err != nil {
			return err
		}
		if err := putLastOption82(tx, c.LastOption82); err != nil {
			return err
		}
		m := tx.Bucket(bucketMeta)
		seq = getUint(m, keyDHCPCommitSeq) + 1
		if err := putUint(m, keyDHCPCommitSeq, seq); err != nil {
			return err
		}
		return bv.db.bindingsCommitted(tx, c)
	})
	if err != nil {
		return 0, fmt.Errorf("commit %d bindings: %w", len(c.Bindings), err)
	}
	return seq, nil
}

// putBindings writes the new values of bindings and moves their IP index
// entries.
func putBindings(tx *bolt.Tx, bindings []BindingRecord) error {
	bs, ips := tx.Bucket(bucketBindings), tx.Bucket(bucketBindingIP)
	// In MAC order: bbolt splits nodes only at commit, so sorted
	// inserts append instead of moving growing nodes around.
	recs := make([]*BindingRecord, len(bindings))
	for i := range bindings {
		recs[i] = &bindings[i]
	}
	slices.SortStableFunc(recs, func(a, b *BindingRecord) int { return bytes.Compare(a.MAC[:], b.MAC[:]) })
	// Keys and values must stay valid until the commit: they are
	// appended to one slab (a slice that outgrows it keeps pointing at
	// the old array, which stays as it was) instead of one allocation
	// each.
	slab := make([]byte, 0, len(recs)*160)
	put := func(b *bolt.Bucket, parts ...[]byte) error {
		start := len(slab)
		for _, p := range parts[:len(parts)-1] {
			slab = append(slab, p...)
		}
		k := slab[start:len(slab):len(slab)]
		var v []byte
		slab, v = appendSealed(slab, parts[len(parts)-1])
		return b.Put(k, v)
	}
	buf := make([]byte, 0, 256)
	for _, r := range recs {
		if err := unindexBinding(bs, ips, r.MAC, r); err != nil {
			return err
		}
		buf = encodeBinding(buf[:0], r)
		if err := put(bs, r.MAC[:], buf); err != nil {
			return err
		}
		if r.State.Active() && r.IP.Is4() {
			ip := r.IP.As4()
			if err := put(ips, ip[:], r.MAC[:]); err != nil {
				return err
			}
		}
	}
	return nil
}

// forgetBindings removes ended bindings and their index entries.
func forgetBindings(tx *bolt.Tx, macs []MAC) error {
	bs, ips := tx.Bucket(bucketBindings), tx.Bucket(bucketBindingIP)
	for _, mac := range macs {
		if err := unindexBinding(bs, ips, mac, nil); err != nil {
			return err
		}
		if err := bs.Delete(mac[:]); err != nil {
			return err
		}
	}
	return nil
}

func putLastOption82(tx *bolt.Tx, ls []LastOption82) error {
	for _, l := range ls {
		if err := putJSON(tx, bucketLastOption82, []byte(l.Access), l); err != nil {
			return err
		}
	}
	return nil
}

// unindexBinding removes the IP index entry of the stored binding of mac
// when next (nil: the binding goes away) no longer has it.
func unindexBinding(bs, ips *bolt.Bucket, mac MAC, next *BindingRecord) error {
	v := bs.Get(mac[:])
	if v == nil {
		return nil
	}
	old, err := openBinding(mac[:], v)
	if err != nil {
		return nil // a corrupt record is overwritten; its indexes are checked by IP below
	}
	if !old.State.Active() || !old.IP.Is4() {
		return nil
	}
	if next != nil && next.State.Active() && next.IP == old.IP {
		return nil
	}
	ip := old.IP.As4()
	if cur, _ := getIn(ips, bucketBindingIP, ip[:]); bytes.Equal(cur, mac[:]) {
		return ips.Delete(ip[:])
	}
	return nil
}

func putHistory(tx *bolt.Tx, ivs []BindingInterval) error {
	h, to, acc := tx.Bucket(bucketBindingHistory), tx.Bucket(bucketHistoryTo), tx.Bucket(bucketHistoryAccess)
	for i := range ivs {
		iv := &ivs[i]
		if !iv.IP.Is4() {
			continue
		}
		k := intervalKey(iv)
		if err := unindexHistoryAccess(acc, k, h.Get(k)); err != nil {
			return err
		}
		if err := h.Put(k, sealOwned(encodeInterval(iv))); err != nil {
			return err
		}
		if err := putHistoryAccess(acc, iv); err != nil {
			return err
		}
		if err := to.Put(intervalExpiryKey(iv), nil); err != nil {
			return err
		}
	}
	return nil
}

func putEvents(tx *bolt.Tx, evs []BindingEvent) error {
	b := tx.Bucket(bucketBindingEvents)
	for _, e := range evs {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		e.Seq = seq
		if err := putJSON(tx, bucketBindingEvents, binary.BigEndian.AppendUint64(nil, seq), e); err != nil {
			return err
		}
	}
	return nil
}

func putUnknown(tx *bolt.Tx, us []UnknownCircuit, gone []string) error {
	b := tx.Bucket(bucketUnknownCircuit)
	for _, k := range gone {
		if err := b.Delete([]byte(k)); err != nil {
			return err
		}
	}
	for _, u := range us {
		if u.Key == "" {
			continue
		}
		if err := putJSON(tx, bucketUnknownCircuit, []byte(u.Key), u); err != nil {
			return err
		}
	}
	return nil
}

// Load calls fn with every stored binding, in MAC order, from one
// read transaction, and returns the DHCP commit sequence that transaction
// saw: everything fn got was committed (and fsynced) by that commit.
func (bv Bindings) Load(fn func(*BindingRecord) error) (uint64, error) {
	var seq uint64
	err := bv.db.view(func(tx *bolt.Tx) error {
		seq = getUint(tx.Bucket(bucketMeta), keyDHCPCommitSeq)
		return tx.Bucket(bucketBindings).ForEach(func(k, v []byte) error {
			r, err := openBinding(k, v)
			if err != nil {
				return err
			}
			return fn(&r)
		})
	})
	if err != nil {
		return 0, fmt.Errorf("load bindings: %w", err)
	}
	return seq, nil
}

// CommitSeq is the DHCP commit sequence of the file (0: none yet).
func (bv Bindings) CommitSeq() (uint64, error) {
	var seq uint64
	err := bv.db.view(func(tx *bolt.Tx) error {
		seq = getUint(tx.Bucket(bucketMeta), keyDHCPCommitSeq)
		return nil
	})
	return seq, err
}

// ByMAC returns the stored binding of mac (any state).
func (bv Bindings) ByMAC(mac MAC) (BindingRecord, error) {
	var r BindingRecord
	err := bv.db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketBindings).Get(mac[:])
		if v == nil {
			return fmt.Errorf("binding of the MAC: %w", ErrNotFound)
		}
		var err error
		r, err = openBinding(mac[:], v)
		return err
	})
	return r, err
}

// ByIP returns the stored active binding holding ip.
func (bv Bindings) ByIP(ip netip.Addr) (BindingRecord, error) {
	var r BindingRecord
	err := bv.db.view(func(tx *bolt.Tx) error {
		ip = ip.Unmap()
		if !ip.Is4() {
			return fmt.Errorf("binding of the address: only IPv4: %w", ErrNotFound)
		}
		a := ip.As4()
		mac, err := get(tx, bucketBindingIP, a[:])
		if err != nil {
			return err
		}
		if mac == nil {
			return fmt.Errorf("active binding of the address: %w", ErrNotFound)
		}
		v := tx.Bucket(bucketBindings).Get(mac)
		if v == nil {
			return fmt.Errorf("the IP index names a MAC without a binding: %w", ErrCorrupt)
		}
		r, err = openBinding(mac, v)
		return err
	})
	return r, err
}

// OfAccess returns the stored active bindings (with an IPv4 address) on
// an access, in MAC order. It reads every stored binding: the daemon asks
// its live bindings instead, and the store keeps no access index of them
// (migration 12 dropped it), so that a new client costs its commit no
// random insert.
func (bv Bindings) OfAccess(access string) ([]BindingRecord, error) {
	var out []BindingRecord
	err := bv.db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBindings).ForEach(func(k, v []byte) error {
			r, err := openBinding(k, v)
			if err != nil {
				return err
			}
			if access != "" && r.Access == access && r.State.Active() && r.IP.Is4() {
				out = append(out, r)
			}
			return nil
		})
	})
	return out, err
}

// UnknownCircuits returns the stored unknown circuits, by key.
func (bv Bindings) UnknownCircuits() ([]UnknownCircuit, error) {
	var out []UnknownCircuit
	err := bv.db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUnknownCircuit).ForEach(func(k, v []byte) error {
			var u UnknownCircuit
			if err := openJSON(bucketUnknownCircuit, k, v, &u); err != nil {
				return err
			}
			out = append(out, u)
			return nil
		})
	})
	return out, err
}

// LastOption82s returns the last Option 82 of every access that has one.
func (bv Bindings) LastOption82s() ([]LastOption82, error) {
	var out []LastOption82
	err := bv.db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketLastOption82).ForEach(func(k, v []byte) error {
			var l LastOption82
			if err := openJSON(bucketLastOption82, k, v, &l); err != nil {
				return err
			}
			out = append(out, l)
			return nil
		})
	})
	return out, err
}

// LastOption82Of returns the last Option 82 seen on an access (ErrNotFound
// when none was).
func (bv Bindings) LastOption82Of(access string) (LastOption82, error) {
	var l LastOption82
	err := bv.db.view(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx, bucketLastOption82, []byte(access), &l)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("last option 82 of %q: %w", access, ErrNotFound)
		}
		return nil
	})
	return l, err
}
