package inventory_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/store/inventory"
)

// withPlant is small(id) with a "plant" member.
func withPlant(id, plant string) string {
	s := small(id)
	return s[:len(s)-1] + `,"plant":` + plant + `}`
}

func readOne(t *testing.T, in string) (inventory.Access, error) {
	t.Helper()
	var got inventory.Access
	err := inventory.ReadJSON(strings.NewReader(in), func(_ int, a inventory.Access) error {
		got = a
		return nil
	})
	return got, err
}

// The seed's plant example, as valid JSON (testdata/plant.json), is read
// with its whole hierarchy and written back unchanged.
func TestPlantRoundTrip(t *testing.T) {
	b, err := os.ReadFile("testdata/plant.json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := readOne(t, withPlant("A1", string(b)))
	if err != nil {
		t.Fatal(err)
	}
	p := a.Plant
	if p == nil || p.MeteringPointID != "707057500026392734" || p.Address.PostalCode != "0485" ||
		p.ConnectionPoint.Transformer.NetStation.Name != "Gamlevn.79" || p.TechnicalData.MainCircuitBreakerAmps != 80 {
		t.Fatalf("plant %+v", p)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(b), out.String()); diff != "" {
		t.Errorf("plant written back (-read +written):\n%s", diff)
	}
	var buf bytes.Buffer
	if err := inventory.WriteJSON(&buf, func(yield func(inventory.Access) bool) { yield(a) }); err != nil {
		t.Fatal(err)
	}
	again, err := readOne(t, buf.String())
	if err != nil || !again.Same(&a) {
		t.Errorf("the JSON export does not read back to the same access with its plant: %v", err)
	}
	plain := a
	plain.Plant = nil
	if plain.Same(&a) || !a.Same(&again) {
		t.Error("Same ignores the plant")
	}
}

// A bad plant is a problem naming the access's line and the key inside
// the plant; the rest of the file is still read.
func TestPlantProblems(t *testing.T) {
	for _, tt := range []struct {
		plant string
		want  []string // field: message prefix
	}{
		{`{"meteringPointId":"707057500026392734","consumptionCode":23,"industrialClassification":"55.102","address":{"postalCode":485}}`,
			[]string{"plant.address.postalCode: must be a string"}},
		{`{"meteringPointId":"7070575","consumptionCode":0,"industrialClassification":"x"}`,
			[]string{"plant.meteringPointId: is required", "plant.consumptionCode: is required", "plant.industrialClassification: is required"}},
		{`{"meteringPointId":"707057500026392734","consumptionCode":23,"industrialClassification":"55.102","colour":"red"}`,
			[]string{"plant.colour: unknown key"}},
		{`{"meteringPointId":"707057500026392734","consumptionCode":23,"industrialClassification":"55.102","status":"Spennnigsatt",
		  "connectedDate":"1989-13-01","location":{"latitude":91,"longitude":10},
		  "connectionPoint":{"name":"","transformer":{"name":"T1","address":{"postalCode":"20400"}}}}`,
			[]string{"plant.connectedDate: \"1989-13-01\" is not a date", "plant.status: \"Spennnigsatt\" is not",
				"plant.location.latitude: 91 is outside", "plant.connectionPoint.name: is required",
				"plant.connectionPoint.transformer.address.postalCode: \"20400\" is not a Norwegian postal code"}},
		{`[1]`, []string{"plant: must be an object"}},
	} {
		in := "[\n" + withPlant("A1", tt.plant) + ",\n" + small("A2") + "\n]"
		n := 0
		err := inventory.ReadJSON(strings.NewReader(in), func(_ int, a inventory.Access) error { n++; return nil })
		ps, ok := err.(*inventory.Problems)
		if !ok {
			t.Fatalf("plant %s: err %v, want problems", tt.plant, err)
		}
		var got []string
		for _, p := range ps.List {
			if p.Line != 2 || p.AccessID != "A1" {
				t.Errorf("problem %+v: want line 2, access A1", p)
			}
			got = append(got, p.Field+": "+p.Message)
		}
		if len(got) != len(tt.want) {
			t.Errorf("plant %s: problems %q, want %d", tt.plant, got, len(tt.want))
			continue
		}
		for i := range got {
			if !strings.HasPrefix(got[i], tt.want[i]) {
				t.Errorf("problem %d: %q, want it to start %q", i, got[i], tt.want[i])
			}
		}
		if n != 1 {
			t.Errorf("%d good accesses yielded, want A2", n)
		}
	}
	if a, err := readOne(t, withPlant("A1", "null")); err != nil || a.Plant != nil {
		t.Errorf("plant null: %+v, %v", a.Plant, err)
	}
}
