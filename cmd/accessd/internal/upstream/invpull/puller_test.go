package invpull

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/internal/remote"
	"github.com/stadsnat/accessd/store"
	"github.com/stadsnat/accessd/store/inventory"
)

const (
	lm1 = "Fri, 31 Aug 2012 12:03:28 GMT"
	lm2 = "Mon, 03 Sep 2012 09:54:55 GMT"
)

// specAccess is the access of the specifications' examples as PI V1 has it.
var specAccess = inventory.Access{
	AccessID: "STTA0001", StreetName: "Testvägen", StreetNumber: "100", PostalCode: "10000", City: "Ankeborg",
	CountryCode: "SE", PremisesType: inventory.MDUApartment, MDUApartmentNumber: "1001", MDUDistinguisher: "12121212",
	Activatable: inventory.No, Sellable: "2012-03-01", FiberConverter: "LASER_3001X_MK2", CPERouter: "NETGEAR WNDR4000",
	Option82: "192.168.248.85 ge-0/0/10", Population: "Hemsöhem",
}

func TestPullPIV1ThenNotModified(t *testing.T) {
	h := newHarness(t, PIV1, "application/xml", nil)
	h.src.set(golden(t, "piv1.xml"), lm1)
	ctx := context.Background()
	res, err := h.p.Pull(ctx, Incremental)
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Mode: "full", Accesses: 1, Summary: store.ImportSummary{Created: 1}, LastModified: lm1}
	if d := cmp.Diff(want, res); d != "" {
		t.Errorf("first pull (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]inventory.Access{"STTA0001": specAccess}, accesses(t, h.db, "STTA0001")); d != "" {
		t.Errorf("stored (-want +got):\n%s", d)
	}
	if ims := h.src.request(0).Header.Get("If-Modified-Since"); ims != "" {
		t.Errorf("the first pull sent If-Modified-Since %q", ims)
	}
	res, err = h.p.Pull(ctx, Incremental)
	if err != nil || !res.NotModified {
		t.Fatalf("second pull = %+v, %v; want not modified", res, err)
	}
	if ims := h.src.request(1).Header.Get("If-Modified-Since"); ims != lm1 {
		t.Errorf("the second pull sent If-Modified-Since %q, want %q", ims, lm1)
	}
	st := h.p.Status()
	if st.LastModified != lm1 || st.Pulls != 2 || st.Failures != 0 || st.LastError != "" || st.LastSuccess.IsZero() {
		t.Errorf("status %+v", st)
	}
	if got := counter(t, h.reg, "accessd_invpull_pulls_total", "result", "not_modified"); got != 1 {
		t.Errorf("pulls{not_modified} = %v, want 1", got)
	}
	if got := counter(t, h.reg, "accessd_invpull_accesses_total", "change", "created"); got != 1 {
		t.Errorf("accesses{created} = %v, want 1", got)
	}
}

func TestPullIncrementalChanges(t *testing.T) {
	h := newHarness(t, PIV1, "application/xml", nil)
	ctx := context.Background()
	h.src.set(golden(t, "piv1-three.xml"), lm1)
	if _, err := h.p.Pull(ctx, Incremental); err != nil {
		t.Fatal(err)
	}
	// Since lm1 only STTA0001 changed: the spec's example.
	h.src.set(golden(t, "piv1-three.xml"), lm2)
	h.src.changes[lm1] = golden(t, "piv1.xml")
	res, err := h.p.Pull(ctx, Incremental)
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Mode: "incremental", Accesses: 1, Summary: store.ImportSummary{Updated: 1}, LastModified: lm2}
	if d := cmp.Diff(want, res); d != "" {
		t.Errorf("incremental pull (-want +got):\n%s", d)
	}
	if got := len(accesses(t, h.db, "STTA0001", "STTA0002", "STTA0003")); got != 3 {
		t.Errorf("%d accesses after an incremental pull, want 3 (nothing removed)", got)
	}
}

func TestPullCSV(t *testing.T) {
	h := newHarness(t, CSV, "text/csv", nil)
	h.src.set(golden(t, "accesses.csv"), lm1)
	res, err := h.p.Pull(context.Background(), Full)
	if err != nil || res.Summary.Created != 4 {
		t.Fatalf("CSV pull = %+v, %v; want 4 created", res, err)
	}
	a := accesses(t, h.db, "3333")["3333"]
	if a.Option82 != "jkl999" || a.PortSpeedMbps != 1000 || !a.IPTV || !a.RFoF || a.Outlet != "ABC2" {
		t.Errorf("3333 stored as %+v", a)
	}
}

