package nocsys

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/store"
)

// An entry holds no pointer: the collector must not follow one per access
// at every cycle (the reason the index is offsets into one text).
func TestAddressEntryHoldsNoPointer(t *testing.T) {
	typ := reflect.TypeFor[addrEntry]()
	for i := range typ.NumField() {
		switch f := typ.Field(i); f.Type.Kind() {
		case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Int32, reflect.Int64:
		default:
			t.Errorf("addrEntry.%s is a %s: an entry must hold no pointer", f.Name, f.Type)
		}
	}
}

// An access moved again and again leaves dead lines in the text; the text
// is written again once they are half of it, and the index stays what a
// full read makes.
func TestAddressIndexCompactsDeadLines(t *testing.T) {
	db := openStore(t)
	importAll(t, db, access("A1", "Kungsgatan", "12", "", "rl-a1"), access("A2", "Kungsgatan", "14", "", "rl-a2"),
		access("A3", "Ekvägen", "2", "1101", "rl-a3"))
	x := builtIndex(t, db)
	live := len(x.text)
	compacted := false
	for i := range 40 {
		importAll(t, db, access("A2", "Björkvägen", fmt.Sprint(i+1), "", "rl-a2"))
		before := len(x.text)
		if err := x.refresh(db); err != nil {
			t.Fatal(err)
		}
		compacted = compacted || len(x.text) < before
		if len(x.text) > 2*live+64 {
			t.Fatalf("move %d: text of %d bytes for %d live: dead lines are kept", i, len(x.text), live)
		}
		if diff := cmp.Diff(builtIndex(t, db).lines(), x.lines()); diff != "" {
			t.Fatalf("move %d: index against a full read (-full +followed):\n%s", i, diff)
		}
		if x.dead > len(x.text)/2 {
			t.Fatalf("move %d: %d of %d bytes dead after a refresh", i, x.dead, len(x.text))
		}
	}
	if x.fulls != 1 {
		t.Errorf("read whole %d times, want once", x.fulls)
	}
	if !compacted {
		t.Error("the text never got shorter: no compaction ran")
	}
	if ids, _ := x.search("björkvägen 40", 10); !cmp.Equal(ids, []string{"A2"}) {
		t.Errorf("björkvägen 40: %v, want A2", ids)
	}
	if ids, _ := x.search("ekvägen 2, lgh 1101", 10); !cmp.Equal(ids, []string{"A3"}) {
		t.Errorf("ekvägen 2, lgh 1101: %v, want A3", ids)
	}
}

// builtIndex is the address index of db's inventory, read whole.
func builtIndex(t *testing.T, db *store.DB) *addrIndex {
	t.Helper()
	x := new(addrIndex)
	if err := x.refresh(db); err != nil {
		t.Fatal(err)
	}
	return x
}

// lines returns (for the tests) every entry's line and AccessId, in the index's order.
func (x *addrIndex) lines() [][2]string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([][2]string, len(x.entries))
	for i, e := range x.entries {
		out[i] = [2]string{string(x.key(e)), string(x.id(e))}
	}
	return out
}
