package store

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stadsnat/accessd/store/inventory"
)

// Port link state: what the SNMP poller learnt about the switch port of
// every access (see doc.go for the buckets). A port is keyed by the
// switch's polled address and the port NAME as the inventory writes it,
// never by ifIndex, which a switch may renumber when it reboots. Writes
// come through a PortWriter (grouped); reads are single transactions.

// Buckets of the port states (see doc.go).
var (
	bucketPorts       = []byte("ports")
	bucketPortHistory = []byte("port_history")
)

// migrateCreatePortBuckets creates the buckets of the port states.
func migrateCreatePortBuckets(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketPorts, bucketPortHistory} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// Link is the physical link state of a port.
type Link string

// The link states. UNKNOWN: the switch does not answer, the port was not
// found, or ifOperStatus says nothing about the link.
const (
	LinkUp      Link = "UP"
	LinkDown    Link = "DOWN"
	LinkUnknown Link = "UNKNOWN"
)

// PortKey names a polled port: the switch's polled address (host:port,
// as the poller normalizes it) and the port as the inventory names it.
type PortKey struct {
	Switch string `json:"switch"`
	Port   string `json:"port"`
}

func (k PortKey) key() []byte {
	b := make([]byte, 0, len(k.Switch)+1+len(k.Port))
	b = append(b, k.Switch...)
	b = append(b, 0)
	return append(b, k.Port...)
}

func portKeyFrom(b []byte) PortKey {
	sw, port, _ := bytes.Cut(b, []byte{0})
	return PortKey{Switch: string(sw), Port: string(port)}
}

func (k PortKey) String() string { return k.Switch + " " + k.Port }

// PortState is a port as the poller last reported it.
type PortState struct {
	Group     string `json:"group,omitempty"`
	IfIndex   int    `json:"ifIndex,omitempty"`
	MatchedBy string `json:"matchedBy,omitempty"` // ifName, ifDescr or ifAlias
	// Admin and Oper are the RFC 2863 names of ifAdminStatus and
	// ifOperStatus ("up", "down", "lowerLayerDown", …), empty when unknown.
	Admin     string `json:"admin,omitempty"`
	Oper      string `json:"oper,omitempty"`
	Link      Link   `json:"link"`
	SpeedMbps uint64 `json:"speedMbps,omitempty"`
	// Since is when Link took its value (by the switch's clock for
	// UP/DOWN; the start of the outage for an unreachable switch);
	// SinceExact is false when it is only the latest it can have been (the
	// change happened before the agent's last restart).
	Since      time.Time `json:"since"`
	SinceExact bool      `json:"sinceExact"`
	// PolledAt is when the switch last confirmed this state while it was
	// written; the poller confirms unchanged ports every cycle without a
	// write, so the freshness of a stored state is the later of this and
	// the switch's last answer.
	PolledAt  time.Time `json:"polledAt"`
	Source    string    `json:"source,omitempty"` // poll or trap
	Reachable bool      `json:"reachable"`
	Problem   string    `json:"problem,omitempty"` // why UNKNOWN on a reachable switch
}

// PortRecord is what the store keeps of one port.
type PortRecord struct {
	PortKey
	PortState
	// Stored is when this state was written.
	Stored time.Time `json:"stored"`
	// Known and KnownSince are the last UP or DOWN seen and its since,
	// kept through UNKNOWN spells so that a flap while the switch was
	// unreachable is still counted.
	Known      Link      `json:"known,omitempty"`
	KnownSince time.Time `json:"knownSince,omitzero"`
}

// PortTransition is one entry of a port's history: the link, admin
// status, speed (while up) or problem changed, or the link flapped between
// two reads.
type PortTransition struct {
	At         time.Time `json:"at"` // when accessd learnt it
	Since      time.Time `json:"since"`
	SinceExact bool      `json:"sinceExact"`
	From       Link      `json:"from,omitempty"` // empty: the first state seen
	Link       Link      `json:"link"`
	Admin      string    `json:"admin,omitempty"`
	Oper       string    `json:"oper,omitempty"`
	SpeedMbps  uint64    `json:"speedMbps,omitempty"`
	Source     string    `json:"source,omitempty"`
	Problem    string    `json:"problem,omitempty"`
	// Flap: the link was lost (UP → DOWN while administratively up), or
	// went away and came back between two reads (since moved while the
	// link stayed the same).
	Flap bool `json:"flap,omitempty"`
}

