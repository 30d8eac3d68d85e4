package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/hwaddr"
)

// DHCP binding buckets (see doc.go).
var (
	bucketBindings       = []byte("dhcp_bindings")
	bucketBindingIP      = []byte("dhcp_binding_ip")
	bucketBindingAccess  = []byte("dhcp_binding_access")
	bucketBindingHistory = []byte("dhcp_history")
	bucketHistoryTo      = []byte("dhcp_history_to")
	bucketBindingEvents  = []byte("dhcp_events")
	bucketUnknownCircuit = []byte("dhcp_unknown_circuits")
	bucketLastOption82   = []byte("dhcp_last_option82")

	keyDHCPCommitSeq = []byte("dhcp_commit_seq")
)

func bindingBuckets() [][]byte {
	return [][]byte{bucketBindings, bucketBindingIP, bucketBindingAccess, bucketBindingHistory, bucketHistoryTo,
		bucketBindingEvents, bucketUnknownCircuit, bucketLastOption82}
}

func migrateCreateBindingBuckets(tx *bolt.Tx) error {
	for _, b := range bindingBuckets() {
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
	Seq        uint64     `json:"seq"`
	Kind       string     `json:"kind"`
	Time       time.Time  `json:"time"`
	MAC        hwaddr.MAC `json:"mac,omitzero"`
	IP         netip.Addr `json:"ip,omitzero"`
	Access     string     `json:"access,omitempty"`
	PrevAccess string     `json:"prevAccess,omitempty"`
	PrevIP     netip.Addr `json:"prevIp,omitzero"`
	PrevMAC    hwaddr.MAC `json:"prevMac,omitzero"`
	// Circuit is the circuit key (circuit-conflict); Accesses the accesses
	// that claim it.
	Circuit  string   `json:"circuit,omitempty"`
	Accesses []string `json:"accesses,omitempty"`
}

// EventCircuitConflict is the kind of a BindingEvent for a circuit that
// two accesses claim (one by its Option82 text, another by its circuit-id
// and remote-id).
const EventCircuitConflict = "circuit-conflict"

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
	LastMAC   hwaddr.MAC `json:"lastMac,omitzero"`
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
	Forget []hwaddr.MAC
	// History appends closed intervals.
	History []binding.Interval
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

func accessMACKey(access string, mac hwaddr.MAC) []byte {
	k := make([]byte, 0, len(access)+1+6)
	k = append(k, access...)
	k = append(k, 0)
	return append(k, mac[:]...)
}

// CommitBindings writes c in one transaction (one fsync) and returns the
// DHCP commit sequence it got: 1 for the first commit of the file, then 2,
// 3, … A binding's IP and access indexes follow its new value (active
// bindings only); an index entry that another MAC took in the same or an
// earlier commit is left alone.
func (d *DB) CommitBindings(c *BindingCommit) (uint64, error) {
	var seq uint64
	err := d.update(func(tx *bolt.Tx) error {
		bs, ips, acc := tx.Bucket(bucketBindings), tx.Bucket(bucketBindingIP), tx.Bucket(bucketBindingAccess)
		// In MAC order: bbolt splits nodes only at commit, so sorted
		// inserts append instead of moving growing nodes around.
		recs := make([]*BindingRecord, len(c.Bindings))
		for i := range c.Bindings {
			recs[i] = &c.Bindings[i]
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
			start = len(slab)
			slab = append(slab, parts[len(parts)-1]...)
			return b.Put(k, slab[start:len(slab):len(slab)])
		}
		buf := make([]byte, 0, 256)
		var accKeys [][]byte
		for _, r := range recs {
			if err := unindexBinding(bs, ips, acc, r.MAC, &r.Binding); err != nil {
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
				if r.Access != "" {
					accKeys = append(accKeys, accessMACKey(r.Access, r.MAC))
				}
			}
		}
		// The access index in its own key order: its keys come in MAC
		// order, which is random for it.
		slices.SortFunc(accKeys, bytes.Compare)
		for _, k := range accKeys {
			if err := acc.Put(k, nil); err != nil {
				return err
			}
		}
		for _, mac := range c.Forget {
			if err := unindexBinding(bs, ips, acc, mac, nil); err != nil {
				return err
			}
			if err := bs.Delete(mac[:]); err != nil {
				return err
			}
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
		lo := tx.Bucket(bucketLastOption82)
		for _, l := range c.LastOption82 {
			v, err := json.Marshal(l)
			if err != nil {
				return err
			}
			if err := lo.Put([]byte(l.Access), v); err != nil {
				return err
			}
		}
		m := tx.Bucket(bucketMeta)
		seq = getUint(m, keyDHCPCommitSeq) + 1
		return putUint(m, keyDHCPCommitSeq, seq)
	})
	if err != nil {
		return 0, fmt.Errorf("commit %d bindings: %w", len(c.Bindings), err)
	}
	return seq, nil
}

// unindexBinding removes the index entries of the stored binding of mac
// that next (nil: the binding goes away) no longer has.
func unindexBinding(bs, ips, acc *bolt.Bucket, mac hwaddr.MAC, next *binding.Binding) error {
	v := bs.Get(mac[:])
	if v == nil {
		return nil
	}
	old, err := decodeBinding(v)
	if err != nil {
		return nil // a corrupt record is overwritten; its indexes are checked by IP below
	}
	if !old.State.Active() || !old.IP.Is4() {
		return nil
	}
	keepIP := next != nil && next.State.Active() && next.IP == old.IP
	if !keepIP {
		ip := old.IP.As4()
		if cur := ips.Get(ip[:]); bytes.Equal(cur, mac[:]) {
			if err := ips.Delete(ip[:]); err != nil {
				return err
			}
		}
	}
	if old.Access != "" && !(next != nil && next.State.Active() && next.IP.Is4() && next.Access == old.Access) {
		if err := acc.Delete(accessMACKey(old.Access, mac)); err != nil {
			return err
		}
	}
	return nil
}

func putHistory(tx *bolt.Tx, ivs []binding.Interval) error {
	h, to := tx.Bucket(bucketBindingHistory), tx.Bucket(bucketHistoryTo)
	for i := range ivs {
		iv := &ivs[i]
		if !iv.IP.Is4() {
			continue
		}
		if err := h.Put(intervalKey(iv), encodeInterval(iv)); err != nil {
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
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if err := b.Put(binary.BigEndian.AppendUint64(nil, seq), v); err != nil {
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
		v, err := json.Marshal(u)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(u.Key), v); err != nil {
			return err
		}
	}
	return nil
}

// LoadBindings calls fn with every stored binding, in MAC order, from one
// read transaction, and returns the DHCP commit sequence that transaction
// saw: everything fn got was committed (and fsynced) by that commit.
func (d *DB) LoadBindings(fn func(*BindingRecord) error) (uint64, error) {
	var seq uint64
	err := d.view(func(tx *bolt.Tx) error {
		seq = getUint(tx.Bucket(bucketMeta), keyDHCPCommitSeq)
		return tx.Bucket(bucketBindings).ForEach(func(k, v []byte) error {
			r, err := decodeBinding(v)
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

// BindingCommitSeq is the DHCP commit sequence of the file (0: none yet).
func (d *DB) BindingCommitSeq() (uint64, error) {
	var seq uint64
	err := d.view(func(tx *bolt.Tx) error {
		seq = getUint(tx.Bucket(bucketMeta), keyDHCPCommitSeq)
		return nil
	})
	return seq, err
}

// BindingByMAC returns the stored binding of mac (any state).
func (d *DB) BindingByMAC(mac hwaddr.MAC) (BindingRecord, error) {
	var r BindingRecord
	err := d.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketBindings).Get(mac[:])
		if v == nil {
			return fmt.Errorf("binding of the MAC: %w", ErrNotFound)
		}
		var err error
		r, err = decodeBinding(v)
		return err
	})
	return r, err
}

// BindingByIP returns the stored active binding holding ip.
func (d *DB) BindingByIP(ip netip.Addr) (BindingRecord, error) {
	var r BindingRecord
	err := d.view(func(tx *bolt.Tx) error {
		ip = ip.Unmap()
		if !ip.Is4() {
			return fmt.Errorf("binding of the address: only IPv4: %w", ErrNotFound)
		}
		a := ip.As4()
		mac := tx.Bucket(bucketBindingIP).Get(a[:])
		if mac == nil {
			return fmt.Errorf("active binding of the address: %w", ErrNotFound)
		}
		v := tx.Bucket(bucketBindings).Get(mac)
		if v == nil {
			return fmt.Errorf("the IP index names a MAC without a binding: %w", ErrCorrupt)
		}
		var err error
		r, err = decodeBinding(v)
		return err
	})
	return r, err
}

// BindingsOfAccess returns the stored active bindings on an access, in MAC
// order.
func (d *DB) BindingsOfAccess(access string) ([]BindingRecord, error) {
	var out []BindingRecord
	err := d.view(func(tx *bolt.Tx) error {
		bs := tx.Bucket(bucketBindings)
		prefix := append([]byte(access), 0)
		c := tx.Bucket(bucketBindingAccess).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			v := bs.Get(k[len(prefix):])
			if v == nil {
				continue
			}
			r, err := decodeBinding(v)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// UnknownCircuits returns the stored unknown circuits, by key.
func (d *DB) UnknownCircuits() ([]UnknownCircuit, error) {
	var out []UnknownCircuit
	err := d.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUnknownCircuit).ForEach(func(k, v []byte) error {
			var u UnknownCircuit
			if err := json.Unmarshal(v, &u); err != nil {
				return fmt.Errorf("unknown circuit %q: %w: %v", k, ErrCorrupt, err)
			}
			out = append(out, u)
			return nil
		})
	})
	return out, err
}

// LastOption82s returns the last Option 82 of every access that has one.
func (d *DB) LastOption82s() ([]LastOption82, error) {
	var out []LastOption82
	err := d.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketLastOption82).ForEach(func(k, v []byte) error {
			var l LastOption82
			if err := json.Unmarshal(v, &l); err != nil {
				return fmt.Errorf("last option 82 of %q: %w: %v", k, ErrCorrupt, err)
			}
			out = append(out, l)
			return nil
		})
	})
	return out, err
}

// LastOption82Of returns the last Option 82 seen on an access (ErrNotFound
// when none was).
func (d *DB) LastOption82Of(access string) (LastOption82, error) {
	var l LastOption82
	err := d.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketLastOption82).Get([]byte(access))
		if v == nil {
			return fmt.Errorf("last option 82 of %q: %w", access, ErrNotFound)
		}
		if err := json.Unmarshal(v, &l); err != nil {
			return fmt.Errorf("last option 82 of %q: %w: %v", access, ErrCorrupt, err)
		}
		return nil
	})
	return l, err
}
