package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cccops/cccops/internal/ccc/sim"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binary builds cmd/mcp-server once with `go build`.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "mcp-server-test")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "mcp-server")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// childEnv is the test's environment without anything that would pick the
// real CCC or change the server's flags.
func childEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CCC_") || strings.HasPrefix(kv, "ALIBABA_CLOUD_") {
			continue
		}
		out = append(out, kv)
	}
	out = append(out, "CCC_TOKEN_SECRET=cmd-test-secret-of-at-least-32-bytes!!")
	return append(out, extra...)
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type yes struct{ asked []string }

func (y *yes) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	y.asked = append(y.asked, req.Params.Message)
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept, Content: map[string]any{"confirm": true}}}, nil
}

func startClient(t *testing.T, c *client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.Start(context.Background()); err != nil { // the stdio transport ties the child process to this context
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "cmd-test", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatalf("initialize: %v", err)
	}
}

func call(t *testing.T, c *client.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var req mcp.CallToolRequest
	req.Params.Name, req.Params.Arguments = name, args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

func resultText(r *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range r.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// The built binary over stdio, on a simulator this test can inspect:
// initialize, 89 tools, a read, and a confirmed reset of mallory.
func TestStdioSubprocess(t *testing.T) {
	bin := binary(t)
	for _, legacy := range []bool{true, false} {
		t.Run(fmt.Sprintf("legacy=%v", legacy), func(t *testing.T) {
			s, err := sim.Start("127.0.0.1:0", sim.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			stderr := &syncBuf{}
			tr := transport.NewStdioWithOptions(bin, childEnv(), []string{"--backend", "sim", "--sim-addr", s.Addr, "--audit", "stderr"},
				transport.WithCommandStderrWriter(stderr))
			h := &yes{}
			opts := []client.ClientOption{client.WithElicitationHandler(h)}
			if legacy {
				opts = append(opts, client.WithLegacyProtocolOnly())
			}
			c := client.NewClient(tr, opts...)
			startClient(t, c)
			lt, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
			if err != nil {
				t.Fatalf("tools/list: %v\nstderr:\n%s", err, stderr.String())
			}
			if len(lt.Tools) != 89 {
				t.Fatalf("tools/list: %d tools", len(lt.Tools))
			}
			if r := call(t, c, "list_agent_states", nil); r.IsError || !strings.Contains(resultText(r), "mallory") {
				t.Fatalf("read: %s", resultText(r))
			}
			m, _ := s.Agent(sim.DefaultInstanceID, "mallory")
			id, _ := strconv.ParseInt(m.RamID, 10, 64)
			r := call(t, c, "reset_user_status", map[string]any{"RamIdList": []any{id}})
			if r.IsError || len(h.asked) != 1 || s.Count("ResetUserStatus") != 1 {
				t.Fatalf("confirmed reset: %s (asked %d, ran %d)", resultText(r), len(h.asked), s.Count("ResetUserStatus"))
			}
			if m, _ := s.Agent(sim.DefaultInstanceID, "mallory"); m.Abnormal {
				t.Fatal("mallory is still stuck")
			}
			c.Close()
			out := stderr.String()
			if !strings.Contains(out, "a CCC simulator at http://"+s.Addr) {
				t.Errorf("stderr does not state the backend:\n%s", out)
			}
			if !strings.Contains(out, `"principal":"local"`) || !strings.Contains(out, `"surface":"stdio"`) {
				t.Errorf("the audit (on stderr) lacks the local principal:\n%s", out)
			}
		})
	}
}

func runBin(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.Stdin = strings.NewReader("")
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func TestListToolsFlag(t *testing.T) {
	cases := []struct {
		args []string
		want int
	}{
		{nil, 89},
		{[]string{"--gateway"}, 3},
		{[]string{"--tools", "list_users,ResetUserStatus"}, 2},
		{[]string{"--exclude-tools", "dial_ex"}, 88},
	}
	for _, tc := range cases {
		out, errOut, code := runBin(t, childEnv(), append([]string{"--list-tools", "--backend", "sim"}, tc.args...)...)
		lines := strings.Fields(out)
		if code != 0 || len(lines) != tc.want {
			t.Errorf("--list-tools %v: exit %d, %d names, want %d\n%s", tc.args, code, len(lines), tc.want, errOut)
		}
	}
	out, _, _ := runBin(t, childEnv(), "--list-tools", "--backend", "sim", "--read-only")
	for _, n := range strings.Fields(out) {
		// Neither risky tools nor the credential-returning (secret) ones.
		if n == "reset_user_status" || n == "dial_ex" || n == "request_login_info" || n == "get_turn_credentials" {
			t.Errorf("--read-only lists %s", n)
		}
	}
	if n := len(strings.Fields(out)); n != 54 {
		t.Errorf("--read-only lists %d tools, want the 54 reads", n)
	}
	out, _, _ = runBin(t, childEnv("CCC_READ_ONLY_SECRETS=true"), "--list-tools", "--backend", "sim", "--read-only")
	if !strings.Contains(out, "request_login_info") || len(strings.Fields(out)) != 58 {
		t.Errorf("--read-only with CCC_READ_ONLY_SECRETS lists:\n%s", out)
	}
}

// Filters that leave no tool refuse to start, saying why.
func TestFiltersThatLeaveNothingRefuseToStart(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--toolsets", "agents", "--tools", "list_agent_states"}, "list_agent_states is in toolset reports"},
		{[]string{"--read-only", "--tools", "reset_user_status"}, "read-only mode leaves no tool"},
		{[]string{"--tools", "dial_ex", "--exclude-tools", "DialEx"}, "also in --exclude-tools"},
	} {
		for _, list := range []bool{false, true} {
			args := append([]string{"--backend", "sim", "--audit", "off"}, tc.args...)
			if list {
				args = append(args, "--list-tools")
			}
			out, errOut, code := runBin(t, childEnv(), args...)
			if code == 0 || !strings.Contains(errOut, tc.want) || out != "" {
				t.Errorf("%v: exit %d, stdout %q, stderr %s", args, code, out, errOut)
			}
		}
	}
}

// One unparsable line (NaN in the arguments) and the end of input: the
// binary answers what it can and exits, without waiting for an answer by
// id that mcp-go never sends.
func TestBadStdioLineThenEOFExits(t *testing.T) {
	cmd := exec.Command(binary(t), "--backend", "sim", "--audit", "off")
	cmd.Env = childEnv()
	cmd.Stdin = strings.NewReader(strings.Join([]string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"sh","version":"0"}}}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_agent_states","arguments":{"PageSize":NaN}}}`,
	}, "\n") + "\n")
	var out syncBuf
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("still running 20 s after end of input; wrote:\n%s", out.String())
	}
	if !strings.Contains(out.String(), `"id":null`) || !strings.Contains(out.String(), `"id":1,`) {
		t.Fatalf("answers:\n%s", out.String())
	}
}

