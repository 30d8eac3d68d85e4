package cubittest

import (
	"maps"
	"net/http"
	"strings"
)

const validationTitle = "One or more validation errors occurred."

func (s *Server) upsertCustomer(in *instance, r *http.Request) (int, any) {
	obj, status, body := readObject(r)
	if obj == nil {
		return status, body
	}
	ps := problems{}
	s.customer.walk(obj, "", ps)
	if a, ok := memberObject(obj, "Address"); ok {
		checkCustomerAddress(a, ps)
	}
	if len(ps) > 0 {
		return http.StatusBadRequest, problem(http.StatusBadRequest, validationTitle, ps)
	}
	number := str(first(member(obj, "Number")))
	old, exists := in.customers[number]
	if !exists {
		old = map[string]any{}
		in.customers[number] = old
	}
	merge(old, obj)
	return upserted(exists)
}

// checkCustomerAddress applies the seed's address rules: ForeignCity and
// Country for a foreign address; a Norwegian postal code is four digits.
func checkCustomerAddress(a map[string]any, ps problems) {
	country := strings.ToUpper(str(first(member(a, "Country"))))
	foreign := country != "" && country != "NO"
	if foreign && str(first(member(a, "ForeignCity"))) == "" {
		ps.add("Address.ForeignCity", "is required for a foreign address")
	}
	if pc, ok := first(member(a, "PostalCode")).(string); ok && !foreign && !digits4.MatchString(pc) {
		ps.add("Address.PostalCode", "is not a Norwegian postal code of four digits")
	}
}

func (s *Server) upsertPlant(in *instance, r *http.Request) (int, any) {
	obj, status, body := readObject(r)
	if obj == nil {
		return status, body
	}
	ps := problems{}
	s.plant.walk(obj, "", ps)
	if len(ps) > 0 {
		return http.StatusBadRequest, problem(http.StatusBadRequest, validationTitle, ps)
	}
	id := str(first(member(obj, "meteringPointId")))
	old, exists := in.plants[id]
	if exists {
		if msg := connectedDateRule(old, obj); msg != "" {
			return http.StatusBadRequest, problem(http.StatusBadRequest, validationTitle, problems{"connectedDate": {msg}})
		}
	}
	if cp, ok := memberObject(obj, "connectionPoint"); ok {
		in.place(id, cp)
	}
	if !exists {
		old = map[string]any{}
		in.plants[id] = old
	}
	merge(old, obj)
	return upserted(exists)
}

// connectedDateRule: a connectedDate set in Cubit cannot be removed or
// changed to a later date through the API.
func connectedDateRule(old, obj map[string]any) string {
	was, ok := first(member(old, "connectedDate")).(string)
	if !ok || was == "" {
		return ""
	}
	v, key := member(obj, "connectedDate")
	if key == "" {
		return "" // not sent: kept
	}
	now, _ := v.(string)
	switch {
	case now == "":
		return "is set to " + was + " in Cubit and cannot be removed"
	case now > was: // ISO dates compare as text
		return "is " + was + " in Cubit and cannot be moved later, to " + now
	}
	return ""
}

// place puts a metering point under its connection point and creates the
// nodes of the hierarchy that are missing, by name.
func (in *instance) place(meteringPointID string, cp map[string]any) {
	cpName := str(first(member(cp, "name")))
	in.meteringPoints[meteringPointID] = cpName
	if _, ok := in.connectionPoints[cpName]; !ok {
		in.connectionPoints[cpName] = ""
	}
	tr, ok := memberObject(cp, "transformer")
	if !ok {
		return
	}
	trName := str(first(member(tr, "name")))
	in.connectionPoints[cpName] = trName
	if _, ok := in.transformers[trName]; !ok {
		in.transformers[trName] = ""
	}
	ns, ok := memberObject(tr, "netStation")
	if !ok {
		return
	}
	nsName := str(first(member(ns, "name")))
	in.transformers[trName] = nsName
	in.netStations[nsName] = true
}

func upserted(existed bool) (int, any) {
	if existed {
		return http.StatusOK, map[string]any{"result": "updated"}
	}
	return http.StatusOK, map[string]any{"result": "created"}
}

func (s *Server) getCustomer(in *instance, r *http.Request) (int, any) {
	doc, ok := in.customers[r.PathValue("number")]
	if !ok {
		return http.StatusNotFound, problem(http.StatusNotFound, "no customer with that number", nil)
	}
	return http.StatusOK, maps.Clone(doc)
}

func (s *Server) getPlant(in *instance, r *http.Request) (int, any) {
	doc, ok := in.plants[r.PathValue("id")]
	if !ok {
		return http.StatusNotFound, problem(http.StatusNotFound, "no plant with that meteringPointId", nil)
	}
	return http.StatusOK, maps.Clone(doc)
}

func first(v any, _ string) any { return v }

func memberObject(obj map[string]any, key string) (map[string]any, bool) {
	m, ok := first(member(obj, key)).(map[string]any)
	return m, ok
}
