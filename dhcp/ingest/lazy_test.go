package ingest

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stadsnat/accessd/dhcp/binding"
)

// A binding's lazy changes are written at every lazy interval, not only
// the first: each lazy write starts a new lazy set (pending.lazyGen), and
// a binding seen again after it joins the new one. A prompt write between
// two takes it out, and its next lazy change puts it back.
func TestLazyWritesEveryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, Config{LazyInterval: time.Minute}, access("A1", "10.0.0.1 ge-0/0/1"))
		defer h.stop()
		req := relayRequest(mac(1), "10.64.0.1", "ge-0/0/1", "10.0.0.1")
		repeat := func(n int) {
			for range n {
				time.Sleep(time.Second)
				h.push(binding.SourceRelay, req)
			}
			time.Sleep(30 * time.Millisecond)
			synctest.Wait()
		}
		storedNow := func(when string) {
			t.Helper()
			live, _ := h.s.Binding(mac(1))
			if got := h.stored()[mac(1)]; !got.LastSeen.Equal(live.LastSeen) {
				t.Errorf("%s: stored LastSeen %v, live %v", when, got.LastSeen, live.LastSeen)
			}
		}
		h.push(binding.SourceRelay, req)
		repeat(10)
		time.Sleep(time.Minute - 10*time.Second)
		synctest.Wait()
		storedNow("after the first lazy interval")
		repeat(5)
		time.Sleep(time.Minute)
		synctest.Wait()
		storedNow("after the second lazy interval")
		// A prompt change (another client takes its address) between two
		// lazy intervals.
		h.push(binding.SourceRelay, relayRequest(mac(1), "10.64.0.2", "ge-0/0/1", "10.0.0.1"))
		time.Sleep(30 * time.Millisecond)
		synctest.Wait()
		storedNow("after a prompt change")
		repeat(5)
		time.Sleep(time.Minute)
		synctest.Wait()
		storedNow("after the third lazy interval")
	})
}
