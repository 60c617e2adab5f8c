// Command cccops-load measures cccops against one CCC simulator it starts
// itself, on loopback, and prints every figure of BENCHMARKS.md in one
// table: what each layer adds to a read (raw SDK, ccc.Client, registry, MCP
// in-process, MCP over streamable HTTP), tools/call throughput over HTTP
// with 1, 8 and 32 clients, cold start of cmd/mcp-server to its first
// tools/list, idle RSS, tools/list size per mode, the default start (with
// the embedded simulator) against a bare mcp-go server listing the same
// tools, Slack's command acknowledgement latency, and the gate's store cost
// per call on memory, SQLite and PostgreSQL (store.go). It stops by itself.
//
//	go run ./cmd/cccops-load            # full run, a few minutes
//	go run ./cmd/cccops-load --quick    # CI-sized, under a minute
//	go run ./cmd/cccops-load --only start   # the start figures alone
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/cccops/cccops/internal/bench"
	"github.com/cccops/cccops/internal/ccc/sim"
)

type options struct {
	floorDir   string
	quick      bool
	rounds     int
	warmup     int
	calls      int
	clients    []int
	starts     int
	idle       time.Duration
	action     string
	serverBin  string
	only       string
	simLatency time.Duration
	timeout    time.Duration
	store      storeOptions
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "cccops-load:", err)
		os.Exit(1)
	}
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("cccops-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.quick, "quick", false, "CI-sized run (under a minute): fewer rounds, calls and starts")
	fs.IntVar(&o.rounds, "rounds", 0, "latency rounds; each calls every path once (default 2000, quick 300)")
	fs.IntVar(&o.calls, "calls", 0, "tools/call requests per throughput run (default 20000, quick 2000)")
	fs.IntVar(&o.starts, "starts", 0, "cold starts of mcp-server per mode (default 10, quick 3)")
	fs.DurationVar(&o.idle, "idle", 0, "idle pause before reading the server's RSS (default 2s, quick 500ms)")
	fs.StringVar(&o.action, "action", "GetUser", "read action measured: GetUser or ListRealTimeAgent")
	fs.StringVar(&o.serverBin, "mcp-server", "", "a built mcp-server binary; default: build ./cmd/mcp-server into a temp dir")
	fs.DurationVar(&o.simLatency, "sim-latency", 0, "latency the simulator adds to every answer, to see overhead against a network round trip (0: loopback only)")
	fs.DurationVar(&o.timeout, "timeout", 0, "stop everything after this long (default 15m, quick 2m, each plus --sim-latency times the round trips made one after another)")
	fs.StringVar(&o.floorDir, "keep-floors", "", "build the two floor servers of the start section into this directory and keep them there, to run by hand (for example with GODEBUG=inittrace=1); default: a temp dir, removed")
	fs.StringVar(&o.only, "only", "", "run one section: start (cold starts, the floor, RSS); default: everything")
	var clients string
	fs.StringVar(&clients, "clients", "1,8,32", "concurrent streamable HTTP clients per throughput run")
	storeFlags(fs, &o.store)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q; flags start with --", fs.Args())
	}
	def := func(v *int, full, quick int) {
		if *v <= 0 {
			*v = full
			if o.quick {
				*v = quick
			}
		}
	}
	def(&o.rounds, 2000, 300)
	def(&o.calls, 20000, 2000)
	def(&o.starts, 10, 3)
	o.warmup = max(50, o.rounds/10)
	if o.idle <= 0 {
		o.idle = 2 * time.Second
		if o.quick {
			o.idle = 500 * time.Millisecond
		}
	}
	if o.only != "" && o.only != "start" {
		return nil, fmt.Errorf("--only %q: the only section that runs alone is start", o.only)
	}
	if o.simLatency < 0 {
		return nil, fmt.Errorf("--sim-latency %v: want 0 or a positive duration", o.simLatency)
	}
	for _, s := range strings.Split(clients, ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(s), &n); err != nil || n < 1 {
			return nil, fmt.Errorf("--clients %q: want positive numbers separated by commas", clients)
		}
		o.clients = append(o.clients, n)
	}
	if err := o.store.check(); err != nil {
		return nil, err
	}
	if o.timeout <= 0 {
		o.timeout = 15 * time.Minute
		if o.quick {
			o.timeout = 2 * time.Minute
		}
		// The budgets above are for loopback. Every round trip waits
		// --sim-latency more, so the budget grows by that much for each
		// trip made one after another, with room to spare.
		o.timeout += 3 * o.simLatency * time.Duration(o.sequentialTrips()) / 2
	}
	return o, nil
}

