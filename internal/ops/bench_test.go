package ops_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/ops"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/store"
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

// BenchmarkGather is one scrape's collection and text (without HTTP)
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
		if err := m.Registry().WriteText(context.Background(), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScrape is one whole GET /metrics (collection, the text format,
// the pending gauge read from a memory store) after 89 actions were called.
func BenchmarkScrape(b *testing.B) {
	for _, enc := range []string{"identity", "gzip"} {
		b.Run(enc, func(b *testing.B) {
			m := ops.NewMetrics()
			for _, c := range spec.Accesses {
				for _, a := range policy.ActionsOf(c) {
					m.Observe(policy.Record{Action: a, Decision: policy.Allow, Result: policy.ResultOK, LatencyMS: 12})
				}
			}
			st := store.NewMemory(store.Options{})
			m.WatchPending(st, nil)
			h, err := ops.Handler(ops.Config{Metrics: m, Store: st})
			if err != nil {
				b.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/metrics", nil)
			req.RemoteAddr = "127.0.0.1:1234"
			req.Header.Set("Accept-Encoding", enc)
			b.ReportAllocs()
			var n int
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("/metrics: %d %s", w.Code, w.Body)
				}
				n = w.Body.Len()
			}
			b.ReportMetric(float64(n), "bytes/scrape")
		})
	}
}
