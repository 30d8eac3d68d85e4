package store

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

func batch1(t *testing.T, d *DB, fn func(*OrderTx) error) {
	t.Helper()
	if err := d.Orders().Batch([]func(*OrderTx) error{fn})[0]; err != nil {
		t.Fatal(err)
	}
}

func view(t *testing.T, d *DB, fn func(*OrderTx) error) {
	t.Helper()
	if err := d.Orders().View(fn); err != nil {
		t.Fatal(err)
	}
}

func newOrder(id, owner, access string, due time.Time) *Order {
	return &Order{ID: id, Owner: owner, Channel: "pi-api-2.3", AccessID: access, Service: "BB100", Operation: Activate, Due: due}
}

func TestOrderLifecycle(t *testing.T) {
	d, c := openTest(t)
	mustImport(t, d, ImportOptions{}, acc("A1", "sw1 p1"))
	now := c.t
	batch1(t, d, func(o *OrderTx) error {
		if err := o.CreateOrder(newOrder("o1", "sp", "A1", now), "k1"); err != nil {
			return err
		}
		return o.CreateOrder(newOrder("o2", "other", "A1", now.Add(48*time.Hour)), "")
	})
	// The same id or key again is refused.
	errs := d.Orders().Batch([]func(*OrderTx) error{
		func(o *OrderTx) error { return o.CreateOrder(newOrder("o1", "sp", "A1", now), "") },
		func(o *OrderTx) error { return o.CreateOrder(newOrder("o3", "sp", "A1", now), "k1") },
		func(o *OrderTx) error { return o.CreateOrder(newOrder("o4", "sp", "A1", now), "k4") },
	})
	if !errors.Is(errs[0], ErrExists) || !errors.Is(errs[1], ErrExists) || errs[2] != nil {
		t.Fatalf("errors %v: want ErrExists, ErrExists, nil (one failure must not fail the others)", errs)
	}
	view(t, d, func(o *OrderTx) error {
		due, err := o.Due(now, 0)
		if err != nil {
			return err
		}
		if got := ids(due); !cmp.Equal(got, []string{"o1", "o4"}) {
			t.Errorf("due now: %v, want o1 o4", got)
		}
		next, ok := o.NextDue()
		if !ok || !next.Equal(now) {
			t.Errorf("NextDue = %v %v", next, ok)
		}
		ord, found, err := o.OrderByKey("k1")
		if err != nil || !found || ord.ID != "o1" {
			t.Errorf("OrderByKey(k1) = %v %v %v", ord.ID, found, err)
		}
		return nil
	})
	// o1 runs and succeeds, o4 fails: both reach sp's feed, in order.
	batch1(t, d, func(o *OrderTx) error {
		for _, step := range []struct {
			id    string
			state OrderState
			msg   string
		}{{"o1", InProgress, ""}, {"o1", DoneSuccess, ""}, {"o4", DoneFailed, "port is down"}} {
			ord, err := o.Order(step.id)
			if err != nil {
				return err
			}
			ord.State, ord.Message = step.state, step.msg
			if err := o.UpdateOrder(&ord); err != nil {
				return err
			}
		}
		return nil
	})
	// A final state never changes.
	err := d.Orders().Batch([]func(*OrderTx) error{func(o *OrderTx) error {
		ord, err := o.Order("o1")
		if err != nil {
			return err
		}
		ord.State = DoneFailed
		return o.UpdateOrder(&ord)
	}})[0]
	if err == nil {
		t.Error("DONE_SUCCESS → DONE_FAILED was accepted")
	}
	view(t, d, func(o *OrderTx) error {
		evs, err := o.OrderEvents("sp", FeedDone, 0, 0)
		if err != nil {
			return err
		}
		var got []string
		for _, e := range evs {
			got = append(got, e.OrderID+" "+string(e.State)+" "+e.Message)
		}
		if diff := cmp.Diff([]string{"o1 DONE_SUCCESS ", "o4 DONE_FAILED port is down"}, got); diff != "" {
			t.Errorf("sp's feed (-want +got):\n%s", diff)
		}
		after, err := o.OrderEvents("sp", FeedDone, evs[0].Seq, 0)
		if err != nil || len(after) != 1 || after[0].OrderID != "o4" {
			t.Errorf("feed after the first event: %v %v", after, err)
		}
		if evs, _ := o.OrderEvents("other", FeedDone, 0, 0); len(evs) != 0 {
			t.Errorf("other's feed has %d events, want none (its order is RECEIVED)", len(evs))
		}
		// ON-API's feed has every change of state, the DONE ones among them.
		stateFeed, err := o.OrderEvents("sp", FeedStates, 0, 0)
		if err != nil {
			return err
		}
		var all []string
		for _, e := range stateFeed {
			all = append(all, e.OrderID+" "+string(e.State))
		}
		for _, e := range evs {
			if !slices.Contains(all, e.OrderID+" "+string(e.State)) {
				t.Errorf("state feed %v lacks %s %s", all, e.OrderID, e.State)
			}
		}
		if !slices.Contains(all, "o1 RECEIVED") || len(all) <= len(evs) {
			t.Errorf("state feed %v: want every state change, RECEIVED included", all)
		}
		if evs, _ := o.OrderEvents("other", FeedStates, 0, 0); len(evs) != 1 || evs[0].State != Received {
			t.Errorf("other's state feed = %v, want its order's RECEIVED", evs)
		}
		ord, _ := o.Order("o1")
		h, err := o.History(&ord)
		if err != nil {
			return err
		}
		var states []OrderState
		for _, e := range h {
			states = append(states, e.State)
		}
		if diff := cmp.Diff([]OrderState{Received, InProgress, DoneSuccess}, states); diff != "" {
			t.Errorf("o1's history (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[OrderState]int{Received: 1, InProgress: 0, DoneSuccess: 1, DoneFailed: 1}, o.OrderStats()); diff != "" {
			t.Errorf("stats (-want +got):\n%s", diff)
		}
		due, _ := o.Due(now.Add(72*time.Hour), 0)
		if got := ids(due); !cmp.Equal(got, []string{"o2"}) {
			t.Errorf("due in three days: %v, want o2 only", got)
		}
		return nil
	})
}

func ids(os []Order) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.ID)
	}
	return out
}