func TestRefusals(t *testing.T) {
	_, errOut, code := runBin(t, childEnv(), "--backend", "sim", "--audit", "stdout")
	if code == 0 || !strings.Contains(errOut, "stdout") {
		t.Errorf("--audit stdout over stdio: exit %d, %s", code, errOut)
	}
	_, errOut, code = runBin(t, childEnv(), "--backend", "sim", "--transport", "http", "--addr", "0.0.0.0:0")
	if code == 0 || !strings.Contains(errOut, "token") {
		t.Errorf("HTTP on 0.0.0.0 without tokens: exit %d, %s", code, errOut)
	}
	for _, bad := range [][]string{{"--body-timeout", "0"}, {"--header-timeout", "-1s"}, {"--max-conns", "0"}, {"--max-sessions-per-token", "-3"}, {"--session-idle", "0"}} {
		_, errOut, code = runBin(t, childEnv(), append([]string{"--backend", "sim", "--transport", "http"}, bad...)...)
		if code == 0 || !strings.Contains(errOut, bad[0]) || !strings.Contains(errOut, "positive") {
			t.Errorf("%v: exit %d, %s", bad, code, errOut)
		}
	}
	_, errOut, code = runBin(t, childEnv(), "--transport", "carrier-pigeon")
	if code == 0 || !strings.Contains(errOut, "stdio or http") {
		t.Errorf("unknown transport: exit %d, %s", code, errOut)
	}
}

