package logging

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/coreos/go-systemd/v22/journal"
	"github.com/google/go-cmp/cmp"
)

// entry is one journal entry the fake journal received.
type entry struct {
	Msg  string
	Pri  journal.Priority
	Vars map[string]string
}

// fakeJournal records what the handler sends instead of the journal's
// socket.
type fakeJournal struct{ got []entry }

func (f *fakeJournal) send(msg string, p journal.Priority, vars map[string]string) error {
	f.got = append(f.got, entry{msg, p, vars})
	return nil
}

// The attributes that say what a line is about become the journal fields
// the NOC searches by, under their own names whatever group or logger
// they come from; every other attribute becomes an upper-case field too.
func TestJournalFields(t *testing.T) {
	var f fakeJournal
	var lv slog.LevelVar
	log := slog.New(newJournalHandler(&lv, f.send)).With("subsystem", "orders")
	log.Info("order done", "order_id", "5f0c", "access_id", "ALS10001", "service", "BB100100")
	log.Warn("switch does not answer", "switch", "127.0.0.1:16161", "port", "acc1")
	log.WithGroup("peer").Error("cluster order refused", "access_id", "ALS10002", "order_id", "77", "why", "stale")
	log.Debug("dropped: below the level")

	want := []entry{
		{"order done order_id=5f0c access_id=ALS10001 service=BB100100", journal.PriInfo, map[string]string{
			"SYSLOG_IDENTIFIER": "accessd", "SUBSYSTEM": "orders", "ORDER_ID": "5f0c", "ACCESS_ID": "ALS10001", "SERVICE": "BB100100"}},
		{"switch does not answer switch=127.0.0.1:16161 port=acc1", journal.PriWarning, map[string]string{
			"SYSLOG_IDENTIFIER": "accessd", "SUBSYSTEM": "orders", "SWITCH": "127.0.0.1:16161", "PORT": "acc1"}},
		{"cluster order refused access_id=ALS10002 order_id=77 why=stale", journal.PriErr, map[string]string{
			"SYSLOG_IDENTIFIER": "accessd", "SUBSYSTEM": "orders", "ACCESS_ID": "ALS10002", "ORDER_ID": "77", "PEER_WHY": "stale"}},
	}
	if diff := cmp.Diff(want, f.got); diff != "" {
		t.Errorf("journal entries (-want +got):\n%s", diff)
	}
}

// A key that is not a valid journal field name is made one.
func TestFieldName(t *testing.T) {
	for in, want := range map[string]string{
		"access_id": "ACCESS_ID", "if-index": "IF_INDEX", "_private": "PRIVATE", "9lives": "LIVES", "ö": "FIELD", "a.b": "A_B",
	} {
		if got := fieldName(in); got != want {
			t.Errorf("fieldName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every NOC field is a valid journal field name, and they are distinct.
func TestNOCFieldsAreJournalFields(t *testing.T) {
	seen := map[string]bool{}
	for k, v := range NOCFields {
		if fieldName(v) != v || strings.HasPrefix(v, "_") || seen[v] {
			t.Errorf("%s ⇒ %s: not a valid, distinct journal field name", k, v)
		}
		seen[v] = true
	}
}
