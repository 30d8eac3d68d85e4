package noc

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// seg is a segment without its title, for comparisons.
type seg struct {
	X, W  int
	Class string
}

func segs(t timeline) []seg {
	var out []seg
	for _, s := range t.Segs {
		out = append(out, seg{s.X, s.W, s.Class})
	}
	return out
}

func TestTimeline(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	ago := func(h float64) time.Time { return now.Add(-time.Duration(h * float64(time.Hour))) }
	tr := func(h float64, from, to string) Transition {
		return Transition{At: ago(h), Since: ago(h), SinceExact: true, From: from, To: to}
	}
	for _, tc := range []struct {
		name  string
		link  Link
		want  []seg
		flaps []int
	}{{
		name: "no history at all: nothing known but the state now",
		link: Link{State: LinkUnknown},
		want: []seg{{0, 720, "nodata"}},
	}, {
		name: "up for longer than the window",
		link: Link{State: LinkUp, Since: ago(30), Transitions: []Transition{tr(30, "", LinkUp)}},
		want: []seg{{0, 720, "up"}},
	}, {
		name: "first seen 12 h ago: no data before",
		link: Link{State: LinkUp, Since: ago(12), Transitions: []Transition{tr(12, "", LinkUp)}},
		want: []seg{{0, 360, "nodata"}, {360, 360, "up"}},
	}, {
		name: "the oldest transition remembered says what came before it",
		link: Link{State: LinkDown, Since: ago(6), Transitions: []Transition{tr(6, LinkUp, LinkDown)}},
		want: []seg{{0, 540, "up"}, {540, 180, "down"}},
	}, {
		name: "down and up again, newest first; a short outage stays visible",
		link: Link{State: LinkUp, Since: ago(1), Transitions: []Transition{
			tr(1, LinkDown, LinkUp), tr(1.01, LinkUp, LinkDown), tr(12, LinkDown, LinkUp), tr(18, LinkUp, LinkDown), tr(48, "", LinkUp),
		}, FlapTimes: []time.Time{ago(30), ago(18), ago(1.01), now.Add(time.Minute)}},
		want:  []seg{{0, 180, "up"}, {180, 180, "down"}, {360, 329, "up"}, {689, 1, "down"}, {690, 30, "up"}},
		flaps: []int{180, 689},
	}, {
		name: "an outage shorter than a unit is one unit wide",
		link: Link{State: LinkUp, Transitions: []Transition{tr(1.19, LinkDown, LinkUp), tr(1.2, LinkUp, LinkDown), tr(30, "", LinkUp)}},
		want: []seg{{0, 684, "up"}, {684, 1, "down"}, {685, 35, "up"}},
	}, {
		name: "a state gone stale is UNKNOWN from its last confirmation",
		link: Link{State: LinkUnknown, Confirmed: ago(2), Transitions: []Transition{tr(10, LinkDown, LinkUp)}},
		want: []seg{{0, 420, "down"}, {420, 240, "up"}, {660, 60, "unknown"}},
	}, {
		name: "an UNKNOWN link with its own since",
		link: Link{State: LinkUnknown, Since: ago(3), Confirmed: ago(3), Transitions: []Transition{tr(3, LinkUp, LinkUnknown), tr(40, "", LinkUp)}},
		want: []seg{{0, 630, "up"}, {630, 90, "unknown"}},
	}, {
		name: "without the switch's since, when accessd learnt it",
		link: Link{State: LinkDown, Transitions: []Transition{{At: ago(6), From: LinkUp, To: LinkDown}}},
		want: []seg{{0, 540, "up"}, {540, 180, "down"}},
	}, {
		name: "speed changes (same link) do not split the bar",
		link: Link{State: LinkUp, Transitions: []Transition{tr(2, LinkUp, LinkUp), tr(5, LinkUp, LinkUp), tr(30, "", LinkUp)}},
		want: []seg{{0, 720, "up"}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			tl := newTimeline(&tc.link, now, time.UTC)
			if diff := cmp.Diff(tc.want, segs(tl)); diff != "" {
				t.Errorf("segments (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.flaps, tl.Flaps); diff != "" {
				t.Errorf("flap ticks (-want +got):\n%s", diff)
			}
			end := 0
			for _, s := range tl.Segs {
				if s.X < end || s.W <= 0 {
					t.Errorf("segment %+v overlaps or is empty (previous ended at %d)", s, end)
				}
				end = s.X + s.W
			}
			if end != tlWidth {
				t.Errorf("the bar ends at %d, want %d", end, tlWidth)
			}
		})
	}
}