// PortHistory is the bounded history of one port.
type PortHistory struct {
	// Transitions, oldest first, at most the writer's HistoryLen.
	Transitions []PortTransition `json:"transitions"`
	// Flaps are the unix seconds of the flaps of the last day, oldest
	// first, at most maxFlaps; DroppedAt is the newest one dropped for
	// want of room (0: none), so counts over a window that reaches it are
	// lower bounds.
	Flaps     []int64 `json:"flaps,omitempty"`
	DroppedAt int64   `json:"droppedAt,omitempty"`
}

// maxFlaps bounds the flap times kept per port (about 8 KiB).
const maxFlaps = 1000

// FlapCounts are the flaps of a port over the last hour and day.
type FlapCounts struct {
	Hour int `json:"hour"`
	Day  int `json:"day"`
	// AtLeast: more flaps than could be remembered; the counts are lower
	// bounds.
	AtLeast bool `json:"atLeast,omitempty"`
}

// CountFlaps counts the flaps of the hour and of the day before now.
func (h *PortHistory) CountFlaps(now time.Time) FlapCounts {
	var c FlapCounts
	hour, day := now.Add(-time.Hour).Unix(), now.Add(-24*time.Hour).Unix()
	for _, f := range h.Flaps {
		if f > day {
			c.Day++
		}
		if f > hour {
			c.Hour++
		}
	}
	c.AtLeast = h.DroppedAt > day
	return c
}

// ErrNoPort is returned (wrapped) for an access whose inventory entry
// names no switch port.
var ErrNoPort = errors.New("names no switch port")

// AccessSwitchPort gives the switch and port an access is cabled to, as
// the inventory names them: its Option82 text "SWITCH PORT" (the switch's
// management address or name, then the port), else its dhcpIdentifier
// (remote-id = switch, circuit-id = port). ok is false when neither names
// both.
func AccessSwitchPort(a *inventory.Access) (sw, port string, ok bool) {
	text := strings.TrimSpace(a.Option82)
	if s, p, cut := strings.Cut(text, " "); cut && strings.TrimSpace(p) != "" {
		return s, strings.TrimSpace(p), true
	}
	if r, c := a.DHCPIdentifier.IPv4RemoteID, a.DHCPIdentifier.IPv4CircuitID; r != "" && c != "" {
		return r, c, true
	}
	return "", "", false
}

// AccessPort is the port of an access and what the store knows of it.
type AccessPort struct {
	AccessID string
	// SwitchName and Port are as the inventory names them; Key.Switch is
	// the polled address SwitchName maps to (empty when it maps to none).
	SwitchName string
	Key        PortKey
	// Record is the stored state, nil when the port was never polled.
	Record *PortRecord
	// History is filled when asked for.
	History *PortHistory
}

// AccessPort reads the port of a live access in one transaction. address
// maps the inventory's switch name to the polled address (ok false: the
// switch is not polled). A missing access is ErrNotFound, one that names
// no port ErrNoPort.
func (pv Ports) AccessPort(accessID string, address func(name string) (string, bool), withHistory bool) (AccessPort, error) {
	ap := AccessPort{AccessID: accessID}
	err := pv.db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketAccesses).Get([]byte(accessID))
		if v == nil {
			return fmt.Errorf("access %q: %w", accessID, ErrNotFound)
		}
		var rec AccessRecord
		if err := openRecordView(&rec, []byte(accessID), v); err != nil {
			return err
		}
		if rec.Removed {
			return fmt.Errorf("access %q: removed: %w", accessID, ErrNotFound)
		}
		sw, port, ok := AccessSwitchPort(&rec.Access)
		if !ok {
			return fmt.Errorf("access %q: %w", accessID, ErrNoPort)
		}
		ap.SwitchName, ap.Key.Port = strings.Clone(sw), strings.Clone(port)
		addr, ok := address(ap.SwitchName)
		if !ok {
			return nil
		}
		ap.Key.Switch = addr
		r, h, err := readPort(tx, ap.Key, withHistory)
		ap.Record, ap.History = r, h
		return err
	})
	return ap, err
}

