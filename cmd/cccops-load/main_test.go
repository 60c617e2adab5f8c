package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestSmallRunPrintsEveryFigure runs the whole command at a tiny size and
// checks that each section and each goal line is printed with numbers.
func TestSmallRunPrintsEveryFigure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts cmd/mcp-server")
	}
	var out, errOut bytes.Buffer
	args := []string{"--quick", "--rounds", "20", "--calls", "60", "--starts", "1", "--idle", "10ms", "--clients", "1,8"}
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	got := out.String()
	for _, want := range []string{
		"raw SDK CommonRequest", "ccc.Client.Call", "registry Invoke", "MCP tools/call in-process", "MCP tools/call streamable HTTP",
		"calls/s", "tools/list bytes", "default    89", "read-only  54", "gateway    3",
		"overhead at p50, registry Invoke", "throughput over HTTP, 8 clients", "start to first tools/list", "idle RSS",
		"Slack ack p99", "/ccc agents",
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
	for _, args := range [][]string{{"--clients", "0"}, {"--clients", "x"}, {"stray"}} {
		if err := run(context.Background(), args, &out, &errOut); err == nil {
			t.Errorf("%v was accepted", args)
		}
	}
}