// HTTP mode of the binary: a real client with a token lists the tools; a
// request without one is refused; SIGTERM stops it cleanly.
func TestHTTPSubprocessAndGracefulShutdown(t *testing.T) {
	const token = "ci-token-0123456789abcdef0123"
	cmd := exec.Command(binary(t), "--backend", "sim", "--transport", "http", "--addr", "127.0.0.1:0")
	cmd.Env = childEnv("CCC_MCP_TOKENS=ci=" + token)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); pw.Close() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	}()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	re := regexp.MustCompile(`listening on (http://\S+/mcp)`)
	var url string
	var seen []string
	deadline := time.After(60 * time.Second)
	for url == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("server exited before listening:\n%s", strings.Join(seen, "\n"))
			}
			seen = append(seen, l)
			if strings.Contains(l, token) {
				t.Fatal("the server logged a token")
			}
			if m := re.FindStringSubmatch(l); m != nil {
				url = m[1]
			}
		case <-deadline:
			t.Fatalf("server did not listen:\n%s", strings.Join(seen, "\n"))
		}
	}
	tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr)
	startClient(t, c)
	lt, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list over HTTP: %v", err)
	}
	if len(lt.Tools) != 89 {
		t.Fatalf("tools/list over HTTP: %d tools", len(lt.Tools))
	}
	// A client without a token is turned away with 401 and a challenge.
	noTok, err := http.Post(url, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	noTok.Body.Close()
	if noTok.StatusCode != http.StatusUnauthorized || noTok.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("a request without a token got %d (WWW-Authenticate %q)", noTok.StatusCode, noTok.Header.Get("WWW-Authenticate"))
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit within 30 s of SIGTERM")
	}
	var rest []string
	for l := range lines {
		rest = append(rest, l)
	}
	if !strings.Contains(strings.Join(rest, "\n"), "stopped") {
		t.Errorf("no clean stop message:\n%s", strings.Join(rest, "\n"))
	}
}

// TestPipedRequestsAreAnsweredBeforeExit: a script that writes its requests
// and closes stdin (the README's example) gets every answer, not "canceled".
// pipedCall starts the server with args, pipes initialize and one
// list_agent_states call to it, and returns every answer line and the
// call's.
func pipedCall(t *testing.T, args ...string) (lines []string, call string) {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"--backend", "sim", "--audit", "off"}, args...)...)
	cmd.Env = childEnv()
	cmd.Stdin = strings.NewReader(strings.Join([]string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"sh","version":"0"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_agent_states","arguments":{"State":"Talking","PageSize":5}}}`,
	}, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("exit: %v", err)
	}
	// Answers may come in any order (calls run concurrently).
	lines = strings.Split(strings.TrimSpace(string(out)), "\n")
	for _, l := range lines {
		if strings.Contains(l, `"id":2,`) {
			call = l
		}
	}
	return lines, call
}

func TestPipedRequestsAreAnsweredBeforeExit(t *testing.T) {
	lines, call := pipedCall(t)
	if len(lines) != 2 || call == "" || strings.Contains(call, "canceled") || !strings.Contains(call, "Talking") {
		t.Fatalf("answers:\n%s", strings.Join(lines, "\n"))
	}
}

// --structured-content off: the text carries the result, structuredContent
// is not sent; a bad value or a clash with --output-schemas is refused.
func TestStructuredContentOff(t *testing.T) {
	ask := func(args ...string) string {
		_, call := pipedCall(t, args...)
		if call == "" {
			t.Fatalf("no answer to the call with %v", args)
		}
		return call
	}
	if on := ask(); !strings.Contains(on, `"structuredContent"`) {
		t.Fatalf("default: no structuredContent: %s", on)
	}
	if off := ask("--structured-content", "off"); strings.Contains(off, `"structuredContent"`) || !strings.Contains(off, "Talking") {
		t.Fatalf("off: %s", off)
	}
	for _, bad := range [][]string{{"--structured-content", "maybe"}, {"--structured-content", "off", "--output-schemas"}, {"--time-zone", "Mars/Olympus"}} {
		if _, errOut, code := runBin(t, childEnv(), append([]string{"--backend", "sim", "--list-tools"}, bad...)...); code == 0 || !strings.Contains(errOut, bad[0]) {
			t.Errorf("%v: exit %d, %s", bad, code, errOut)
		}
	}
}

func TestApprovalWaitFlagAndEnvironment(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	if err != nil || o.approvalWait != 0 {
		t.Fatalf("default: %v, %v (want 0: answer pending at once)", o.approvalWait, err)
	}
	t.Setenv("CCC_APPROVAL_WAIT", "45s")
	if o, err = parseFlags(nil, io.Discard); err != nil || o.approvalWait != 45*time.Second {
		t.Fatalf("CCC_APPROVAL_WAIT=45s: %v, %v", o.approvalWait, err)
	}
	if o, err = parseFlags([]string{"--approval-wait", "10s"}, io.Discard); err != nil || o.approvalWait != 10*time.Second {
		t.Fatalf("the flag wins over the environment: %v, %v", o.approvalWait, err)
	}
	if _, err = parseFlags([]string{"--approval-wait", "-1s"}, io.Discard); err == nil || !strings.Contains(err.Error(), "--approval-wait") || !strings.Contains(err.Error(), "30s") {
		t.Fatalf("a negative wait: %v", err)
	}
}