// Get reads one port's record (nil when none) and, if asked, its
// history.
func (pv Ports) Get(k PortKey, withHistory bool) (*PortRecord, *PortHistory, error) {
	var r *PortRecord
	var h *PortHistory
	err := pv.db.view(func(tx *bolt.Tx) error {
		var err error
		r, h, err = readPort(tx, k, withHistory)
		return err
	})
	return r, h, err
}

func readPort(tx *bolt.Tx, k PortKey, withHistory bool) (*PortRecord, *PortHistory, error) {
	kb := k.key()
	var r *PortRecord
	if v := tx.Bucket(bucketPorts).Get(kb); v != nil {
		r = new(PortRecord)
		if err := openJSON(bucketPorts, kb, v, r); err != nil {
			return nil, nil, err
		}
	}
	if !withHistory {
		return r, nil, nil
	}
	h := new(PortHistory)
	if v := tx.Bucket(bucketPortHistory).Get(kb); v != nil {
		if err := openJSON(bucketPortHistory, kb, v, h); err != nil {
			return nil, nil, err
		}
	}
	return r, h, nil
}

// Each calls fn for every stored port record, in key order.
func (pv Ports) Each(fn func(*PortRecord) error) error {
	return pv.db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPorts).ForEach(func(k, v []byte) error {
			var r PortRecord
			if err := openJSON(bucketPorts, k, v, &r); err != nil {
				return err
			}
			return fn(&r)
		})
	})
}

// Prune forgets every port (record and history) for which keep is
// false: at start-up, the ports no longer polled after a configuration or
// inventory change made while the daemon was stopped. It returns how many
// it forgot.
func (pv Ports) Prune(keep func(PortKey) bool) (int, error) {
	n := 0
	err := pv.db.update(func(tx *bolt.Tx) error {
		var gone [][]byte
		for _, b := range []*bolt.Bucket{tx.Bucket(bucketPorts), tx.Bucket(bucketPortHistory)} {
			gone = gone[:0]
			c := b.Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				if !keep(portKeyFrom(k)) {
					gone = append(gone, bytes.Clone(k))
				}
			}
			for _, k := range gone {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			if b == tx.Bucket(bucketPorts) {
				n = len(gone)
			}
		}
		return nil
	})
	return n, err
}

// EachAccessPort calls fn with the switch and port of every live access
// that names one, in AccessId order, from one read transaction: what the
// poller's switch list is built from. The strings are only valid during
// the call.
func (pv Ports) EachAccessPort(fn func(accessID, sw, port string) error) error {
	return pv.db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAccesses).Cursor()
		var rec AccessRecord
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := openRecordView(&rec, k, v); err != nil {
				return err
			}
			if rec.Removed {
				continue
			}
			if sw, port, ok := AccessSwitchPort(&rec.Access); ok {
				if err := fn(rec.AccessID, sw, port); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// AccessesOfPorts returns, for each update, the live access on its port:
// the one whose Option82 text is "NAME PORT", else whose (circuit-id,
// remote-id) is (PORT, NAME), for the first of the switch's names that has
// one; "" when none. One read transaction.
func (pv Ports) AccessesOfPorts(names []string, us []PortUpdate) ([]string, error) {
	out := make([]string, len(us))
	err := pv.db.view(func(tx *bolt.Tx) error {
		o82 := tx.Bucket(bucketAccessOption82)
		for i, u := range us {
			for _, name := range names {
				id, err := getIn(o82, bucketAccessOption82, []byte(name+" "+u.Key.Port))
				if err != nil {
					return err
				}
				if id != nil {
					out[i] = string(id)
					break
				}
				if id, err := accessByCircuit(tx, u.Key.Port, name); err == nil && id != "" {
					out[i] = id
					break
				}
			}
		}
		return nil
	})
	return out, err
}
