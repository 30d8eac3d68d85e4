package invpull

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

// Lookup gives the access the inventory holds now, to complete the fields
// that a PI-API or ON-API accesses/ object does not carry (Option82 above
// all). found is false for an access the inventory does not hold.
type Lookup interface {
	Access(id string) (a inventory.Access, found bool, err error)
}

// jsonPull is the state of one ParseAccessesJSON.
type jsonPull struct {
	f       int // fmtPIAPI or fmtONAPI
	name    string
	lookup  Lookup
	today   inventory.Date
	ps      inventory.Problems
	in      []store.Incoming
	ignored map[string]bool
	body    []byte
	lineOff int // offset up to which lines are counted
	line    int // line of lineOff
}

// ParseAccessesJSON reads the answer of a PI-API 2.3 (format PIAPI) or
// ON-API 2.6 (ONAPI) GET accesses/: a JSON array of access objects. Each
// object is mapped to the inventory's access (see the package
// documentation for the mapping and the fields taken from lookup) and
// validated as the inventory's JSON import validates; a problem names the
// line where its object starts and the key. Unknown keys are skipped and
// returned. today (the KO's local date) judges dates against ON-API's
// accessState. When anything is wrong the error is an *inventory.Problems
// with every problem, and nothing must be applied; a failing lookup is
// returned as it is.
func ParseAccessesJSON(body []byte, f Format, lookup Lookup, today inventory.Date) ([]store.Incoming, []string, error) {
	j := &jsonPull{lookup: lookup, today: today, ignored: map[string]bool{}, body: body, line: 1}
	switch f {
	case PIAPI:
		j.f, j.name = fmtPIAPI, "PI-API 2.3"
	case ONAPI:
		j.f, j.name = fmtONAPI, "ON-API 2.6"
	default:
		return nil, nil, fmt.Errorf("parse accesses: %q is not a JSON format", f)
	}
	if err := j.parse(); err != nil {
		return nil, nil, err
	}
	var ignored []string
	for k := range j.ignored {
		ignored = append(ignored, k)
	}
	if len(j.ps.List) > 0 {
		return nil, ignored, &j.ps
	}
	return j.in, ignored, nil
}

// lineAt returns the line of a body offset; offsets must not decrease.
func (j *jsonPull) lineAt(off int) int {
	if off > len(j.body) {
		off = len(j.body)
	}
	if off > j.lineOff {
		j.line += bytes.Count(j.body[j.lineOff:off], []byte{'\n'})
		j.lineOff = off
	}
	return j.line
}

func (j *jsonPull) problem(line int, id, field, msg string) {
	j.ps.List = append(j.ps.List, inventory.Problem{Line: line, AccessID: id, Field: field, Message: msg})
}

func (j *jsonPull) parse() error {
	dec := json.NewDecoder(bytes.NewReader(j.body))
	t, err := dec.Token()
	if err == io.EOF {
		j.problem(1, "", "", "the answer is empty: a JSON array of accesses is needed")
		return nil
	}
	if err != nil || t != json.Delim('[') {
		j.problem(j.lineAt(int(dec.InputOffset())), "", "", "the answer is not a JSON array of accesses")
		return nil
	}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			j.problem(j.lineAt(int(dec.InputOffset())), "", "", "invalid JSON: "+err.Error())
			return nil
		}
		start := int(dec.InputOffset()) - len(raw)
		if err := j.element(raw, j.lineAt(start)); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		j.problem(j.lineAt(int(dec.InputOffset())), "", "", "invalid JSON: "+err.Error())
		return nil
	}
	if _, err := dec.Token(); err != io.EOF {
		j.problem(j.lineAt(int(dec.InputOffset())), "", "", "something follows the array of accesses")
	}
	return nil
}

// members splits an object into its members by key index; unknown keys
// are noted, repeated keys are problems. ok is false when raw is not an
// object.
func (j *jsonPull) members(raw json.RawMessage, line int) (vals map[int]json.RawMessage, id string, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		j.problem(line, "", "", "an element of the array is not an access object")
		return nil, "", false
	}
	vals = map[int]json.RawMessage{}
	for dec.More() {
		t, _ := dec.Token() // raw is valid JSON: a key
		key := t.(string)
		var v json.RawMessage
		_ = dec.Decode(&v)
		i, known := keyIndex[key]
		switch {
		case !known:
			j.ignored[key] = true
		case vals[i] != nil:
			j.problem(line, "", key, "appears twice in one access")
		default:
			vals[i] = v
		}
	}
	if v, ok := vals[keyIndex["accessId"]]; ok {
		_ = json.Unmarshal(v, &id)
	}
	return vals, id, true
}

// element maps one access object that starts on line.
func (j *jsonPull) element(raw json.RawMessage, line int) error {
	first := len(j.ps.List)
	vals, id, ok := j.members(raw, line)
	if !ok {
		return nil
	}
	for i := first; i < len(j.ps.List); i++ {
		j.ps.List[i].AccessID = id
	}
	var a, base inventory.Access
	found := false
	if j.lookup != nil && id != "" {
		var err error
		if base, found, err = j.lookup.Access(id); err != nil {
			return fmt.Errorf("look up access %q: %w", id, err)
		}
	}
	if found {
		a = base // the fields this format does not carry
	}
	for _, k := range jsonKeys {
		if k.carried[j.f] {
			k.clear(&a)
		}
	}
	j.setMembers(&a, vals, line, id)
	j.required(vals, line, id)
	var baseP *inventory.Access
	if found {
		baseP = &base
	}
	j.derive(&a, vals, baseP, line, id)
	a = inventory.Normalize(a)
	optionMissing := a.Option82 == ""
	if optionMissing {
		j.problem(line, id, "option82", "is required: "+j.name+" accesses do not carry it, and the inventory does not hold this access yet; "+
			"import it first by CSV or PI V1, or have the source send accessd's option82 key")
	}
	if err := inventory.Validate(a, inventory.JSON); err != nil {
		var vps *inventory.Problems
		if !errors.As(err, &vps) {
			return err
		}
		for _, vp := range vps.List {
			if vp.Field == "option82" && optionMissing {
				continue // said above, with why
			}
			j.problem(line, id, vp.Field, vp.Message)
		}
	}
	if len(j.ps.List) == first {
		j.in = append(j.in, store.Incoming{Line: line, Access: a})
	}
	return nil
}

