package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/cccops/cccops/internal/bench"
)

// startVsFloor measures the product's default start — stdio with the
// embedded simulator, nothing configured — side by side with the floor
// (internal/bench/floor: a bare mcp-go stdio server listing the very same
// tools from Go literals) and with the floor linked with everything
// cmd/mcp-server imports (package initializers and binary size, none of our
// start work), starts interleaved in an order that turns every round, so
// machine noise falls on all alike. It reports each one's wall and CPU time
// to the first complete tools/list, their ratios to the floor, the idle RSS
// of each, and the RSS of ours after one tools/call (the simulator then
// holds its seeded data).
func startVsFloor(ctx context.Context, o *options, bin string, r *report) error {
	args := []string{"--backend", "sim", "--audit", "off", "--log-level", "warn"}
	// One warm start of each (page cache; the tool list the floors are
	// built from), not counted.
	first, err := bench.MeasureStart(ctx, bin, args, 0)
	if err != nil {
		return fmt.Errorf("default mode, embedded simulator: %w", err)
	}
	dir := o.floorDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "cccops-floor-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	floor, err := bench.BuildFloor(ctx, dir, "floor", first.Listed)
	if err != nil {
		return err
	}
	imports, err := bench.Imports(ctx, "./cmd/mcp-server")
	if err != nil {
		return err
	}
	linked, err := bench.BuildFloor(ctx, dir, "floor-imports", first.Listed, imports...)
	if err != nil {
		return err
	}
	for _, b := range []string{floor, linked} {
		res, err := bench.MeasureStart(ctx, b, nil, 0)
		if err != nil {
			return fmt.Errorf("floor: %w", err)
		}
		if err := bench.CheckSameTools(first.Listed, res.Listed); err != nil {
			return fmt.Errorf("the floor does not list what cmd/mcp-server lists: %w", err)
		}
	}
	type series struct {
		wall, cpu   []time.Duration
		rss, called []int64
	}
	var ours, base, imp series
	// Each round starts the three in another order, so that none always
	// follows the same one (its exit, its page cache, its idle pause). Ours
	// also answers one tools/call, for its RSS once the simulator is seeded.
	servers := []struct {
		what, bin string
		args      []string
		call      string
		s         *series
	}{
		{"default mode, embedded simulator", bin, args, "get_instance", &ours},
		{"floor", floor, nil, "", &base},
		{"floor with the imports", linked, nil, "", &imp},
	}
	for i := 0; i < o.starts; i++ {
		for j := range servers {
			sv := servers[(i+j)%len(servers)]
			res, err := bench.MeasureStartThenCall(ctx, sv.bin, sv.args, o.idle, sv.call, map[string]any{})
			if err != nil {
				return fmt.Errorf("%s: %w", sv.what, err)
			}
			sv.s.wall, sv.s.cpu = append(sv.s.wall, res.StartToList), append(sv.s.cpu, res.CPUToList)
			sv.s.rss, sv.s.called = append(sv.s.rss, res.IdleRSS), append(sv.s.called, res.CalledRSS)
		}
	}
	sb, cb := bench.Summarize(base.wall), bench.Summarize(base.cpu)
	r.section(fmt.Sprintf("Default start (stdio, embedded simulator) against the floor, %d interleaved starts each, RSS after %v idle (ratio = p50 / floor's p50)", o.starts, o.idle))
	r.row("  server", "start p50", "start max", "ratio", "CPU to list p50", "CPU ratio", "idle RSS (median)", "after one tools/call")
	row := func(name string, s series) (float64, int64) {
		w, c := bench.Summarize(s.wall), bench.Summarize(s.cpu)
		ratio := bench.Ratio(w.P50, sb.P50)
		called := ""
		if s.called[0] > 0 {
			called = mb(median(s.called))
		}
		r.row("  "+name, ms(w.P50), ms(w.Max), fmt.Sprintf("%.2f", ratio), ms(c.P50), fmt.Sprintf("%.2f", bench.Ratio(c.P50, cb.P50)), mb(median(s.rss)), called)
		return ratio, median(s.rss)
	}
	ratio, rss := row(fmt.Sprintf("cmd/mcp-server, embedded simulator (%d tools, %d bytes)", first.Tools, first.ListBytes), ours)
	row("floor: bare mcp-go, the same tools", base)
	row(fmt.Sprintf("floor + the %d imports of cmd/mcp-server, unused", len(imports)), imp)
	r.goal("start to first tools/list, embedded sim / floor", ratio <= 1.2,
		fmt.Sprintf("%.2f× (%s vs %s)", ratio, ms(bench.Summarize(ours.wall).P50), ms(sb.P50)), "≤ 1.2×")
	r.goal("idle RSS, embedded simulator (median)", rss <= 20e6, mb(rss), "≤ 20 MB")
	return nil
}

func median(v []int64) int64 {
	s := append([]int64(nil), v...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	return s[len(s)/2]
}
