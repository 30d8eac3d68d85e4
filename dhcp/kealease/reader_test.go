package kealease

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stadsnat/accessd/dhcp/option82"
	"github.com/stadsnat/accessd/internal/testkit"
)

// render prints what the parser made of a file, one line per lease and per
// bad row, for the golden files.
func render(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	rd := NewReader(f)
	for rd.Next() {
		l := rd.Lease()
		fmt.Fprintf(&b, "line %d: %s hw=%x cid=%x valid=%s cltt=%s expire=%s subnet=%d fqdn=%v/%v host=%q state=%s pool=%d released=%v",
			l.Line, l.Address, l.HWAddr, l.ClientID, l.ValidLifetime, l.CLTT().Format(time.RFC3339), l.Expire.Format(time.RFC3339),
			l.SubnetID, l.FQDNFwd, l.FQDNRev, l.Hostname, l.State, l.PoolID, l.Released())
		if o, ok, err := l.Option82(); ok {
			if err != nil {
				fmt.Fprintf(&b, " option82-error=%q", err)
			}
			for _, fd := range option82.Describe(o, nil) {
				fmt.Fprintf(&b, " %s=%q", fd.Name, fd.Value)
			}
		}
		if l.RemoteID != nil || l.RelayID != nil {
			fmt.Fprintf(&b, " remote-id=%x relay-id=%x", l.RemoteID, l.RelayID)
		}
		b.WriteByte('\n')
	}
	for _, e := range rd.RowErrors() {
		fmt.Fprintf(&b, "bad: %v\n", e)
	}
	fmt.Fprintf(&b, "lines=%d bad=%d err=%v\n", rd.Lines(), rd.BadRows(), rd.Err())
	return b.String()
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"kea-2.2-lab.csv", "kea-2.6-handmade.csv"} {
		t.Run(name, func(t *testing.T) {
			got := render(t, filepath.Join("testdata", name))
			testkit.Golden(t, filepath.Join("testdata", name+".golden"), got)
		})
	}
}

