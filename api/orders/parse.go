package orders

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stadsnat/accessd/store"
)

// FieldError is a bad order: the field and what is wrong, as the cause of
// a 400 says it ("Missing accessId", "Invalid spReference: …").
type FieldError struct {
	Field string
	Msg   string // empty: the field is missing
}

func (e *FieldError) Error() string {
	if e.Msg == "" {
		return "Missing " + e.Field
	}
	return "Invalid " + e.Field + ": " + e.Msg
}

// Request is an order as PI-API or ON-API posts it, checked.
type Request struct {
	AccessID         string
	Service          string
	Operation        store.Operation
	ForcedTakeover   bool
	Equipment        []store.Equipment
	SPReference      string
	SPSubscriptionID string
	SubscriptionID   string    // ON-API DEACTIVATE
	RequestedAt      time.Time // ON-API requestedDateTime; zero = now
	RequestedText    string    // requestedDateTime as sent (echoed)
	// Customer is PI-API 2.2's customer and deliveryAddress (personal
	// data: never log it).
	Customer *store.Customer
}

// Dialect is what a body is read as.
type Dialect int

// Dialects of order bodies.
const (
	PI23 Dialect = iota // PI-API 2.3: spReference, no customer data
	PI22                // PI-API 2.2: customer and deliveryAddress with ACTIVATE
	ON26                // ON-API 2.6
)

var (
	rePIAccess = regexp.MustCompile(`^[a-zA-Z0-9]{1,32}$`)
	reONID     = regexp.MustCompile(`^[-0-9a-zA-Z.]{1,36}$`)
	reMAC      = regexp.MustCompile(`^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$`)
	reSSN      = regexp.MustCompile(`^[0-9]{12}$`)
	rePhone    = regexp.MustCompile(`^[+0-9][-0-9 ]*$`)
)

// maxBody bounds an order body.
const maxBody = 64 << 10

// Parse reads and checks an order body. Fields must have the right JSON
// type and must not be null (PI-API: "every field must be present and not
// null"; ON-API: an optional field may be null, meaning absent). Unknown
// fields are refused, so that a typo is not silently an absent field.
func Parse(body []byte, d Dialect) (Request, error) {
	var r Request
	obj, err := decodeObject(body, d)
	if err != nil {
		return r, err
	}
	if err := parseOperation(obj, d, &r); err != nil {
		return r, err
	}
	if err := parseTarget(obj, d, &r); err != nil {
		return r, err
	}
	if err := parseCommon(obj, d, &r); err != nil {
		return r, err
	}
	switch d {
	case ON26:
		return r, parseON(obj, &r)
	case PI22:
		return r, parseCustomer(obj, &r)
	}
	if utf8.RuneCountInString(r.SPReference) > 255 {
		return r, &FieldError{"spReference", "longer than 255 characters"}
	}
	return r, nil
}

// decodeObject reads the body as one JSON object of known fields; ON-API's
// nulls are dropped (absent), PI-API's refused.
func decodeObject(body []byte, d Dialect) (map[string]json.RawMessage, error) {
	if len(body) > maxBody {
		return nil, &FieldError{"JSON", fmt.Sprintf("longer than %d bytes", maxBody)}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, jsonError(body, err)
	}
	if obj == nil {
		return nil, &FieldError{"JSON", "not an object"}
	}
	known := []string{"accessId", "service", "operation", "forcedTakeover", "equipment", "spReference"}
	switch d {
	case PI22:
		known = append(known, "customer", "deliveryAddress")
	case ON26:
		known = append(known, "spSubscriptionId", "requestedDateTime", "subscriptionId", "characteristics", "externalNote")
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if !slices.Contains(known, k) {
			if (k == "customer" || k == "deliveryAddress") && d == PI23 {
				return nil, &FieldError{k, "PI-API 2.3 takes no customer data (the KO keeps only spReference)"}
			}
			return nil, &FieldError{fmt.Sprintf("%q", clip(k)), "unknown field"}
		}
		if bytes.Equal(bytes.TrimSpace(obj[k]), []byte("null")) {
			if d == ON26 {
				delete(obj, k) // ON-API: null is absent
				continue
			}
			return nil, &FieldError{k, "must not be null"}
		}
	}
	return obj, nil
}