// TestBadPullChangesNothing: one access of three breaks a rule; nothing of
// the pull is applied and the status says where.
func TestBadPullChangesNothing(t *testing.T) {
	h := newHarness(t, PIV1, "application/xml", nil)
	ctx := context.Background()
	h.src.set(golden(t, "piv1-three.xml"), lm1)
	if _, err := h.p.Pull(ctx, Incremental); err != nil {
		t.Fatal(err)
	}
	before := accesses(t, h.db, "STTA0001", "STTA0002", "STTA0003")
	h.src.set(golden(t, "piv1-three-bad.xml"), lm2)
	_, err := h.p.Pull(ctx, Full)
	var ps *inventory.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("bad pull: %v; want *inventory.Problems", err)
	}
	want := []inventory.Problem{{Line: 46, AccessID: "STTA0003", Field: "PostalCode", Message: `"1001" is not five digits`}}
	if d := cmp.Diff(want, ps.List); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
	if d := cmp.Diff(before, accesses(t, h.db, "STTA0001", "STTA0002", "STTA0003")); d != "" {
		t.Errorf("the bad pull changed the store (-before +after):\n%s", d)
	}
	st := h.p.Status()
	if !st.Refused || st.LastErrorLine != 46 || st.LastErrorField != "PostalCode" || st.LastModified != lm1 || len(st.Problems) != 1 {
		t.Errorf("status after a refused pull: %+v", st)
	}
	if got := counter(t, h.reg, "accessd_invpull_pulls_total", "result", "refused"); got != 1 {
		t.Errorf("pulls{refused} = %v, want 1", got)
	}
	// The next incremental pull asks again from lm1: the refused changes were
	// not taken as seen.
	h.p.Pull(ctx, Incremental)
	if ims := h.src.request(2).Header.Get("If-Modified-Since"); ims != lm1 {
		t.Errorf("after a refused pull If-Modified-Since is %q, want %q", ims, lm1)
	}
}

// TestConflictChangesNothing: the store refuses an Option82 that another
// access keeps; nothing is applied.
func TestConflictChangesNothing(t *testing.T) {
	h := newHarness(t, PIV1, "application/xml", nil)
	ctx := context.Background()
	h.src.set(golden(t, "piv1-three.xml"), lm1)
	if _, err := h.p.Pull(ctx, Incremental); err != nil {
		t.Fatal(err)
	}
	before := accesses(t, h.db, "STTA0001", "STTA0002", "STTA0003")
	clash := strings.Replace(string(golden(t, "piv1.xml")), "ge-0/0/10", "ge-0/0/11", 1) // STTA0002's
	clash = strings.Replace(clash, "Testvägen", "Nyvägen", 1)
	h.src.set([]byte(clash), lm2)
	_, err := h.p.Pull(ctx, Full)
	var ce *store.ConflictError
	if !errors.As(err, &ce) || ce.Conflicts[0].Field != "option82" {
		t.Fatalf("clashing pull: %v; want a store conflict on option82", err)
	}
	if d := cmp.Diff(before, accesses(t, h.db, "STTA0001", "STTA0002", "STTA0003")); d != "" {
		t.Errorf("the refused pull changed the store (-before +after):\n%s", d)
	}
	if st := h.p.Status(); !st.Refused || st.LastErrorField != "option82" {
		t.Errorf("status %+v", st)
	}
}

func TestReplaceLearnsRemovals(t *testing.T) {
	h := newHarness(t, PIV1, "application/xml", nil)
	ctx := context.Background()
	h.src.set(golden(t, "piv1-three.xml"), lm1)
	if _, err := h.p.Pull(ctx, Replace); err != nil {
		t.Fatal(err)
	}
	h.src.set(golden(t, "piv1.xml"), lm2)
	res, err := h.p.Pull(ctx, Replace)
	if err != nil || res.Summary != (store.ImportSummary{Updated: 1, Removed: 2}) || res.Mode != "replace" {
		t.Fatalf("replace = %+v, %v; want 1 updated 2 removed", res, err)
	}
	if got := accesses(t, h.db, "STTA0001", "STTA0002", "STTA0003"); len(got) != 1 {
		t.Errorf("%d live accesses after the replace, want 1", len(got))
	}
	if ims := h.src.request(1).Header.Get("If-Modified-Since"); ims != "" {
		t.Errorf("a replace pull sent If-Modified-Since %q", ims)
	}
	// An empty answer would remove everything: refused.
	h.src.set([]byte(`<?xml version="1.0"?><Entries><Count>0</Count></Entries>`), "Tue, 04 Sep 2012 10:00:00 GMT")
	if _, err := h.p.Pull(ctx, Replace); !errors.Is(err, errEmptyReplace) {
		t.Errorf("empty replace: %v, want it refused", err)
	}
	if got := accesses(t, h.db, "STTA0001"); len(got) != 1 {
		t.Error("the empty replace removed the access")
	}
	if !h.p.Status().Refused {
		t.Error("the empty replace is not reported as refused")
	}
}

