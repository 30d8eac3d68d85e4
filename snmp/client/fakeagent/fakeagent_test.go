package fakeagent

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/snmp/client"
	"github.com/stadsnat/accessd/snmp/ifmib"
)

func agent() *Agent {
	var vbs []ifmib.Varbind
	vbs = append(vbs, ifmib.Varbind{OID: ifmib.OIDSysUpTime, Type: ifmib.TypeTimeTicks, Uint: 500})
	for _, idx := range []int{1, 2, 10} {
		vbs = append(vbs,
			ifmib.Varbind{OID: ifmib.ColOper.Instance(idx), Type: ifmib.TypeInteger, Int: 1},
			ifmib.Varbind{OID: ifmib.ColLastChange.Instance(idx), Type: ifmib.TypeTimeTicks, Uint: 7})
	}
	return New(vbs)
}

func oids(vbs []ifmib.Varbind) []string {
	out := make([]string, len(vbs))
	for i, v := range vbs {
		out[i] = v.OID
	}
	return out
}

// TestGetBulkOrder: non-repeaters first, then repetitions row-major, in
// OID order (10 after 2), running past the column.
func TestGetBulkOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNetwork()
		n.Add("a:161", agent())
		c, err := n.Dial(t.Context(), client.Target{Address: "a:161", Credentials: client.Credentials{Community: "c"}, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		got, err := c.GetBulk(t.Context(), []string{ifmib.OIDSysUpTimeObject}, []string{ifmib.ColOper.OID(), ifmib.ColLastChange.OID()}, 4)
		if err != nil {
			t.Fatal(err)
		}
		// after ifOperStatus.10 the oper "column" runs into ifLastChange.1;
		// after ifLastChange.10 the MIB view ends
		want := []string{ifmib.OIDSysUpTime,
			ifmib.ColOper.Instance(1), ifmib.ColLastChange.Instance(1),
			ifmib.ColOper.Instance(2), ifmib.ColLastChange.Instance(2),
			ifmib.ColOper.Instance(10), ifmib.ColLastChange.Instance(10),
			ifmib.ColLastChange.Instance(1), ifmib.ColLastChange.Instance(10)}
		if diff := cmp.Diff(want, oids(got)); diff != "" {
			t.Errorf("GetBulk OIDs (-want +got):\n%s", diff)
		}
		if got[8].Type != ifmib.TypeEndOfMibView {
			t.Errorf("last varbind %v, want endOfMibView", got[8])
		}
		if got[0].Uint != 700 {
			t.Errorf("sysUpTime after 2 s = %d, want 700", got[0].Uint)
		}
	})
}

func TestDownTimesOutWithRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNetwork()
		a := agent()
		a.SetDown(true)
		n.Add("a:161", a)
		sends, retries := 0, 0
		c, _ := n.Dial(t.Context(), client.Target{Address: "a:161", Credentials: client.Credentials{Community: "c"},
			Timeout: time.Second, Retries: 2, Hooks: client.Hooks{OnSend: func() { sends++ }, OnRetry: func() { retries++ }}})
		t0 := time.Now()
		_, err := c.Get(t.Context(), []string{ifmib.OIDSysUpTime})
		if !errors.Is(err, client.ErrTimeout) || time.Since(t0) != 3*time.Second || sends != 3 || retries != 2 {
			t.Errorf("err %v after %v, %d sends %d retries; want ErrTimeout after 3s, 3 sends, 2 retries", err, time.Since(t0), sends, retries)
		}
	})
}

func TestLimitResponseTooBig(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNetwork()
		a := agent()
		a.LimitResponse(3, 0)
		n.Add("a:161", a)
		c, _ := n.Dial(t.Context(), client.Target{Address: "a:161", Credentials: client.Credentials{Community: "c"}, Timeout: time.Second})
		if _, err := c.GetBulk(t.Context(), nil, []string{ifmib.ColOper.OID()}, 4); !errors.Is(err, client.ErrTooBig) {
			t.Errorf("GetBulk over the limit: %v, want ErrTooBig", err)
		}
		if _, err := c.GetBulk(t.Context(), nil, []string{ifmib.ColOper.OID()}, 3); err != nil {
			t.Errorf("GetBulk at the limit: %v", err)
		}
	})
}
