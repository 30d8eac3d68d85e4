package spapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// CustomerForActivation fetches the customer of a service being activated
// on an access (Netadmin's mode): by spReference when the order carries
// one (query_sp), else from the access (access_customer_info). It returns
// the service's entry, or a *RefusalError when the SP cannot give the
// customer: the call failed, the SP knows no such access or reference, the
// service is not among the answer's, or the customer has no name. The
// caller decides what to keep of the answer; this package keeps nothing.
func (c *Client) CustomerForActivation(ctx context.Context, accessID, service, spReference string) (Service, error) {
	var svcs []Service
	var err error
	how := "the access"
	if spReference != "" {
		how = "the spReference"
		svcs, err = c.ServicesByReference(ctx, spReference)
	} else {
		svcs, err = c.AccessCustomers(ctx, accessID)
	}
	refuse := func(why string, err error) (Service, error) {
		c.m.refusal(c.cfg.Name)
		cause := fmt.Sprintf("service provider %s could not give the customer of service %s on access %s: %s",
			c.cfg.Name, service, accessID, why)
		c.log.Warn("refusing an activation: the service provider cannot give the customer",
			"access_id", accessID, "service", service, "reason", why)
		return Service{}, &RefusalError{SP: c.cfg.Name, AccessID: accessID, Service: service, Cause: cause, Err: err}
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return refuse("it knows no such access", err)
	case err != nil:
		return refuse("the look-up failed ("+err.Error()+")", err)
	}
	for _, s := range svcs {
		if s.Service != service || s.AccessID != accessID {
			continue
		}
		if s.Customer.Name == "" {
			return refuse("its answer has no customer name", nil)
		}
		return s, nil
	}
	return refuse("its answer for "+how+" has no such service", nil)
}

// Set is the SPs with a customer API, by name.
type Set struct {
	by map[string]*Client
}

// NewSet builds a client per SP, sharing one set of metrics.
func NewSet(cfgs []Config, o Options) (*Set, error) {
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Set{by: map[string]*Client{}}
	for _, cfg := range cfgs {
		if _, dup := s.by[cfg.Name]; dup {
			return nil, fmt.Errorf("spapi: service provider %q is configured twice", cfg.Name)
		}
		c, err := newClient(cfg, o, m)
		if err != nil {
			return nil, err
		}
		s.by[cfg.Name] = c
	}
	return s, nil
}

// Client returns the client of an SP.
func (s *Set) Client(sp string) (*Client, bool) {
	c, ok := s.by[sp]
	return c, ok
}

// CheckActivation is what the order engine calls when it activates a
// service for an SP: for an SP configured with FetchAtActivation it
// fetches the customer and returns it, or a *RefusalError to refuse the
// order with; for any other SP it returns (nil, nil) at once.
func (s *Set) CheckActivation(ctx context.Context, sp, accessID, service, spReference string) (*Service, error) {
	c, ok := s.by[sp]
	if !ok || !c.cfg.FetchAtActivation {
		return nil, nil
	}
	svc, err := c.CustomerForActivation(ctx, accessID, service, spReference)
	if err != nil {
		return nil, err
	}
	return &svc, nil
}

// LogValue logs a Set as the names of its SPs.
func (s *Set) LogValue() slog.Value {
	names := make([]string, 0, len(s.by))
	for n := range s.by {
		names = append(names, n)
	}
	return slog.AnyValue(names)
}
