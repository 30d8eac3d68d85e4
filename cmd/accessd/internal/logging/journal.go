// Package logging makes accessd's logger: native journal fields when
// stderr is the systemd journal, JSON or text lines otherwise; and the
// adapter that sends net/http's own error log to it without the clients'
// addresses.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/coreos/go-systemd/v22/journal"

	"github.com/stadsnat/accessd/cmd/internal/config"
)

// New makes the daemon's logger: native journal fields when stderr is the
// journal (or format is "journal"), JSON or text lines on stderr
// otherwise; lv may change while it runs (a slog.LevelVar).
func New(stderr io.Writer, format config.LogFormat, lv slog.Leveler) *slog.Logger {
	opts := &slog.HandlerOptions{Level: lv}
	if format == config.LogAuto {
		format = "text"
		if ok, _ := journal.StderrIsJournalStream(); ok && journal.Enabled() {
			format = "journal"
		}
	}
	switch format {
	case config.LogJournal:
		return slog.New(newJournalHandler(lv, journal.Send))
	case config.LogJSON:
		return slog.New(slog.NewJSONHandler(stderr, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}

// NOCFields maps the attribute keys that name what a log line is about
// to their journal fields, which the NOC searches by (`journalctl
// ACCESS_ID=ALS10001`, `journalctl SWITCH=10.0.0.2:161 PORT=ge-0/0/1`,
// `journalctl ORDER_ID=…`). Every subsystem uses these keys for these
// things; the field is the same whatever group the attribute is in.
//
//	access_id  ACCESS_ID  an AccessId
//	switch     SWITCH     a switch as polled: its address, host:port
//	port       PORT       a switch port's name as the inventory writes it
//	order_id   ORDER_ID   an order's OrderId (accessd's own)
var NOCFields = map[string]string{
	"access_id": "ACCESS_ID",
	"switch":    "SWITCH",
	"port":      "PORT",
	"order_id":  "ORDER_ID",
}

// journalSend sends one entry to the journal (journal.Send; a test's fake).
type journalSend func(msg string, p journal.Priority, vars map[string]string) error

// journalHandler writes records to the systemd journal with their
// attributes as journal fields (ACCESS_ID=…, SWITCH=…, see NOCFields), so
// `journalctl ACCESS_ID=A1` finds everything about one access.
type journalHandler struct {
	level  slog.Leveler
	send   journalSend
	attrs  []groupedAttr // from WithAttrs, each with the groups open then
	prefix string        // the groups open now, "G1_G2_"
}

// groupedAttr is an attribute and the field prefix of its groups.
type groupedAttr struct {
	prefix string
	attr   slog.Attr
}

func newJournalHandler(lv slog.Leveler, send journalSend) *journalHandler {
	return &journalHandler{level: lv, send: send}
}

func (h *journalHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *journalHandler) Handle(_ context.Context, r slog.Record) error {
	vars := map[string]string{"SYSLOG_IDENTIFIER": "accessd"}
	var add func(prefix string, a slog.Attr)
	add = func(prefix string, a slog.Attr) {
		a.Value = a.Value.Resolve()
		if a.Value.Kind() == slog.KindGroup {
			for _, g := range a.Value.Group() {
				add(prefix+a.Key+"_", g)
			}
			return
		}
		name, ok := NOCFields[a.Key]
		if !ok {
			name = fieldName(prefix + a.Key)
		}
		vars[name] = a.Value.String()
	}
	for _, a := range h.attrs {
		add(a.prefix, a.attr)
	}
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		add(h.prefix, a)
		msg += " " + a.Key + "=" + quoteIfNeeded(a.Value.String())
		return true
	})
	return h.send(msg, priority(r.Level), vars)
}

func (h *journalHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append([]groupedAttr(nil), h.attrs...)
	for _, a := range as {
		c.attrs = append(c.attrs, groupedAttr{h.prefix, a})
	}
	return &c
}

func (h *journalHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix += name + "_"
	return &c
}

func priority(l slog.Level) journal.Priority {
	switch {
	case l >= slog.LevelError:
		return journal.PriErr
	case l >= slog.LevelWarn:
		return journal.PriWarning
	case l >= slog.LevelInfo:
		return journal.PriInfo
	}
	return journal.PriDebug
}

// fieldName turns an attribute key into a journal field name: upper case,
// letters, digits and underscores, not starting with an underscore.
func fieldName(k string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(k) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), "_0123456789")
	if s == "" {
		return "FIELD"
	}
	return s
}

func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"=") {
		return fmt.Sprintf("%q", s)
	}
	return s
}
