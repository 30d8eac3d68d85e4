package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The cluster's domain (Cluster view, cluster*.go): what a hub learns of
// its sites beside what every box keeps (their bindings and unknown
// circuits go to the DHCP buckets, their order outcomes to the orders),
// and the positions that make the exchange exactly once: the last fact
// applied from each site (written in the transaction of the facts), the
// inventory stream position an edge applied up to (written with the
// inventory), and how far a hub published its own inventory changes.
// The store knows nothing of NATS: the daemon's cluster subsystem
// converts at its edge.

// Buckets of the cluster (see doc.go).
var (
	bucketClusterMarks       = []byte("cluster_marks")
	bucketClusterLinks       = []byte("cluster_links")
	bucketClusterLinkAccess  = []byte("cluster_link_access")
	bucketClusterState       = []byte("cluster_state")
	bucketClusterInvExternal = []byte("cluster_inv_external")

	keyInventoryMark      = []byte("inventory_mark")
	keyInventoryPublished = []byte("inventory_published")
	keyInventoryRefused   = []byte("inventory_refused")
)

func clusterBuckets() [][]byte {
	return [][]byte{bucketClusterMarks, bucketClusterLinks, bucketClusterLinkAccess, bucketClusterState, bucketClusterInvExternal}
}

// migrateCreateClusterBuckets creates the cluster's buckets.
func migrateCreateClusterBuckets(tx *bolt.Tx) error {
	for _, b := range clusterBuckets() {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// Cluster is the view of the cluster's domain: the marks of the facts
// applied per site, the link states learned from the sites, the
// inventory positions.
type Cluster struct{ db *DB }

// Cluster returns the view of the cluster's domain.
func (d *DB) Cluster() Cluster { return Cluster{d} }

// ClusterMark is the last fact applied from one origin (a site, or
// site:instance): its sequence and when the origin made it.
type ClusterMark struct {
	Seq uint64
	At  time.Time
}

func encodeMark(m ClusterMark) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 16), m.Seq)
	return binary.BigEndian.AppendUint64(b, uint64(m.At.UnixNano()))
}

func decodeMark(v []byte) (ClusterMark, error) {
	if len(v) != 16 {
		return ClusterMark{}, fmt.Errorf("cluster mark: %d bytes, want 16: %w", len(v), ErrCorrupt)
	}
	return ClusterMark{Seq: binary.BigEndian.Uint64(v), At: time.Unix(0, int64(binary.BigEndian.Uint64(v[8:]))).UTC()}, nil
}

// Marks returns the marks the store holds, by origin.
func (c Cluster) Marks() (map[string]ClusterMark, error) {
	out := map[string]ClusterMark{}
	err := c.db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketClusterMarks).ForEach(func(k, v []byte) error {
			b, err := open(bucketClusterMarks, k, v)
			if err != nil {
				return err
			}
			m, err := decodeMark(b)
			if err != nil {
				return fmt.Errorf("origin %q: %w", k, err)
			}
			out[string(k)] = m
			return nil
		})
	})
	return out, err
}

// RemoteLink is a port's state as a site reported it (its link fact): the
// state the site's port writer stored, the access on the port, and when
// the site made the fact.
type RemoteLink struct {
	Site string `json:"site"`
	PortKey
	Access string    `json:"access,omitempty"`
	State  PortState `json:"state"`
	// At is when the site made the fact; Applied when this box stored it.
	At      time.Time `json:"at"`
	Applied time.Time `json:"applied"`
	// Removed: the site no longer polls the port.
	Removed bool `json:"removed,omitempty"`
}

func remoteLinkKey(site string, k PortKey) []byte {
	b := make([]byte, 0, len(site)+len(k.Switch)+len(k.Port)+2)
	b = append(append(b, site...), 0)
	return append(b, k.key()...)
}

// putRemoteLink stores l and keeps the index by access.
func putRemoteLink(lb, ib *bolt.Bucket, l *RemoteLink) error {
	k := remoteLinkKey(l.Site, l.PortKey)
	if v := lb.Get(k); v != nil {
		var old RemoteLink
		if err := openJSON(bucketClusterLinks, k, v, &old); err == nil && old.Access != "" && (old.Access != l.Access || l.Removed) {
			if cur, err := getIn(ib, bucketClusterLinkAccess, []byte(old.Access)); err == nil && string(cur) == string(k) {
				if err := ib.Delete([]byte(old.Access)); err != nil {
					return err
				}
			}
		}
	}
	if l.Removed {
		return lb.Delete(k)
	}
	v, err := json.Marshal(l)
	if err != nil {
		return err
	}
	if err := lb.Put(k, sealOwned(v)); err != nil {
		return err
	}
	if l.Access != "" {
		return ib.Put([]byte(l.Access), seal(k))
	}
	return nil
}

// RemoteLinkOf returns the link state a site reported for the port of an
// access; found is false when no site reported one.
func (c Cluster) RemoteLinkOf(accessID string) (l RemoteLink, found bool, err error) {
	err = c.db.view(func(tx *bolt.Tx) error {
		k, err := get(tx, bucketClusterLinkAccess, []byte(accessID))
		if err != nil || k == nil {
			return err
		}
		v := tx.Bucket(bucketClusterLinks).Get(k)
		if v == nil {
			return nil
		}
		if err := openJSON(bucketClusterLinks, k, v, &l); err != nil {
			return fmt.Errorf("link of access %q: %w", accessID, err)
		}
		found = true
		return nil
	})
	return l, found, err
}

// EachRemoteLink calls fn with every stored link state, by site, switch
// and port.
func (c Cluster) EachRemoteLink(fn func(*RemoteLink) error) error {
	return c.db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketClusterLinks).ForEach(func(k, v []byte) error {
			var l RemoteLink
			if err := openJSON(bucketClusterLinks, k, v, &l); err != nil {
				return err
			}
			return fn(&l)
		})
	})
}
