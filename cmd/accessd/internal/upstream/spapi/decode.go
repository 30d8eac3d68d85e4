package spapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"
)

// maxRef is spReference's limit in characters.
const maxRef = 255

// member is one decoded member of an answer's object: present and not null
// are both required ("Gemensamt för alla fält är att de måste finnas i
// JSON-strukturen och inte vara null").
func stringMember(obj map[string]json.RawMessage, key string) (string, string) {
	raw, ok := obj[key]
	switch {
	case !ok:
		return "", "is missing; every field must be present"
	case string(raw) == "null":
		return "", "is null; no field may be null"
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", "is not a string"
	}
	if !utf8.ValidString(s) {
		return "", "is not valid UTF-8"
	}
	return s, ""
}

// decodeCustomer decodes the customer object, which is required and whose
// four attributes are required (they may be empty).
func decodeCustomer(obj map[string]json.RawMessage) (Customer, string, string) {
	raw, ok := obj["customer"]
	if !ok || string(raw) == "null" {
		return Customer{}, "customer", "is missing; the customer object is always sent"
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return Customer{}, "customer", "is not an object"
	}
	var c Customer
	for _, f := range []struct {
		key string
		dst *string
	}{{"name", &c.Name}, {"email", &c.Email}, {"phone", &c.Phone}, {"mobilePhone", &c.MobilePhone}} {
		s, msg := stringMember(fields, f.key)
		if msg != "" {
			return Customer{}, "customer." + f.key, msg
		}
		*f.dst = s
	}
	return c, "", ""
}

func spReference(obj map[string]json.RawMessage) (string, string) {
	s, msg := stringMember(obj, "spReference")
	if msg == "" && utf8.RuneCountInString(s) > maxRef {
		msg = fmt.Sprintf("is longer than %d characters", maxRef)
	}
	return s, msg
}

// DecodeAccess decodes the answer of GET {root}access/{accessId}: an
// object keyed by service, each with customer and spReference (the
// specification's example writes `"spReference: ""`, which is not JSON;
// "spReference": "" is meant). Unknown members are ignored (ON-API 2.3.1
// adds accessId). The services are
// returned in the answer's order, each with accessID filled in.
func DecodeAccess(b []byte, accessID string) ([]Service, error) {
	bad := func(where, field, msg string) error {
		return &FormatError{Call: "access", Where: where, Field: field, Msg: msg}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, bad("", "", "not a JSON object keyed by service")
	}
	var out []Service
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, bad("", "", "invalid JSON: "+err.Error())
		}
		key := t.(string)
		var obj map[string]json.RawMessage
		if err := dec.Decode(&obj); err != nil || obj == nil {
			return nil, bad(key, "", "is not an object")
		}
		switch {
		case key == "":
			return nil, bad(key, "service", "is empty")
		case seen[key]:
			return nil, bad(key, "", "appears twice")
		}
		seen[key] = true
		cu, field, msg := decodeCustomer(obj)
		if msg != "" {
			return nil, bad(key, field, msg)
		}
		ref, msg := spReference(obj)
		if msg != "" {
			return nil, bad(key, "spReference", msg)
		}
		out = append(out, Service{Service: key, Customer: cu, SPReference: ref, AccessID: accessID})
	}
	if _, err := dec.Token(); err != nil {
		return nil, bad("", "", "invalid JSON: "+err.Error())
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad("", "", "data after the JSON object")
	}
	return out, nil
}

// DecodeServices decodes the answer of GET {root}services/?spReference=:
// line-delimited JSON (application/x-ldjson), one object per service with
// service, customer, accessId and spReference; blank lines are skipped.
// Every service must carry the spReference asked for.
func DecodeServices(b []byte, ref string) ([]Service, error) {
	var out []Service
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), len(b)+1)
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		bad := func(field, msg string) error {
			return &FormatError{Call: "services", Line: line, Field: field, Msg: msg}
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(text, &obj); err != nil || obj == nil {
			return nil, bad("", "not a JSON object")
		}
		var s Service
		var msg string
		if s.Service, msg = stringMember(obj, "service"); msg != "" {
			return nil, bad("service", msg)
		}
		if s.Service == "" {
			return nil, bad("service", "is empty")
		}
		if s.AccessID, msg = stringMember(obj, "accessId"); msg != "" {
			return nil, bad("accessId", msg)
		}
		if s.AccessID == "" {
			return nil, bad("accessId", "is empty")
		}
		var field string
		if s.Customer, field, msg = decodeCustomer(obj); msg != "" {
			return nil, bad(field, msg)
		}
		if s.SPReference, msg = spReference(obj); msg != "" {
			return nil, bad("spReference", msg)
		}
		if s.SPReference != ref {
			return nil, bad("spReference", "is not the spReference asked for")
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, &FormatError{Call: "services", Msg: err.Error()}
	}
	return out, nil
}