func TestOrdersFilter(t *testing.T) {
	d, c := openTest(t)
	batch1(t, d, func(o *OrderTx) error {
		for i, x := range []struct{ id, owner, access string }{
			{"a", "sp", "A1"}, {"b", "sp", "A2"}, {"c", "x", "A1"}, {"d", "sp", "A1"}, {"e", "x", "A10"},
		} {
			ord := newOrder(x.id, x.owner, x.access, c.t.Add(time.Duration(i)*time.Hour))
			if err := o.CreateOrder(ord, ""); err != nil {
				return err
			}
		}
		ord, _ := o.Order("b")
		ord.State = DoneSuccess
		return o.UpdateOrder(&ord)
	})
	tests := []struct {
		f    OrderFilter
		want []string
	}{
		{OrderFilter{}, []string{"a", "b", "c", "d", "e"}},
		{OrderFilter{Newest: true, Limit: 2}, []string{"e", "d"}},
		{OrderFilter{Owner: "sp"}, []string{"a", "b", "d"}},
		{OrderFilter{Owner: "sp", Newest: true}, []string{"d", "b", "a"}},
		{OrderFilter{AccessID: "A1"}, []string{"a", "c", "d"}},
		{OrderFilter{AccessID: "A1", Newest: true}, []string{"d", "c", "a"}},
		{OrderFilter{AccessID: "A10", Newest: true}, []string{"e"}},
		{OrderFilter{Open: true, Owner: "sp"}, []string{"a", "d"}},
		{OrderFilter{State: DoneSuccess}, []string{"b"}},
		{OrderFilter{State: Received, AccessID: "A1", Owner: "x"}, []string{"c"}},
	}
	for _, tt := range tests {
		view(t, d, func(o *OrderTx) error {
			got, err := o.Orders(tt.f)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
				t.Errorf("%+v (-want +got):\n%s", tt.f, diff)
			}
			return nil
		})
	}
}

