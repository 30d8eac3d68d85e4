// Package cubittest is a Cubit for tests, written from the seed "API for
// kunde og anlegg" and enforcing it: the api-key header (missing or unknown
// → 401, a key of the other environment → 400), the environments test and
// prod, valid JSON with the seed's keys and types (→ 400 with a body
// naming every fault), required fields, formats (Number, meteringPointId,
// dates, postal codes as four-digit strings, status values, WGS84 ranges),
// upsert semantics keyed by Number and meteringPointId, the grid hierarchy
// netStation → transformer → connectionPoint created by name when missing,
// and a connectedDate that cannot be removed or moved later. It counts
// every call.
//
// Where the seed is silent the server assumes, and says so here:
//   - keys match in any case and an unknown key is a 400 (an ASP.NET Core
//     service binds case-insensitively; refusing unknown keys catches a
//     client's misspelt key);
//   - a 400 body is an RFC 9457 problem document {"title", "status",
//     "errors": {"path": ["message"]}}, as ASP.NET Core writes;
//   - an unknown api-key is 401 like a missing one;
//   - an update replaces the members it carries and keeps the others;
//   - a GET of an unknown object is 404; a GET answers the object in the
//     import's form, keys as they were sent;
//   - a connectedDate moved later, or sent empty to remove it, is refused
//     with 400 (the seed says it "is not possible").
package cubittest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
)

// Endpoints, as Calls names them.
const (
	CustomerUpsert = "customer_upsert"
	PlantUpsert    = "plant_upsert"
	CustomerGet    = "customer_get"
	PlantGet       = "plant_get"
)

// Call is one counted call: the endpoint and the status answered.
type Call struct {
	Endpoint string
	Status   int
}

// Config sets up a Server.
type Config struct {
	// Keys maps an environment (test, prod) to its api-key.
	Keys map[string]string
	// NumberFormat, when set, is the customer number format agreed with
	// Cubit (an RE2 expression for the whole value) instead of 11 or 9
	// digits.
	NumberFormat string
}

// Server is a running test Cubit. Its state is per environment.
type Server struct {
	*httptest.Server
	keys     map[string]string
	customer schema
	plant    schema

	mu     sync.Mutex
	envs   map[string]*instance
	calls  map[Call]int
	downAt int // status answered to every call; 0 when up
}

// instance is the data of one environment.
type instance struct {
	customers map[string]map[string]any // by Number
	plants    map[string]map[string]any // by meteringPointId
	// The grid: child name ⇒ parent name; a metering point ⇒ its
	// connection point.
	netStations      map[string]bool
	transformers     map[string]string
	connectionPoints map[string]string
	meteringPoints   map[string]string
}

func newInstance() *instance {
	return &instance{
		customers: map[string]map[string]any{}, plants: map[string]map[string]any{},
		netStations: map[string]bool{}, transformers: map[string]string{},
		connectionPoints: map[string]string{}, meteringPoints: map[string]string{},
	}
}

// New starts a test Cubit.
func New(cfg Config) (*Server, error) {
	numberRe := regexp.MustCompile(`^([0-9]{11}|[0-9]{9})$`)
	what := "11 digits (a personal number) or 9 digits (an organisation number)"
	if cfg.NumberFormat != "" {
		re, err := regexp.Compile(`^(?:` + cfg.NumberFormat + `)$`)
		if err != nil {
			return nil, fmt.Errorf("cubittest: number format: %w", err)
		}
		numberRe, what = re, "in the number format agreed with Cubit"
	}
	s := &Server{
		keys: maps.Clone(cfg.Keys), customer: customerSchema(match(numberRe, what)), plant: plantSchema(match(numberRe, what)),
		envs: map[string]*instance{"test": newInstance(), "prod": newInstance()}, calls: map[Call]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/import/{environment}/customer", s.handle(CustomerUpsert, s.upsertCustomer))
	mux.HandleFunc("POST /api/import/{environment}/plant", s.handle(PlantUpsert, s.upsertPlant))
	mux.HandleFunc("GET /api/customer/environment/{environment}/bynumber/{number}", s.handle(CustomerGet, s.getCustomer))
	mux.HandleFunc("GET /api/plant/{environment}/getDataForImport/{id}", s.handle(PlantGet, s.getPlant))
	s.Server = httptest.NewServer(mux)
	return s, nil
}

// Calls returns how often each endpoint answered each status.
func (s *Server) Calls() map[Call]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// Count returns how often endpoint answered status.
func (s *Server) Count(endpoint string, status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[Call{endpoint, status}]
}

// Down makes every call answer status (e.g. 503) until Down(0).
func (s *Server) Down(status int) {
	s.mu.Lock()
	s.downAt = status
	s.mu.Unlock()
}

// Customer returns the JSON Cubit holds for a customer of env.
func (s *Server) Customer(env, number string) (json.RawMessage, bool) {
	return s.stored(env, func(in *instance) map[string]any { return in.customers[number] })
}

// Plant returns the JSON Cubit holds for a plant of env.
func (s *Server) Plant(env, meteringPointID string) (json.RawMessage, bool) {
	return s.stored(env, func(in *instance) map[string]any { return in.plants[meteringPointID] })
}

func (s *Server) stored(env string, get func(*instance) map[string]any) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.envs[env]
	if !ok {
		return nil, false
	}
	doc := get(in)
	if doc == nil {
		return nil, false
	}
	b, _ := json.Marshal(doc)
	return b, true
}

