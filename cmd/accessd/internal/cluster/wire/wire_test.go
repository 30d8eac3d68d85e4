package wire_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/cmd/accessd/internal/cluster/wire"
	"github.com/stadsnat/accessd/internal/testkit"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123000000, time.UTC)

// examples are one message of every kind; testdata/<name>.json holds each
// encoded, and the format's documentation points readers there.
func examples() map[string]*wire.Message {
	return map[string]*wire.Message{
		"binding": {Site: "pop-norr", Seq: 42, At: t0, Payload: &wire.Binding{
			MAC: "02:00:00:00:00:01", IP: "10.1.2.3", State: "bound", Source: "snoop", Access: "A1001",
			Circuit: "192.168.248.85 ge-0/0/10", RemoteID: "192.168.248.85", CircuitID: "ge-0/0/10", Profile: "default",
			Option82: "520F010967652D302F302F3130", GIAddr: "10.1.0.1",
			FirstSeen: t0.Add(-time.Hour), LastSeen: t0, Since: t0.Add(-time.Hour), Expires: t0.Add(time.Hour),
			LeaseSeconds: 3600, Confirmed: true,
		}},
		"link": {Site: "pop-norr", Seq: 43, At: t0, Payload: &wire.Link{
			Switch: "192.168.248.85:161", Port: "ge-0/0/10", Access: "A1001", Link: "UP", Admin: "up", Oper: "up",
			SpeedMbps: 1000, Since: t0.Add(-time.Minute), SinceExact: true, PolledAt: t0, Reachable: true, Source: "poll",
		}},
		"unknown_circuit": {Site: "pop-syd", Seq: 7, At: t0, Payload: &wire.UnknownCircuit{
			Key: "192.168.248.85 ge-0/0/99", Reason: "no access has this circuit", Profile: "default",
			RemoteID: "192.168.248.85", CircuitID: "ge-0/0/99", GIAddr: "10.1.0.1", Count: 3,
			FirstSeen: t0.Add(-time.Hour), LastSeen: t0,
		}},
		"order_outcome": {Site: "hub", Instance: "a", Seq: 9, At: t0, Payload: &wire.OrderOutcome{
			OrderID: "O-1", AccessID: "A1001", Service: "BB100100", Operation: "ACTIVATE", State: "DONE_SUCCESS",
			SubscriptionID: "S-1", Attempts: 1, Changed: t0,
		}},
		"access": {Site: "hub", Seq: 1001, At: t0, Payload: &wire.AccessChange{
			Batch: 1002, AccessID: "A1001", Access: &wire.Access{
				AccessID: "A1001", StreetName: "Storgatan", StreetNumber: "1", PostalCode: "90325", City: "Umeå",
				CountryCode: "SE", PremisesType: "MDU_APARTMENT", MDUApartmentNumber: "1101", Activatable: "YES",
				Sellable: "YES", Option82: "192.168.248.85 ge-0/0/10", PortSpeedMbps: 1000, Media: "FTTH",
			},
		}},
		"access_removed":   {Site: "hub", Seq: 1002, At: t0, Payload: &wire.AccessChange{Batch: 1002, AccessID: "A1002", Removed: true}},
		"inventory_commit": {Site: "hub", Seq: 1002, At: t0, Payload: &wire.InventoryCommit{Changes: 2}},
		"order": {Site: "hub", Instance: "b", Seq: 5, At: t0, Payload: &wire.Order{
			OrderID: "O-1", Owner: "comhem", Channel: "on-api-2.6", AccessID: "A1001", Service: "BB100100",
			Operation: "ACTIVATE", Equipment: []wire.Equipment{{VendorID: "CPE1", MACAddress: "02:00:00:00:00:09"}},
			Due: t0, Requested: t0, CustomerRef: "O-1",
			Customer: &wire.Customer{FirstName: "Test", LastName: "Person", City: "Umeå"}, Created: t0,
		}},
	}
}

