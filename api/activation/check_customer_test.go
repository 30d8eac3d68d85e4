package activation_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/activation/acttest"
	"github.com/stadsnat/accessd/store"
)

// checkFunc adapts a function to activation.CustomerCheck.
type checkFunc func(ctx context.Context, owner, accessID, service, spReference string) (*activation.ProviderCustomer, error)

func (f checkFunc) CheckActivation(ctx context.Context, owner, accessID, service, spReference string) (*activation.ProviderCustomer, error) {
	return f(ctx, owner, accessID, service, spReference)
}

// Fetch at activation: when the provider cannot give the customer the
// order fails with the check's cause and the hook never runs; when it
// can, the hook gets the customer (and the store does not).
func TestCustomerCheckAtActivation(t *testing.T) {
	f := acttest.New(t, nil)
	var mu sync.Mutex // the engine runs orders in parallel slots
	var asked []string
	f.Engine.SetCustomerCheck(checkFunc(func(_ context.Context, owner, access, service, ref string) (*activation.ProviderCustomer, error) {
		mu.Lock()
		asked = append(asked, owner+" "+access+" "+service+" "+ref)
		mu.Unlock()
		if access == "A2" {
			return nil, errors.New("service provider sp could not give the customer of service IPTV on access A2: it knows no such access")
		}
		return &activation.ProviderCustomer{Name: "Kalle Anka", Email: "kalle@example.se"}, nil
	}))
	place := func(access, service string) store.Order {
		r, err := f.Engine.Place(activation.Request{Owner: "sp", Channel: "pi-api-2.3", AccessID: access, Service: service,
			Operation: store.Activate, SPReference: "ref-" + access})
		if err != nil || r.Outcome != activation.Created {
			t.Fatalf("Place %s: %+v %v", access, r, err)
		}
		return r.Order
	}
	ok, refused := place("A1", "BB100100"), place("A2", "IPTV")
	f.RunDue(t)
	got := func(id string) store.Order {
		o, err := f.Engine.Order(id)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	if o := got(refused.ID); o.State != store.DoneFailed || o.Message != "service provider sp could not give the customer of service IPTV on access A2: it knows no such access" {
		t.Errorf("refused order: %s %q", o.State, o.Message)
	}
	if o := got(ok.ID); o.State != store.DoneSuccess || o.Customer != nil {
		t.Errorf("checked order: %s, customer stored: %v", o.State, o.Customer != nil)
	}
	if len(f.Hook.Calls) != 1 || f.Hook.Calls[0].AccessID != "A1" || f.Hook.Calls[0].ProviderCustomer == nil ||
		f.Hook.Calls[0].ProviderCustomer.Name != "Kalle Anka" {
		t.Errorf("hook calls %+v: want only A1's, with the provider's customer", f.Hook.Calls)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 2 {
		t.Errorf("asked %v", asked)
	}
}
