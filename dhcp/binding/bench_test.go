package binding

import (
	"testing"
	"time"
)

// BenchmarkApplyRenewal: the common case, a renewal of a bound binding.
func BenchmarkApplyRenewal(b *testing.B) {
	m := New(Config{})
	cur := Binding{MAC: macA, IP: ipX, State: Bound, Access: "acc1", Circuit: "c-acc1", Since: t0, LastSeen: t0,
		Expires: t0.Add(time.Hour), Confirmed: true, LeaseTime: time.Hour}
	o := renewal(macA, time.Minute, ipX, "acc1")
	b.ReportAllocs()
	for b.Loop() {
		r := m.Apply(&cur, nil, o)
		if r.Binding == nil {
			b.Fatal("no binding")
		}
	}
}

// BenchmarkApplyRenewalWith is BenchmarkApplyRenewal in a kept Scratch, as
// the ingest processor applies packets: nothing is allocated.
func BenchmarkApplyRenewalWith(b *testing.B) {
	m := New(Config{})
	cur := Binding{MAC: macA, IP: ipX, State: Bound, Access: "acc1", Circuit: "c-acc1", Since: t0, LastSeen: t0,
		Expires: t0.Add(time.Hour), Confirmed: true, LeaseTime: time.Hour}
	o := renewal(macA, time.Minute, ipX, "acc1")
	var s Scratch
	b.ReportAllocs()
	for b.Loop() {
		r := m.ApplyWith(&s, &cur, nil, o)
		if r.Binding == nil {
			b.Fatal("no binding")
		}
	}
}