func TestServices(t *testing.T) {
	d, _ := openTest(t)
	batch1(t, d, func(o *OrderTx) error {
		for _, s := range []Service{
			{SubscriptionID: "s1", AccessID: "A1", UID: "BB100", Owner: "sp", OrderID: "o1"},
			{SubscriptionID: "s2", AccessID: "A1", UID: "IPTV", Owner: "atlas"},
			{SubscriptionID: "s3", AccessID: "A2", UID: "BB100", Owner: "sp"},
		} {
			if err := o.PutService(&s); err != nil {
				return err
			}
		}
		return nil
	})
	err := d.Orders().Batch([]func(*OrderTx) error{func(o *OrderTx) error {
		return o.PutService(&Service{SubscriptionID: "s1", AccessID: "A2", UID: "X", Owner: "sp"})
	}})[0]
	if !errors.Is(err, ErrExists) {
		t.Errorf("a subscription id on a second access: %v, want ErrExists", err)
	}
	var got []string
	if err := d.Orders().EachServiceOf("sp", func(s Service) error { got = append(got, s.AccessID+"/"+s.SubscriptionID); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"A1/s1", "A2/s3"}, got); diff != "" {
		t.Errorf("sp's services (-want +got):\n%s", diff)
	}
	batch1(t, d, func(o *OrderTx) error {
		s, err := o.ServiceBySubscription("s1")
		if err != nil {
			return err
		}
		s.Release = "2026-04-01"
		if err := o.PutService(&s); err != nil {
			return err
		}
		return o.EndService("s2", "o9")
	})
	view(t, d, func(o *OrderTx) error {
		ss, err := o.Services("A1")
		if err != nil {
			return err
		}
		if len(ss) != 1 || ss[0].SubscriptionID != "s1" || ss[0].Release != "2026-04-01" {
			t.Errorf("A1's services: %+v", ss)
		}
		if _, err := o.ServiceBySubscription("s2"); !errors.Is(err, ErrNotFound) {
			t.Errorf("ended service: %v", err)
		}
		return nil
	})
}

// A scheduled order survives closing and reopening the store.
func TestOrdersSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	due := time.Date(2026, 5, 1, 22, 0, 0, 0, time.UTC)
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	batch1(t, d, func(o *OrderTx) error { return o.CreateOrder(newOrder("later", "atlas", "A1", due), "atlas-key") })
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	view(t, d, func(o *OrderTx) error {
		next, ok := o.NextDue()
		if !ok || !next.Equal(due) {
			t.Errorf("after reopening, next due = %v %v, want %v", next, ok, due)
		}
		ord, found, err := o.OrderByKey("atlas-key")
		if err != nil || !found || ord.ID != "later" || ord.State != Received {
			t.Errorf("after reopening: %+v %v %v", ord, found, err)
		}
		return nil
	})
}

func TestEventID(t *testing.T) {
	for _, n := range []uint64{0, 1, 255, 1 << 40, ^uint64(0)} {
		s := EventID(n)
		got, ok := ParseEventID(s)
		if !ok || got != n {
			t.Errorf("ParseEventID(%q) = %d %v, want %d", s, got, ok, n)
		}
	}
	for _, bad := range []string{"", "1", "000000000000000g", "0000000000000000a", "-000000000000001"} {
		if _, ok := ParseEventID(bad); ok {
			t.Errorf("ParseEventID(%q) accepted", bad)
		}
	}
}

// FuzzParseEventID: orderevents' ?since= is accepted only as an event id
// EventID spells (in either case).
func FuzzParseEventID(f *testing.F) {
	for _, s := range []string{"", "1", "000000000000000g", "0000000000000000a", "-000000000000001", "00000000000000ff",
		"FFFFFFFFFFFFFFFF", EventID(1 << 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := ParseEventID(s)
		if ok && EventID(n) != strings.ToLower(s) {
			t.Fatalf("ParseEventID(%q) = %d, which EventID spells %q", s, n, EventID(n))
		}
	})
}

func TestMigration3CreatesOrderBuckets(t *testing.T) {
	path := atSchema(t, 2, nil)
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	err = d.bolt.View(func(tx *bolt.Tx) error {
		for _, b := range orderBuckets() {
			if tx.Bucket(b) == nil {
				t.Errorf("bucket %s missing after migration 3", b)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