// setMembers sets every scalar and dhcpIdentifier member of vals on a.
func (j *jsonPull) setMembers(a *inventory.Access, vals map[int]json.RawMessage, line int, id string) {
	for i, k := range jsonKeys {
		v, ok := vals[i]
		if !ok {
			continue
		}
		switch k.kind {
		case vServices:
			continue // derive
		case vDHCP:
			var d struct {
				CircuitID *string `json:"ipv4CircuitId"`
				RemoteID  *string `json:"ipv4RemoteId"`
			}
			if err := json.Unmarshal(v, &d); err != nil || string(v) == "null" {
				j.problem(line, id, k.name, "is not an object of ipv4CircuitId and ipv4RemoteId strings")
				continue
			}
			a.DHCPIdentifier = inventory.DHCPIdentifier{}
			if d.CircuitID != nil {
				a.DHCPIdentifier.IPv4CircuitID = *d.CircuitID
			}
			if d.RemoteID != nil {
				a.DHCPIdentifier.IPv4RemoteID = *d.RemoteID
			}
			continue
		}
		s, n, b, msg := decodeScalar(k.kind, v)
		if msg != "" {
			j.problem(line, id, k.name, msg)
			continue
		}
		k.set(a, s, n, b)
	}
}

// required reports the keys the format makes mandatory that the
// inventory's validation does not: PI-API's services, ON-API's priceGroup
// and accessState.
func (j *jsonPull) required(vals map[int]json.RawMessage, line int, id string) {
	var keys []string
	if j.f == fmtPIAPI {
		keys = []string{"services"}
	} else {
		keys = []string{"priceGroup", "accessState"}
	}
	for _, k := range keys {
		if _, ok := vals[keyIndex[k]]; !ok {
			j.problem(line, id, k, "is required in "+j.name)
		}
	}
}

// service is one entry of PI-API's services.
type service struct {
	Service    *string `json:"service"`
	Connection *string `json:"connection"`
}

// connection derives Activatable from PI-API's services: YES when any
// service's connection is YES, else the earliest date, else NO (no
// service, or all NO).
func (j *jsonPull) connection(raw json.RawMessage, line int, id string) (inventory.Availability, bool) {
	var svcs []service
	if err := json.Unmarshal(raw, &svcs); err != nil || string(raw) == "null" {
		j.problem(line, id, "services", "is not an array of {service, connection} objects")
		return "", false
	}
	out, ok := inventory.No, true
	var earliest inventory.Date
	haveDate := false
	for i, s := range svcs {
		at := "services[" + strconv.Itoa(i) + "]"
		if s.Service == nil || *s.Service == "" {
			j.problem(line, id, at+".service", "is required")
			ok = false
		}
		c := inventory.Availability("")
		if s.Connection != nil {
			c = inventory.Availability(*s.Connection)
		}
		d, isDate := c.Date()
		switch {
		case c == inventory.Yes:
			out = inventory.Yes
		case c == inventory.No:
		case isDate && c.Valid():
			if !haveDate || d.Before(earliest) {
				earliest, haveDate = d, true
			}
		default:
			j.problem(line, id, at+".connection", strconv.Quote(string(c))+" is not YES, NO or a date YYYY-MM-DD from 1970-01-01")
			ok = false
		}
	}
	if out != inventory.Yes && haveDate {
		out = inventory.Availability(earliest.String())
	}
	return out, ok
}

// derive fills Activatable and Sellable, which neither standard carries,
// unless the object gives them: see the package documentation.
func (j *jsonPull) derive(a *inventory.Access, vals map[int]json.RawMessage, base *inventory.Access, line int, id string) {
	_, givenAct := vals[keyIndex["activatable"]]
	_, givenSell := vals[keyIndex["sellable"]]
	if j.f == fmtPIAPI {
		raw, ok := vals[keyIndex["services"]]
		if !ok {
			return
		}
		conn, ok := j.connection(raw, line, id)
		if ok && !givenAct {
			a.Activatable = conn
		}
		if ok && !givenSell && base == nil {
			a.Sellable = a.Activatable
		}
		return
	}
	reached := func(v inventory.Availability) bool {
		if v == inventory.Yes {
			return true
		}
		d, ok := v.Date()
		return ok && v.Valid() && !j.today.Before(d)
	}
	notReached := func(v inventory.Availability) bool { return v.Valid() && !reached(v) }
	switch inventory.Normalize(inventory.Access{AccessState: a.AccessState}).AccessState {
	case "CONNECTED":
		if !givenAct && !reached(a.Activatable) {
			a.Activatable = inventory.Yes
		}
		if !givenSell && !reached(a.Sellable) {
			a.Sellable = inventory.Yes
		}
	case "DISCONNECTED", "OUTMIGRATION":
		if !givenAct {
			a.Activatable = inventory.No
		}
		if !givenSell {
			a.Sellable = inventory.No
		}
	default: // not connected yet: keep a future date, else NO
		if !givenAct && !notReached(a.Activatable) {
			a.Activatable = inventory.No
		}
		if !givenSell && !a.Sellable.Valid() {
			a.Sellable = inventory.No
		}
	}
}