// sequentialTrips counts the simulator round trips the run makes one after
// another (concurrent ones count once per client): the interleaved latency
// rounds over five paths, each throughput run (warm-up included) divided
// among its clients, the cold starts, and the Slack commands' background
// reads. It is an estimate for the time budget, not a figure reported.
func (o *options) sequentialTrips() int {
	trips := (o.rounds + o.warmup) * 5
	for _, n := range o.clients {
		trips += (max(n*10, 200) + o.calls + n - 1) / n
	}
	trips += o.starts * 3 * 2                   // three modes; a start reads little from CCC
	trips += (max(o.rounds/4, 50) + 10) * 2 * 2 // two commands, up to two reads each
	trips += o.storeTrips()
	return trips
}

// report collects the table's rows and the goals' verdicts.
type report struct {
	w     *tabwriter.Writer
	goals []string
}

func (r *report) section(title string) { fmt.Fprintf(r.w, "\n%s\n", title) }
func (r *report) row(cells ...string)  { fmt.Fprintln(r.w, strings.Join(cells, "\t")+"\t") }
func (r *report) notMeasured(what, why string) {
	fmt.Fprintf(r.w, "  %s\tnot measured: %s\t\n", what, why)
	r.goals = append(r.goals, fmt.Sprintf("  %-48s not measured: %s", what, why))
}
func (r *report) goal(name string, ok bool, got, want string) {
	verdict := "met"
	if !ok {
		verdict = "MISSED"
	}
	r.goals = append(r.goals, fmt.Sprintf("  %-48s %-7s %s (goal %s)", name, verdict, got, want))
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }
func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
func mb(b int64) string         { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

func run(parent context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	ctx, cancel := context.WithTimeout(parent, o.timeout)
	defer cancel()
	began := time.Now()
	var pg *pgStart
	if o.only == "" {
		pg = startPostgresEarly(o)
	}
	defer pg.stop()

	srv, err := sim.Start("127.0.0.1:0", sim.Options{Faults: sim.Faults{Latency: o.simLatency}})
	if err != nil {
		return err
	}
	defer srv.Close()
	env, err := bench.Start(bench.Options{Sim: srv, Action: o.action})
	if err != nil {
		return err
	}
	defer env.Close()
	m, err := env.NewMCP()
	if err != nil {
		return err
	}
	if err := m.ServeHTTP(); err != nil {
		return err
	}
	defer m.Close()

	mode := "full"
	if o.quick {
		mode = "quick"
	}
	fmt.Fprintf(stdout, "cccops-load (%s): one simulator at %s, GOMAXPROCS %d, %s/%s, %s\n", mode, srv.Addr, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())
	if o.simLatency > 0 {
		fmt.Fprintf(stdout, "the simulator adds %v to every answer\n", o.simLatency)
	}
	r := &report{w: tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)}

	if o.only == "" {
		if err := latency(ctx, o, env, m, r); err != nil {
			return fmt.Errorf("latency: %w", err)
		}
		if err := throughput(ctx, o, m, r); err != nil {
			return fmt.Errorf("throughput: %w", err)
		}
	}
	if err := process(ctx, o, srv.Addr, r); err != nil {
		return fmt.Errorf("process: %w", err)
	}
	if o.only == "" {
		if err := slackAck(ctx, o, env, r); err != nil {
			return fmt.Errorf("slack: %w", err)
		}
		if err := storeFigures(ctx, o, srv, pg, r); err != nil {
			return fmt.Errorf("stores: %w", err)
		}
	}
	if err := r.w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nGoals")
	for _, g := range r.goals {
		fmt.Fprintln(stdout, g)
	}
	fmt.Fprintf(stdout, "\nfinished in %v\n", time.Since(began).Round(time.Second))
	return nil
}

