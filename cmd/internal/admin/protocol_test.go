package admin

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stadsnat/accessd/api/httperr"
)

// Every key of every answer is camelCase, every field has one.
func TestJSONKeysAreCamelCase(t *testing.T) {
	camel := regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)
	seen := map[reflect.Type]bool{}
	var walk func(tp reflect.Type, where string)
	walk = func(tp reflect.Type, where string) {
		for tp.Kind() == reflect.Pointer || tp.Kind() == reflect.Slice || tp.Kind() == reflect.Array || tp.Kind() == reflect.Map {
			tp = tp.Elem()
		}
		if tp.Kind() != reflect.Struct || seen[tp] || tp.PkgPath() == "time" {
			return
		}
		seen[tp] = true
		for i := range tp.NumField() {
			f := tp.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.Anonymous || name == "" || name == "-" || !camel.MatchString(name) {
				t.Errorf("%s.%s: JSON key %q is not camelCase (or the field is embedded or untagged)", where, f.Name, name)
			}
			walk(f.Type, where+"."+f.Name)
		}
	}
	for _, v := range []any{
		Status{}, ImportResult{}, Access{}, Removed{},
		Lookup{}, AccessBindings{}, History{}, UnknownCircuit{}, BindingEvent{}, Committed{},
		PortReport{}, SwitchList{}, PollResult{},
		Order{}, OrderDetail{}, Service{},
		Upstream{}, ParkedEntry{}, RetryResult{}, CubitVerification{}, Customers{},
		httperr.Body{},
	} {
		walk(reflect.TypeOf(v), reflect.TypeOf(v).Name())
	}
}
