package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The decoder walks the YAML node tree against the Config struct itself
// instead of letting yaml.v3 decode the whole file: yaml.v3 reports
// unknown keys and wrong types only as text, while the walk knows each
// value's node (its line) and key path. Scalars are still decoded by
// yaml.v3 (Node.Decode), whose *yaml.TypeError says that a value is not
// of the field's type; the message is then made from the node and the
// field, never read from yaml.v3's text. Values of the configuration's
// own types (durations, enums, addresses, regular expressions) are parsed
// here, once, into their typed form.

// wrongType is a value that is not of its key's type (text where a number
// belongs, a duration that is none). Like yaml.v3's own type errors it is
// reported by its line alone, and the configuration is not validated
// further.
type wrongType struct{ msg string }

func (e *wrongType) Error() string { return e.msg }

// badValue is a value of the right type that its key does not allow (an
// unknown enum value, a bad CIDR): reported with its key path, together
// with the problems the validation finds.
type badValue struct{ msg string }

func (e *badValue) Error() string { return e.msg }

func badValuef(format string, args ...any) error { return &badValue{fmt.Sprintf(format, args...)} }

// Limits of the walk: how deep values nest (aliases included) and how many
// values a file may expand to through aliases.
const (
	maxDepth  = 64
	maxValues = 1 << 20
)

type decoder struct {
	file string
	// structural are unknown keys and values of the wrong type or shape;
	// values are values their key does not allow.
	structural, values Problems
	count              int
	overflow           bool // the limits were hit (reported once)
}

