package upstream

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/cubit"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// The inventory's plant is Cubit's plant import in JSON: the seed's plant
// (as valid JSON) decodes strictly into both and encodes the same.
func TestInventoryPlantIsCubitsPlant(t *testing.T) {
	b, err := os.ReadFile("cubit/testdata/plant.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	ip, err := inventory.DecodePlant(b)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var cp cubit.Plant
	if err := dec.Decode(&cp); err != nil {
		t.Fatal(err)
	}
	ij, _ := json.Marshal(ip)
	cj, _ := json.Marshal(cp)
	if diff := cmp.Diff(string(cj), string(ij)); diff != "" {
		t.Errorf("plant JSON (-cubit +inventory):\n%s", diff)
	}
	rec := &store.AccessRecord{Access: inventory.Access{AccessID: "A1", Plant: ip}, Seq: 7}
	e, ok, err := plantEntry(store.AccessChange{Access: rec})
	if err != nil || !ok || e.Key != "plant/707057500026392734" || e.Kind != "plant" || string(e.Payload) != string(ij) {
		t.Errorf("plant entry %+v %v %v", e, ok, err)
	}
	if _, ok, _ := plantEntry(store.AccessChange{Old: rec, Access: rec}); ok {
		t.Error("an unchanged plant made an entry")
	}
}

// A delivered order with kept customer data makes one Cubit customer,
// keyed by a hash of the number; the address is Cubit's text form.
func TestCustomerEntry(t *testing.T) {
	ord := &store.Order{ID: "o1", Operation: store.Activate, State: store.DoneSuccess, Customer: &store.Customer{
		FirstName: "Ola", LastName: "Nordmann", SocialSecurityNumber: "220973-12401", Email: "ola@example.no",
		MobilePhone: "40506070", StreetName: "Testveien", StreetNumber: "24", StreetLittera: "B", ZipCode: "0484", City: "Oslo"}}
	old := *ord
	old.State = store.InProgress
	e, ok, err := customerEntry(store.OrderChange{Old: &old, Order: ord})
	if err != nil || !ok {
		t.Fatalf("%v %v", ok, err)
	}
	var cu cubit.Customer
	if err := json.Unmarshal(e.Payload, &cu); err != nil {
		t.Fatal(err)
	}
	want := cubit.Customer{Number: "22097312401", FirstName: "Ola", LastName: "Nordmann", Email: "ola@example.no", Phone: "40506070",
		Address: &cubit.CustomerAddress{AddressText: "Testveien 24B\n0484 Oslo", PostalCode: "0484"}}
	if diff := cmp.Diff(want, cu); diff != "" {
		t.Errorf("customer (-want +got):\n%s", diff)
	}
	if strings.Contains(e.Key, "22097312401") || !strings.HasPrefix(e.Key, "customer/") || e.IdempotencyKey != "cubit/customer/order/o1" {
		t.Errorf("entry key %q, idempotency key %q", e.Key, e.IdempotencyKey)
	}
	if _, ok, _ := customerEntry(store.OrderChange{Old: ord, Order: ord}); ok {
		t.Error("a second write of the delivered order made another entry")
	}
	noNumber := *ord
	noNumber.Customer = &store.Customer{FirstName: "Ola"}
	if _, ok, _ := customerEntry(store.OrderChange{Old: &old, Order: &noNumber}); ok {
		t.Error("a customer without a number made an entry")
	}
}
