package atlasportal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal/portaltest"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
)

// everything is what an operator can see: the log (at debug), the status
// of the runner, the follower and the state as JSON, and the metrics.
func (r *rig) everything(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	b.WriteString(r.log.String())
	st, _ := r.runner.Status(ctx)
	parked, _ := r.runner.ListParked(ctx, 0, 100)
	for _, v := range []any{st, parked, r.p.Follower.Status()} {
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
	}
	for _, o := range r.engine.Orders() {
		s := r.portalState(t, o.PortalOrderID)
		fmt.Fprintf(&b, "%+v %v", s, o)
		j, _ := json.Marshal(o)
		b.Write(j)
	}
	mfs, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			fmt.Fprintf(&b, "%s %v %v %v\n", mf.GetName(), m.GetLabel(), m.GetGauge().GetValue(), m.GetCounter().GetValue())
		}
	}
	return b.String()
}

// TestNoSecretsOrPersonalData: through a refused key (the sink pauses),
// an outage and normal work under the store policy, neither the API key,
// nor a login hash, nor the customer's data appears in anything an
// operator sees.
func TestNoSecretsOrPersonalData(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := 0
		var hashes []string
		r := newRig(t, rigOptions{key: "wrong-key-SECRET", policy: atlasportal.CustomerStore, newHash: func() string {
			n++
			h := fmt.Sprintf("hash%028d", n)
			hashes = append(hashes, h)
			return h
		}})
		r.portal.AddOrder(portaltest.Order{ID: 1, Socket: "AB1", ServiceUID: "BB100", CustomerID: 9})
		r.portal.AddCustomer(portaltest.Customer{ID: 9, FirstName: "Åsa", Surname: "Öberg", Email: "asa@example.se", Phone: "0701234567"})
		if _, err := r.engine.PlaceDirect(context.Background(), "1", "AB1", "BB100", time.Time{}); err != nil {
			t.Fatal(err)
		}
		r.start()
		time.Sleep(time.Hour)
		synctest.Wait()
		st, _ := r.runner.Status(context.Background())
		if !st.Paused || st.PauseReason != outbox.PauseAuth || !strings.Contains(st.PauseError, "wrong api_user or api_key") {
			t.Errorf("a refused key must pause the sink: %+v", st)
		}
		if r.everything(t) == "" || strings.Contains(r.everything(t), "wrong-key-SECRET") {
			t.Error("the key is visible")
		}
		r.stop()

		// The right key, an outage, the portal back.
		r2 := newRig(t, rigOptions{policy: atlasportal.CustomerStore, newHash: func() string {
			n++
			h := fmt.Sprintf("hash%028d", n)
			hashes = append(hashes, h)
			return h
		}})
		r2.portal.AddOrder(portaltest.Order{ID: 1, Socket: "AB1", ServiceUID: "BB100", CustomerID: 9})
		r2.portal.AddCustomer(portaltest.Customer{ID: 9, FirstName: "Åsa", Surname: "Öberg", Email: "asa@example.se", Phone: "0701234567"})
		r2.portal.SetUplink(portaltest.Refusing)
		r2.start()
		time.Sleep(time.Hour)
		r2.portal.SetUplink(portaltest.Up)
		time.Sleep(time.Hour)
		synctest.Wait()
		r2.stop()
		if r2.portal.Status(1) != "delivered" || r2.portal.Calls("customer_info") != 1 {
			t.Fatalf("the order did not go through: %s, customer_info %d", r2.portal.Status(1), r2.portal.Calls("customer_info"))
		}
		if len(hashes) < 4 {
			t.Fatalf("only %d logins: the test must see hashes renewed", len(hashes))
		}
		seen := r2.everything(t)
		for _, secret := range append([]string{"test-api-key", "Åsa", "Öberg", "asa@example", "0701234567"}, hashes...) {
			if strings.Contains(seen, secret) {
				t.Errorf("%q is visible to the operator", secret)
			}
		}
	})
}
