package upstream

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/cubit"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
	"github.com/stadsnat/accessd/store"
)

// The outbox entries changes make. The store calls the hooks inside the
// transaction of the change (store.ChangeHooks): they must not block, and
// an error of theirs rolls the change back, so they only build entries.

// orderHook appends what a written order means upstream: the portal's
// transitions for an order carrying an Atlas order id, and the customer
// for Cubit when an order with kept customer data is delivered.
func (s *System) orderHook(x *store.OutboxTx, c store.OrderChange) error {
	var es []store.OutboxEntry
	if s.portal != nil {
		for _, e := range portalEntries(c, x) {
			es = append(es, toStore(e))
		}
	}
	if s.cubit != nil {
		if e, ok, err := customerEntry(c); err != nil {
			return err
		} else if ok {
			es = append(es, e)
		}
	}
	if len(es) == 0 {
		return nil
	}
	return x.Append(es...)
}

// portalEntries are atlasportal.Transitions of an ACTIVATE carrying an
// Atlas order id, when its state or due time changed.
func portalEntries(c store.OrderChange, x *store.OutboxTx) []outbox.Entry {
	o := c.Order
	if o.Atlas == nil || o.Atlas.Order == "" || o.Operation != store.Activate {
		return nil
	}
	if old := c.Old; old != nil && old.State == o.State && old.Due.Equal(o.Due) {
		return nil
	}
	lo := localOrder(o)
	lo.Created = c.Old == nil
	return atlasportal.Transitions(lo, x.Now())
}

// CubitSink is the outbox sink of Cubit.
const CubitSink = "cubit"

// customerEntry is the Cubit customer of an ACTIVATE that was just
// delivered with customer data kept (customer_data: store) and a personal
// or organisation number, which is Cubit's key. Its key is a hash of the
// number, so that the outbox orders and compacts per customer without the
// number appearing in status or logs.
func customerEntry(c store.OrderChange) (store.OutboxEntry, bool, error) {
	o := c.Order
	if o.Operation != store.Activate || o.State != store.DoneSuccess || o.Customer == nil ||
		(c.Old != nil && c.Old.State == store.DoneSuccess) {
		return store.OutboxEntry{}, false, nil
	}
	cu := o.Customer
	number := strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return r
		}
		return -1
	}, cu.SocialSecurityNumber)
	if number == "" {
		return store.OutboxEntry{}, false, nil // Cubit keys customers by number: nothing to key this one by
	}
	out := cubit.Customer{Number: number, FirstName: cu.FirstName, LastName: cu.LastName, Email: cu.Email,
		Phone: firstOf(cu.Phone, cu.MobilePhone)}
	if a := customerAddress(cu); a != nil {
		out.Address = a
	}
	p, err := json.Marshal(out)
	if err != nil {
		return store.OutboxEntry{}, false, fmt.Errorf("cubit customer of order %s: %w", o.ID, err)
	}
	sum := sha256.Sum256([]byte(number))
	return store.OutboxEntry{Sink: CubitSink, Key: "customer/" + hex.EncodeToString(sum[:8]),
		IdempotencyKey: "cubit/customer/order/" + o.ID, Kind: string(cubit.KindCustomer), Payload: p}, true, nil
}

// customerAddress is the postal address as Cubit's AddressText, lines
// separated by "\n"; a four-digit postal code (a Norwegian one) is also
// sent as PostalCode.
func customerAddress(cu *store.Customer) *cubit.CustomerAddress {
	street := strings.TrimSpace(strings.Join([]string{cu.StreetName, cu.StreetNumber + cu.StreetLittera}, " "))
	town := strings.TrimSpace(cu.ZipCode + " " + cu.City)
	text := strings.Trim(street+"\n"+town, "\n ")
	if text == "" {
		return nil
	}
	a := &cubit.CustomerAddress{AddressText: text}
	if z := strings.TrimSpace(cu.ZipCode); len(z) == 4 && strings.Trim(z, "0123456789") == "" {
		a.PostalCode = z
	}
	return a
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// accessHook appends the Cubit plant of an access whose plant is new or
// changed. A removed access's plant is not pushed: whether a plant ends
// (status Terminert) is the utility's to say in the inventory.
func (s *System) accessHook(x *store.OutboxTx, c store.AccessChange) error {
	if s.cubit == nil {
		return nil
	}
	e, ok, err := plantEntry(c)
	if err != nil || !ok {
		return err
	}
	return x.Append(e)
}

// plantEntry is the entry of a changed plant. The inventory's plant has
// the JSON form of Cubit's plant import, so it is the payload as it is.
func plantEntry(c store.AccessChange) (store.OutboxEntry, bool, error) {
	a := c.Access
	if a.Removed || a.Plant == nil {
		return store.OutboxEntry{}, false, nil
	}
	if c.Old != nil && c.Old.Plant != nil && samePlantJSON(c.Old, a) {
		return store.OutboxEntry{}, false, nil
	}
	p, err := json.Marshal(a.Plant)
	if err != nil {
		return store.OutboxEntry{}, false, fmt.Errorf("cubit plant of access %s: %w", a.AccessID, err)
	}
	mp := a.Plant.MeteringPointID
	return store.OutboxEntry{Sink: CubitSink, Key: "plant/" + mp,
		IdempotencyKey: "cubit/plant/" + mp + "/access/" + a.AccessID + "/" + strconv.FormatUint(a.Seq, 10),
		Kind:           string(cubit.KindPlant), Payload: p}, true, nil
}

func samePlantJSON(a, b *store.AccessRecord) bool {
	ja, _ := json.Marshal(a.Plant)
	jb, _ := json.Marshal(b.Plant)
	return string(ja) == string(jb)
}
