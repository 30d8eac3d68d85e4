package upstream

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/cubit"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/spapi"
	"github.com/stadsnat/accessd/cmd/internal/admin"
	"github.com/stadsnat/accessd/store"
)

// admin registers accessctl upstream and accessctl customer.
func (s *System) admin(m *admin.Mux) {
	m.Handle("GET "+admin.PathUpstream, s.adminUpstream)
	m.Handle("POST "+admin.PathUpstream+"/{sink}/{action}", s.adminAction)
	m.Handle("GET "+admin.PathUpstream+"/{sink}/parked", s.adminParked)
	m.Handle("GET "+admin.PathUpstream+"/cubit/verify/{id}", s.adminVerify)
	m.Handle("GET "+admin.PathCustomer+"{access}", s.adminCustomer)
}

func (s *System) adminUpstream(w http.ResponseWriter, r *http.Request) error {
	u, err := s.upstreamStatus(r)
	if err != nil {
		return err
	}
	return admin.WriteJSON(w, u)
}

// upstreamStatus is every sink, the outbox, the portal and the pull.
func (s *System) upstreamStatus(r *http.Request) (admin.Upstream, error) {
	out := admin.Upstream{Sinks: []admin.UpstreamSink{}}
	for _, name := range s.sinkNames() {
		sk, err := s.sinkStatus(r, name)
		if err != nil {
			return out, err
		}
		out.Sinks = append(out.Sinks, sk)
	}
	if u, err := s.storage.Usage(r.Context()); err == nil {
		out.Outbox = admin.OutboxUsage{Bytes: u.Bytes, Budget: u.Budget, OverBudget: u.OverBudget}
	}
	if s.portal != nil {
		f := s.portal.Follower.Status()
		out.Portal = &admin.PortalFollower{LastPoll: f.LastPoll, LastSuccess: f.LastSuccess, LastError: f.LastError,
			LastCheck: f.LastCheck, ReadIn: f.ReadIn, Outcomes: f.Outcomes}
	}
	if s.pull != nil {
		p := s.pull.Status()
		out.Pull = &admin.InventoryPull{Name: p.Name, URL: p.URL, Format: string(p.Format), LastModified: p.LastModified,
			LastAttempt: p.LastAttempt, LastSuccess: p.LastSuccess, LastReplace: p.LastReplace, LastError: p.LastError,
			LastErrorLine: p.LastErrorLine, LastErrorField: p.LastErrorField, Refused: p.Refused, Pulls: p.Pulls,
			Failures: p.Failures}
		if p.LastResult != nil {
			out.Pull.Applied = p.LastResult.Accesses
		}
	}
	return out, nil
}

// sinkStatus is one sink: its runner's status, or the outbox's figures of
// a sink the configuration no longer names.
func (s *System) sinkStatus(r *http.Request, name string) (admin.UpstreamSink, error) {
	run := s.runners[name]
	if run == nil {
		st, err := s.storage.Stats(r.Context(), name)
		if err != nil {
			return admin.UpstreamSink{}, err
		}
		sk := admin.UpstreamSink{Sink: name, Lag: st.Pending, Oldest: st.Oldest, Parked: st.Parked, Bytes: st.Bytes,
			Compacted: st.Compacted, Paused: true, PauseReason: "not configured"}
		if !st.Oldest.IsZero() {
			sk.OldestAgeSeconds = time.Since(st.Oldest).Seconds()
		}
		return sk, nil
	}
	st, err := run.Status(r.Context())
	if err != nil {
		return admin.UpstreamSink{}, err
	}
	return sinkOf(st), nil
}

func sinkOf(st outbox.Status) admin.UpstreamSink {
	return admin.UpstreamSink{Sink: st.Sink, Configured: true, Lag: st.Lag, Oldest: st.Oldest,
		OldestAgeSeconds: st.OldestAge.Seconds(), LastSuccess: st.LastSuccess, LastError: st.LastError,
		LastErrorAt: st.LastErrorAt, LastErrorClass: st.LastErrorClass, Failing: st.Failing, RetryAt: st.RetryAt,
		Paused: st.Paused, PauseReason: st.PauseReason, PauseError: st.PauseError, Parked: st.Parked, Bytes: st.Bytes,
		Compacted: st.Compacted, Delivered: st.Delivered, Failures: st.Failures}
}

// runnerOf is the runner of the request's {sink}.
func (s *System) runnerOf(r *http.Request) (*outbox.Runner, error) {
	name := r.PathValue("sink")
	if run := s.runners[name]; run != nil {
		return run, nil
	}
	return nil, admin.Errorf(http.StatusNotFound, "no upstream sink %q is configured (sinks: %v)", name, s.configuredSinks())
}