// TestLabFile checks the facts of the real Kea 2.2 file independently of the
// golden rendering.
func TestLabFile(t *testing.T) {
	f, err := os.Open("testdata/kea-2.2-lab.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	leases, sum, err := Latest(f)
	if err != nil {
		t.Fatal(err)
	}
	if sum.BadRows != 0 || sum.Rows != 10 || len(leases) != 1 {
		t.Fatalf("summary %+v, %d addresses", sum, len(leases))
	}
	l := leases[0]
	o, ok, err := l.Option82()
	if !ok || err != nil {
		t.Fatalf("Option82: %v %v", ok, err)
	}
	cid, _ := o.CircuitID()
	got := []any{l.Address.String(), l.Line, string(cid), l.ValidLifetime, l.CLTT().Unix(), l.Released()}
	want := []any{"10.250.1.100", 11, "rl-down", time.Minute, int64(1795373831 - 60), false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestHandmadeLatest(t *testing.T) {
	f, err := os.Open("testdata/kea-2.6-handmade.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	leases, sum, err := Latest(f)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Addr     string
		Line     int
		Released bool
		Active   bool
		State    State
	}
	now := time.Unix(1700000000, 0)
	var got []row
	for _, l := range leases {
		got = append(got, row{l.Address.String(), l.Line, l.Released(), l.Active(now), l.State})
	}
	want := []row{
		{"192.0.2.10", 5, true, false, StateDefault},
		{"192.0.2.11", 6, false, true, StateDefault},
		{"192.0.2.12", 4, false, false, StateDeclined},
		{"192.0.2.14", 11, true, false, StateExpiredReclaimed},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var bad []string
	for _, e := range sum.RowErrors {
		bad = append(bad, fmt.Sprintf("%d:%s", e.Line, e.Column))
		if !errors.Is(e, ErrRow) {
			t.Errorf("%v is not ErrRow", e)
		}
	}
	if diff := cmp.Diff([]string{"7:", "8:address", "9:user_context", "12:user_context"}, bad); diff != "" {
		t.Errorf("bad rows (-want +got):\n%s", diff)
	}
	// The 2.3+ map form.
	var l10 Lease
	for _, l := range leases {
		if l.Address == netip.MustParseAddr("192.0.2.10") {
			l10 = l
		}
	}
	if diff := cmp.Diff([]any{"192.168.248.85", []byte{10, 0, 0, 1}, "host-a.example.net"},
		[]any{string(l10.RemoteID), l10.RelayID, l10.Hostname}, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestHeaderErrors(t *testing.T) {
	cases := map[string]error{
		"":                        ErrNoHeader,
		"\n\n":                    ErrNoHeader,
		"address,hwaddr,expire\n": ErrHeader,
		"address,address,hwaddr,valid_lifetime,expire\n": ErrHeader,
	}
	for in, want := range cases {
		rd := NewReader(strings.NewReader(in))
		for rd.Next() {
		}
		if !errors.Is(rd.Err(), want) {
			t.Errorf("%q: Err = %v, want %v", in, rd.Err(), want)
		}
	}
}

func TestRowErrors(t *testing.T) {
	hdr := "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n"
	rows := []struct {
		row    string
		column string
	}{
		{"10.0.0.1,zz,,60,100,1,0,0,,0,", "hwaddr"},
		{"10.0.0.1,00:11,0g,60,100,1,0,0,,0,", "client_id"},
		{"10.0.0.1,00:11,,-1,100,1,0,0,,0,", "valid_lifetime"},
		{"10.0.0.1,00:11,,60,x,1,0,0,,0,", "expire"},
		{"10.0.0.1,00:11,,60,100,x,0,0,,0,", "subnet_id"},
		{"10.0.0.1,00:11,,60,100,1,2,0,,0,", "fqdn_fwd"},
		{"10.0.0.1,00:11,,60,100,1,0,yes,,0,", "fqdn_rev"},
		{"10.0.0.1,00:11,,60,100,1,0,0,a&#x2,0,", "hostname"},
		{"10.0.0.1,00:11,,60,100,1,0,0,,999,", "state"},
		{"10.0.0.1,00:11,,60,100,1,0,0,,0,[1]", "user_context"},
		{"10.0.0.1,00:11,,60,100,1,0,0,,0,{\"ISC\":{\"relay-agent-info\":7}}", "user_context"},
		{"::1,00:11,,60,100,1,0,0,,0,", "address"},
	}
	for _, tc := range rows {
		rd := NewReader(strings.NewReader(hdr + tc.row + "\n10.0.0.2,00:11,,60,100,1,0,0,,0,\n"))
		n := 0
		for rd.Next() {
			n++
		}
		if rd.Err() != nil || n != 1 || rd.BadRows() != 1 {
			t.Errorf("%q: err %v, %d good, %d bad", tc.row, rd.Err(), n, rd.BadRows())
			continue
		}
		if e := rd.RowErrors()[0]; e.Column != tc.column || e.Line != 2 {
			t.Errorf("%q: %v, want column %s line 2", tc.row, e, tc.column)
		}
	}
}

func TestLongLine(t *testing.T) {
	hdr := "address,hwaddr,valid_lifetime,expire\n10.0.0.1,00:11,60,100\n"
	rd := NewReader(strings.NewReader(hdr + strings.Repeat("x", 3*MaxLineBytes+10) + "\n10.0.0.2,00:11,60,100\r\n10.0.0.3,00:11,60,100"))
	var got []string
	for rd.Next() {
		l := rd.Lease()
		got = append(got, fmt.Sprintf("%d:%s", l.Line, l.Address))
	}
	if diff := cmp.Diff([]string{"2:10.0.0.1", "4:10.0.0.2", "5:10.0.0.3"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if rd.Err() != nil || rd.BadRows() != 1 || rd.RowErrors()[0].Line != 3 {
		t.Errorf("err %v, bad rows %v", rd.Err(), rd.RowErrors())
	}
}

func TestRowErrorCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("address,hwaddr,valid_lifetime,expire\n")
	for range MaxRowErrors + 50 {
		b.WriteString("bad\n")
	}
	rd := NewReader(strings.NewReader(b.String()))
	for rd.Next() {
	}
	if rd.BadRows() != MaxRowErrors+50 || len(rd.RowErrors()) != MaxRowErrors {
		t.Errorf("bad %d, kept %d", rd.BadRows(), len(rd.RowErrors()))
	}
}

func TestReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	rd := NewReader(io.MultiReader(strings.NewReader("address,hwaddr,valid_lifetime,expire\n10.0.0.1,00:11,60,100\n"), iotest.ErrReader(boom)))
	n := 0
	for rd.Next() {
		n++
	}
	if n != 1 || !errors.Is(rd.Err(), boom) {
		t.Errorf("%d rows, Err %v", n, rd.Err())
	}
}

// A row error names line and column but not the address: the Kea source
// logs row errors at warn, and a lease6 file given by mistake would put
// every customer's IPv6 address in the log.
func TestRowErrorDoesNotRepeatAddress(t *testing.T) {
	hdr := "address,hwaddr,valid_lifetime,expire\n"
	rd := NewReader(strings.NewReader(hdr + "2001:db8::4711,00:11,60,100\n"))
	for rd.Next() {
	}
	if rd.BadRows() != 1 {
		t.Fatalf("%d bad rows, want 1", rd.BadRows())
	}
	e := rd.RowErrors()[0]
	if e.Column != "address" || strings.Contains(e.Error(), "2001:db8") {
		t.Errorf("row error %q: want column address, without the address", e)
	}
}
