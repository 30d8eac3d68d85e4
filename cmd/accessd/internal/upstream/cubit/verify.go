package cubit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Verification is what Verify read back. Stored and the values of
// Differences hold the object's data, personal data included: they are for
// accessctl's output and must not be logged.
type Verification struct {
	Kind  Kind   `json:"kind"`
	ID    string `json:"id"`
	Found bool   `json:"found"`
	// Stored is Cubit's object re-encoded in the import's JSON form.
	Stored json.RawMessage `json:"stored,omitempty"`
	// Differences lists the fields of what was sent that Cubit holds
	// otherwise; empty when nothing was given to compare.
	Differences []Difference `json:"differences,omitempty"`
}

// Difference is one field whose value in Cubit is not the one sent. Values
// are JSON texts; "" is a field Cubit does not have.
type Difference struct {
	Field  string `json:"field"`
	Sent   string `json:"sent"`
	Stored string `json:"stored"`
}

// Verify reads an object back (accessctl upstream verify cubit ID): the
// plant when id is an 18-digit metering point id, else the customer with
// that Number. When sent (the JSON last delivered for it) is given, every
// field of it is compared with Cubit's. A missing object is Found false,
// not an error.
func (c *Client) Verify(ctx context.Context, id string, sent []byte) (Verification, error) {
	v := Verification{Kind: KindOf(id), ID: id}
	var stored any
	var err error
	if v.Kind == KindPlant {
		stored, err = c.Plant(ctx, id)
	} else {
		stored, err = c.Customer(ctx, id)
	}
	if errors.Is(err, ErrNotFound) {
		return v, nil
	}
	if err != nil {
		return v, err
	}
	v.Found = true
	if v.Stored, err = json.Marshal(stored); err != nil {
		return v, err
	}
	if sent == nil {
		return v, nil
	}
	var want any
	if v.Kind == KindPlant {
		var p Plant
		err = decodeStrict(sent, &p)
		want = p
	} else {
		var cu Customer
		err = decodeStrict(sent, &cu)
		want = cu
	}
	if err != nil {
		return v, fmt.Errorf("verify: what was sent: %w", err)
	}
	v.Differences, err = differences(want, stored)
	return v, err
}

// differences compares every leaf of sent with the same path in stored.
func differences(sent, stored any) ([]Difference, error) {
	a, err := flatten(sent)
	if err != nil {
		return nil, err
	}
	b, err := flatten(stored)
	if err != nil {
		return nil, err
	}
	var out []Difference
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if a[k] != b[k] {
			out = append(out, Difference{Field: k, Sent: a[k], Stored: b[k]})
		}
	}
	return out, nil
}

// flatten maps every leaf of v's JSON form to its JSON text, by dotted
// path.
func flatten(v any) (map[string]string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	out := map[string]string{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, x := range m {
			if sub, ok := x.(map[string]any); ok {
				walk(prefix+k+".", sub)
				continue
			}
			t, _ := json.Marshal(x)
			out[prefix+k] = string(t)
		}
	}
	walk("", doc)
	return out, nil
}