func TestAuth(t *testing.T) {
	ctx := context.Background()
	const pw, key = "inv-pass-61c0", "inv-key-0a7d"
	// HTTP Basic.
	h := newHarness(t, PIV1, "application/xml", func(c *Config) { c.Username, c.PasswordFile = "accessd", secretFile(t, pw) })
	h.src.user, h.src.pass = "accessd", pw
	h.src.set(golden(t, "piv1.xml"), lm1)
	if _, err := h.p.Pull(ctx, Incremental); err != nil {
		t.Fatalf("Basic: %v", err)
	}
	h.src.pass = "changed"
	_, err := h.p.Pull(ctx, Full)
	if !remote.IsAuth(err) {
		t.Errorf("wrong password: %v, want an auth error", err)
	}
	if got := counter(t, h.reg, "accessd_invpull_pulls_total", "result", "auth"); got != 1 {
		t.Errorf("pulls{auth} = %v", got)
	}
	// An api-key.
	k := newHarness(t, CSV, "text/csv", func(c *Config) { c.APIKeyFile, c.APIKeyHeader = secretFile(t, key), "X-Api-Key" })
	k.src.keyHeader, k.src.key = "X-Api-Key", key
	k.src.set(golden(t, "accesses.csv"), lm1)
	if _, err := k.p.Pull(ctx, Incremental); err != nil {
		t.Fatalf("api-key: %v", err)
	}
	// Neither secret reaches the logs or the status.
	for _, x := range []*harness{h, k} {
		st, _ := json.Marshal(x.p.Status())
		for _, secret := range []string{pw, key} {
			if strings.Contains(x.log.String(), secret) || strings.Contains(string(st), secret) {
				t.Errorf("a secret is in the log or status:\n%s\n%s", x.log.String(), st)
			}
		}
	}
}

func TestSourceFailures(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, PIV1, "application/xml", nil)
	h.src.status = 503
	if _, err := h.p.Pull(ctx, Incremental); err == nil || remote.IsPermanent(err) || remote.IsAuth(err) {
		t.Errorf("503: %v, want a transient error", err)
	}
	if st := h.p.Status(); st.Refused || st.Failures != 1 || !strings.Contains(st.LastError, "503") {
		t.Errorf("status %+v", st)
	}
	h.src.status = 0
	h.src.set([]byte("<Entries><Count>1</Count>"), lm1)
	_, err := h.p.Pull(ctx, Incremental)
	var ps *inventory.Problems
	if !errors.As(err, &ps) || !strings.Contains(ps.List[0].Message, "invalid XML") {
		t.Errorf("cut XML: %v", err)
	}
	// ON-API's 404 is "no accesses": nothing to do, but no replace.
	o := newHarness(t, ONAPI, "application/json", nil)
	o.src.status = 404
	if res, err := o.p.Pull(ctx, Incremental); err != nil || res.Accesses != 0 {
		t.Errorf("ON-API 404: %+v, %v", res, err)
	}
	if _, err := o.p.Pull(ctx, Replace); !errors.Is(err, errEmptyReplace) {
		t.Errorf("ON-API 404 replace: %v, want refused", err)
	}
	// A 404 of another format is an error.
	p := newHarness(t, PIAPI, "application/json", nil)
	p.src.status = 404
	if _, err := p.p.Pull(ctx, Incremental); err == nil {
		t.Error("PI-API 404: no error")
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	pw := secretFile(t, "x")
	for _, cfg := range []Config{
		{URL: "ftp://central/inv.csv", Format: CSV},
		{URL: "https://user:pw@central/ko/api/1/", Format: PIV1},
		{URL: "https://central/ko/api/1/", Format: "xml"},
		{URL: "https://central/ko/api/1/", Format: PIV1, PasswordFile: pw},
		{URL: "https://central/ko/api/1/", Format: PIV1, Username: "u", PasswordFile: pw, APIKeyFile: pw},
		{URL: "https://central/ko/api/1/", Format: PIV1, APIKeyFile: "/nonexistent"},
	} {
		if _, err := New(cfg, nil, Options{}); err == nil {
			t.Errorf("New(%+v): no error", cfg)
		}
	}
}
