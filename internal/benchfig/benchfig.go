// Package benchfig is the one shape of a performance figure: accessd's
// value beside its peer's (nginx, a bare net/http handler, a do-nothing
// UDP listener, net-snmp's snmpbulkwalk) measured in the same run, and the
// goal an issue set. The opt-in load tests write each figure they take as
// one line of their log (Report); the bench command
// (cmd/internal/bench, `make bench`) runs them, reads those lines back
// (Parse) and prints every figure as one table (Table) with its ratio and
// verdict.
//
// A ratio always reads "higher is better": for a rate it is accessd's
// value over the peer's, for a time or a size the peer's over accessd's.
// So "≤ 2× nginx's time" is a ratio goal of 0.5, and the short run that CI
// makes fails a figure only when its ratio is below half its goal (Judge).
package benchfig

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// Prefix starts the line of a figure in a test's output.
const Prefix = "BENCHFIG "

// EnvShort is the environment variable that asks the load tests for their
// short form (a few seconds per figure, smaller stores): the bench
// command's -short, which CI runs.
const EnvShort = "ACCESSD_BENCH_SHORT"

// Short reports whether the load tests should take their short form.
func Short() bool { return os.Getenv(EnvShort) == "1" }

// Logger is what Report writes to: a *testing.T or *testing.B.
type Logger interface {
	Helper()
	Log(args ...any)
}

// Report writes f as a figure line to t's log.
func Report(t Logger, f Figure) {
	t.Helper()
	t.Log(Line(f))
}

// Figure is one measured figure.
type Figure struct {
	// Name says what was measured and how: "option82 PI-API 2.3, wrk -t2 -c32".
	Name string `json:"name"`
	// Unit of Value and PeerValue: "req/s", "ms", "s", "MB", "pkt/s", "ns".
	Unit  string  `json:"unit"`
	Value float64 `json:"value"` // accessd's
	// Peer is what accessd is measured beside in the same run ("": none;
	// the goal is then a limit on Value).
	Peer      string  `json:"peer,omitempty"`
	PeerValue float64 `json:"peer_value,omitempty"`
	// Higher: a larger value is better (rates); else a smaller one
	// (times, sizes).
	Higher bool `json:"higher,omitempty"`
	// Goal: with a peer, the least ratio (see the package doc); without,
	// the limit on Value (at least when Higher, at most otherwise). 0:
	// no goal, a figure for information.
	Goal float64 `json:"goal,omitempty"`
	// Source is where the goal comes from ("#15") and anything the reader
	// needs to know about it.
	Source string `json:"source,omitempty"`
	// Scaled marks a figure of a short run whose absolute goal is for the
	// full size (100,000 accesses, 10 s of load): shown, not judged.
	Scaled bool `json:"scaled,omitempty"`
}

// Line is f as one line of a test's output: Prefix and its JSON.
func Line(f Figure) string {
	b, err := json.Marshal(f)
	if err != nil { // a Figure has no values that fail to marshal but NaN
		return Prefix + fmt.Sprintf(`{"name":%q,"unit":"error: %v"}`, f.Name, err)
	}
	return Prefix + string(b)
}

// Parse reads the figures in a test's output (go test -v: each line may
// carry the file:line prefix of t.Log), in order, and the other lines.
func Parse(r io.Reader) (figs []Figure, other []string, err error) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 4<<20)
	for s.Scan() {
		line := s.Text()
		i := strings.Index(line, Prefix)
		if i < 0 {
			other = append(other, line)
			continue
		}
		var f Figure
		if err := json.Unmarshal([]byte(line[i+len(Prefix):]), &f); err != nil {
			return figs, other, fmt.Errorf("figure line %q: %w", line, err)
		}
		figs = append(figs, f)
	}
	return figs, other, s.Err()
}

// Ratio is how accessd compares with its peer, higher is better; ok is
// false without a peer or a usable value.
func (f Figure) Ratio() (r float64, ok bool) {
	if f.Peer == "" || f.Value <= 0 || f.PeerValue <= 0 {
		return 0, false
	}
	if f.Higher {
		return f.Value / f.PeerValue, true
	}
	return f.PeerValue / f.Value, true
}

// Verdict is the outcome of one figure against its goal.
type Verdict int

// Verdicts, from good to bad.
const (
	NoGoal Verdict = iota // a figure for information, or a short run's scaled one
	Met                   // the goal holds
	Missed                // below the goal, but not far
	FarOff                // a ratio below half its goal: CI's short run fails
	Failed                // no usable value (a peer or the daemon gave nothing)
)

func (v Verdict) String() string {
	return [...]string{"—", "met", "NOT MET", "FAR OFF", "NO VALUE"}[v]
}

// Judge returns f's verdict. Only a ratio is ever FarOff: an absolute
// limit depends on the machine, a ratio to a peer of the same run does
// not.
func (f Figure) Judge() Verdict {
	if f.Goal == 0 || f.Scaled {
		return NoGoal
	}
	if math.IsNaN(f.Value) || math.IsInf(f.Value, 0) {
		return Failed // no value: a NaN compares false and would pass a limit
	}
	if f.Peer != "" {
		r, ok := f.Ratio()
		switch {
		case !ok || math.IsNaN(r):
			return Failed
		case r >= f.Goal:
			return Met
		case r < f.Goal/2:
			return FarOff
		}
		return Missed
	}
	if f.Value <= 0 && f.Higher {
		return Failed
	}
	if f.Higher == (f.Value >= f.Goal) || f.Value == f.Goal {
		return Met
	}
	return Missed
}
