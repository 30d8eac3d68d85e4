package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stadsnat/accessd/dhcp/binding"
	"github.com/stadsnat/accessd/dhcp/circuit"
	"github.com/stadsnat/accessd/dhcp/kealease"
	"github.com/stadsnat/accessd/dhcp/lookup"
	"github.com/stadsnat/accessd/dhcp/neigh"
	"github.com/stadsnat/accessd/store"
)

// Config configures a Service. Zero durations and sizes take the defaults
// of the dhcp: configuration section.
type Config struct {
	// Bindings is the store's DHCP domain, where the service keeps its
	// bindings; Inventory the accesses it matches circuits to.
	Bindings  store.Bindings
	Inventory store.Inventory
	Log       *slog.Logger // nil discards
	// Profiles are the decoder profiles in selection order; ServiceTypes
	// maps a profile name to the ON-API serviceType of its leases
	// ("unknown" when absent).
	Profiles     []circuit.Profile
	ServiceTypes map[string]string
	// QueueSize bounds the packets waiting between the sources and the
	// processor (default 65536).
	QueueSize int
	// CommitInterval is the longest wait before a real change is written
	// (default 20 ms); LazyInterval how often LastSeen-only and
	// expiry-only changes are (default 1 minute).
	CommitInterval time.Duration
	LazyInterval   time.Duration
	// TentativeLifetime is how long a binding seen only in a REQUEST lives
	// (default 5 minutes).
	TentativeLifetime time.Duration
	// UnknownCircuitsMax bounds the list of unknown circuits (default 10000).
	UnknownCircuitsMax int
	// HistoryRetention is how long ended bindings, history and events are
	// kept (default 365 days).
	HistoryRetention time.Duration
	// SweepInterval is how often expired bindings are ended (default 5 s).
	SweepInterval time.Duration
	// Neighbours finds the MAC of an IP without a binding (AccessOfIP);
	// nil: no fallback.
	Neighbours neigh.Lookuper
	// Registerer receives the accessd_dhcp_… metrics; nil: not registered.
	Registerer prometheus.Registerer
	// Follow says the bindings are learned by other boxes (a hub's sites,
	// see Adopt), which end them: the sweep does not expire bindings
	// itself, so it never writes an older state over one a site sent.
	Follow bool
}

func (c *Config) defaults() {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 65536
	}
	if c.CommitInterval <= 0 {
		c.CommitInterval = 20 * time.Millisecond
	}
	if c.LazyInterval <= 0 {
		c.LazyInterval = time.Minute
	}
	if c.TentativeLifetime <= 0 {
		c.TentativeLifetime = 5 * time.Minute
	}
	if c.UnknownCircuitsMax <= 0 {
		c.UnknownCircuitsMax = 10000
	}
	if c.HistoryRetention <= 0 {
		c.HistoryRetention = 365 * 24 * time.Hour
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = 5 * time.Second
	}
}

// Service is the DHCP binding service of one daemon: the ingest queue that
// the sources push into, the processor, the writer, the working set, and
// the answers. Make it with New, run it with Run.
type Service struct {
	cfg      Config
	bindings store.Bindings
	inv      store.Inventory
	log      *slog.Logger
	machine  binding.Machine
	q        *queue
	set      *set
	m        *metrics
	profile  atomic.Pointer[profiles]
	resolver *lookup.Resolver
	proc     processor     // the processor goroutine's own state
	kick     chan struct{} // prompt changes are pending
	full     chan struct{} // fullBatch of them are
	leases   chan leaseBatch
	loaded   chan struct{}
	// committed is the last commit sequence; lastCommit its time (unix ns).
	committed  atomic.Uint64
	lastCommit atomic.Int64
	// received and dropped count packets over all sources (for status),
	// untrusted those refused for their sender.
	received, dropped, untrusted atomic.Uint64
	// lastFailLog is when a failed commit was last logged (the writer's).
	lastFailLog time.Time
}

// profiles is one configuration of the decoder: the decoder of packets,
// the profiles of the API look-ups (which have no giaddr), and the ON-API
// service types.
type profiles struct {
	dec          *circuit.Decoder
	lookup       *lookup.Profiles
	serviceTypes map[string]string
}

type leaseBatch struct {
	rows []kealease.Lease
	done chan struct{}
}

// New checks cfg and makes a Service.
func New(cfg Config) (*Service, error) {
	cfg.defaults()
	if cfg.Bindings == (store.Bindings{}) || cfg.Inventory == (store.Inventory{}) {
		return nil, errors.New("dhcp ingest: no store")
	}
	s := &Service{
		cfg:      cfg,
		bindings: cfg.Bindings,
		inv:      cfg.Inventory,
		log:      cfg.Log,
		machine:  binding.New(binding.Config{TentativeLifetime: cfg.TentativeLifetime}),
		q:        newQueue(cfg.QueueSize),
		set:      newSet(cfg.UnknownCircuitsMax),
		kick:     make(chan struct{}, 1),
		full:     make(chan struct{}, 1),
		leases:   make(chan leaseBatch),
		loaded:   make(chan struct{}),
	}
	if err := s.SetProfiles(cfg.Profiles, cfg.ServiceTypes); err != nil {
		return nil, err
	}
	s.resolver = lookup.New(cfg.Inventory, func() *lookup.Profiles { return s.profile.Load().lookup }, s)
	s.proc.init()
	s.m = newMetrics(s)
	if cfg.Registerer != nil {
		for _, c := range s.m.all {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("dhcp ingest: register metrics: %w", err)
			}
		}
	}
	return s, nil
}

