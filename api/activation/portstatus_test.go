package activation_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stadsnat/accessd/api/activation"
	"github.com/stadsnat/accessd/api/activation/acttest"
	"github.com/stadsnat/accessd/store"
)

// port_status's message follows the day where the access's state does (a
// dated Sellable), and PortStatus reads the clock only then.
func TestPortStatusReadsTheClockOnlyForADatedAccess(t *testing.T) {
	clock := acttest.NewClock(t0)
	var reads atomic.Int64
	f := acttest.New(t, clock, rules(), func(o *activation.Options) {
		o.Now = func() time.Time { reads.Add(1); return clock.Now() }
	})
	as := acttest.Accesses()
	a6 := acttest.Access("A6", "10.0.0.1 ge-0/0/6")
	a6.Sellable = "2026-03-10"
	in := []store.Incoming{{Access: a6}}
	for _, a := range as {
		in = append(in, store.Incoming{Access: a})
	}
	if _, err := f.DB.Inventory().Import(in, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	message := func(id string) string {
		t.Helper()
		ps, err := f.Engine.PortStatus(id)
		if err != nil {
			t.Fatal(err)
		}
		return ps.Message
	}
	before := reads.Load()
	if m := message("A5"); m != "" {
		t.Errorf("A5: message %q", m)
	}
	if m := message("A4"); m != "Adressen är inte säljstartad" {
		t.Errorf("A4 (not sellable): message %q", m)
	}
	if n := reads.Load() - before; n != 0 {
		t.Errorf("the clock read %d times for accesses without a date", n)
	}
	if m := message("A6"); m != "Adressen är inte säljstartad" {
		t.Errorf("A6 before its sales start: message %q", m)
	}
	clock.Set(time.Date(2026, 3, 10, 0, 30, 0, 0, time.UTC)) // 01:30 in Stockholm
	if m := message("A6"); m != "" {
		t.Errorf("A6 on its sales start: message %q", m)
	}
	if n := reads.Load() - before; n != 2 {
		t.Errorf("the clock read %d times for two look-ups of a dated access", n)
	}
}
