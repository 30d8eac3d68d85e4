package upstream

import (
	"context"
	"errors"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal"
	"github.com/stadsnat/accessd/store"
)

// portalState is the store's AtlasPortal view as atlasportal.State.
type portalState struct{ v store.AtlasPortal }

var _ atlasportal.State = (*portalState)(nil)

func (p *portalState) LastCheck(context.Context) (string, error) { return p.v.LastCheck() }

func (p *portalState) SetLastCheck(_ context.Context, date string) error {
	return p.v.SetLastCheck(date)
}

func (p *portalState) PortalOrder(_ context.Context, id string) (atlasportal.PortalOrderState, bool, error) {
	o, ok, err := p.v.PortalOrder(id)
	return atlasportal.PortalOrderState{ID: o.ID, LocalOrder: o.LocalOrder, Portal: atlasportal.Status(o.Portal),
		Sending: atlasportal.Status(o.Sending), ReadIn: o.ReadIn, Outcome: o.Outcome, Messages: o.Messages, Updated: o.Updated}, ok, err
}

func (p *portalState) PutPortalOrder(_ context.Context, o atlasportal.PortalOrderState) error {
	return p.v.PutPortalOrder(store.PortalOrder{ID: o.ID, LocalOrder: o.LocalOrder, Portal: string(o.Portal),
		Sending: string(o.Sending), ReadIn: o.ReadIn, Outcome: o.Outcome, Messages: o.Messages, Updated: o.Updated})
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