func (d *decoder) structuralf(line int, format string, args ...any) {
	d.structural = append(d.structural, Problem{File: d.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// decode sets v from n; path is v's key path.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, depth int) {
	if n = d.resolve(n, depth); n == nil || isNull(n) {
		return
	}
	if d.count++; d.count > maxValues || depth > maxDepth {
		if !d.overflow {
			d.overflow = true
			d.structuralf(n.Line, "the values nest too deeply or expand to too many (through aliases)")
		}
		return
	}
	if v.CanAddr() {
		if u, ok := v.Addr().Interface().(yaml.Unmarshaler); ok {
			d.check(n, path, u.UnmarshalYAML(n))
			return
		}
	}
	if p, ok := leafParsers[v.Type()]; ok {
		if n.Kind != yaml.ScalarNode {
			d.structuralf(n.Line, "%s where text was expected", what(n))
			return
		}
		x, err := p(n.Value)
		if d.check(n, path, err) {
			v.Set(reflect.ValueOf(x))
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path, depth+1)
	case reflect.Struct:
		d.mapping(n, v, path, depth)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.structuralf(n.Line, "%s where a list was expected", what(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		d.stringMap(n, v, path, depth)
	default:
		d.scalar(n, v)
	}
}

// check files err of decoding n (nil: none) and reports whether there was
// none.
func (d *decoder) check(n *yaml.Node, path string, err error) bool {
	var bv *badValue
	var wt *wrongType
	switch {
	case err == nil:
		return true
	case errors.As(err, &bv):
		d.values = append(d.values, Problem{File: d.file, Line: n.Line, Path: path, Msg: bv.msg})
	case errors.As(err, &wt):
		d.structuralf(n.Line, "%s", wt.msg)
	default:
		d.structuralf(n.Line, "%v", err)
	}
	return false
}

// resolve follows aliases and unwraps a document.
func (d *decoder) resolve(n *yaml.Node, depth int) *yaml.Node {
	for i := 0; n != nil && i < maxDepth; i++ {
		switch n.Kind {
		case yaml.AliasNode:
			n = n.Alias
		case 0: // an empty file
			return nil
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		default:
			return n
		}
	}
	return nil
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// scalar decodes a string, number or boolean with yaml.v3.
func (d *decoder) scalar(n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.ScalarNode {
		d.structuralf(n.Line, "%s where %s was expected", what(n), typeName(v.Type()))
		return
	}
	var te *yaml.TypeError
	if err := n.Decode(v.Addr().Interface()); errors.As(err, &te) {
		d.structuralf(n.Line, "%s where %s was expected", what(n), typeName(v.Type()))
	} else if err != nil {
		d.structuralf(n.Line, "%v", err)
	}
}

// pair is a key and its value in a mapping.
type pair struct{ key, value *yaml.Node }

// pairs lists a mapping's own pairs and those it merges in ("<<: *x");
// its own come first, and a merged key it sets itself is left out.
func (d *decoder) pairs(n *yaml.Node, depth int) []pair {
	var own, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(n.Content[i], depth)
		if k != nil && k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(n.Content[i+1], depth+1)...)
			continue
		}
		own = append(own, pair{k, n.Content[i+1]})
	}
	set := map[string]bool{}
	for _, p := range own {
		if p.key != nil {
			set[p.key.Value] = true
		}
	}
	for _, p := range merged {
		if p.key != nil && !set[p.key.Value] {
			set[p.key.Value] = true
			own = append(own, p)
		}
	}
	return own
}

// merge gives the pairs of a merge key's value: a mapping or a list of
// them.
func (d *decoder) merge(n *yaml.Node, depth int) []pair {
	if n = d.resolve(n, depth); n == nil || depth > maxDepth {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		return d.pairs(n, depth)
	case yaml.SequenceNode:
		var out []pair
		for _, c := range n.Content {
			out = append(out, d.merge(c, depth+1)...)
		}
		return out
	}
	d.structuralf(n.Line, "%s where a mapping to merge was expected", what(n))
	return nil
}

// keys checks a mapping's keys: text, each given once.
func (d *decoder) keys(n *yaml.Node, depth int) []pair {
	var out []pair
	seen := map[string]int{}
	for _, p := range d.pairs(n, depth) {
		if p.key == nil || p.key.Kind != yaml.ScalarNode {
			d.structuralf(n.Line, "a key that is not text")
			continue
		}
		if line, dup := seen[p.key.Value]; dup {
			d.structuralf(p.key.Line, "key %q is given twice (first on line %d)", p.key.Value, line)
			continue
		}
		seen[p.key.Value] = p.key.Line
		out = append(out, p)
	}
	return out
}

// mapping decodes a struct from a mapping by its fields' yaml tags.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string, depth int) {
	if n.Kind != yaml.MappingNode {
		d.structuralf(n.Line, "%s where a mapping was expected", what(n))
		return
	}
	fields := fieldsOf(v.Type())
	for _, p := range d.keys(n, depth) {
		f, ok := fields[p.key.Value]
		if !ok {
			d.structuralf(p.key.Line, "unknown key %q", p.key.Value)
			continue
		}
		d.decode(p.value, v.FieldByIndex(f), join(path, p.key.Value), depth+1)
	}
}

// stringMap decodes a map[string]T.
func (d *decoder) stringMap(n *yaml.Node, v reflect.Value, path string, depth int) {
	if n.Kind != yaml.MappingNode {
		d.structuralf(n.Line, "%s where a mapping was expected", what(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	for _, p := range d.keys(n, depth) {
		e := reflect.New(v.Type().Elem()).Elem()
		d.decode(p.value, e, join(path, p.key.Value), depth+1)
		m.SetMapIndex(reflect.ValueOf(p.key.Value).Convert(v.Type().Key()), e)
	}
	v.Set(m)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldsOf maps the yaml names of a struct's fields, inline ones
// included, to their index paths.
func fieldsOf(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, inline := yamlName(f)
		switch {
		case name == "-" || !f.IsExported():
		case inline:
			for k, idx := range fieldsOf(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
		default:
			out[name] = []int{i}
		}
	}
	return out
}

// yamlName is a field's key and whether it is inlined.
func yamlName(f reflect.StructField) (string, bool) {
	name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "" && opts != "inline" {
		name = "-"
	}
	return name, opts == "inline"
}

// kindName names what a node holds, for messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return "number"
	case "!!bool":
		return "boolean"
	}
	return "text"
}

// what names a node and, for a scalar, quotes its value.
func what(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return fmt.Sprintf("%s %q", kindName(n), n.Value)
	}
	return kindName(n)
}

// typeName names what a Go type takes, for messages.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice:
		return "a list"
	case reflect.Map:
		return "a mapping"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8,
		reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "text"
	case reflect.Pointer:
		return typeName(t.Elem())
	}
	return "a mapping"
}
