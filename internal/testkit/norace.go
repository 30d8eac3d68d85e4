//go:build !race

package testkit

// RaceEnabled reports whether the test binary has the race detector: the
// commands Binaries builds then have it too.
const RaceEnabled = false