func latency(ctx context.Context, o *options, env *bench.Env, m *bench.MCP, r *report) error {
	raw, err := env.RawSDK()
	if err != nil {
		return err
	}
	inproc, err := m.InProcess(ctx)
	if err != nil {
		return err
	}
	overHTTP, err := m.HTTP(ctx)
	if err != nil {
		return err
	}
	names := []string{"raw SDK CommonRequest", "ccc.Client.Call", "registry Invoke", "MCP tools/call in-process", "MCP tools/call streamable HTTP"}
	lat, err := bench.Interleaved(ctx, o.rounds, o.warmup, raw, env.CCC(), env.Invoke(), inproc, overHTTP)
	if err != nil {
		return err
	}
	r.section(fmt.Sprintf("Latency of one %s, %d interleaved rounds after %d warm-up (ratio = path / raw SDK)", env.Read.Action, o.rounds, o.warmup))
	r.row("  path", "p50", "p99", "p50 ratio", "p99 ratio")
	st := make([]bench.Stats, len(lat))
	for i := range lat {
		st[i] = bench.Summarize(lat[i])
		r.row("  "+names[i], us(st[i].P50), us(st[i].P99),
			fmt.Sprintf("%.2f", bench.Ratio(st[i].P50, st[0].P50)), fmt.Sprintf("%.2f", bench.Ratio(st[i].P99, st[0].P99)))
	}
	for _, i := range []int{2, 3, 4} {
		ratio := bench.Ratio(st[i].P50, st[0].P50)
		r.goal("overhead at p50, "+names[i], ratio <= 1.10,
			fmt.Sprintf("+%.0f%% (%s vs %s)", (ratio-1)*100, us(st[i].P50), us(st[0].P50)), "≤ +10%")
	}
	return nil
}

func throughput(ctx context.Context, o *options, m *bench.MCP, r *report) error {
	r.section(fmt.Sprintf("tools/call throughput over streamable HTTP, %d calls per run, one session per client", o.calls))
	r.row("  clients", "calls/s", "p50", "p99")
	for _, n := range o.clients {
		newCall := func() (bench.CallFunc, error) { return m.HTTP(ctx) }
		// Warm each run's sessions and connections, then measure.
		if _, err := bench.Throughput(ctx, n, max(n*10, 200), newCall); err != nil {
			return err
		}
		res, err := bench.Throughput(ctx, n, o.calls, newCall)
		if err != nil {
			return err
		}
		r.row(fmt.Sprintf("  %d", n), fmt.Sprintf("%.0f", res.PerSec), us(res.Latency.P50), us(res.Latency.P99))
		if n == 8 {
			r.goal("throughput over HTTP, 8 clients", res.PerSec >= 2000, fmt.Sprintf("%.0f calls/s", res.PerSec), "≥ 2000 calls/s")
		}
	}
	return nil
}

func process(ctx context.Context, o *options, simAddr string, r *report) error {
	bin := o.serverBin
	if bin == "" {
		dir, err := os.MkdirTemp("", "cccops-load-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if bin, err = bench.BuildMCPServer(ctx, dir); err != nil {
			return err
		}
	}
	base := []string{"--backend", "sim", "--sim-addr", simAddr, "--audit", "off", "--log-level", "warn"}
	r.section(fmt.Sprintf("cmd/mcp-server over stdio: start → first tools/list answered, idle RSS after %v, %d starts per mode", o.idle, o.starts))
	r.row("  mode", "tools", "tools/list bytes", "start p50", "start max", "idle RSS (median)")
	for _, mode := range []struct {
		name  string
		flags []string
	}{
		{"default", nil},
		{"read-only", []string{"--read-only"}},
		{"gateway", []string{"--gateway"}},
	} {
		var starts []time.Duration
		var rss []int64
		var last bench.ProcessResult
		for i := 0; i < o.starts; i++ {
			res, err := bench.MeasureStart(ctx, bin, append(append([]string{}, base...), mode.flags...), o.idle)
			if err != nil {
				return fmt.Errorf("%s mode: %w", mode.name, err)
			}
			starts = append(starts, res.StartToList)
			rss = append(rss, res.IdleRSS)
			last = res
		}
		s := bench.Summarize(starts)
		sort.Slice(rss, func(a, b int) bool { return rss[a] < rss[b] })
		medRSS := rss[len(rss)/2]
		r.row("  "+mode.name, fmt.Sprint(last.Tools), fmt.Sprint(last.ListBytes), ms(s.P50), ms(s.Max), mb(medRSS))
		if mode.name == "default" {
			r.goal("start to first tools/list (default, p50)", s.P50 <= 100*time.Millisecond, ms(s.P50), "≤ 100 ms")
			r.goal("idle RSS (default, median)", medRSS <= 40e6, mb(medRSS), "≤ 40 MB")
		}
	}
	return startVsFloor(ctx, o, bin, r) // start.go
}
