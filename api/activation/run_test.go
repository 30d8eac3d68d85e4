package activation_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/activation/acttest"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/catalog"
)

// In a synctest bubble the clock starts at 2000-01-01 00:00 UTC, which is
// 01:00 on 1 January in Stockholm.

// A service ordered for a later date is activated by the scheduler at
// local midnight of that date, not before; a release date ends it on that
// date.
func TestScheduledActivationAndRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := acttest.New(t, nil)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go f.Engine.Run(ctx, func() {})

		_, due, _ := f.Engine.ParseDate("2000-01-03")
		r, err := f.Engine.Place(activation.Request{Owner: activation.OwnerAtlas, Channel: "atlas", AccessID: "A1",
			Service: "BB100100", Operation: store.Activate, Due: due, Date: "2000-01-03"})
		if err != nil || r.Outcome != activation.Created {
			t.Fatalf("Place: %+v %v", r, err)
		}
		synctest.Wait()
		if got := servicesOf(t, f, "A1"); len(got) != 0 {
			t.Fatalf("activated before its date: %v", got)
		}
		// One minute before local midnight of 3 January (22:59 UTC on the 2nd).
		time.Sleep(due.Sub(time.Now()) - time.Minute)
		synctest.Wait()
		if got := servicesOf(t, f, "A1"); len(got) != 0 {
			t.Fatalf("activated at %v, before local midnight: %v", time.Now(), got)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if diff := cmp.Diff([]string{"BB100100 atlas act=2000-01-03 commit=2001-01-03 rel="}, servicesOf(t, f, "A1")); diff != "" {
			t.Fatalf("at local midnight of 3 January (-want +got):\n%s", diff)
		}

		// Release on 1 February: shown as the release date until then.
		_, rel, _ := f.Engine.ParseDate("2000-02-01")
		d, err := f.Engine.Deactivate("A1", "BB100100", "2000-02-01", rel, "atlas")
		if err != nil || d.Outcome != activation.Created {
			t.Fatalf("Deactivate: %+v %v", d, err)
		}
		// Asking again with the same date changes nothing.
		if again, _ := f.Engine.Deactivate("A1", "BB100100", "2000-02-01", rel, "atlas"); again.Outcome != activation.Existing || again.Order.ID != d.Order.ID {
			t.Errorf("the same deactivation again: %+v", again)
		}
		synctest.Wait()
		if diff := cmp.Diff([]string{"BB100100 atlas act=2000-01-03 commit=2001-01-03 rel=2000-02-01"}, servicesOf(t, f, "A1")); diff != "" {
			t.Fatalf("with a release date (-want +got):\n%s", diff)
		}
		// A later date moves it.
		_, rel2, _ := f.Engine.ParseDate("2000-02-15")
		if moved, _ := f.Engine.Deactivate("A1", "BB100100", "2000-02-15", rel2, "atlas"); moved.Order.ID != d.Order.ID {
			t.Errorf("moving the release created another order: %+v", moved)
		}
		time.Sleep(rel.Sub(time.Now()) + time.Hour)
		synctest.Wait()
		if diff := cmp.Diff([]string{"BB100100 atlas act=2000-01-03 commit=2001-01-03 rel=2000-02-15"}, servicesOf(t, f, "A1")); diff != "" {
			t.Fatalf("on the old release date (-want +got):\n%s", diff)
		}
		time.Sleep(rel2.Sub(time.Now()))
		synctest.Wait()
		if got := servicesOf(t, f, "A1"); len(got) != 0 {
			t.Fatalf("still active on its release date: %v", got)
		}
		ord, _ := f.Engine.Order(d.Order.ID)
		if ord.State != store.DoneSuccess {
			t.Errorf("release order: %s %q", ord.State, ord.Message)
		}
		cancel()
	})
}

