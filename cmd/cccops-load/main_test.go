package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestSmallRunPrintsEveryFigure runs the whole command at a tiny size and
// checks that each section and each goal line is printed with numbers.
func TestSmallRunPrintsEveryFigure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts cmd/mcp-server")
	}
	var out, errOut bytes.Buffer
	args := []string{"--quick", "--rounds", "20", "--calls", "60", "--starts", "1", "--idle", "10ms", "--clients", "1,8", "--stores", "memory,sqlite"}
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	got := out.String()
	for _, want := range []string{
		"raw SDK CommonRequest", "ccc.Client.Call", "registry Invoke", "MCP tools/call in-process", "MCP tools/call streamable HTTP",
		"calls/s", "tools/list bytes", "default    89", "read-only  54", "gateway    3",
		"overhead at p50, registry Invoke", "throughput over HTTP, 8 clients", "start to first tools/list", "idle RSS",
		"Slack ack p99", "/ccc agents",
		"floor: bare mcp-go, the same tools", "imports of cmd/mcp-server, unused", "start to first tools/list, embedded sim / floor", "idle RSS, embedded simulator",
		"Gate + store: one GetUser", "one confirmed write at the gate", "store read cost at p50, sqlite",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(got)
	}
}

func TestFlagsAreChecked(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, args := range [][]string{{"--clients", "0"}, {"--clients", "x"}, {"stray"}, {"--only", "latency"}} {
		if err := run(context.Background(), args, &out, &errOut); err == nil {
			t.Errorf("%v was accepted", args)
		}
	}
}

// TestTimeBudgetGrowsWithTheSimulatorLatency: "--sim-latency 20ms --quick"
// ran out of its 2-minute budget ("context deadline exceeded"); the budget
// now grows by the latency times the round trips made one after another,
// and an explicit --timeout is kept as given.
func TestTimeBudgetGrowsWithTheSimulatorLatency(t *testing.T) {
	var errOut bytes.Buffer
	loop, err := parse([]string{"--quick"}, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := parse([]string{"--quick", "--sim-latency", "20ms"}, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	// One client's throughput run alone is over 2,000 calls in a row, and
	// the latency rounds 1,650 more: at 20 ms that is more than 70 s of
	// waiting on top of the loopback run.
	waited := 20 * time.Millisecond * time.Duration(slow.sequentialTrips())
	if slow.sequentialTrips() < 3500 || slow.timeout < loop.timeout+waited {
		t.Fatalf("budget %v for %d trips at 20 ms (loopback %v)", slow.timeout, slow.sequentialTrips(), loop.timeout)
	}
	if loop.timeout != 2*time.Minute {
		t.Errorf("quick loopback budget %v", loop.timeout)
	}
	fixed, err := parse([]string{"--quick", "--sim-latency", "20ms", "--timeout", "5m"}, &errOut)
	if err != nil || fixed.timeout != 5*time.Minute {
		t.Errorf("--timeout 5m became %v (%v)", fixed.timeout, err)
	}
	if _, err := parse([]string{"--sim-latency", "-1ms"}, &errOut); err == nil {
		t.Error("a negative latency was accepted")
	}
}
