package cubit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// DecodeCustomer decodes Cubit's answer to a customer GET. The seed does
// not show that answer; it is taken to be the import's shape, decoded
// tolerantly: keys in any case, unknown keys ignored, whole numbers and
// strings accepted for each other (a postal code written 485 becomes
// "0485"). A missing Number, a value of an impossible type or anything
// that is not one JSON object is an error naming the key.
func DecodeCustomer(b []byte) (Customer, error) {
	var cu Customer
	if err := decodeTolerant(b, &cu); err != nil {
		return Customer{}, fmt.Errorf("decode customer: %w", err)
	}
	if cu.Number == "" {
		return Customer{}, errors.New("decode customer: the answer has no Number")
	}
	return cu, nil
}

// DecodePlant decodes Cubit's answer to getDataForImport as DecodeCustomer
// does; a location given as {"coordinates": {…}} (the seed's 4/4/22
// example) is accepted as well. A missing meteringPointId is an error.
func DecodePlant(b []byte) (Plant, error) {
	var p Plant
	if err := decodeTolerant(b, &p); err != nil {
		return Plant{}, fmt.Errorf("decode plant: %w", err)
	}
	if p.MeteringPointID == "" {
		return Plant{}, errors.New("decode plant: the answer has no meteringPointId")
	}
	return p, nil
}

// decodeTolerant decodes one JSON object into the struct v points to,
// coercing scalars to the struct's types first.
func decodeTolerant(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON value")
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return errors.New("the answer is not a JSON object")
	}
	rv := reflect.ValueOf(v).Elem()
	if err := coerce(obj, rv.Type(), ""); err != nil {
		return err
	}
	fixed, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(fixed, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%s: a JSON %s where %s belongs", te.Field, te.Value, te.Type)
		}
		return err
	}
	return nil
}

// coerce rewrites obj's scalar members in place to the JSON types of the
// struct t's fields, matching keys case-insensitively as encoding/json does.
func coerce(obj map[string]any, t reflect.Type, path string) error {
	fields := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		fields[strings.ToLower(name)] = f
	}
	for k, val := range obj {
		f, ok := fields[strings.ToLower(k)]
		if !ok || val == nil {
			continue
		}
		at := path + k
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch ft.Kind() {
		case reflect.String:
			if n, ok := val.(json.Number); ok {
				s := n.String()
				if strings.EqualFold(k, "postalCode") && len(s) < 4 && allDigits(s, len(s)) {
					s = strings.Repeat("0", 4-len(s)) + s
				}
				obj[k] = s
			}
		case reflect.Int:
			if s, ok := val.(string); ok {
				if s == "" {
					delete(obj, k)
					continue
				}
				if _, err := strconv.Atoi(s); err != nil {
					return fmt.Errorf("%s: %q is not a whole number", at, s)
				}
				obj[k] = json.Number(s)
			}
		case reflect.Struct:
			sub, ok := val.(map[string]any)
			if !ok {
				return fmt.Errorf("%s: not a JSON object", at)
			}
			if ft == reflect.TypeFor[Location]() {
				if inner, ok := lookupFold(sub, "coordinates").(map[string]any); ok {
					obj[k], sub = inner, inner
				}
			}
			if err := coerce(sub, ft, at+"."); err != nil {
				return err
			}
		}
	}
	return nil
}

// lookupFold returns the member of obj whose key equals key in any case.
func lookupFold(obj map[string]any, key string) any {
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}
