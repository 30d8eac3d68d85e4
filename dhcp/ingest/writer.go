package ingest

import (
	"errors"
	"time"

	"github.com/stadsnat/accessd/dhcp/hwaddr"
	"github.com/stadsnat/accessd/store"
)

// write is the one writer: it commits real changes at most CommitInterval
// after the first of them arrived, or at once when fullBatch of them wait
// (group commit: one transaction, one fsync for everything pending), lazy
// ones every LazyInterval, purges old
// history hourly, and when the processor has stopped writes everything
// still pending and returns.
func (s *Service) write(procDone <-chan struct{}) error {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	armed := false
	lazy := time.NewTicker(s.cfg.LazyInterval)
	defer lazy.Stop()
	purge := time.NewTicker(time.Hour)
	defer purge.Stop()
	retry := func() {
		timer.Reset(time.Second)
		armed = true
	}
	for {
		select {
		case <-procDone:
			timer.Stop()
			if err := s.commit(true); err != nil {
				if errors.Is(err, store.ErrReadOnly) {
					s.log.Error("DHCP bindings not written at the stop: the store is read-only (a full disk); they are lost")
					return nil
				}
				return err
			}
			return nil
		case <-s.kick:
			if !armed {
				timer.Reset(s.cfg.CommitInterval)
				armed = true
			}
		case <-timer.C:
			armed = false
			if s.commit(false) != nil {
				retry()
			}
		case <-s.full:
			timer.Stop()
			armed = false
			if s.commit(false) != nil {
				retry()
			}
		case <-lazy.C:
			if s.commit(true) != nil && !armed {
				retry()
			}
		case now := <-purge.C:
			ni, ne, err := s.bindings.PurgeHistory(now.Add(-s.cfg.HistoryRetention))
			if err != nil {
				s.log.Error("purging old binding history failed; will retry in an hour", "err", err)
			} else if ni+ne > 0 {
				s.log.Info("forgot binding history past its retention", "intervals", ni, "events", ne, "retention", s.cfg.HistoryRetention)
			}
		}
	}
}

// commit writes what is pending: the prompt changes, and the lazy ones
// too when lazy is set. On failure everything goes back to pending.
func (s *Service) commit(lazy bool) error {
	p, c := s.take(lazy)
	if c.Empty() {
		return nil
	}
	start := time.Now()
	seq, err := s.bindings.Commit(c)
	took := time.Since(start)
	if err != nil {
		s.m.commitErr.Inc()
		// While the store is read-only (a full disk) this fails every
		// second: say so once a minute.
		if !errors.Is(err, store.ErrReadOnly) || time.Since(s.lastFailLog) >= time.Minute {
			s.lastFailLog = time.Now()
			s.log.Error("writing DHCP bindings failed; keeping them to retry", "bindings", len(c.Bindings), "err", err)
		}
		s.unwrite(p)
		return err
	}
	done := time.Now()
	st := s.set
	st.mu.Lock()
	for i := range c.Bindings {
		if e := st.byMAC[hwaddr.MAC(c.Bindings[i].MAC)]; e != nil {
			e.storedExpires = c.Bindings[i].Expires
		}
	}
	st.mu.Unlock()
	s.committed.Store(seq)
	s.lastCommit.Store(done.UnixNano())
	s.m.commits.Inc()
	s.m.commitDur.Observe(took.Seconds())
	for _, r := range p.received {
		s.m.latency.Observe(float64(done.UnixNano()-r) / 1e9)
	}
	s.log.Debug("DHCP bindings committed", "commit_seq", seq, "bindings", len(c.Bindings), "history", len(c.History),
		"events", len(c.Events), "took", took)
	return nil
}

