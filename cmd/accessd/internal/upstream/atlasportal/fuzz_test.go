package atlasportal

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// seed adds every golden answer and the table tests' bodies.
func seed(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.xml"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"", "<", "<orders><status>failed</status></orders>",
		"<order_info><response><order><id>1</id><status>new</status><socket>A</socket><service_uid>S</service_uid><date>2018-02-30</date></order></response><status>success</status></order_info>",
		`<?xml version="1.0" encoding="latin1"?><api_login><response><hash_key>` + "\xe5" + `</hash_key></response><status>success</status></api_login>`,
		`<?xml version="1.0" encoding="windows-1252"?><set_status><status>success</status></set_status>`,
	} {
		f.Add([]byte(s))
	}
}

// checkErr: a failure is always one of the package's errors.
func checkErr(t *testing.T, err error) {
	var fe *FormatError
	var ref *Refusal
	if err != nil && !errors.As(err, &fe) && !errors.As(err, &ref) {
		t.Fatalf("unclassified error %T: %v", err, err)
	}
}

func FuzzDecodeLogin(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeLogin(b)
		checkErr(t, err)
		if err == nil && strings.TrimSpace(h) == "" {
			t.Fatal("success with an empty hash")
		}
	})
}

func FuzzDecodeOrders(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		ids, err := DecodeOrders(b)
		checkErr(t, err)
		for _, id := range ids {
			if validID("id", id) != nil {
				t.Fatalf("id %q accepted", id)
			}
		}
	})
}

func FuzzDecodeOrderInfo(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := DecodeOrderInfo(b)
		checkErr(t, err)
		if err != nil {
			return
		}
		if validID("id", o.ID) != nil || !o.Status.Valid() || o.Socket == "" || o.ServiceUID == "" {
			t.Fatalf("accepted %+v", o)
		}
		if o.Date != "" {
			if _, err := time.Parse(dateLayout, o.Date); err != nil {
				t.Fatalf("date %q accepted", o.Date)
			}
		}
		if o.CustomerID != "" && validID("customer", o.CustomerID) != nil {
			t.Fatalf("customer %q accepted", o.CustomerID)
		}
	})
}

func FuzzDecodeCustomerInfo(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCustomerInfo(b)
		checkErr(t, err)
		if err == nil && validID("id", c.ID) != nil {
			t.Fatalf("customer id %q accepted", c.ID)
		}
	})
}

func FuzzDecodeAck(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		checkErr(t, DecodeAck("set_status", b))
	})
}