func (s *System) configuredSinks() []string {
	var out []string
	for n := range s.runners {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// adminAction is retry (the parked entries named by ?seq=, or all), pause
// and resume.
func (s *System) adminAction(w http.ResponseWriter, r *http.Request) error {
	run, err := s.runnerOf(r)
	if err != nil {
		return err
	}
	switch a := r.PathValue("action"); a {
	case "retry":
		var seqs []uint64
		for _, v := range r.URL.Query()["seq"] {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return admin.Errorf(http.StatusBadRequest, "seq %q is not an entry number", v)
			}
			seqs = append(seqs, n)
		}
		n, err := run.Retry(r.Context(), seqs...)
		if err != nil {
			return err
		}
		return admin.WriteJSON(w, admin.RetryResult{Sink: r.PathValue("sink"), Requeued: n})
	case "pause":
		run.Pause()
	case "resume":
		run.Resume()
	default:
		return admin.Errorf(http.StatusNotFound, "unknown action %q: retry, pause or resume", a)
	}
	st, err := run.Status(r.Context())
	if err != nil {
		return err
	}
	return admin.WriteJSON(w, sinkOf(st))
}

func (s *System) adminParked(w http.ResponseWriter, r *http.Request) error {
	run, err := s.runnerOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	after, limit := uint64(0), 100
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseUint(v, 10, 64); err != nil {
			return admin.Errorf(http.StatusBadRequest, "after %q is not an entry number", v)
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			return admin.Errorf(http.StatusBadRequest, "limit %q is not a positive number", v)
		}
	}
	ps, err := run.ListParked(r.Context(), after, limit)
	if err != nil {
		return err
	}
	out := make([]admin.ParkedEntry, 0, len(ps))
	for _, p := range ps {
		out = append(out, admin.ParkedEntry{Seq: p.Seq, Key: p.Key, Kind: p.Kind, IdempotencyKey: p.IdempotencyKey,
			Created: p.Created, Parked: p.Parked, Attempts: p.Attempts, Error: p.Error})
	}
	return admin.WriteJSON(w, out)
}

// adminVerify reads an object back from Cubit: a plant by its metering
// point id (compared with the inventory's plant), else a customer by
// number.
func (s *System) adminVerify(w http.ResponseWriter, r *http.Request) error {
	if s.cubit == nil {
		return admin.Errorf(http.StatusNotFound, "cubit is not configured (upstream.cubit.url)")
	}
	id := r.PathValue("id")
	var sent []byte
	if cubit.KindOf(id) == cubit.KindPlant {
		var err error
		if sent, err = s.inventoryPlant(id); err != nil {
			return err
		}
	}
	v, err := s.cubit.Verify(r.Context(), id, sent)
	if err != nil {
		return admin.Errorf(http.StatusBadGateway, "cubit: %v", err)
	}
	out := admin.CubitVerification{Kind: string(v.Kind), ID: v.ID, Found: v.Found, Stored: v.Stored}
	for _, d := range v.Differences {
		out.Differences = append(out.Differences, admin.CubitDifference{Field: d.Field, Sent: d.Sent, Stored: d.Stored})
	}
	return admin.WriteJSON(w, out)
}

// inventoryPlant is the JSON of the live access's plant with metering
// point id mp (nil when no access has it).
func (s *System) inventoryPlant(mp string) ([]byte, error) {
	snap, err := s.db.Inventory().Accesses(time.Time{})
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	var found []byte
	errFound := errors.New("found")
	err = snap.Each(func(rec *store.AccessRecord) error {
		if rec.Plant != nil && rec.Plant.MeteringPointID == mp {
			found, _ = json.Marshal(rec.Plant)
			return errFound
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFound) {
		return nil, err
	}
	return found, nil
}

// adminCustomer asks each provider that holds a service on the access,
// and has a customer look-up, for its customers. Nothing of the answer is
// stored or logged.
func (s *System) adminCustomer(w http.ResponseWriter, r *http.Request) error {
	access := r.PathValue("access")
	var owners []string
	err := s.db.Orders().View(func(o *store.OrderTx) error {
		if _, err := o.Access(access); err != nil {
			return err
		}
		svcs, err := o.Services(access)
		for _, sv := range svcs {
			owners = append(owners, sv.Owner)
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return admin.Errorf(http.StatusNotFound, "no access %q", access)
	}
	if err != nil {
		return err
	}
	slices.Sort(owners)
	owners = slices.Compact(owners)
	out := admin.Customers{AccessID: access, Providers: []admin.ProviderCustomer{}}
	sps := s.sps.Load()
	for _, owner := range owners {
		c, ok := sps.set.Client(owner)
		if !ok {
			continue
		}
		out.Providers = append(out.Providers, askProvider(r, c, access))
	}
	if len(out.Providers) == 0 {
		return admin.Errorf(http.StatusNotFound, "no provider with a customer look-up (users[].customer_api) holds a service on access %s (providers with services there: %v)",
			access, owners)
	}
	return admin.WriteJSON(w, out)
}

func askProvider(r *http.Request, c *spapi.Client, access string) admin.ProviderCustomer {
	pc := admin.ProviderCustomer{Provider: c.Name(), Services: []admin.CustomerService{}}
	svcs, err := c.AccessCustomers(r.Context(), access)
	if err != nil {
		pc.Error = err.Error()
		return pc
	}
	for _, sv := range svcs {
		cu := sv.Customer
		pc.Services = append(pc.Services, admin.CustomerService{Service: sv.Service, SPReference: sv.SPReference,
			Name: cu.Name, Email: cu.Email, Phone: cu.Phone, MobilePhone: cu.MobilePhone})
	}
	return pc
}
