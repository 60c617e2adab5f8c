package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// CallFunc makes one call along a measured path and reports whether it
// succeeded. A failed call stops a measurement: a fast error is not a fast
// call.
type CallFunc func(ctx context.Context) error

// Stats summarises a set of latencies.
type Stats struct {
	N                            int
	Min, P50, P90, P99, Max, Avg time.Duration
}

// Summarize computes Stats from latencies; it sorts a copy, not the input.
func Summarize(d []time.Duration) Stats {
	if len(d) == 0 {
		return Stats{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	var sum time.Duration
	for _, v := range s {
		sum += v
	}
	return Stats{
		N: len(s), Min: s[0], Max: s[len(s)-1], Avg: sum / time.Duration(len(s)),
		P50: Percentile(s, 50), P90: Percentile(s, 90), P99: Percentile(s, 99),
	}
}

// Percentile returns the p-th percentile (nearest rank) of sorted latencies.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}

// Ratio is a/b as a plain number, 0 when b is 0.
func Ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Interleaved measures several paths against each other: after warmup
// rounds, each of n rounds calls every path once, in turn, so that drift of
// a shared machine (another process, a GC cycle, the simulator's own work)
// falls on all paths alike instead of on whichever ran last. It returns one
// latency slice per path.
func Interleaved(ctx context.Context, n, warmup int, paths ...CallFunc) ([][]time.Duration, error) {
	out := make([][]time.Duration, len(paths))
	for i := range out {
		out[i] = make([]time.Duration, 0, n)
	}
	for round := 0; round < warmup+n; round++ {
		for i, call := range paths {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			start := time.Now()
			if err := call(ctx); err != nil {
				return nil, fmt.Errorf("path %d, round %d: %w", i, round, err)
			}
			if round >= warmup {
				out[i] = append(out[i], time.Since(start))
			}
		}
	}
	return out, nil
}

// ThroughputResult is what a closed-loop load run achieved.
type ThroughputResult struct {
	Clients int
	Calls   int
	Elapsed time.Duration
	PerSec  float64
	Latency Stats
}

// Throughput runs clients concurrent loops, each making calls back to back,
// until total calls have been made (or the context ends), and reports the
// rate. newCall is asked once per client, so a path whose client may not be
// shared between goroutines gets one per loop.
func Throughput(ctx context.Context, clients, total int, newCall func() (CallFunc, error)) (ThroughputResult, error) {
	calls := make([]CallFunc, clients)
	for i := range calls {
		c, err := newCall()
		if err != nil {
			return ThroughputResult{}, err
		}
		calls[i] = c
	}
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		lat      = make([][]time.Duration, clients)
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(total) && ctx.Err() == nil {
				t0 := time.Now()
				if err := calls[i](ctx); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					return
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return ThroughputResult{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return ThroughputResult{}, err
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	return ThroughputResult{
		Clients: clients, Calls: len(all), Elapsed: elapsed,
		PerSec: float64(len(all)) / elapsed.Seconds(), Latency: Summarize(all),
	}, nil
}
