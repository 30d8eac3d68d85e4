package upstream

import (
	"context"
	"fmt"
	"time"

	"github.com/stadsnat/accessd/cmd/internal/admin"
)

// status is the upstream section of accessctl status: one row per sink
// (lag, oldest age, paused or failing), the portal and the pull.
func (s *System) status() admin.Section {
	sec := admin.Section{Title: "upstream"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, name := range s.sinkNames() {
		run := s.runners[name]
		if run == nil {
			st, err := s.storage.Stats(ctx, name)
			if err == nil && st.Pending+st.Parked > 0 {
				sec.Rows = append(sec.Rows, [2]string{name, fmt.Sprintf("not configured: %d waiting, %d parked", st.Pending, st.Parked)})
			}
			continue
		}
		st, err := run.Status(ctx)
		if err != nil {
			sec.Rows = append(sec.Rows, [2]string{name, "status unknown: " + err.Error()})
			continue
		}
		v := fmt.Sprintf("%d waiting", st.Lag)
		if st.Lag > 0 {
			v += fmt.Sprintf(" (oldest %s)", st.OldestAge.Round(time.Second))
		}
		v += fmt.Sprintf(", %d parked", st.Parked)
		switch {
		case st.Paused:
			v += ", paused (" + st.PauseReason + ")"
		case st.Failing > 0:
			v += fmt.Sprintf(", failing since %d attempts", st.Failing)
		}
		sec.Rows = append(sec.Rows, [2]string{name, v})
	}
	if s.portal != nil {
		f := s.portal.Follower.Status()
		v := "last poll " + when(f.LastPoll)
		if f.LastError != "" {
			v += ", failing"
		}
		sec.Rows = append(sec.Rows, [2]string{"atlas portal orders", fmt.Sprintf("%s, %d read in", v, f.ReadIn)})
	}
	if s.pull != nil {
		p := s.pull.Status()
		v := "last success " + when(p.LastSuccess)
		if p.Refused {
			v += ", last pull refused: " + p.LastError
		} else if p.LastError != "" {
			v += ", last pull failed"
		}
		sec.Rows = append(sec.Rows, [2]string{"inventory pull", v})
	}
	if len(sec.Rows) == 0 {
		sec.Rows = append(sec.Rows, [2]string{"sinks", "none configured"})
	}
	return sec
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format(time.DateTime)
}