// take swaps out what is pending (the lazy part only when lazy is set)
// and makes the store commit of it. The processor waits for the working
// set's lock while this holds it, and under load the prompt part is tens
// of thousands of bindings: their values are the copies the processor
// made (pending.recs), gathered after the lock; only the lazy part (once
// a lazy interval) and the few unknown circuits and Option 82s are read
// under it.
func (s *Service) take(lazy bool) (*pending, *store.BindingCommit) {
	st := s.set
	np := newPending(st.chunks)
	c := &store.BindingCommit{}
	var lazyRecs []store.BindingRecord
	st.mu.Lock()
	p := st.pending
	if !lazy {
		np.lazy, np.unknownLazy, np.lastO82Lazy = p.lazy, p.unknownLazy, p.lastO82Lazy
		np.lazyGen = p.lazyGen
		p.lazy, p.unknownLazy, p.lastO82Lazy = nil, nil, nil
	} else {
		np.lazyGen = p.lazyGen + 1 // an empty lazy set: no entry is in it
	}
	st.pending = np
	for mac := range p.lazy {
		if _, dup := p.dirty[mac]; !dup {
			if e := st.byMAC[mac]; e != nil {
				lazyRecs = append(lazyRecs, e.rec.toStore())
			}
		}
	}
	for _, keys := range []map[string]struct{}{p.unknown, p.unknownLazy} {
		for k := range keys {
			if u, ok := st.unknown.get(k); ok {
				c.Unknown = append(c.Unknown, u)
			}
		}
	}
	for _, accs := range []map[string]struct{}{p.lastO82, p.lastO82Lazy} {
		for a := range accs {
			if l := st.lastO82[a]; l != nil {
				c.LastOption82 = append(c.LastOption82, store.LastOption82{Access: a, Hex: l.hex, Seen: l.seen})
			}
		}
	}
	// A binding forgotten and seen again since is written, not deleted:
	// the store commits its writes before its forgets.
	forget := p.forget[:0]
	for _, mac := range p.forget {
		if st.byMAC[mac] == nil {
			forget = append(forget, mac)
		}
	}
	p.forget = forget
	droppedEvents := p.droppedEvent
	st.mu.Unlock()
	// p is the writer's now: the processor fills np.
	c.Bindings = make([]store.BindingRecord, 0, len(p.dirty)+len(lazyRecs))
	for _, i := range p.dirty {
		c.Bindings = append(c.Bindings, *p.recs.at(i))
	}
	p.recs.release()
	c.Bindings = append(c.Bindings, lazyRecs...)
	c.Forget, c.History, c.Events = storeMACs(p.forget), storeIntervals(p.history), p.events
	for k := range p.unknownGone {
		c.UnknownGone = append(c.UnknownGone, k)
	}
	if droppedEvents > 0 {
		s.log.Warn("binding events were not kept: too many waited for the store", "events", droppedEvents)
	}
	return p, c
}

// unwrite puts a failed commit's work back in front of what arrived since.
func (s *Service) unwrite(p *pending) {
	st := s.set
	st.mu.Lock()
	defer st.mu.Unlock()
	np := st.pending
	for mac := range p.dirty {
		if _, ok := np.dirty[mac]; !ok {
			if e := st.byMAC[mac]; e != nil {
				np.dirty[mac] = np.recs.add(e.rec.toStore())
			}
		}
	}
	for mac := range p.lazy {
		if _, ok := np.dirty[mac]; !ok {
			np.lazy[mac] = struct{}{}
		}
	}
	np.forget = append(p.forget, np.forget...)
	np.history = append(p.history, np.history...)
	np.events = append(p.events, np.events...)
	for _, pair := range [][2]map[string]struct{}{{p.unknown, np.unknown}, {p.unknownLazy, np.unknownLazy},
		{p.unknownGone, np.unknownGone}, {p.lastO82, np.lastO82}, {p.lastO82Lazy, np.lastO82Lazy}} {
		for k := range pair[0] {
			pair[1][k] = struct{}{}
		}
	}
	if len(np.received) < maxPendingLatencies {
		np.received = append(p.received, np.received...)
	}
}