// SetProfiles replaces the decoder profiles (SIGHUP); packets processed
// after it use the new ones, and circuits are looked up again.
func (s *Service) SetProfiles(ps []circuit.Profile, serviceTypes map[string]string) error {
	dec, err := circuit.NewDecoder(ps)
	if err != nil {
		return fmt.Errorf("dhcp profiles: %w", err)
	}
	lp, err := lookup.NewProfiles(ps)
	if err != nil {
		return err
	}
	s.profile.Store(&profiles{dec: dec, lookup: lp, serviceTypes: serviceTypes})
	return nil
}

// Push hands packets read by a source to the queue (it copies them) and
// never blocks: what does not fit is counted and dropped.
func (s *Service) Push(src binding.Source, at time.Time, pkts [][]byte) {
	if src >= nSources || len(pkts) == 0 {
		return
	}
	s.m.received[src].Add(float64(len(pkts)))
	s.received.Add(uint64(len(pkts)))
	if n := s.q.push(src, at, pkts); n > 0 {
		s.m.dropped[src].Add(float64(n))
		s.dropped.Add(uint64(n))
	}
}

// Untrusted counts packets a source dropped because their sender is not
// trusted (the relay listener's dhcp.relay.allowed_sources).
func (s *Service) Untrusted(src binding.Source, n int) {
	if src < nSources && n > 0 {
		s.m.untrusted[src].Add(float64(n))
		s.untrusted.Add(uint64(n))
	}
}

// KeaRows hands rows of Kea's lease file to the processor, in file order,
// and waits until they are applied (so a reader can go on from where it
// stopped).
func (s *Service) KeaRows(ctx context.Context, rows []kealease.Lease) error {
	b := leaseBatch{rows: rows, done: make(chan struct{})}
	select {
	case s.leases <- b:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// KeaBadRows counts rows of Kea's lease file that could not be read.
func (s *Service) KeaBadRows(n int) { s.m.keaBad.Add(float64(n)) }

// Loaded is closed once the working set is loaded from the store.
func (s *Service) Loaded() <-chan struct{} { return s.loaded }

// Run loads the working set from the store, calls ready, and processes and
// writes until ctx is done; then it processes what is queued, writes
// everything still pending (lazy changes too) and returns.
func (s *Service) Run(ctx context.Context, ready func()) error {
	start := time.Now()
	if err := s.load(); err != nil {
		return err
	}
	s.set.mu.RLock()
	n, active, unknown := len(s.set.byMAC), len(s.set.byIP), s.set.unknown.len()
	s.set.mu.RUnlock()
	s.log.Info("DHCP bindings loaded", "bindings", n, "active", active, "unknown_circuits", unknown,
		"commit_seq", s.committed.Load(), "took", time.Since(start).Round(time.Millisecond))
	close(s.loaded)
	ready()
	procDone := make(chan struct{})
	go func() {
		defer close(procDone)
		s.process(ctx)
	}()
	return s.write(procDone)
}

// load fills the working set from the store.
func (s *Service) load() error {
	st := s.set
	st.mu.Lock()
	defer st.mu.Unlock()
	seq, err := s.bindings.Load(func(r *store.BindingRecord) error {
		rec := fromStore(r)
		e := st.put(&rec)
		e.storedExpires = r.Expires
		return nil
	})
	if err != nil {
		return err
	}
	s.committed.Store(seq)
	us, err := s.bindings.UnknownCircuits()
	if err != nil {
		return err
	}
	slices.SortFunc(us, func(a, b store.UnknownCircuit) int { return b.LastSeen.Compare(a.LastSeen) })
	for _, u := range us {
		st.unknown.load(u)
	}
	ls, err := s.bindings.LastOption82s()
	if err != nil {
		return err
	}
	for _, l := range ls {
		raw, err := hexBytes(l.Hex)
		if err != nil {
			s.log.Warn("ignoring a stored last Option 82 that is not hex", "access_id", l.Access, "err", err)
			continue
		}
		st.lastO82[l.Access] = newLastOption82(raw, l.Seen)
	}
	return nil
}

// CommitSeq returns the sequence of the last group commit (0: none) and
// when it was made.
func (s *Service) CommitSeq() (uint64, time.Time) {
	t := s.lastCommit.Load()
	if t == 0 {
		return s.committed.Load(), time.Time{}
	}
	return s.committed.Load(), time.Unix(0, t)
}
