package atlasportal_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/atlasportal/portaltest"
	"github.com/stadsnat/accessd/cmd/accessd/internal/upstream/outbox"
)

func deliverAll(t *testing.T, s outbox.Sink, es []outbox.Entry) {
	t.Helper()
	for _, e := range es {
		if err := s.Deliver(context.Background(), e); err != nil {
			t.Fatalf("deliver %s: %v", e.IdempotencyKey, err)
		}
	}
}

func transitionsOf(o atlasportal.LocalOrder, now time.Time) []outbox.Entry {
	return atlasportal.Transitions(o, now)
}

// TestSinkNeverBackNeverTwice: repeated, late and backwards entries send
// each forward transition once; the error message goes once.
func TestSinkNeverBackNeverTwice(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.portal.AddOrder(portaltest.Order{ID: 3, Socket: "AB3", ServiceUID: "BB100"})
	now := time.Now()
	o := atlasportal.LocalOrder{ID: "local-9", PortalOrderID: "3", State: atlasportal.LocalReceived, Created: true}
	received := transitionsOf(o, now)
	o.Created, o.State = false, atlasportal.LocalInProgress
	active := transitionsOf(o, now)
	o.State = atlasportal.LocalReceived // put back after a stop
	putBack := transitionsOf(o, now)
	o.State, o.Message = atlasportal.LocalFailed, "hook timed out"
	failed := transitionsOf(o, now)

	var all []outbox.Entry
	for _, es := range [][]outbox.Entry{received, received, active, putBack, active, failed, failed, active} {
		all = append(all, es...)
	}
	deliverAll(t, r.p.Sink, all)
	if diff := cmp.Diff([]string{"new>received", "received>active", "active>cancelled"}, r.transitions(3)); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
	if len(r.portal.Repeats()) != 0 || len(r.portal.Refusals()) != 0 {
		t.Errorf("repeats %v refusals %v", r.portal.Repeats(), r.portal.Refusals())
	}
	if msgs := r.portal.Messages(); len(msgs) != 1 || msgs[0].Text != "accessd: hook timed out" {
		t.Errorf("messages %+v", msgs)
	}
	if n := r.portal.Calls("order_info"); n != 1 {
		t.Errorf("order_info read %d times; once for an order without state", n)
	}
	s := r.portalState(t, "3")
	if s.Portal != atlasportal.StatusCancelled || s.LocalOrder != "local-9" || len(s.Messages) != 1 {
		t.Errorf("state %+v", s)
	}

	// After a restart the outbox may hand the same entries again: the
	// state says they were acknowledged, nothing reaches the portal.
	calls := r.portal.AllCalls()
	deliverAll(t, r.p.Sink, all)
	if diff := cmp.Diff(calls, r.portal.AllCalls()); diff != "" {
		t.Errorf("calls after redelivery (-before +after):\n%s", diff)
	}
}

// TestSinkPermanent: entries the sink cannot use, and refusals of the
// portal, are permanent (the runner parks them).
func TestSinkPermanent(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.portal.AddOrder(portaltest.Order{ID: 3, Socket: "AB3", ServiceUID: "BB100"})
	good := transitionsOf(atlasportal.LocalOrder{ID: "l", PortalOrderID: "3", State: atlasportal.LocalDone}, time.Now())[0]
	unknown := transitionsOf(atlasportal.LocalOrder{ID: "l", PortalOrderID: "404", State: atlasportal.LocalDone}, time.Now())[0]
	for name, e := range map[string]outbox.Entry{
		"kind":          {Sink: atlasportal.SinkName, Key: "k", IdempotencyKey: "i", Kind: "cubit.customer", Payload: good.Payload},
		"payload":       {Sink: atlasportal.SinkName, Key: "k", IdempotencyKey: "i", Kind: atlasportal.KindOrderStatus, Payload: []byte("{")},
		"order":         {Sink: atlasportal.SinkName, Key: "k", IdempotencyKey: "i", Kind: atlasportal.KindOrderStatus, Payload: []byte(`{"order":"x1","status":"active"}`)},
		"status":        {Sink: atlasportal.SinkName, Key: "k", IdempotencyKey: "i", Kind: atlasportal.KindOrderStatus, Payload: []byte(`{"order":"3","status":"done"}`)},
		"unknown order": unknown,
	} {
		if err := r.p.Sink.Deliver(context.Background(), e); outbox.ClassOf(err) != outbox.ClassPermanent {
			t.Errorf("%s: %v (class %v)", name, err, outbox.ClassOf(err))
		}
	}
	if err := r.p.Sink.Deliver(context.Background(), good); err != nil {
		t.Errorf("good entry: %v", err)
	}
}

// TestSinkAfterACrashMidSend: the process died after the portal took a
// set_status and before the acknowledgement was recorded (the state still
// says Sending). The redelivered entry reads the status back and sends
// nothing: the transition is applied once.
func TestSinkAfterACrashMidSend(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.portal.AddOrder(portaltest.Order{ID: 4, Socket: "AB4", ServiceUID: "BB100"})
	o := atlasportal.LocalOrder{ID: "local-4", PortalOrderID: "4", State: atlasportal.LocalInProgress}
	active := transitionsOf(o, time.Now())
	// What the dead process left: the portal at active, the state at
	// received with active being sent.
	r.portal.SetStatus(4, "active")
	if err := r.state.PutPortalOrder(context.Background(), atlasportal.PortalOrderState{ID: "4", LocalOrder: "local-4",
		Portal: atlasportal.StatusReceived, Sending: atlasportal.StatusActive}); err != nil {
		t.Fatal(err)
	}
	deliverAll(t, r.p.Sink, active)
	if n := r.portal.Calls("set_status"); n != 0 || len(r.portal.Repeats()) != 0 {
		t.Errorf("set_status called %d times, repeats %v: the transition was applied twice", n, r.portal.Repeats())
	}
	if s := r.portalState(t, "4"); s.Portal != atlasportal.StatusActive || s.Sending != "" {
		t.Errorf("state %+v: want active, nothing being sent", s)
	}
	o.State = atlasportal.LocalDone
	deliverAll(t, r.p.Sink, transitionsOf(o, time.Now()))
	if diff := cmp.Diff([]string{"active>delivered"}, r.transitions(4)); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
}
