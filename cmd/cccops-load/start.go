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
// tools from Go literals), starts interleaved so machine noise falls on both
// alike. It reports both, their ratio, the idle RSS of each, and the RSS of
// ours after one tools/call (the simulator then holds its seeded data).
func startVsFloor(ctx context.Context, o *options, bin string, r *report) error {
	args := []string{"--backend", "sim", "--audit", "off", "--log-level", "warn"}
	// One warm start of each (page cache, and the tool list the floor is
	// built from), not counted.
	first, err := bench.MeasureStart(ctx, bin, args, 0)
	if err != nil {
		return fmt.Errorf("default mode, embedded simulator: %w", err)
	}
	dir, err := os.MkdirTemp("", "cccops-floor-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	floor, err := bench.BuildFloor(ctx, dir, first.Listed)
	if err != nil {
		return err
	}
	ff, err := bench.MeasureStart(ctx, floor, nil, 0)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	if err := bench.CheckSameTools(first.Listed, ff.Listed); err != nil {
		return fmt.Errorf("the floor does not list what cmd/mcp-server lists: %w", err)
	}
	var ours, base, oursCPU, baseCPU []time.Duration
	var oursRSS, baseRSS, calledRSS []int64
	for i := 0; i < o.starts; i++ {
		res, err := bench.MeasureStartThenCall(ctx, bin, args, o.idle, "get_instance", map[string]any{})
		if err != nil {
			return fmt.Errorf("default mode, embedded simulator: %w", err)
		}
		ours, oursCPU = append(ours, res.StartToList), append(oursCPU, res.CPUToList)
		oursRSS, calledRSS = append(oursRSS, res.IdleRSS), append(calledRSS, res.CalledRSS)
		fres, err := bench.MeasureStart(ctx, floor, nil, o.idle)
		if err != nil {
			return fmt.Errorf("floor: %w", err)
		}
		base, baseCPU, baseRSS = append(base, fres.StartToList), append(baseCPU, fres.CPUToList), append(baseRSS, fres.IdleRSS)
	}
	so, sb := bench.Summarize(ours), bench.Summarize(base)
	co, cb := bench.Summarize(oursCPU), bench.Summarize(baseCPU)
	ratio, cpuRatio := bench.Ratio(so.P50, sb.P50), bench.Ratio(co.P50, cb.P50)
	r.section(fmt.Sprintf("Default start (stdio, embedded simulator) against the floor, %d interleaved starts each, RSS after %v idle", o.starts, o.idle))
	r.row("  server", "tools", "tools/list bytes", "start p50", "start max", "p50 ratio", "CPU to list p50", "CPU ratio", "idle RSS (median)", "after one tools/call")
	r.row("  cmd/mcp-server, embedded simulator", fmt.Sprint(first.Tools), fmt.Sprint(first.ListBytes), ms(so.P50), ms(so.Max),
		fmt.Sprintf("%.2f", ratio), ms(co.P50), fmt.Sprintf("%.2f", cpuRatio), mb(median(oursRSS)), mb(median(calledRSS)))
	r.row("  floor: bare mcp-go, same tools", fmt.Sprint(ff.Tools), fmt.Sprint(ff.ListBytes), ms(sb.P50), ms(sb.Max),
		"1.00", ms(cb.P50), "1.00", mb(median(baseRSS)), "")
	r.goal("start to first tools/list, embedded sim / floor", ratio <= 1.2,
		fmt.Sprintf("%.2f× (%s vs %s)", ratio, ms(so.P50), ms(sb.P50)), "≤ 1.2×")
	r.goal("CPU to first tools/list, embedded sim / floor", cpuRatio <= 1.2,
		fmt.Sprintf("%.2f× (%s vs %s)", cpuRatio, ms(co.P50), ms(cb.P50)), "≤ 1.2×")
	r.goal("idle RSS, embedded simulator (median)", median(oursRSS) <= 20e6, mb(median(oursRSS)), "≤ 20 MB")
	return nil
}

func median(v []int64) int64 {
	s := append([]int64(nil), v...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	return s[len(s)/2]
}
