package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// BuildMCPServer compiles cmd/mcp-server of the module that holds the
// working directory into dir and returns the binary's path.
func BuildMCPServer(ctx context.Context, dir string) (string, error) {
	return buildCommand(ctx, dir, "mcp-server")
}

// buildCommand compiles ./cmd/<name> of the module into dir/<name>.
func buildCommand(ctx context.Context, dir, name string) (string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/"+name)
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/%s: %v\n%s", name, err, msg)
	}
	return bin, nil
}

// ProcessResult is one cold start of the MCP server over stdio.
type ProcessResult struct {
	// StartToList runs from just before the process is started to the
	// moment the whole tools/list answer has been read: process start,
	// initialize, notifications/initialized, tools/list.
	StartToList time.Duration
	// CPUToList is the CPU time the process (all its threads) had used
	// when the whole tools/list answer had been read: unlike StartToList,
	// it hardly moves when other work shares the machine.
	CPUToList time.Duration
	// IdleRSS is the resident set (VmRSS) after the handshake and an idle
	// pause, in bytes.
	IdleRSS int64
	// ListBytes is the size of the tools/list JSON-RPC answer on the wire.
	ListBytes int
	// Tools is how many tools it listed.
	Tools int
	// Listed is the tools array of the answer, one JSON object per tool.
	Listed []json.RawMessage
	// CalledRSS is the resident set after one tools/call and another idle
	// pause (MeasureStartThenCall only).
	CalledRSS int64
}

// SanitizedEnv is the environment of a measured child: the parent's,
// without credentials or cccops settings, so a developer's real CCC
// account or policy never leaks into a measurement.
func SanitizedEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "CCC_") || strings.HasPrefix(k, "ALIBABA_CLOUD_") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, extra...)
}

// MeasureStart starts bin with args as an MCP stdio server, times it to the
// first tools/list answer, waits idle, reads its RSS from /proc, then closes
// its input and waits for it to exit.
func MeasureStart(ctx context.Context, bin string, args []string, idle time.Duration) (ProcessResult, error) {
	return MeasureStartThenCall(ctx, bin, args, idle, "", nil)
}

// MeasureStartThenCall is MeasureStart, and then, when tool is not empty,
// one tools/call of tool with args (which must succeed), another idle
// pause and a second RSS reading (CalledRSS).
func MeasureStartThenCall(ctx context.Context, bin string, args []string, idle time.Duration, tool string, toolArgs map[string]any) (ProcessResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second+idle)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = SanitizedEnv()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return ProcessResult{}, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return ProcessResult{}, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	fail := func(what string, err error) (ProcessResult, error) {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return ProcessResult{}, fmt.Errorf("%s: %v; server stderr: %.500s", what, err, stderr.String())
	}
	r := bufio.NewReaderSize(stdout, 1<<16)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return ProcessResult{}, fmt.Errorf("start %s: %w", bin, err)
	}
	send := func(msg string) error { _, err := io.WriteString(stdin, msg+"\n"); return err }
	if err := send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"cccops-load","version":"1"}}}`); err != nil {
		return fail("send initialize", err)
	}
	if _, err := readAnswer(r, 1); err != nil {
		return fail("initialize", err)
	}
	if err := send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`); err != nil {
		return fail("send initialized", err)
	}
	if err := send(`{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}`); err != nil {
		return fail("send tools/list", err)
	}
	line, err := readAnswer(r, 2)
	if err != nil {
		return fail("tools/list", err)
	}
	res := ProcessResult{StartToList: time.Since(start), ListBytes: len(line)}
	if res.CPUToList, err = ReadCPU(cmd.Process.Pid); err != nil {
		return fail("read CPU time", err)
	}
	var list struct {
		Result struct {
			Tools      []json.RawMessage `json:"tools"`
			NextCursor string            `json:"nextCursor"`
		} `json:"result"`
	}
	if err := json.Unmarshal(line, &list); err != nil {
		return fail("tools/list answer", err)
	}
	if list.Result.NextCursor != "" {
		return fail("tools/list", errors.New("the list is paged; the byte count would cover only the first page"))
	}
	res.Tools = len(list.Result.Tools)
	res.Listed = list.Result.Tools
	select {
	case <-time.After(idle):
	case <-ctx.Done():
		return fail("idle", ctx.Err())
	}
	if res.IdleRSS, err = ReadRSS(cmd.Process.Pid); err != nil {
		return fail("read RSS", err)
	}
	if tool != "" {
		call, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 3, "method": "tools/call",
			"params": map[string]any{"name": tool, "arguments": toolArgs}})
		if err != nil {
			return fail("tools/call", err)
		}
		if err := send(string(call)); err != nil {
			return fail("send tools/call", err)
		}
		line, err := readAnswer(r, 3)
		if err != nil {
			return fail("tools/call", err)
		}
		var ans struct {
			Result struct {
				IsError bool `json:"isError"`
			} `json:"result"`
		}
		if err := json.Unmarshal(line, &ans); err != nil || ans.Result.IsError {
			return fail("tools/call "+tool, fmt.Errorf("not a success: %.300s", line))
		}
		select {
		case <-time.After(idle):
		case <-ctx.Done():
			return fail("idle", ctx.Err())
		}
		if res.CalledRSS, err = ReadRSS(cmd.Process.Pid); err != nil {
			return fail("read RSS", err)
		}
	}
	_ = stdin.Close()
	done := make(chan error, 1)
	go func() { _, _ = io.Copy(io.Discard, r); done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return res, errors.New("the server did not exit within 10 s of its input closing")
	}
	return res, nil
}

// readAnswer reads lines until the JSON-RPC answer with this id and
// returns it without its newline; notifications in between are skipped.
func readAnswer(r *bufio.Reader, id int) ([]byte, error) {
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return nil, fmt.Errorf("the server closed its output before answering (%v)", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		var msg struct {
			ID    json.RawMessage `json:"id"`
			Error *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(line, &msg) != nil || string(msg.ID) != strconv.Itoa(id) {
			continue
		}
		if msg.Error != nil {
			return nil, errors.New(msg.Error.Message)
		}
		return line, nil
	}
}

// ReadCPU returns the CPU time a process's threads have run so far, from
// /proc/<pid>/task/*/schedstat (nanoseconds on a CPU).
func ReadCPU(pid int) (time.Duration, error) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, fmt.Errorf("CPU time is read from /proc (Linux only): %w", err)
	}
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue // the thread ended in between
		}
		f := strings.Fields(string(b))
		if len(f) < 1 {
			return 0, fmt.Errorf("unexpected schedstat %q", b)
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected schedstat %q: %w", b, err)
		}
		total += time.Duration(ns)
	}
	return total, nil
}

// ReadRSS returns a process's resident set size from /proc/<pid>/status.
func ReadRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("RSS is read from /proc (Linux only): %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) != 2 || f[1] != "kB" {
				return 0, fmt.Errorf("unexpected VmRSS line %q", line)
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}