// exampleFacts is a batch of the binding and link examples.
func exampleFacts() *wire.Message {
	ex := examples()
	return &wire.Message{Site: "pop-norr", Seq: 43, At: t0, Payload: &wire.Facts{Facts: []*wire.Message{ex["binding"], ex["link"]}}}
}

func TestGolden(t *testing.T) {
	all := examples()
	all["facts"] = exampleFacts()
	for name, m := range all {
		t.Run(name, func(t *testing.T) {
			got, err := wire.Encode(m)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, got, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join("testdata", name+".json")
			testkit.Golden(t, path, pretty.String())
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// The golden file decodes to the message it was made from.
			back, err := wire.Decode(want)
			if err != nil {
				t.Fatalf("Decode golden: %v", err)
			}
			if diff := cmp.Diff(m, back); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if id := back.ID(); !strings.HasPrefix(id, back.Origin()+"/"+string(back.Kind())+"/") {
				t.Errorf("ID %q does not start with origin and kind", id)
			}
		})
	}
}

// mutate decodes the golden binding as a generic object, lets f change
// it and encodes it again.
func mutate(t testing.TB, name string, f func(m map[string]any)) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func payload(m map[string]any) map[string]any { return m["payload"].(map[string]any) }

// fact is the i-th fact of a batch.
func fact(m map[string]any, i int) map[string]any {
	return payload(m)["facts"].([]any)[i].(map[string]any)
}

// mutateMap is the golden message name as a generic object.
func mutateMap(name string) map[string]any {
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	return m
}

type badCase struct {
	name   string
	data   func(t testing.TB) []byte
	reason wire.Reason
	field  string
}

