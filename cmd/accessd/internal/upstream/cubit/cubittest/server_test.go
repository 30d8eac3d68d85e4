package cubittest

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	testKey = "test-key-1"
	prodKey = "prod-key-2"
)

func start(t *testing.T) *Server {
	t.Helper()
	s, err := New(Config{Keys: map[string]string{"test": testKey, "prod": prodKey}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// call sends a request and returns the status and decoded problem body.
func call(t *testing.T, s *Server, method, path, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("api-key", key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	if len(b) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("answer %q is not JSON: %v", b, err)
		}
	}
	return resp.StatusCode, doc
}

const customer = `{"Number":"01017012343","FirstName":"Ola","LastName":"Normann","AcceptElectronicCommunication":true}`

func TestAPIKey(t *testing.T) {
	s := start(t)
	for _, tc := range []struct {
		name, path, key string
		want            int
	}{
		{"missing key", "/api/import/test/customer", "", 401},
		{"unknown key", "/api/import/test/customer", "nope", 401},
		{"other environment's key", "/api/import/test/customer", prodKey, 400},
		{"other environment's key, prod", "/api/import/prod/customer", testKey, 400},
		{"no such environment", "/api/import/staging/customer", testKey, 400},
		{"right key", "/api/import/test/customer", testKey, 200},
		{"right key, prod", "/api/import/prod/customer", prodKey, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, body := call(t, s, "POST", tc.path, tc.key, customer)
			if got != tc.want {
				t.Errorf("status %d, want %d (%v)", got, tc.want, body)
			}
			if got >= 400 && body["title"] == nil {
				t.Errorf("a %d without a problem body: %v", got, body)
			}
		})
	}
	if st, _ := call(t, s, "GET", "/api/customer/environment/test/bynumber/01017012343", "", ""); st != 401 {
		t.Errorf("GET without key: %d, want 401", st)
	}
	if st, _ := call(t, s, "GET", "/api/customer/environment/test/bynumber/01017012343", prodKey, ""); st != 400 {
		t.Errorf("GET with prod's key on test: %d, want 400", st)
	}
	if _, ok := s.Customer("prod", "01017012343"); !ok {
		t.Error("the prod upsert is not in prod")
	}
	if got := s.Count(CustomerUpsert, 401); got != 2 {
		t.Errorf("Count(customer_upsert, 401) = %d, want 2", got)
	}
}

// TestSeedExamplesAreRefused: the seed's examples as printed are not JSON.
func TestSeedExamplesAreRefused(t *testing.T) {
	s := start(t)
	for _, f := range []struct{ file, path string }{
		{"../testdata/seed-customer.txt", "/api/import/test/customer"},
		{"../testdata/seed-plant.txt", "/api/import/test/plant"},
	} {
		b, err := os.ReadFile(f.file)
		if err != nil {
			t.Fatal(err)
		}
		st, body := call(t, s, "POST", f.path, testKey, string(b))
		if st != 400 || body["title"] != "the body is not valid JSON" {
			t.Errorf("%s: %d %v, want 400 invalid JSON", f.file, st, body)
		}
	}
}

// errorsOf returns the errors member of a problem body.
func errorsOf(body map[string]any) map[string][]string {
	out := map[string][]string{}
	m, _ := body["errors"].(map[string]any)
	for k, v := range m {
		for _, x := range v.([]any) {
			out[k] = append(out[k], x.(string))
		}
	}
	return out
}

const plant = `{"meteringPointId":"707057500026392739","consumptionCode":23,"industrialClassification":"55.102"}`

func TestValidation(t *testing.T) {
	s := start(t)
	for _, tc := range []struct {
		name, path, body string
		want             map[string][]string
	}{
		{"number missing", "customer", `{"FirstName":"Ola"}`, map[string][]string{"number": {"is required"}}},
		{"number format", "customer", `{"Number":"1234567"}`,
			map[string][]string{"Number": {"is not 11 digits (a personal number) or 9 digits (an organisation number)"}}},
		{"postal code as number", "customer", `{"Number":"01017012343","Address":{"AddressText":"x","PostalCode":485}}`,
			map[string][]string{"Address.PostalCode": {"must be a string"}}},
		{"postal code digits", "customer", `{"Number":"01017012343","Address":{"AddressText":"x","PostalCode":"485"}}`,
			map[string][]string{"Address.PostalCode": {"is not a Norwegian postal code of four digits"}}},
		{"foreign address", "customer", `{"Number":"01017012343","Address":{"AddressText":"x","Country":"SE"}}`,
			map[string][]string{"Address.ForeignCity": {"is required for a foreign address"}}},
		{"unknown key", "customer", `{"Number":"01017012343","Nickname":"O"}`, map[string][]string{"Nickname": {"unknown key"}}},
		{"wrong type", "customer", `{"Number":"01017012343","AcceptElectronicCommunication":"yes"}`,
			map[string][]string{"AcceptElectronicCommunication": {"must be true or false"}}},
		{"birth date", "customer", `{"Number":"01017012343","BirthDate":"01.01.1982"}`,
			map[string][]string{"BirthDate": {"is not an ISO date YYYY-MM-DD"}}},
		{"keys in any case", "customer", `{"number":"01017012343","firstname":"Ola"}`, nil},
		{"plant required", "plant", `{"status":"Inaktivt"}`, map[string][]string{
			"meteringpointid": {"is required"}, "consumptioncode": {"is required"}, "industrialclassification": {"is required"}}},
		{"seed's status typo", "plant", plant[:len(plant)-1] + `,"status":"Spennnigsatt"}`,
			map[string][]string{"status": {"must be one of Spenningsatt, Inaktivt, Terminert"}}},
		{"consumption code fraction", "plant", `{"meteringPointId":"707057500026392739","consumptionCode":2.5,"industrialClassification":"55.102"}`,
			map[string][]string{"consumptionCode": {"must be a whole number"}}},
		{"metering point", "plant", `{"meteringPointId":"7070575","consumptionCode":23,"industrialClassification":"55.102"}`,
			map[string][]string{"meteringPointId": {"is not 18 digits"}}},
		{"hierarchy name", "plant", plant[:len(plant)-1] + `,"connectionPoint":{"name":"CP1","transformer":{"name":""}}}`,
			map[string][]string{"connectionPoint.transformer.name": {"may not be empty: it is the key"}}},
		{"latitude", "plant", plant[:len(plant)-1] + `,"location":{"latitude":95,"longitude":10}}`,
			map[string][]string{"location.latitude": {"is outside -90 to 90 (WGS84)"}}},
		{"seed's coordinates variant", "plant", plant[:len(plant)-1] + `,"location":{"Coordinates":{"latitude":59.9,"longitude":10.7}}}`, nil},
		{"null required", "plant", `{"meteringPointId":null,"consumptionCode":23,"industrialClassification":"55.102"}`,
			map[string][]string{"meteringPointId": {"is required and may not be null"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body := call(t, s, "POST", "/api/import/test/"+tc.path, testKey, tc.body)
			want := 400
			if tc.want == nil {
				want = 200
			}
			if st != want {
				t.Errorf("status %d, want %d", st, want)
			}
			got := errorsOf(body)
			if tc.want == nil {
				tc.want = map[string][]string{}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("errors (-want +got):\n%s", d)
			}
		})
	}
}

func TestMediaType(t *testing.T) {
	s := start(t)
	req, _ := http.NewRequest("POST", s.URL+"/api/import/test/customer", strings.NewReader(customer))
	req.Header.Set("api-key", testKey)
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain body: %d, want 415", resp.StatusCode)
	}
}

func TestUpsertAndHierarchy(t *testing.T) {
	s := start(t)
	const (
		mp1 = "707057500026392739"
		mp2 = "707057500000000018"
	)
	body := func(mp, cp, tr, ns, extra string) string {
		return `{"meteringPointId":"` + mp + `","consumptionCode":23,"industrialClassification":"55.102"` + extra +
			`,"connectionPoint":{"name":"` + cp + `","transformer":{"name":"` + tr + `","netStation":{"name":"` + ns + `"}}}}`
	}
	steps := []struct {
		body   string
		status int
		result string
	}{
		{body(mp1, "CP1", "T1", "NS1", `,"connectedDate":"1989-01-01","status":"Spenningsatt"`), 200, "created"},
		{body(mp1, "CP1", "T1", "NS1", `,"status":"Inaktivt"`), 200, "updated"},
		{body(mp2, "CP2", "T1", "NS1", ""), 200, "created"},
	}
	for i, st := range steps {
		got, ans := call(t, s, "POST", "/api/import/test/plant", testKey, st.body)
		if got != st.status || ans["result"] != st.result {
			t.Fatalf("step %d: %d %v, want %d %s", i, got, ans, st.status, st.result)
		}
	}
	g := s.Grid("test")
	want := Grid{
		NetStations:      []string{"NS1"},
		Transformers:     map[string]string{"T1": "NS1"},
		ConnectionPoints: map[string]string{"CP1": "T1", "CP2": "T1"},
		MeteringPoints:   map[string]string{mp1: "CP1", mp2: "CP2"},
	}
	if d := cmp.Diff(want, g); d != "" {
		t.Errorf("grid (-want +got):\n%s", d)
	}
	// The update kept the connectedDate it did not carry and changed the status.
	st, doc := call(t, s, "GET", "/api/plant/test/getDataForImport/"+mp1, testKey, "")
	if st != 200 || doc["connectedDate"] != "1989-01-01" || doc["status"] != "Inaktivt" {
		t.Errorf("GET plant: %d %v", st, doc)
	}
	if st, _ := call(t, s, "GET", "/api/plant/prod/getDataForImport/"+mp1, prodKey, ""); st != 404 {
		t.Errorf("the test plant is visible in prod: %d", st)
	}
}

func TestConnectedDateCannotMoveLater(t *testing.T) {
	s := start(t)
	with := func(date string) string {
		return plant[:len(plant)-1] + `,"connectedDate":"` + date + `"}`
	}
	for i, st := range []struct {
		body string
		want int
	}{
		{with("2000-05-01"), 200},
		{with("2000-05-02"), 400}, // later
		{with(""), 400},           // removal
		{plant, 200},              // absent: kept
		{with("1999-12-31"), 200}, // earlier
		{with("2000-01-01"), 400}, // later than the new one
	} {
		got, body := call(t, s, "POST", "/api/import/test/plant", testKey, st.body)
		if got != st.want {
			t.Errorf("step %d: %d %v, want %d", i, got, body, st.want)
		}
		if got == 400 && len(errorsOf(body)["connectedDate"]) == 0 {
			t.Errorf("step %d: the 400 does not name connectedDate: %v", i, body)
		}
	}
	doc, _ := s.Plant("test", "707057500026392739")
	if !strings.Contains(string(doc), `"connectedDate":"1999-12-31"`) {
		t.Errorf("stored %s, want connectedDate 1999-12-31", doc)
	}
}

func TestDownAndCounts(t *testing.T) {
	s := start(t)
	s.Down(http.StatusServiceUnavailable)
	if st, _ := call(t, s, "POST", "/api/import/test/customer", testKey, customer); st != 503 {
		t.Errorf("down: %d, want 503", st)
	}
	s.Down(0)
	call(t, s, "POST", "/api/import/test/customer", testKey, customer)
	call(t, s, "GET", "/api/customer/environment/test/bynumber/01017012343", testKey, "")
	call(t, s, "GET", "/api/customer/environment/test/bynumber/99999999999", testKey, "")
	want := map[Call]int{
		{CustomerUpsert, 503}: 1, {CustomerUpsert, 200}: 1, {CustomerGet, 200}: 1, {CustomerGet, 404}: 1,
	}
	if d := cmp.Diff(want, s.Calls()); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
	if st, _ := call(t, s, "GET", "/api/import/test/customer", testKey, ""); st != 405 {
		t.Errorf("GET on the import endpoint: %d, want 405", st)
	}
}
