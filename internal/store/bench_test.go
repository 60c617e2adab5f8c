package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/store"
	"github.com/cccops/cccops/internal/store/pgtest"
	"github.com/cccops/cccops/internal/store/storetest"
)

// The store's share of a call: a read pays a rate-limit Take (two buckets:
// the principal's and its class's) and a single-use key (Slack replay
// memory or a token); a confirmation pays a Create and a Move. Each
// benchmark reports the median of single operations (p50-µs) and, with 8
// goroutines, operations per second (ops/s).
//
//	go test -bench . -run '^$' ./internal/store/

func BenchmarkStoreMemory(b *testing.B) {
	benchStore(b, func(b *testing.B) store.Store { return store.NewMemory(store.Options{}) })
}

func BenchmarkStoreSQLite(b *testing.B) {
	benchStore(b, func(b *testing.B) store.Store {
		s, err := store.OpenSQLite(filepath.Join(b.TempDir(), "bench.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}

func BenchmarkStorePostgres(b *testing.B) {
	benchStore(b, func(b *testing.B) store.Store {
		s, err := store.OpenPostgres(pgtest.NewDatabase(b), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}

var benchSeq atomic.Int64

func benchStore(b *testing.B, open func(*testing.B) store.Store) {
	ops := map[string]func(ctx context.Context, s store.Store) error{
		"TakeOnce": func(ctx context.Context, s store.Store) error {
			n := benchSeq.Add(1)
			who := fmt.Sprintf("mcp:client-%d|", n%8)
			l, _, err := s.Take(ctx, []store.Bucket{{Key: who, N: 1 << 30, Per: time.Minute}, {Key: who + "read", N: 1 << 30, Per: time.Minute}})
			if err != nil {
				return err
			}
			if l != -1 {
				return fmt.Errorf("limited")
			}
			ok, err := s.Once(ctx, "slack", fmt.Sprintf("sig-%d", n), time.Now().Add(5*time.Minute))
			if err == nil && !ok {
				err = fmt.Errorf("a fresh key was seen")
			}
			return err
		},
		"CreateMove": func(ctx context.Context, s store.Store) error {
			id := fmt.Sprintf("req-%d", benchSeq.Add(1))
			if err := s.Create(ctx, storetest.NewRequest(id, time.Now(), time.Hour)); err != nil {
				return err
			}
			_, err := s.Move(ctx, id, []store.State{store.Pending}, store.Approved, store.Change{By: "slack:T1:U2"})
			return err
		},
	}
	for _, name := range []string{"TakeOnce", "CreateMove"} {
		op := ops[name]
		b.Run(name, func(b *testing.B) {
			s := open(b)
			defer s.Close()
			ctx := context.Background()
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				if err := op(ctx, s); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
		})
		b.Run(name+"x8", func(b *testing.B) {
			s := open(b)
			defer s.Close()
			ctx := context.Background()
			var next atomic.Int64
			var wg sync.WaitGroup
			var failed atomic.Value
			b.ResetTimer()
			start := time.Now()
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if err := op(ctx, s); err != nil {
							failed.Store(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			el := time.Since(start)
			b.StopTimer()
			if err, _ := failed.Load().(error); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/el.Seconds(), "ops/s")
		})
	}
}
