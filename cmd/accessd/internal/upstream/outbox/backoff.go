package outbox

import (
	"math/rand/v2"
	"time"
)

// Backoff is the wait between attempts to deliver an entry that failed
// transiently: Initial after the first failure, times Multiplier after
// each further one, at most Max; each wait is drawn uniformly from
// [d·(1−Jitter), d] so that sinks recovering together do not retry in
// step.
type Backoff struct {
	Initial    time.Duration // default 1s
	Max        time.Duration // the cap; default 5m
	Multiplier float64       // default 2
	Jitter     float64       // 0…1; default 0.5
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = time.Second
	}
	if b.Max <= 0 {
		b.Max = 5 * time.Minute
	}
	b.Max = max(b.Max, b.Initial)
	if b.Multiplier < 1 {
		b.Multiplier = 2
	}
	if b.Jitter <= 0 || b.Jitter > 1 {
		b.Jitter = 0.5
	}
	return b
}

// Delay is the wait after the n-th consecutive failure (n ≥ 1); rnd
// returns a number in [0, 1).
func (b Backoff) Delay(n int, rnd func() float64) time.Duration {
	b = b.withDefaults()
	d := float64(b.Initial)
	for i := 1; i < n && d < float64(b.Max); i++ {
		d *= b.Multiplier
	}
	d = min(d, float64(b.Max))
	if rnd == nil {
		rnd = rand.Float64
	}
	return time.Duration(d * (1 - b.Jitter*rnd()))
}
