package nocsys

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/api/noc"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), store.FileName), store.Options{NoSync: true, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func access(id, street, number, apt, o82 string) inventory.Access {
	return inventory.Access{AccessID: id, StreetName: street, StreetNumber: number, MDUApartmentNumber: apt, PostalCode: "441 30",
		City: "Alingsås", CountryCode: "SE", PremisesType: inventory.PremisesType("MDU_APARTMENT"), Activatable: "YES", Sellable: "YES",
		Option82: o82, PortSpeedMbps: 1000}
}

func importAll(t *testing.T, db *store.DB, as ...inventory.Access) {
	t.Helper()
	in := make([]store.Incoming, len(as))
	for i, a := range as {
		in[i] = store.Incoming{Line: i + 2, Access: a}
	}
	if _, err := db.Inventory().Import(in, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
}

// dhcpPeer is the DHCP subsystem's part as the Source sees it: a search
// that names accesses by ID only.
type dhcpPeer struct {
	DHCP
	ids []string
}

func (d dhcpPeer) LastOption82(id string) (string, time.Time) {
	return "520D0104616363300205" + id, t0.Add(-time.Minute)
}

func (d dhcpPeer) Search(_ context.Context, q noc.Query) (noc.Result, error) {
	r := noc.Result{Note: "found by " + string(q.Kind)}
	for _, id := range d.ids {
		r.Accesses = append(r.Accesses, noc.AccessRef{ID: id})
	}
	return r, nil
}

func TestAccessAndNotServed(t *testing.T) {
	db := openStore(t)
	importAll(t, db, access("A1", "Kungsgatan", "12", "1001", "127.0.0.1 acc0"))
	src := NewSource(db, Peers{DHCP: dhcpPeer{}}, nil)
	ctx := context.Background()
	a, err := src.Access(ctx, "A1")
	if err != nil {
		t.Fatal(err)
	}
	want := noc.Access{ID: "A1", StreetName: "Kungsgatan", StreetNumber: "12", PostalCode: "441 30", City: "Alingsås", CountryCode: "SE",
		PremisesType: "MDU_APARTMENT", Apartment: "1001", Activatable: "YES", Sellable: "YES", PortSpeedMbps: 1000,
		Option82: "127.0.0.1 acc0", LastOption82: "520D0104616363300205A1", LastOption82Seen: t0.Add(-time.Minute), Modified: a.Modified}
	if diff := cmp.Diff(want, a); diff != "" || a.Modified.IsZero() {
		t.Errorf("access (-want +got):\n%s", diff)
	}
	if _, err := src.Access(ctx, "NONE"); !errors.Is(err, noc.ErrNotFound) {
		t.Errorf("a missing access: %v, want ErrNotFound", err)
	}
	if err := db.Inventory().RemoveAccess("A1"); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Access(ctx, "A1"); !errors.Is(err, noc.ErrNotFound) {
		t.Errorf("a removed access: %v, want ErrNotFound", err)
	}
	off := NewSource(db, Peers{}, nil)
	for what, err := range map[string]error{
		"link":     second(off.Link(ctx, "A1", 1)),
		"switches": second(off.Switches(ctx, noc.SwitchQuery{Limit: 1})),
		"bindings": second(off.Bindings(ctx, "A1")),
		"search":   second(off.Search(ctx, noc.Query{Kind: noc.KindIP, Limit: 1})),
		"circuits": third(off.UnknownCircuits(ctx, 0, 1)),
	} {
		if !errors.Is(err, noc.ErrNotServed) {
			t.Errorf("%s without its subsystem: %v, want ErrNotServed", what, err)
		}
	}
}

func second[T any](_ T, err error) error        { return err }
func third[T, U any](_ T, _ U, err error) error { return err }

// Search by AccessId and by the start of an address (any case, spaces as
// typed), the index following the inventory; what the DHCP part finds gets
// its address, switch and port, and accesses removed meanwhile are left
// out.
func TestSearch(t *testing.T) {
	db := openStore(t)
	var as []inventory.Access
	for i := range 7 {
		as = append(as, access(fmt.Sprintf("A%d", i), "Kungsgatan", fmt.Sprint(10+i), "", fmt.Sprintf("10.0.0.1 ge-0/0/%d", i)))
	}
	as = append(as, access("B1", "Björkvägen", "3", "1102", "rl-down"))
	importAll(t, db, as...)
	src := NewSource(db, Peers{DHCP: dhcpPeer{ids: []string{"B1", "GONE", "A3"}}}, nil)
	ctx := context.Background()
	search := func(k noc.Kind, text string, limit int) noc.Result {
		t.Helper()
		r, err := src.Search(ctx, noc.Query{Kind: k, Text: text, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ids := func(r noc.Result) string {
		var s []string
		for _, a := range r.Accesses {
			s = append(s, a.ID)
		}
		return strings.Join(s, " ")
	}
	if r := search(noc.KindAccess, "B1", 5); ids(r) != "B1" || r.Accesses[0].Address != "Björkvägen 3, lgh 1102, 441 30 Alingsås" {
		t.Errorf("AccessId B1: %+v", r)
	}
	if r := search(noc.KindAccess, "A9", 5); ids(r) != "" || r.Note != "no access has this AccessId" {
		t.Errorf("AccessId A9: %+v", r)
	}
	if r := search(noc.KindAddress, "kungsgatan  1", 4); ids(r) != "A0 A1 A2 A3" || !r.More {
		t.Errorf("address 'kungsgatan  1' limit 4: %s more %v", ids(r), r.More)
	}
	if r := search(noc.KindAddress, "BJÖRK", 4); ids(r) != "B1" || r.More {
		t.Errorf("address BJÖRK: %s more %v", ids(r), r.More)
	}
	importAll(t, db, access("C1", "Björkvägen", "5", "", "rl-c1"))
	if err := src.idx.refresh(db); err != nil {
		t.Fatal(err)
	}
	if r := search(noc.KindAddress, "björkvägen", 4); ids(r) != "B1 C1" {
		t.Errorf("address björkvägen after an import: %s", ids(r))
	}
	r := search(noc.KindIP, "", 5)
	want := []noc.AccessRef{
		{ID: "B1", Address: "Björkvägen 3, lgh 1102, 441 30 Alingsås"},
		{ID: "A3", Address: "Kungsgatan 13, 441 30 Alingsås", Switch: "10.0.0.1", Port: "ge-0/0/3"},
	}
	if diff := cmp.Diff(want, r.Accesses); diff != "" || r.Note != "found by ip" {
		t.Errorf("IP search (-want +got):\n%s\nnote %q", diff, r.Note)
	}
}

// Orders: the newest limit, each with its newest events oldest first;
// services with their equipment; nothing of the customer.
func TestOrdersAndServices(t *testing.T) {
	db := openStore(t)
	importAll(t, db, access("A1", "Kungsgatan", "12", "", "127.0.0.1 acc0"))
	err := db.Orders().Batch([]func(*store.OrderTx) error{func(o *store.OrderTx) error {
		for i := range 3 {
			ord := &store.Order{ID: fmt.Sprintf("o%d", i), Owner: "sp", Channel: "pi-api-2.2", AccessID: "A1", Service: "BB100100",
				Operation: store.Activate, Due: t0, Customer: &store.Customer{FirstName: "Anna", LastName: "Secret"}}
			if err := o.CreateOrder(ord, ""); err != nil {
				return err
			}
			for _, st := range []store.OrderState{store.InProgress, store.DoneFailed} {
				ord.State, ord.Message = st, "step "+string(st)
				if err := o.UpdateOrder(ord); err != nil {
					return err
				}
			}
		}
		return o.PutService(&store.Service{SubscriptionID: "s1", AccessID: "A1", UID: "BB100100", Name: "Bredband", Owner: "sp",
			OrderID: "o0", Since: t0, Equipment: []store.Equipment{{VendorID: "x", MACAddress: "00:1A:2B:3C:4D:5E"}, {VendorID: "y"}}})
	}})[0]
	if err != nil {
		t.Fatal(err)
	}
	src := NewSource(db, Peers{}, nil)
	ords, more, err := src.Orders(context.Background(), "A1", 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range ords {
		var evs []string
		for _, e := range o.Events {
			evs = append(evs, e.State)
		}
		got = append(got, fmt.Sprintf("%s %s %s more=%v events=%s", o.ID, o.State, o.Message, o.MoreEvents, strings.Join(evs, ",")))
	}
	want := []string{"o2 DONE_FAILED step DONE_FAILED more=true events=IN_PROGRESS,DONE_FAILED",
		"o1 DONE_FAILED step DONE_FAILED more=true events=IN_PROGRESS,DONE_FAILED"}
	if diff := cmp.Diff(want, got); diff != "" || !more {
		t.Errorf("orders, more %v (-want +got):\n%s", more, diff)
	}
	if s := fmt.Sprintf("%+v", ords); strings.Contains(s, "Anna") || strings.Contains(s, "Secret") {
		t.Errorf("the orders carry the customer: %s", s)
	}
	svcs, err := src.Services(context.Background(), "A1")
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 1 || svcs[0].SubscriptionID != "s1" || !cmp.Equal(svcs[0].EquipmentMACs, []string{"00:1A:2B:3C:4D:5E"}) {
		t.Errorf("services: %+v", svcs)
	}
}

// The address index follows changes one by one (new, moved and removed
// accesses) and ends up as a full read of the inventory would make it.
func TestAddressIndexFollowsChanges(t *testing.T) {
	db := openStore(t)
	importAll(t, db, access("A1", "Kungsgatan", "12", "", "rl-a1"), access("A2", "Kungsgatan", "14", "", "rl-a2"),
		access("A3", "Ekvägen", "2", "", "rl-a3"))
	x := builtIndex(t, db)
	moved := access("A2", "Björkvägen", "3", "", "rl-a2")
	importAll(t, db, access("A4", "Kungsgatan", "16", "", "rl-a4"), moved)
	if err := db.Inventory().RemoveAccess("A3"); err != nil {
		t.Fatal(err)
	}
	if err := x.refresh(db); err != nil {
		t.Fatal(err)
	}
	full := builtIndex(t, db)
	if x.fulls != 1 {
		t.Errorf("the index was read whole %d times, want once: the changes were not followed one by one", x.fulls)
	}
	if diff := cmp.Diff(full.lines(), x.lines()); diff != "" {
		t.Errorf("index after the changes, against a full read (-full +followed):\n%s", diff)
	}
	if ids, _ := x.search("kungsgatan", 10); !cmp.Equal(ids, []string{"A1", "A4"}) {
		t.Errorf("kungsgatan: %v, want A1 A4", ids)
	}
	if ids, _ := x.search("ekvägen", 10); len(ids) != 0 {
		t.Errorf("ekvägen (removed): %v", ids)
	}
}