// A scheduled order survives closing and reopening the store, and a new
// engine on the reopened store runs it on its date; an order interrupted
// IN_PROGRESS runs again.
func TestScheduledOrderSurvivesRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, store.FileName)
		loc := acttest.Stockholm(t)
		open := func() (*store.DB, *activation.Engine, *acttest.Hook) {
			db, err := store.Open(path, store.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			h := &acttest.Hook{}
			e := activation.New(activation.Options{Orders: db.Orders(), Location: loc, NewID: (&acttest.IDs{Prefix: time.Now().Format("0102-")}).Next,
				Settings: activation.Settings{Catalog: catalog.New(acttest.Services()), Hook: h}})
			return db, e, h
		}
		db, e, _ := open()
		in := []store.Incoming{}
		for _, a := range acttest.Accesses() {
			in = append(in, store.Incoming{Access: a})
		}
		if _, err := db.Inventory().Import(in, store.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		_, due, _ := e.ParseDate("2000-01-05")
		r, err := e.Place(activation.Request{Owner: "atlas", Channel: "atlas", AccessID: "A2", Service: "IPTV",
			Operation: store.Activate, Due: due, Date: "2000-01-05"})
		if err != nil {
			t.Fatal(err)
		}
		// A second order caught IN_PROGRESS by the stop.
		r2, err := e.Place(activation.Request{Owner: "sp", Channel: "x", AccessID: "A1", Service: "IPTV", Operation: store.Activate,
			Due: due.Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Orders().Batch([]func(*store.OrderTx) error{func(o *store.OrderTx) error {
			ord, err := o.Order(r2.Order.ID)
			if err != nil {
				return err
			}
			ord.State = store.InProgress
			return o.UpdateOrder(&ord)
		}})[0]; err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		db, e, h := open()
		defer db.Close()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go e.Run(ctx, func() {})
		synctest.Wait()
		if diff := cmp.Diff([]string{r2.Order.ID + " ACTIVATE A1 IPTV"}, h.Called()); diff != "" {
			t.Errorf("after the restart, only the interrupted order runs (-want +got):\n%s", diff)
		}
		time.Sleep(due.Sub(time.Now()))
		synctest.Wait()
		if diff := cmp.Diff([]string{r2.Order.ID + " ACTIVATE A1 IPTV", r.Order.ID + " ACTIVATE A2 IPTV"}, h.Called()); diff != "" {
			t.Errorf("on 5 January (-want +got):\n%s", diff)
		}
		cancel()
	})
}

// Orders of one access run one after the other; of different accesses
// concurrently up to the limit.
func TestOrdersOfOneAccessRunInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slow := &slowHook{}
		f := acttest.New(t, nil, func(o *activation.Options) { o.Settings.Hook = slow; o.Concurrency = 2 })
		for _, x := range []struct{ access, uid string }{{"A1", "IPTV"}, {"A1", "VOIP"}, {"A2", "IPTV"}, {"A5", "IPTV"}} {
			if _, err := f.Engine.Place(activation.Request{Owner: "sp", Channel: "x", AccessID: x.access, Service: x.uid, Operation: store.Activate}); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go f.Engine.Run(ctx, func() {})
		synctest.Wait()
		slow.mu.Lock()
		defer slow.mu.Unlock()
		if slow.max != 2 {
			t.Errorf("%d hooks ran at once, want 2 (the limit)", slow.max)
		}
		slow.mu.Unlock()
		time.Sleep(time.Minute)
		synctest.Wait()
		slow.mu.Lock()
		if slow.sameAccess {
			t.Error("two hooks ran at once for one access")
		}
		if len(slow.done) != 4 {
			t.Errorf("%d orders done after a minute, want 4", len(slow.done))
		}
		cancel()
	})
}

type slowHook struct {
	mu         sync.Mutex
	running    map[string]bool
	max        int
	sameAccess bool
	done       []string
}

func (h *slowHook) Run(ctx context.Context, in activation.HookInput) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.running == nil {
		h.running = map[string]bool{}
	}
	if h.running[in.AccessID] {
		h.sameAccess = true
	}
	h.running[in.AccessID] = true
	h.max = max(h.max, len(h.running))
	h.mu.Unlock()
	time.Sleep(5 * time.Second)
	h.mu.Lock()
	delete(h.running, in.AccessID)
	h.done = append(h.done, in.Order)
	return "", nil
}

func servicesOf(t *testing.T, f *acttest.Fixture, access string) []string {
	t.Helper()
	var out []string
	f.DB.Orders().View(func(o *store.OrderTx) error {
		ss, err := o.Services(access)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			out = append(out, s.UID+" "+s.Owner+" act="+s.Activated+" commit="+s.Commitment+" rel="+s.Release)
		}
		return nil
	})
	return out
}
