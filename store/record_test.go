package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/store/inventory"
)

// fill sets every field of the access to a distinct non-zero value, so a
// field missing from the record codec fails the round trip.
func fill(v reflect.Value, n *int) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), n)
		}
	case reflect.String:
		*n++
		v.SetString("v" + string(rune('A'+*n)) + "åäö")
	case reflect.Int:
		*n++
		v.SetInt(int64(*n * 1000))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Float64:
		*n++
		v.SetFloat(float64(*n) + 0.5)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	default:
		panic("fill: add a case for " + v.Kind().String())
	}
}

func TestRecordRoundTripsEveryField(t *testing.T) {
	var a inventory.Access
	n := 0
	fill(reflect.ValueOf(&a).Elem(), &n)
	for _, removed := range []bool{false, true} {
		in := AccessRecord{Access: a, Seq: 1 << 40, Created: time.Unix(0, 1234567890123).UTC(),
			Modified: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Removed: removed}
		b, err := encodeRecord(&in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := decodeRecord(b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(in, out); diff != "" {
			t.Errorf("round trip (-in +out):\n%s", diff)
		}
		// Every shorter prefix fails cleanly or decodes (trailing fields
		// zero), never panics.
		for i := range b {
			decodeRecord(b[:i])
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	var a inventory.Access
	n := 0
	fill(reflect.ValueOf(&a).Elem(), &n)
	b, _ := encodeRecord(&AccessRecord{Access: a})
	f.Add(b)
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, v []byte) {
		r, err := decodeRecord(v)
		if err != nil {
			return
		}
		b, err := encodeRecord(&r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := decodeRecord(b)
		if err != nil || !cmp.Equal(r, r2) {
			t.Fatalf("re-encoded record differs: %v", err)
		}
	})
}
