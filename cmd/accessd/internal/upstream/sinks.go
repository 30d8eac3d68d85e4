package upstream

import (
	"context"
	"fmt"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/cubit"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/spapi"
	"github.com/stadsnat/accessd/cmd/internal/config"
)

// cubitSink delivers the Cubit sink's entries: a customer or a plant, as
// the entry's kind says. Cubit's errors classify themselves (a 401 pauses
// the sink, a 400 parks the entry; see package cubit).
type cubitSink struct{ c *cubit.Client }

func (s cubitSink) Deliver(ctx context.Context, e outbox.Entry) error {
	if err := s.c.Deliver(ctx, cubit.Kind(e.Kind), e.Payload); err != nil {
		return fmt.Errorf("entry %d (%s): %w", e.Seq, e.Key, err)
	}
	return nil
}

// spSet is the providers with a customer look-up.
type spSet struct {
	set   *spapi.Set
	names []string // in users: order
}

// setProviders builds the providers' customer look-ups from users: and
// gives the order engine its check at activation.
func (s *System) setProviders(users []config.User) error {
	var cfgs []spapi.Config
	var names []string
	for _, u := range users {
		ca := u.CustomerAPI
		if !ca.On() {
			continue
		}
		cfgs = append(cfgs, spapi.Config{Name: u.Name, URL: ca.URL, Username: ca.Username, PasswordFile: ca.PasswordFile,
			CAFile: ca.CAFile, Timeout: ca.Timeout.D(), FetchAtActivation: ca.FetchAtActivation})
		names = append(names, u.Name)
	}
	set, err := spapi.NewSet(cfgs, spapi.Options{Log: s.log, Registerer: s.env.Registerer(), HTTPClient: s.hc})
	if err != nil {
		return fmt.Errorf("upstream: %w", err)
	}
	s.sps.Store(&spSet{set: set, names: names})
	if s.peers.Orders != nil {
		s.peers.Orders.SetCustomerCheck(customerCheck{s})
	}
	return nil
}

// customerCheck is the providers' look-up as the engine's check at
// activation: it asks only a provider configured with fetch_at_activation.
type customerCheck struct{ s *System }

func (c customerCheck) CheckActivation(ctx context.Context, owner, accessID, service, spReference string) (*activation.ProviderCustomer, error) {
	sps := c.s.sps.Load()
	if sps == nil {
		return nil, nil
	}
	svc, err := sps.set.CheckActivation(ctx, owner, accessID, service, spReference)
	if err != nil || svc == nil {
		return nil, err
	}
	cu := svc.Customer
	return &activation.ProviderCustomer{Name: cu.Name, Email: cu.Email, Phone: cu.Phone, MobilePhone: cu.MobilePhone}, nil
}