// parseOperation reads operation: ACTIVATE or DEACTIVATE (ON-API's other
// operations are named as unsupported).
func parseOperation(obj map[string]json.RawMessage, d Dialect, r *Request) error {
	var op string
	if err := str(obj, "operation", &op, true); err != nil {
		return err
	}
	r.Operation = store.Operation(op)
	switch r.Operation {
	case store.Activate, store.Deactivate:
		return nil
	case "SUSPEND", "RESUME", "MODIFY", "CHANGE":
		if d == ON26 {
			return &FieldError{"operation", fmt.Sprintf("'%s' is not supported by this CO (only ACTIVATE and DEACTIVATE)", op)}
		}
	}
	return &FieldError{"operation", fmt.Sprintf("'%s': must be ACTIVATE or DEACTIVATE", clip(op))}
}

// parseTarget reads what the order is about: accessId and service, or
// ON-API's subscriptionId for a DEACTIVATE.
func parseTarget(obj map[string]json.RawMessage, d Dialect, r *Request) error {
	act := r.Operation == store.Activate
	needAccess := d != ON26 || act
	if d == ON26 {
		if err := id(obj, "subscriptionId", &r.SubscriptionID); err != nil {
			return err
		}
		if !act && r.SubscriptionID == "" {
			needAccess = true // PI style: accessId and service name the service
		}
	}
	if err := str(obj, "accessId", &r.AccessID, needAccess); err != nil {
		return err
	}
	if r.AccessID != "" {
		if (d != ON26 && !rePIAccess.MatchString(r.AccessID)) || (d == ON26 && !reONID.MatchString(r.AccessID)) {
			return &FieldError{"accessId", "not an access id"}
		}
	}
	if err := str(obj, "service", &r.Service, needAccess); err != nil {
		return err
	}
	if len(r.Service) > 255 {
		return &FieldError{"service", "longer than 255 characters"}
	}
	return nil
}

// parseCommon reads forcedTakeover, equipment and spReference.
func parseCommon(obj map[string]json.RawMessage, d Dialect, r *Request) error {
	act := r.Operation == store.Activate
	if _, ok := obj["forcedTakeover"]; ok || (act && d != ON26) {
		if err := boolean(obj, "forcedTakeover", &r.ForcedTakeover); err != nil {
			return err
		}
	}
	if !act && r.ForcedTakeover {
		return &FieldError{"forcedTakeover", "only for ACTIVATE"}
	}
	if err := equipment(obj, &r.Equipment); err != nil {
		return err
	}
	return str(obj, "spReference", &r.SPReference, false)
}

// parseON reads ON-API 2.6's own fields.
func parseON(obj map[string]json.RawMessage, r *Request) error {
	if r.SPReference != "" && !reONID.MatchString(r.SPReference) {
		return &FieldError{"spReference", "not an ID (1–36 of a-z, A-Z, 0-9, '-', '.')"}
	}
	if err := id(obj, "spSubscriptionId", &r.SPSubscriptionID); err != nil {
		return err
	}
	var when string
	if err := str(obj, "requestedDateTime", &when, false); err != nil {
		return err
	}
	if when != "" {
		t, err := ParseDateTime(when)
		if err != nil {
			return &FieldError{"requestedDateTime", err.Error()}
		}
		r.RequestedAt, r.RequestedText = t, when
	}
	if _, ok := obj["characteristics"]; ok {
		return &FieldError{"characteristics", "not supported by this CO"}
	}
	return nil
}