// Grid is the hierarchy of an environment: child ⇒ parent.
type Grid struct {
	NetStations      []string
	Transformers     map[string]string // transformer ⇒ netStation ("" when none)
	ConnectionPoints map[string]string // connectionPoint ⇒ transformer
	MeteringPoints   map[string]string // meteringPointId ⇒ connectionPoint
}

// Grid returns env's hierarchy.
func (s *Server) Grid(env string) Grid {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.envs[env]
	g := Grid{Transformers: maps.Clone(in.transformers), ConnectionPoints: maps.Clone(in.connectionPoints), MeteringPoints: maps.Clone(in.meteringPoints)}
	for n := range in.netStations {
		g.NetStations = append(g.NetStations, n)
	}
	return g
}

// maxBody bounds a request body.
const maxBody = 1 << 20

// handler serves one endpoint for an authorised environment; it returns
// the status and body to answer.
type handler func(in *instance, r *http.Request) (int, any)

// handle applies the api-key rules, counts the call and writes the answer.
func (s *Server) handle(endpoint string, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		status, body := s.serve(r, h)
		s.calls[Call{endpoint, status}]++
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `api-key header="api-key"`)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if status >= 400 {
			w.Header().Set("Content-Type", "application/problem+json; charset=utf-8")
		}
		w.WriteHeader(status)
		if body != nil {
			json.NewEncoder(w).Encode(body)
		}
	}
}

func (s *Server) serve(r *http.Request, h handler) (int, any) {
	if s.downAt != 0 {
		return s.downAt, problem(s.downAt, "the test Cubit is down", nil)
	}
	env := r.PathValue("environment")
	key := r.Header.Get("api-key")
	keyEnv := ""
	for e, k := range s.keys {
		if k != "" && k == key {
			keyEnv = e
		}
	}
	switch {
	case key == "":
		return http.StatusUnauthorized, problem(http.StatusUnauthorized, "the api-key header is missing", nil)
	case keyEnv == "":
		return http.StatusUnauthorized, problem(http.StatusUnauthorized, "unknown api-key", nil)
	case env != "test" && env != "prod":
		return http.StatusBadRequest, problem(http.StatusBadRequest, "environment must be test or prod", nil)
	case keyEnv != env:
		return http.StatusBadRequest, problem(http.StatusBadRequest, "the api-key does not match environment "+env, nil)
	}
	return h(s.envs[env], r)
}

// problem is an ASP.NET Core style problem document.
func problem(status int, title string, ps problems) map[string]any {
	doc := map[string]any{"title": title, "status": status}
	if len(ps) > 0 {
		doc["errors"] = ps
	}
	return doc
}

// readObject reads a JSON object body, enforcing the media type, the size
// and valid JSON.
func readObject(r *http.Request) (map[string]any, int, any) {
	ct := r.Header.Get("Content-Type")
	if mt, _, _ := strings.Cut(ct, ";"); !strings.EqualFold(strings.TrimSpace(mt), "application/json") {
		return nil, http.StatusUnsupportedMediaType, problem(http.StatusUnsupportedMediaType, "the body must be application/json", nil)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, maxBody)); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, http.StatusRequestEntityTooLarge, problem(http.StatusRequestEntityTooLarge, "the body is too large", nil)
		}
		return nil, http.StatusBadRequest, problem(http.StatusBadRequest, "the body could not be read", nil)
	}
	dec := json.NewDecoder(&buf)
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil && dec.More() {
		err = errors.New("data after the JSON value")
	}
	if err != nil {
		return nil, http.StatusBadRequest, problem(http.StatusBadRequest, "the body is not valid JSON",
			problems{"$": {err.Error()}})
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, http.StatusBadRequest, problem(http.StatusBadRequest, "the body must be a JSON object", nil)
	}
	return obj, 0, nil
}

// member returns obj's member key in any case, and the key as spelled.
func member(obj map[string]any, key string) (any, string) {
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v, k
		}
	}
	return nil, ""
}

// merge sets every member of src in dst, replacing members of the same key
// in any case.
func merge(dst, src map[string]any) {
	for k, v := range src {
		if _, old := member(dst, k); old != "" {
			delete(dst, old)
		}
		dst[k] = v
	}
}
