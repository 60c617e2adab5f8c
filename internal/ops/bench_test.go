package ops_test

import (
	"testing"

	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/ops"
	"github.com/cccops/cccops/internal/policy"
)

// BenchmarkObserve is what metrics add to each gate record (8 goroutines
// where the machine has them): a call's two records are sending (non-read
// only) and its outcome.
func BenchmarkObserve(b *testing.B) {
	m := ops.NewMetrics()
	r := policy.Record{Action: "ListAgentStates", Decision: policy.Allow, Result: policy.ResultOK, LatencyMS: 12}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Observe(r)
		}
	})
}

// BenchmarkGather is one scrape's collection (without the HTTP encoding)
// after 89 actions were called.
func BenchmarkGather(b *testing.B) {
	m := ops.NewMetrics()
	for _, c := range spec.Accesses {
		for _, a := range policy.ActionsOf(c) {
			m.Observe(policy.Record{Action: a, Decision: policy.Allow, Result: policy.ResultOK, LatencyMS: 12})
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Registry().Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
