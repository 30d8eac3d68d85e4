package main_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/stadsnat/accessd/internal/testkit"
)

// Two hub instances, each its own process and store, on one NATS: a runs
// the embedded server (with a client port) and b connects to it by url.
// Orders placed with either are carried out once (one hook run each, by
// whichever instance took it), and both instances show them done with
// the service active. A malformed message and one from a site the hub
// does not list, put on the facts stream's subjects, are counted and
// skipped by both.
func TestClusterTwoHubInstances(t *testing.T) {
	testkit.SkipShort(t, "end-to-end test of two hub instances (real daemons, one NATS)")
	root := t.TempDir()
	hookLog := filepath.Join(root, "hook.log")
	hook := filepath.Join(root, "activate")
	script := "#!/bin/sh\ncat >> " + hookLog + "\necho >> " + hookLog + "\necho provisioned\n"
	if err := os.WriteFile(hook, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	client := testkit.FreeTCPAddr(t)
	a := startHub(t, filepath.Join(root, "a"), "a", testkit.FreeTCPAddr(t), client, "", hook)
	b := startHub(t, filepath.Join(root, "b"), "b", "", "", "nats://"+client, hook)
	if code, out, errOut := a.ctl("import", clusterInventory(t, root)); code != 0 {
		t.Fatalf("import at a: exit %d %s%s", code, out, errOut)
	}
	waitBody(t, b, "/ko/api/1/", "<Count>16</Count>") // b follows a's imports

	var orders []string
	for i, placed := range []*clusterNode{a, b, a, b} {
		access := []string{"N1", "N2", "S1", "S2"}[i]
		r := placed.req("POST", "/api/2.3/orders/", `{"accessId": "`+access+`", "service": "BB100100", "operation": "ACTIVATE",
			"forcedTakeover": false}`, sp...)
		placed.expect(r, 201, `"state":"RECEIVED"`)
		orders = append(orders, r.header.Get("Location"))
	}
	for _, loc := range orders {
		for _, n := range []*clusterNode{a, b} {
			waitBody(t, n, loc, `"state":"DONE_SUCCESS"`)
		}
	}
	waitBody(t, a, "/api/2.3/accesses/S2", `"active":[{"service":"BB100100"`)
	waitBody(t, b, "/api/2.3/accesses/N1", `"active":[{"service":"BB100100"`)
	log, err := os.ReadFile(hookLog)
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range orders {
		id := loc[strings.LastIndex(loc, "/")+1:]
		if n := strings.Count(string(log), `"order":"`+id+`"`); n != 1 {
			t.Errorf("order %s: the hook ran %d times, want once", id, n)
		}
	}
	badMessagesAreCounted(t, client, a, b)
}

// badMessagesAreCounted puts a malformed message and a fact of an unlisted
// site on the hub's facts subjects, as anyone reaching them could.
func badMessagesAreCounted(t *testing.T, client string, hubs ...*clusterNode) {
	t.Helper()
	nc, err := nats.Connect("nats://" + client)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	rogue, _ := json.Marshal(map[string]any{"v": 1, "site": "pop-rogue", "kind": "link", "seq": 1, "id": "pop-rogue/link/1",
		"at": time.Now().UTC(), "payload": map[string]any{"switch": "192.0.2.1:161", "port": "p1", "link": "UP",
			"since": time.Now().UTC(), "sinceExact": true, "polledAt": time.Now().UTC(), "reachable": true}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, m := range []*nats.Msg{
		{Subject: "accessd.facts.hub.binding", Data: []byte("not a message at all")},
		{Subject: "accessd.facts.hub.link", Data: rogue, Header: nats.Header{"Nats-Msg-Id": []string{"pop-rogue/link/1"}}},
	} {
		if _, err := js.PublishMsg(m, nats.Context(ctx)); err != nil {
			t.Fatalf("publish on %s: %v", m.Subject, err)
		}
	}
	for _, h := range hubs {
		testkit.WaitUntil(t, 30*time.Second, h.name+" to count both refusals", func() bool {
			return h.metric(t, `accessd_cluster_messages_refused_total{reason="malformed",stream="FACTS"}`) == 1 &&
				h.metric(t, `accessd_cluster_messages_refused_total{reason="unlisted",stream="FACTS"}`) == 1
		})
	}
}