// parseCustomer reads PI-API 2.2's customer and deliveryAddress: required
// with ACTIVATE, refused with DEACTIVATE.
func parseCustomer(obj map[string]json.RawMessage, r *Request) error {
	if utf8.RuneCountInString(r.SPReference) > 255 {
		return &FieldError{"spReference", "longer than 255 characters"}
	}
	act := r.Operation == store.Activate
	_, hasC := obj["customer"]
	_, hasA := obj["deliveryAddress"]
	switch {
	case act && !hasC:
		return &FieldError{Field: "customer"}
	case act && !hasA:
		return &FieldError{Field: "deliveryAddress"}
	case !act && (hasC || hasA):
		return &FieldError{"customer", "not sent with DEACTIVATE"}
	case !act:
		return nil
	}
	c, err := customer(obj["customer"], obj["deliveryAddress"])
	r.Customer = c
	return err
}

// id reads an optional ON-API ID field.
func id(obj map[string]json.RawMessage, k string, dst *string) error {
	if err := str(obj, k, dst, false); err != nil {
		return err
	}
	if *dst != "" && !reONID.MatchString(*dst) {
		return &FieldError{k, "not an ID (1–36 of a-z, A-Z, 0-9, '-', '.')"}
	}
	return nil
}

// reDateTime is dataformats.md's dateTime: RFC 3339 with up to four
// decimals on the seconds (the examples: 1985-04-12T23:20:50.52Z,
// 1985-04-12T23:20:50.0053Z, 1990-12-31T23:59:60Z). The zone is Z, the
// text's UTC; an RFC 3339 offset is accepted too, being as exact.
var reDateTime = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)

// ParseDateTime parses ON-API's dateTime. A leap second (:60) is the
// instant the next minute begins (Go's time has none).
func ParseDateTime(s string) (time.Time, error) {
	m := reDateTime.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, errors.New("not an RFC 3339 date and time such as 2019-02-05T00:00:00Z")
	}
	if len(m[7]) > 5 {
		return time.Time{}, errors.New("more than four decimals on the seconds")
	}
	leap := m[6] == "60"
	norm := s
	if leap {
		norm = s[:17] + "59" + s[19:]
	}
	t, err := time.Parse(time.RFC3339Nano, norm)
	if err != nil || (leap && (m[4] != "23" || m[5] != "59") && m[8] == "Z") {
		return time.Time{}, errors.New("not a valid date and time")
	}
	if leap {
		t = t.Add(time.Second)
	}
	return t.UTC(), nil
}

// jsonError names the byte offset of a syntax error.
func jsonError(body []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &FieldError{"JSON", fmt.Sprintf("%s at byte offset %d", se.Error(), se.Offset)}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &FieldError{"JSON", "not an object"}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return &FieldError{"JSON", "empty body"}
	}
	return &FieldError{"JSON", err.Error()}
}

func str(obj map[string]json.RawMessage, k string, dst *string, required bool) error {
	v, ok := obj[k]
	if !ok {
		if required {
			return &FieldError{Field: k}
		}
		return nil
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return &FieldError{k, "must be a string"}
	}
	if strings.IndexFunc(*dst, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return &FieldError{k, "has control characters"}
	}
	if required && *dst == "" {
		return &FieldError{Field: k}
	}
	return nil
}

func boolean(obj map[string]json.RawMessage, k string, dst *bool) error {
	v, ok := obj[k]
	if !ok {
		return &FieldError{Field: k}
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return &FieldError{k, "must be true or false"}
	}
	return nil
}

