package atlasportal

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTransitions(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	later := now.Add(48 * time.Hour)
	for _, tt := range []struct {
		name string
		o    LocalOrder
		want []Update
	}{
		{"created now", LocalOrder{State: LocalReceived, Created: true}, []Update{{Status: StatusReceived}}},
		{"created for later", LocalOrder{State: LocalReceived, Created: true, Due: later},
			[]Update{{Status: StatusReceived}, {Status: StatusWaiting}}},
		{"scheduled", LocalOrder{State: LocalReceived, Due: later}, []Update{{Status: StatusWaiting}}},
		{"put back after a stop", LocalOrder{State: LocalReceived, Due: now}, []Update{{Status: StatusReceived}}},
		{"running", LocalOrder{State: LocalInProgress}, []Update{{Status: StatusActive}}},
		{"done", LocalOrder{State: LocalDone, Message: "activated"}, []Update{{Status: StatusDelivered}}},
		{"failed", LocalOrder{State: LocalFailed, Message: "hook exited 3: port down"},
			[]Update{{Status: StatusCancelled, Message: "accessd: hook exited 3: port down", MessageType: MessageError}}},
		{"failed without a reason", LocalOrder{State: LocalFailed},
			[]Update{{Status: StatusCancelled, Message: "accessd: activation failed", MessageType: MessageError}}},
		{"not an atlas order", LocalOrder{State: LocalDone, PortalOrderID: "-"}, nil},
	} {
		o := tt.o
		o.ID = "local-1"
		if o.PortalOrderID == "" {
			o.PortalOrderID = "1234"
		}
		var got []Update
		for _, e := range Transitions(o, now) {
			var u Update
			if err := json.Unmarshal(e.Payload, &u); err != nil {
				t.Fatal(err)
			}
			if e.Sink != SinkName || e.Key != "order/1234" || e.Kind != KindOrderStatus || e.IdempotencyKey != "atlas-portal/1234/"+string(u.Status) || !e.Created.Equal(now) {
				t.Errorf("%s: entry %+v", tt.name, e)
			}
			if u.Order != "1234" || u.LocalOrder != "local-1" {
				t.Errorf("%s: update %+v", tt.name, u)
			}
			u.Order, u.LocalOrder = "", ""
			got = append(got, u)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	if es := Transitions(LocalOrder{ID: "x", State: LocalDone}, now); len(es) != 0 {
		t.Errorf("an order without a portal id made %d entries", len(es))
	}
}

func TestForward(t *testing.T) {
	for _, tt := range []struct {
		from, to Status
		want     bool
	}{
		{"", StatusReceived, true}, {"", StatusDelivered, true},
		{StatusNew, StatusReceived, true}, {StatusNew, StatusDelivered, true},
		{StatusReceived, StatusWaiting, true}, {StatusWaiting, StatusActive, true}, {StatusActive, StatusDelivered, true},
		{StatusActive, StatusCancelled, true}, {StatusReceived, StatusCancelled, true},
		{StatusReceived, StatusReceived, false}, {StatusActive, StatusWaiting, false}, {StatusActive, StatusReceived, false},
		{StatusDelivered, StatusCancelled, false}, {StatusCancelled, StatusDelivered, false}, {StatusReceived, StatusNew, false},
		{StatusNew, "done", false},
	} {
		if got := Forward(tt.from, tt.to); got != tt.want {
			t.Errorf("Forward(%q, %q) = %v", tt.from, tt.to, got)
		}
	}
}
