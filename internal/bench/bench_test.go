package bench

import (
	"context"
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/store/pgtest"
	"github.com/cccops/cccops/internal/tools"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(withPostgres{m}) }

// withPostgres stops the PostgreSQL test server (if a test started one)
// before goleak looks for goroutines left running.
type withPostgres struct{ m *testing.M }

func (w withPostgres) Run() int {
	stop := pgtest.Start(w.m)
	defer stop()
	return w.m.Run()
}

func startEnv(tb testing.TB, action string) *Env {
	tb.Helper()
	e, err := Start(Options{Action: action})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	return e
}

// startEnvOnProcess is startEnv with the simulator in a process of its
// own, started from bin (BuildSim).
func startEnvOnProcess(tb testing.TB, bin, action string) *Env {
	tb.Helper()
	p, err := StartSimProcess(context.Background(), bin, 1)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	e, err := Start(Options{Action: action, Process: p})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	return e
}

func startMCP(tb testing.TB, e *Env) *MCP {
	tb.Helper()
	m, err := e.NewMCP()
	if err != nil {
		tb.Fatal(err)
	}
	if err := m.ServeHTTP(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(m.Close)
	return m
}

// TestPathsMakeTheSameCall: every measured path really reaches the
// simulator with the same action and gets the expected agent back — a
// benchmark of a path that failed fast, or called something else, would be
// a lie.
func TestPathsMakeTheSameCall(t *testing.T) {
	for _, action := range []string{"GetUser", "ListRealTimeAgent"} {
		t.Run(action, func(t *testing.T) {
			e := startEnv(t, action)
			raw, err := e.RawSDK()
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			m := startMCP(t, e)
			inproc, err := m.InProcess(ctx)
			if err != nil {
				t.Fatal(err)
			}
			overHTTP, err := m.HTTP(ctx)
			if err != nil {
				t.Fatal(err)
			}
			legacy, err := m.InProcessLegacy(ctx)
			if err != nil {
				t.Fatal(err)
			}
			floor, err := m.Floor(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for name, call := range map[string]CallFunc{"raw": raw, "ccc": e.CCC(), "registry": e.Invoke(), "mcp": inproc, "mcp-http": overHTTP, "mcp-legacy": legacy, "mcp-floor": floor} {
				before := e.Sim.Count(action)
				if err := call(ctx); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if got := e.Sim.Count(action) - before; got != 1 {
					t.Fatalf("%s sent %d %s requests, want 1", name, got, action)
				}
			}
		})
	}
}

// TestPathsReachASimProcess: with the simulator in a process of its own,
// every path gets the agent the Env's copy of the seeded data names (so the
// process and the copy agree), and once the process stops every path
// fails: none of them reached anything but the process.
func TestPathsReachASimProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/ccc-sim")
	}
	bin, err := BuildSim(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{"GetUser", "ListRealTimeAgent"} {
		e := startEnvOnProcess(t, bin, action)
		raw, err := e.RawSDK()
		if err != nil {
			t.Fatal(err)
		}
		m := startMCP(t, e)
		inproc, err := m.InProcess(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		floor, err := m.Floor(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		paths := map[string]CallFunc{"raw": raw, "ccc": e.CCC(), "registry": e.Invoke(), "mcp": inproc, "mcp-floor": floor}
		for name, call := range paths {
			if err := call(context.Background()); err != nil {
				t.Fatalf("%s %s: %v", action, name, err)
			}
		}
		e.Process.Close()
		for name, call := range paths {
			if err := call(context.Background()); err == nil {
				t.Fatalf("%s %s succeeded after the simulator process was stopped", action, name)
			}
		}
	}
}

// TestRawPathReportsFailures: a path that cannot reach a working backend
// says so instead of counting as a fast call.
func TestRawPathReportsFailures(t *testing.T) {
	e := startEnv(t, "GetUser")
	e.Read.Params.Query["UserId"] = "no-such-user"
	raw, err := e.RawSDK()
	if err != nil {
		t.Fatal(err)
	}
	err = raw(context.Background())
	if err == nil {
		t.Fatal("a call for a user that does not exist passed as a success")
	}
	if strings.Contains(err.Error(), "Signature=") {
		t.Fatalf("the error leaks the signed URL: %v", err)
	}
}

func TestSummarize(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	s := Summarize(d)
	if s.N != 100 || s.Min != time.Millisecond || s.Max != 100*time.Millisecond {
		t.Fatalf("%+v", s)
	}
	if s.P50 != 50*time.Millisecond || s.P90 != 90*time.Millisecond || s.P99 != 99*time.Millisecond {
		t.Fatalf("percentiles %+v", s)
	}
	if d[0] != 100*time.Millisecond {
		t.Fatal("Summarize sorted its input")
	}
	if (Summarize(nil) != Stats{}) {
		t.Fatal("empty input")
	}
	if one := Summarize([]time.Duration{7}); one.P50 != 7 || one.P99 != 7 {
		t.Fatalf("single sample %+v", one)
	}
}

func TestThroughputCountsEveryCallAndStopsOnError(t *testing.T) {
	e := startEnv(t, "GetUser")
	before := e.Sim.Count("GetUser")
	res, err := Throughput(context.Background(), 4, 40, func() (CallFunc, error) { return e.Invoke(), nil })
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 40 || res.Latency.N != 40 || e.Sim.Count("GetUser")-before != 40 || res.PerSec <= 0 {
		t.Fatalf("%+v, backend saw %d", res, e.Sim.Count("GetUser")-before)
	}
	e.Read.Args = map[string]any{"UserId": "no-such-user"}
	if _, err := Throughput(context.Background(), 4, 40, func() (CallFunc, error) { return e.Invoke(), nil }); err == nil {
		t.Fatal("failing calls were counted as throughput")
	}
}

// benchPath runs one path b.N times and reports its percentiles next to
// ns/op, which is the mean.
func benchPath(b *testing.B, call CallFunc) {
	ctx := context.Background()
	lat := make([]time.Duration, 0, 1024)
	for b.Loop() {
		t0 := time.Now()
		if err := call(ctx); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	s := Summarize(lat)
	b.ReportMetric(float64(s.P50.Microseconds()), "p50-µs")
	b.ReportMetric(float64(s.P99.Microseconds()), "p99-µs")
}

// benchInterleaved is Interleaved driven by b.Loop: each op calls every path
// once, in turn, and each path's latencies are summarized.
func benchInterleaved(b *testing.B, paths ...CallFunc) []Stats {
	ctx := context.Background()
	lat := make([][]time.Duration, len(paths))
	for b.Loop() {
		for i, call := range paths {
			t0 := time.Now()
			if err := call(ctx); err != nil {
				b.Fatalf("path %d: %v", i, err)
			}
			lat[i] = append(lat[i], time.Since(t0))
		}
	}
	s := make([]Stats, len(paths))
	for i := range lat {
		s[i] = Summarize(lat[i])
	}
	return s
}

// BenchmarkRead measures each path alone: raw SDK, ccc.Client, registry,
// MCP in-process (mcp-go's client on the 2026-07-28 protocol, and on the
// protocol before it), MCP over streamable HTTP.
func BenchmarkRead(b *testing.B) {
	for _, action := range []string{"GetUser", "ListRealTimeAgent"} {
		e := startEnv(b, action)
		raw, err := e.RawSDK()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(action+"/raw_sdk", func(b *testing.B) { benchPath(b, raw) })
		b.Run(action+"/ccc_call", func(b *testing.B) { benchPath(b, e.CCC()) })
		b.Run(action+"/registry", func(b *testing.B) { benchPath(b, e.Invoke()) })
		m := startMCP(b, e)
		inproc, err := m.InProcess(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		overHTTP, err := m.HTTP(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		legacy, err := m.InProcessLegacy(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		b.Run(action+"/mcp_inprocess", func(b *testing.B) { benchPath(b, inproc) })
		b.Run(action+"/mcp_inprocess_legacy", func(b *testing.B) { benchPath(b, legacy) })
		b.Run(action+"/mcp_http", func(b *testing.B) { benchPath(b, overHTTP) })
	}
}

// BenchmarkOverhead interleaves the paths call by call, so that they share
// the machine's noise, and reports the overhead ratios at p50 and p99
// (1.00 = as fast as the raw SDK): raw SDK, ccc.Client, registry, MCP
// in-process, MCP over HTTP, MCP in-process with structured content off,
// MCP in-process with a client on the protocol before 2026-07-28, and the
// floor under MCP in-process (MCP.Floor: mcp-go alone carrying the same
// answer). One op is one call of each path. Each action runs twice: with the
// simulator in the benchmark's process (sim=in-process), and in a process
// of its own (sim=process), as CCC is in production.
func BenchmarkOverhead(b *testing.B) {
	simBin, err := BuildSim(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for _, bench := range []struct{ action, sim string }{
		{"GetUser", "in-process"}, {"GetUser", "process"},
		{"ListRealTimeAgent", "in-process"}, {"ListRealTimeAgent", "process"},
	} {
		b.Run(bench.action+"/sim="+bench.sim, func(b *testing.B) {
			e := startEnv(b, bench.action)
			if bench.sim == "process" {
				e = startEnvOnProcess(b, simBin, bench.action)
			}
			raw, err := e.RawSDK()
			if err != nil {
				b.Fatal(err)
			}
			m := startMCP(b, e)
			inproc, err := m.InProcess(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			overHTTP, err := m.HTTP(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			// The same MCP server with structured content off
			// (--structured-content off): the result's data travels once.
			textOnly, err := tools.New(tools.Config{Client: e.Client, Gate: e.Gate, DefaultInstance: sim.DefaultInstanceID,
				Timeout: 30 * time.Second, Results: tools.ResultOptions{NoStructured: true}})
			if err != nil {
				b.Fatal(err)
			}
			te := *e
			te.Registry = textOnly
			tm, err := te.NewMCP()
			if err != nil {
				b.Fatal(err)
			}
			inprocText, err := tm.InProcess(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(tm.Close)
			legacy, err := m.InProcessLegacy(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			floor, err := m.Floor(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			s := benchInterleaved(b, raw, e.CCC(), e.Invoke(), inproc, overHTTP, inprocText, legacy, floor)
			b.ReportMetric(float64(s[0].P50.Microseconds()), "raw-p50-µs")
			b.ReportMetric(float64(s[2].P50.Microseconds()), "registry-p50-µs")
			b.ReportMetric(Ratio(s[1].P50, s[0].P50), "ccc/raw-p50")
			b.ReportMetric(Ratio(s[2].P50, s[0].P50), "registry/raw-p50")
			b.ReportMetric(Ratio(s[2].P50, s[1].P50), "registry/ccc-p50")
			b.ReportMetric(Ratio(s[2].P99, s[0].P99), "registry/raw-p99")
			b.ReportMetric(Ratio(s[3].P50, s[0].P50), "mcp/raw-p50")
			b.ReportMetric(Ratio(s[4].P50, s[0].P50), "mcphttp/raw-p50")
			b.ReportMetric(Ratio(s[5].P50, s[0].P50), "mcp-textonly/raw-p50")
			b.ReportMetric(Ratio(s[6].P50, s[0].P50), "mcp-legacy/raw-p50")
			b.ReportMetric(Ratio(s[7].P50, s[0].P50), "mcpfloor/raw-p50")
			b.ReportMetric(Ratio(s[3].P50, s[7].P50), "mcp/mcpfloor-p50")
		})
	}
}

// BenchmarkMCPHTTPParallel is tools/call throughput over streamable HTTP,
// one session per parallel caller.
func BenchmarkMCPHTTPParallel(b *testing.B) {
	e := startEnv(b, "GetUser")
	m := startMCP(b, e)
	b.RunParallel(func(pb *testing.PB) {
		call, err := m.HTTP(context.Background())
		if err != nil {
			b.Error(err)
			return
		}
		ctx := context.Background()
		for pb.Next() {
			if err := call(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkRegistryParallel is the registry's throughput with as many
// callers as GOMAXPROCS (and the simulator on the same cores).
func BenchmarkRegistryParallel(b *testing.B) {
	e := startEnv(b, "GetUser")
	call := e.Invoke()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if err := call(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestMeasureStartOfTheRealServer builds cmd/mcp-server and checks that a
// cold start answers tools/list with the listing of each mode and that the
// figures the load command reports come back filled in.
func TestMeasureStartOfTheRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/mcp-server")
	}
	ctx := context.Background()
	bin, err := BuildMCPServer(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := startEnv(t, "GetUser")
	base := []string{"--backend", "sim", "--sim-addr", e.Sim.Addr, "--audit", "off"}
	sizes := map[string]int{}
	for _, mode := range []struct {
		name  string
		flags []string
		tools int
	}{
		{"default", nil, 89},
		{"read-only", []string{"--read-only"}, 54},
		{"gateway", []string{"--gateway"}, 3},
	} {
		res, err := MeasureStart(ctx, bin, append(append([]string{}, base...), mode.flags...), 0)
		if err != nil {
			t.Fatalf("%s: %v", mode.name, err)
		}
		if res.Tools != mode.tools || res.ListBytes == 0 || res.IdleRSS <= 0 || res.StartToList <= 0 {
			t.Fatalf("%s: %+v", mode.name, res)
		}
		sizes[mode.name] = res.ListBytes
	}
	if !(sizes["gateway"] < sizes["read-only"] && sizes["read-only"] < sizes["default"]) {
		t.Fatalf("tools/list sizes %v: gateway < read-only < default expected", sizes)
	}

	// The default start (embedded simulator), then one call: the simulator
	// answers it from its seeded data, and the process holds more.
	res, err := MeasureStartThenCall(ctx, bin, []string{"--backend", "sim", "--audit", "off"}, 0, "get_instance", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tools != 89 || res.CPUToList <= 0 || res.CalledRSS <= 0 {
		t.Fatalf("embedded simulator: %+v", res)
	}
	// The floor lists byte for byte what the server listed.
	floor, err := BuildFloor(ctx, t.TempDir(), "floor", res.Listed)
	if err != nil {
		t.Fatal(err)
	}
	fres, err := MeasureStart(ctx, floor, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckSameTools(res.Listed, fres.Listed); err != nil {
		t.Fatal(err)
	}
	if fres.ListBytes != res.ListBytes {
		t.Errorf("floor answered %d bytes, the server %d", fres.ListBytes, res.ListBytes)
	}
}

// The floor states every key a listed tool has, or refuses to be built:
// it must never list less than the server it is compared with.
func TestFloorRefusesWhatItCannotState(t *testing.T) {
	_, err := FloorSource([]json.RawMessage{json.RawMessage(`{"name":"a","inputSchema":{"type":"object"},"annotations":{},"execution":{"taskSupport":"optional"}}`)})
	if err == nil || !strings.Contains(err.Error(), "execution") {
		t.Fatalf("a tool with execution was accepted: %v", err)
	}
	src, err := FloorSource([]json.RawMessage{json.RawMessage(`{"name":"a\"b","description":"x` + "`" + `y","inputSchema":{"type":"object"},"annotations":{"title":"T","readOnlyHint":true}}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`Name: "a\"b"`, "ReadOnlyHint: mcp.ToBoolPtr(true), DestructiveHint: nil"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("floor source lacks %s:\n%s", want, src)
		}
	}
	if err := CheckSameTools([]json.RawMessage{json.RawMessage(`{"a":1}`)}, []json.RawMessage{json.RawMessage(`{"a":2}`)}); err == nil {
		t.Error("different tools compared equal")
	}
}

func TestReadCPUOfThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("CPU time is read from /proc, which only Linux has")
	}
	cpu, err := ReadCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if cpu <= 0 {
		t.Fatalf("CPU time %v for a running test", cpu)
	}
}

func TestReadRSSOfThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("RSS is read from /proc, which only Linux has")
	}
	rss, err := ReadRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if rss < 1<<20 {
		t.Fatalf("RSS %d bytes is implausibly small for a Go test binary", rss)
	}
}

// TestSlackCommandPath: the measured Slack path is acknowledged, and the
// work it starts really reads CCC and answers the response_url.
func TestSlackCommandPath(t *testing.T) {
	e := startEnv(t, "GetUser")
	s, err := e.NewSlack()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before := e.Sim.Counts()
	for _, text := range []string{"agents", "get_user UserId=" + e.Read.Args["UserId"].(string)} {
		if err := s.Command(text)(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	s.Bot.Wait()
	if s.Delivered.Load() != 2 {
		t.Fatalf("%d messages reached the response_url for 2 commands", s.Delivered.Load())
	}
	after := e.Sim.Counts()
	if after["GetUser"] <= before["GetUser"] {
		t.Fatal("/ccc get_user did not reach the simulator")
	}
}

// canned answers every call with one body the simulator gave, so
// BenchmarkRegistryOwn measures the registry's own work alone: arguments,
// validation, the gate, shaping and the text — everything Invoke adds to a
// ccc.Client call.
type canned struct {
	body  []byte
	calls int
}

func (c *canned) Call(context.Context, ccc.Request) (json.RawMessage, error) {
	c.calls++
	return c.body, nil
}

// BenchmarkRegistryOwn is Invoke on a canned answer, next to the real
// ccc.Client call it would wrap (ccc_call), in one run: own/ccc is the
// share the registry adds (goal: ≤ 0.15, issue 13).
func BenchmarkRegistryOwn(b *testing.B) {
	for _, action := range []string{"GetUser", "ListRealTimeAgent"} {
		e := startEnv(b, action)
		body, err := e.Client.Call(context.Background(), e.Read.Req)
		if err != nil {
			b.Fatal(err)
		}
		c := &canned{body: body}
		reg, err := tools.New(tools.Config{Client: c, Gate: e.Gate, DefaultInstance: sim.DefaultInstanceID, Timeout: 30 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		inv := tools.Invocation{Tool: e.Read.Tool, Args: e.Read.Args, Principal: Principal}
		b.Run(action+"/own", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := reg.Invoke(context.Background(), inv)
				if err != nil || !strings.Contains(res.Text, e.Read.Expect) {
					b.Fatalf("%v %v", err, res)
				}
			}
		})
		b.Run(action+"/ccc_call", func(b *testing.B) {
			b.ReportAllocs()
			call := e.CCC()
			for b.Loop() {
				if err := call(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// atDepth is call made with n more frames of its own above it.
//
//go:noinline
func atDepth(n int, call CallFunc) CallFunc {
	if n == 0 {
		return call
	}
	return func(ctx context.Context) error { return deeper(ctx, n, call) }
}

//go:noinline
func deeper(ctx context.Context, n int, call CallFunc) error {
	if n == 0 {
		return call(ctx)
	}
	return deeper(ctx, n-1, call)
}

// BenchmarkSDKStackDepth is why ccc.Client sends from a goroutine of its
// own: the raw SDK call and ccc.Client.Call, each made from the benchmark
// loop and from 40 frames deeper, interleaved. The SDK's nonce formats the
// sending goroutine's whole stack, so the raw call costs more the deeper its
// caller (raw-deep/shallow, and µs per frame); ccc.Client's does not
// (ccc-deep/shallow ≈ 1).
func BenchmarkSDKStackDepth(b *testing.B) {
	const frames = 40
	e := startEnv(b, "GetUser")
	raw, err := e.RawSDK()
	if err != nil {
		b.Fatal(err)
	}
	s := benchInterleaved(b, raw, atDepth(frames, raw), e.CCC(), atDepth(frames, e.CCC()))
	b.ReportMetric(Ratio(s[1].P50, s[0].P50), "raw-deep/shallow-p50")
	b.ReportMetric(float64(s[1].P50-s[0].P50)/float64(time.Microsecond)/frames, "raw-µs/frame")
	b.ReportMetric(Ratio(s[3].P50, s[2].P50), "ccc-deep/shallow-p50")
}

// BenchmarkCCCDeadline interleaves ccc.Client.Call with and without the
// deadline context the registry gives every call (its Timeout), and
// reports the ratio at p50: what the deadline alone costs a loopback call.
func BenchmarkCCCDeadline(b *testing.B) {
	e := startEnv(b, "GetUser")
	plain := e.CCC()
	withDeadline := func(ctx context.Context) error {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return plain(c)
	}
	s := benchInterleaved(b, plain, withDeadline)
	b.ReportMetric(Ratio(s[1].P50, s[0].P50), "deadline/plain-p50")
}