func equipment(obj map[string]json.RawMessage, dst *[]store.Equipment) error {
	v, ok := obj["equipment"]
	if !ok {
		return nil
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(v, &list); err != nil {
		return &FieldError{"equipment", "must be a list of objects"}
	}
	if len(list) > 32 {
		return &FieldError{"equipment", "more than 32 items"}
	}
	for i, e := range list {
		f := fmt.Sprintf("equipment[%d]", i)
		var eq store.Equipment
		for k := range e {
			if k != "vendorId" && k != "macAddress" {
				return &FieldError{fmt.Sprintf("%s.%q", f, clip(k)), "unknown field"}
			}
		}
		if err := str(e, "vendorId", &eq.VendorID, true); err != nil {
			return &FieldError{f + ".vendorId", err.(*FieldError).Msg}
		}
		if len(eq.VendorID) > 255 {
			return &FieldError{f + ".vendorId", "longer than 255 characters"}
		}
		if m, ok := e["macAddress"]; ok && !bytes.Equal(bytes.TrimSpace(m), []byte("null")) {
			if err := str(e, "macAddress", &eq.MACAddress, false); err != nil || !reMAC.MatchString(eq.MACAddress) {
				return &FieldError{f + ".macAddress", "not a MAC address AA:BB:CC:DD:EE:FF"}
			}
			eq.MACAddress = strings.ToUpper(eq.MACAddress)
		}
		*dst = append(*dst, eq)
	}
	return nil
}

// customer checks PI-API 2.2's customer and deliveryAddress. The
// attributes of the specification's example must be there ("Missing
// customer.firstName"), but every attribute may be empty; those given
// must have the right form. deliveryAddress's phone may come as the
// example's smsNotificationPhone or the field table's mobilePhone, so
// neither is required. The messages never repeat the values (personal
// data).
func customer(cRaw, aRaw json.RawMessage) (*store.Customer, error) {
	var c map[string]json.RawMessage
	if err := json.Unmarshal(cRaw, &c); err != nil || c == nil {
		return nil, &FieldError{"customer", "must be an object"}
	}
	var a map[string]json.RawMessage
	if err := json.Unmarshal(aRaw, &a); err != nil || a == nil {
		return nil, &FieldError{"deliveryAddress", "must be an object"}
	}
	out := &store.Customer{}
	const phone = "a phone number such as +4631650000"
	fields := []struct {
		obj      map[string]json.RawMessage
		pre      string
		name     string
		required bool
		dst      *string
		re       *regexp.Regexp
		form     string
	}{
		{c, "customer.", "firstName", true, &out.FirstName, nil, ""},
		{c, "customer.", "lastName", true, &out.LastName, nil, ""},
		{c, "customer.", "socialSecurityNumber", true, &out.SocialSecurityNumber, reSSN, "yyyymmddnnnn"},
		{c, "customer.", "email", true, &out.Email, nil, ""},
		{c, "customer.", "phone", true, &out.Phone, rePhone, phone},
		{c, "customer.", "mobilePhone", true, &out.MobilePhone, rePhone, phone},
		{a, "deliveryAddress.", "smsNotificationPhone", false, &out.SMSNotificationPhone, rePhone, phone},
		{a, "deliveryAddress.", "streetName", true, &out.StreetName, nil, ""},
		{a, "deliveryAddress.", "streetNumber", true, &out.StreetNumber, nil, ""},
		{a, "deliveryAddress.", "streetLittera", true, &out.StreetLittera, nil, ""},
		{a, "deliveryAddress.", "zipCode", true, &out.ZipCode, nil, ""},
		{a, "deliveryAddress.", "city", true, &out.City, nil, ""},
		{a, "deliveryAddress.", "mobilePhone", false, new(string), rePhone, phone},
	}
	seen := map[string]bool{}
	for _, f := range fields {
		seen[f.pre+f.name] = true
		if _, ok := f.obj[f.name]; f.required && !ok {
			return nil, &FieldError{Field: f.pre + f.name}
		}
		if err := str(f.obj, f.name, f.dst, false); err != nil {
			return nil, &FieldError{f.pre + f.name, err.(*FieldError).Msg}
		}
		if len(*f.dst) > 255 {
			return nil, &FieldError{f.pre + f.name, "longer than 255 characters"}
		}
		if *f.dst != "" && f.re != nil && !f.re.MatchString(*f.dst) {
			return nil, &FieldError{f.pre + f.name, "not in the form " + f.form}
		}
	}
	if out.Email != "" && !strings.Contains(out.Email, "@") {
		return nil, &FieldError{"customer.email", "not an e-mail address"}
	}
	for _, o := range []struct {
		obj map[string]json.RawMessage
		pre string
	}{{c, "customer."}, {a, "deliveryAddress."}} {
		for k := range o.obj {
			if !seen[o.pre+k] {
				return nil, &FieldError{fmt.Sprintf("%s%q", o.pre, clip(k)), "unknown field"}
			}
		}
	}
	return out, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
