package clustersys

import (
	"fmt"
	"sync"
	"time"

	"github.com/stadsnat/accessd/store"
)

// Links is a hub's answer to "what is the link of this access?" from the
// link facts of its sites (piapi.LinkSource): the port state the site of
// the access last reported. A site sends a port's state when it changes,
// and the state is as fresh as the site's contact: once the site is stale
// (no contact for cluster.staleness) every link it reported is UNKNOWN
// since its last contact, never a stale UP. Local, when set, answers
// first for the accesses this box polls itself.
type Links struct {
	db *store.DB
	// Local is the link state this box polls itself (nil: none).
	Local interface {
		Link(accessID string) (store.LinkState, error)
	}

	mu    sync.RWMutex
	stale map[string]time.Time // site ⇒ no contact since
}

// NewLinks makes a hub's links on db.
func NewLinks(db *store.DB) *Links {
	return &Links{db: db, stale: map[string]time.Time{}}
}

// SetLocal sets the link state this box polls itself; on nil Links (no
// hub) it does nothing.
func (l *Links) SetLocal(local interface {
	Link(accessID string) (store.LinkState, error)
}) {
	if l != nil {
		l.Local = local
	}
}

func (l *Links) setStale(site string, since time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stale[site] = since
}

func (l *Links) setFresh(site string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.stale, site)
}

func (l *Links) staleSince(site string) (time.Time, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	t, ok := l.stale[site]
	return t, ok
}

// retryAfter is the Retry-After of an UNKNOWN link at the hub.
const retryAfter = 30 * time.Second

// Link answers the link of an access. An unknown access is
// store.ErrNotFound, one whose inventory entry names no switch port
// store.ErrNoPort; an UNKNOWN link is not an error.
func (l *Links) Link(accessID string) (store.LinkState, error) {
	if l.Local != nil {
		ls, err := l.Local.Link(accessID)
		if err != nil || ls.Link != store.LinkUnknown || ls.Reason != store.NotPolled {
			return ls, err
		}
	}
	rec, err := l.db.Inventory().Access(accessID)
	if err != nil {
		return store.LinkState{}, err
	}
	if rec.Removed {
		return store.LinkState{}, fmt.Errorf("access %q: removed: %w", accessID, store.ErrNotFound)
	}
	sw, port, ok := store.AccessSwitchPort(&rec.Access)
	if !ok {
		return store.LinkState{}, fmt.Errorf("access %q: %w", accessID, store.ErrNoPort)
	}
	ls := store.LinkState{AccessID: accessID, Switch: sw, Port: port, Link: store.LinkUnknown, RetryAfter: retryAfter}
	rl, found, err := l.db.Cluster().RemoteLinkOf(accessID)
	if err != nil {
		return ls, err
	}
	if !found {
		ls.Reason, ls.Cause = store.NotPolled, "no site has reported the port of this access"
		return ls, nil
	}
	return l.judge(ls, &rl), nil
}

// judge turns a site's report into the answer.
func (l *Links) judge(ls store.LinkState, rl *store.RemoteLink) store.LinkState {
	st := &rl.State
	ls.Address, ls.Admin, ls.Oper, ls.SpeedMbps, ls.Source = rl.Switch, st.Admin, st.Oper, st.SpeedMbps, st.Source
	ls.Confirmed = rl.At
	unknown := func(why store.UnknownReason, since time.Time, cause string) store.LinkState {
		ls.Link, ls.Reason, ls.Cause = store.LinkUnknown, why, cause
		if !since.IsZero() {
			ls.Since, ls.SinceExact = since.UTC(), true
		}
		return ls
	}
	if since, stale := l.staleSince(rl.Site); stale {
		return unknown(store.Stale, since, fmt.Sprintf("site %s has not been heard from since %s", rl.Site,
			since.UTC().Format(time.RFC3339)))
	}
	switch {
	case !st.Reachable && st.Link == store.LinkUnknown:
		return unknown(store.Unreachable, st.Since, fmt.Sprintf("site %s: switch %s does not answer", rl.Site, rl.Switch))
	case st.Problem != "":
		return unknown(store.PortNotFound, st.Since, fmt.Sprintf("site %s: port %q on switch %s: %s", rl.Site, rl.Port, rl.Switch, st.Problem))
	case st.Link != store.LinkUp && st.Link != store.LinkDown:
		return unknown(store.NoLinkInfo, st.Since, fmt.Sprintf("site %s: ifOperStatus %q says nothing about the link", rl.Site, st.Oper))
	}
	ls.Link, ls.Since, ls.SinceExact, ls.RetryAfter = st.Link, st.Since, st.SinceExact, 0
	return ls
}