func badCases() []badCase {
	raw := func(s string) func(testing.TB) []byte { return func(testing.TB) []byte { return []byte(s) } }
	mut := func(golden string, f func(m map[string]any)) func(testing.TB) []byte {
		return func(t testing.TB) []byte { return mutate(t, golden, f) }
	}
	return []badCase{
		{"empty", raw(""), wire.ReasonMalformed, ""},
		{"not json", raw("hello"), wire.ReasonMalformed, ""},
		{"array", raw("[1,2]"), wire.ReasonMalformed, ""},
		{"too long", raw(`{"v":1,"x":"` + strings.Repeat("a", wire.MaxMessageBytes) + `"}`), wire.ReasonMalformed, ""},
		{"version 2", mut("binding", func(m map[string]any) { m["v"] = 2 }), wire.ReasonVersion, "v"},
		{"no version", mut("binding", func(m map[string]any) { delete(m, "v") }), wire.ReasonVersion, "v"},
		{"foreign kind", mut("binding", func(m map[string]any) { m["kind"] = "gossip" }), wire.ReasonKind, "kind"},
		{"payload not object", mut("binding", func(m map[string]any) { m["payload"] = "x" }), wire.ReasonMalformed, "payload"},
		{"payload null", mut("binding", func(m map[string]any) { m["payload"] = nil }), wire.ReasonMalformed, "payload"},
		{"payload of another kind", mut("binding", func(m map[string]any) { m["kind"] = "link"; m["id"] = "pop-norr/link/42" }), wire.ReasonInvalid, "payload.switch"},
		{"bad site", mut("binding", func(m map[string]any) { m["site"] = "pop.norr" }), wire.ReasonInvalid, "site"},
		{"bad instance", mut("order", func(m map[string]any) { m["instance"] = "a b" }), wire.ReasonInvalid, "instance"},
		{"seq 0", mut("binding", func(m map[string]any) { m["seq"] = 0 }), wire.ReasonInvalid, "seq"},
		{"year 0", mut("binding", func(m map[string]any) { m["at"] = "0000-01-01T00:00:00Z" }), wire.ReasonInvalid, "at"},
		{"expires past 2262", mut("binding", func(m map[string]any) { payload(m)["expires"] = "2300-01-01T00:00:00Z" }), wire.ReasonInvalid, "payload.expires"},
		{"no time", mut("binding", func(m map[string]any) { delete(m, "at") }), wire.ReasonInvalid, "at"},
		{"wrong id", mut("binding", func(m map[string]any) { m["id"] = "pop-norr/binding/41" }), wire.ReasonInvalid, "id"},
		{"id of other site", mut("binding", func(m map[string]any) { m["id"] = "pop-syd/binding/42" }), wire.ReasonInvalid, "id"},
		{"bad mac", mut("binding", func(m map[string]any) { payload(m)["mac"] = "02-00-00-00-00-01" }), wire.ReasonInvalid, "payload.mac"},
		{"upper mac", mut("binding", func(m map[string]any) { payload(m)["mac"] = "02:00:00:00:00:AB" }), wire.ReasonInvalid, "payload.mac"},
		{"ipv6", mut("binding", func(m map[string]any) { payload(m)["ip"] = "::1" }), wire.ReasonInvalid, "payload.ip"},
		{"state", mut("binding", func(m map[string]any) { payload(m)["state"] = "happy" }), wire.ReasonInvalid, "payload.state"},
		{"option82 lower", mut("binding", func(m map[string]any) { payload(m)["option82"] = "520f" }), wire.ReasonInvalid, "payload.option82"},
		{"control char", mut("binding", func(m map[string]any) { payload(m)["circuit"] = "a\x00b" }), wire.ReasonInvalid, "payload.circuit"},
		{"mac wrong type", mut("binding", func(m map[string]any) { payload(m)["mac"] = 5 }), wire.ReasonMalformed, "payload"},
		{"link state", mut("link", func(m map[string]any) { payload(m)["link"] = "up" }), wire.ReasonInvalid, "payload.link"},
		{"link no port", mut("link", func(m map[string]any) { delete(payload(m), "port") }), wire.ReasonInvalid, "payload.port"},
		{"outcome state", mut("order_outcome", func(m map[string]any) { payload(m)["state"] = "RECEIVED" }), wire.ReasonInvalid, "payload.state"},
		{"access id mismatch", mut("access", func(m map[string]any) { payload(m)["accessId"] = "A9" }), wire.ReasonInvalid, "payload.access.accessId"},
		{"access id token", mut("access", func(m map[string]any) { payload(m)["accessId"] = "A.1" }), wire.ReasonInvalid, "payload.accessId"},
		{"access missing", mut("access", func(m map[string]any) { delete(payload(m), "access") }), wire.ReasonInvalid, "payload.access"},
		{"removal with access", mut("access", func(m map[string]any) { payload(m)["removed"] = true }), wire.ReasonInvalid, "payload.access"},
		{"access no batch", mut("access", func(m map[string]any) { delete(payload(m), "batch") }), wire.ReasonInvalid, "payload.batch"},
		{"commit negative", mut("inventory_commit", func(m map[string]any) { payload(m)["changes"] = -1 }), wire.ReasonInvalid, "payload.changes"},
		{"order channel", mut("order", func(m map[string]any) { payload(m)["channel"] = "fax" }), wire.ReasonInvalid, "payload.channel"},
		{"order no due", mut("order", func(m map[string]any) { delete(payload(m), "due") }), wire.ReasonInvalid, "payload.due"},
		{"outcome with customer", mut("order_outcome", func(m map[string]any) {
			payload(m)["order"] = map[string]any{"orderId": "O-1", "customer": map[string]any{"firstName": "x"}}
		}), wire.ReasonInvalid, "payload.order.customer"},
		{"outcome of another order", mut("order_outcome", func(m map[string]any) {
			payload(m)["order"] = map[string]any{"orderId": "O-2"}
		}), wire.ReasonInvalid, "payload.order.orderId"},
		{"batch without facts", mut("facts", func(m map[string]any) { payload(m)["facts"] = []any{} }), wire.ReasonInvalid, "payload.facts"},
		{"batch facts not a list", mut("facts", func(m map[string]any) { payload(m)["facts"] = "x" }), wire.ReasonMalformed, "payload"},
		{"batch fact not an object", mut("facts", func(m map[string]any) { payload(m)["facts"] = []any{5} }), wire.ReasonMalformed, "payload.facts[0]"},
		{"batch of another origin", mut("facts", func(m map[string]any) {
			f := fact(m, 1)
			f["site"], f["id"] = "pop-syd", "pop-syd/link/43"
		}), wire.ReasonInvalid, "payload.facts[1]"},
		{"batch in a batch", mut("facts", func(m map[string]any) {
			payload(m)["facts"] = []any{mutateMap("facts")}
		}), wire.ReasonKind, "payload.facts[0].kind"},
		{"batch of an order", mut("facts", func(m map[string]any) {
			o := mutateMap("order")
			o["site"], o["instance"] = "pop-norr", nil
			payload(m)["facts"] = []any{o}
		}), wire.ReasonKind, "payload.facts[0].kind"},
		{"batch out of order", mut("facts", func(m map[string]any) {
			fs := payload(m)["facts"].([]any)
			fs[0], fs[1] = fs[1], fs[0]
			m["seq"], m["id"] = 42, "pop-norr/facts/42"
		}), wire.ReasonInvalid, "payload.facts[1].seq"},
		{"batch seq not its last fact's", mut("facts", func(m map[string]any) { m["seq"], m["id"] = 44, "pop-norr/facts/44" }), wire.ReasonInvalid, "payload.facts"},
		{"batch id", mut("facts", func(m map[string]any) { m["id"] = "pop-norr/link/43" }), wire.ReasonInvalid, "id"},
		{"batch fact invalid", mut("facts", func(m map[string]any) { payload(fact(m, 0))["mac"] = "nope" }), wire.ReasonInvalid, "payload.facts[0].payload.mac"},
		{"batch fact id", mut("facts", func(m map[string]any) { fact(m, 0)["id"] = "pop-norr/binding/41" }), wire.ReasonInvalid, "payload.facts[0].id"},
		{"outcome order invalid", mut("order_outcome", func(m map[string]any) {
			payload(m)["order"] = map[string]any{"orderId": "O-1", "owner": "sp", "channel": "fax"}
		}), wire.ReasonInvalid, "payload.order.channel"},
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, tc := range badCases() {
		t.Run(tc.name, func(t *testing.T) {
			m, err := wire.Decode(tc.data(t))
			if err == nil {
				t.Fatalf("Decode accepted %+v", m)
			}
			e, ok := err.(*wire.Error)
			if !ok {
				t.Fatalf("error %T %v is not *wire.Error", err, err)
			}
			if diff := cmp.Diff([2]string{string(tc.reason), tc.field}, [2]string{string(e.Reason), e.Field}); diff != "" {
				t.Errorf("reason, field (-want +got):\n%s\nerror: %v", diff, err)
			}
			if wire.ReasonOf(err) != tc.reason {
				t.Errorf("ReasonOf = %q", wire.ReasonOf(err))
			}
		})
	}
}

func TestEncodeRefusesInvalid(t *testing.T) {
	m := examples()["binding"]
	m.Payload.(*wire.Binding).MAC = "nope"
	if _, err := wire.Encode(m); wire.ReasonOf(err) != wire.ReasonInvalid {
		t.Errorf("Encode of a bad MAC: %v, want an invalid-message error", err)
	}
	big := examples()["link"]
	big.Payload.(*wire.Link).Problem = strings.Repeat("x", 2000)
	big.Payload.(*wire.Link).Switch = strings.Repeat("s", 300)
	if _, err := wire.Encode(big); err == nil {
		t.Error("Encode accepted a switch name over the bound")
	}
	if _, err := wire.Encode(&wire.Message{Site: "a", Seq: 1, At: t0}); err == nil {
		t.Error("Encode accepted a message without payload")
	}
}

func TestValidName(t *testing.T) {
	for s, want := range map[string]bool{
		"pop-norr": true, "hub": true, "A_1": true, "": false, "a.b": false, "a b": false, "a*": false,
		"a>": false, strings.Repeat("a", 64): true, strings.Repeat("a", 65): false, "åre": false,
	} {
		if got := wire.ValidName(s); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", s, got, want)
		}
	}
}
