package cubit

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var decodeCases = []struct {
	name    string
	in      string
	want    any    // Customer or Plant
	wantErr string // "" when good
}{
	{"customer as sent", `{"Number":"01017012343","FirstName":"Ola","AcceptElectronicCommunication":true}`,
		Customer{Number: "01017012343", FirstName: "Ola", AcceptElectronicCommunication: true}, ""},
	{"customer keys in other case, unknown keys", `{"number":"01017012343","lastName":"Normann","id":17,"created":"2024-01-01T00:00:00Z"}`,
		Customer{Number: "01017012343", LastName: "Normann"}, ""},
	{"customer postal code as number", `{"Number":"01017012343","Address":{"AddressText":"x","PostalCode":485}}`,
		Customer{Number: "01017012343", Address: &CustomerAddress{AddressText: "x", PostalCode: "0485"}}, ""},
	{"customer number as number", `{"Number":951123123}`, Customer{Number: "951123123"}, ""},
	{"customer without number", `{"FirstName":"Ola"}`, Customer{}, "decode customer: the answer has no Number"},
	{"customer wrong type", `{"Number":"1","AcceptElectronicCommunication":"yes"}`, Customer{},
		"decode customer: AcceptElectronicCommunication: a JSON string where bool belongs"},
	{"customer array", `[]`, Customer{}, "decode customer: the answer is not a JSON object"},
	{"customer trailing", `{"Number":"1"} x`, Customer{}, "decode customer: data after the JSON value"},
	{"customer seed example", "seed-customer.txt", Customer{}, "decode customer: invalid character '}' looking for beginning of object key string"},
	{"plant", `{"meteringPointId":"707057500026392739","consumptionCode":"23","industrialClassification":"55.102","buildingCode":""}`,
		Plant{MeteringPointID: "707057500026392739", ConsumptionCode: 23, IndustrialClassification: "55.102"}, ""},
	{"plant coordinates variant", `{"meteringPointId":"1","location":{"Coordinates":{"latitude":59.9,"longitude":10.7}},` +
		`"connectionPoint":{"name":"C","location":{"coordinates":{"Longitude":10.7,"Latitude":59.9}}}}`,
		Plant{MeteringPointID: "1", Location: &Location{Latitude: 59.9, Longitude: 10.7},
			ConnectionPoint: &ConnectionPoint{Name: "C", Location: &Location{Latitude: 59.9, Longitude: 10.7}}}, ""},
	{"plant bad int", `{"meteringPointId":"1","consumptionCode":"twenty"}`, Plant{}, `decode plant: consumptionCode: "twenty" is not a whole number`},
	{"plant object expected", `{"meteringPointId":"1","address":"Testveien 8"}`, Plant{}, "decode plant: address: not a JSON object"},
	{"plant without id", `{"consumptionCode":23}`, Plant{}, "decode plant: the answer has no meteringPointId"},
	{"plant nulls", `{"meteringPointId":"1","address":null,"status":null}`, Plant{MeteringPointID: "1"}, ""},
	{"plant seed example", "seed-plant.txt", Plant{}, "decode plant: invalid character '4' after object key:value pair"},
}

func decodeInput(t testing.TB, in string) []byte {
	if len(in) > 4 && in[len(in)-4:] == ".txt" {
		b, err := os.ReadFile("testdata/" + in)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return []byte(in)
}

func TestDecode(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			var got any
			var err error
			if _, ok := tc.want.(Customer); ok {
				got, err = DecodeCustomer(decodeInput(t, tc.in))
			} else {
				got, err = DecodePlant(decodeInput(t, tc.in))
			}
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// fuzzDecode checks that a decoded object survives its own JSON form.
func fuzzDecode[T any](t *testing.T, decode func([]byte) (T, error), b []byte) {
	v, err := decode(b)
	if err != nil {
		return
	}
	again, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("re-encode %+v: %v", v, err)
	}
	w, err := decode(again)
	if err != nil {
		t.Fatalf("decode of own encoding %s: %v", again, err)
	}
	if !reflect.DeepEqual(v, w) {
		t.Fatalf("round trip changed %+v into %+v", v, w)
	}
}

func FuzzDecodeCustomer(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add(decodeInput(f, tc.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, DecodeCustomer, b) })
}

func FuzzDecodePlant(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add(decodeInput(f, tc.in))
	}
	golden, _ := os.ReadFile("testdata/plant.golden.json")
	f.Add(golden)
	f.Fuzz(func(t *testing.T, b []byte) { fuzzDecode(t, DecodePlant, b) })
}
