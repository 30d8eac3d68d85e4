package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/coreos/go-systemd/v22/journal"
)

// newLogger makes the daemon's logger: native journal fields when stderr is
// the journal (or format is "journal"), JSON or text lines on stderr
// otherwise.
func newLogger(stderr io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "auto" {
		format = "text"
		if ok, _ := journal.StderrIsJournalStream(); ok && journal.Enabled() {
			format = "journal"
		}
	}
	switch format {
	case "journal":
		return slog.New(&journalHandler{level: lv})
	case "json":
		return slog.New(slog.NewJSONHandler(stderr, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}

// journalHandler writes records to the systemd journal with their
// attributes as journal fields (ACCESS_ID=…, SWITCH=…), so `journalctl
// ACCESS_ID=A1` finds everything about one access.
type journalHandler struct {
	level  slog.Level
	attrs  []slog.Attr
	groups []string
}

func (h *journalHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

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
		vars[fieldName(prefix+a.Key)] = a.Value.String()
	}
	prefix := ""
	for _, g := range h.groups {
		prefix += g + "_"
	}
	for _, a := range h.attrs {
		add(prefix, a)
	}
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		add(prefix, a)
		msg += " " + a.Key + "=" + quoteIfNeeded(a.Value.String())
		return true
	})
	return journal.Send(msg, priority(r.Level), vars)
}

func (h *journalHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

func (h *journalHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.groups = append(append([]string(nil), h.groups...), name)
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
