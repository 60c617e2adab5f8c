package main

import (
	"bufio"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
)

// startBin starts the binary and waits for a stderr line matching re;
// it returns the first submatch. The process is killed at the end of the
// test.
func startBin(t *testing.T, env []string, re *regexp.Regexp, stdin io.Reader, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = env
	cmd.Stdin = stdin
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); pw.Close() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		var seen []string
		for sc.Scan() {
			seen = append(seen, sc.Text())
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		found <- "exited:\n" + strings.Join(seen, "\n")
	}()
	select {
	case v := <-found:
		if strings.HasPrefix(v, "exited:") {
			t.Fatalf("the server %s", v)
		}
		return v
	case <-time.After(60 * time.Second):
		t.Fatal("the server did not start within 60 s")
	}
	return ""
}

func httpGet(t *testing.T, url, bearer string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// HTTP mode: the probes and /metrics answer on the MCP listener without
// the MCP bearer token (probes have none), /metrics counts a tool call
// made over MCP, and with CCC_METRICS_TOKEN set /metrics wants that token
// (the MCP token does not open it).
func TestHTTPModeServesOpsEndpoints(t *testing.T) {
	const token = "ci-token-0123456789abcdef0123"
	const metricsToken = "ci-metrics-token-0123456789abcdef"
	url := startBin(t, childEnv("CCC_MCP_TOKENS=ci="+token, "CCC_METRICS_TOKEN="+metricsToken),
		regexp.MustCompile(`listening on (http://\S+)/mcp`), nil,
		"--backend", "sim", "--transport", "http", "--addr", "127.0.0.1:0", "--audit", "off")

	if code, body := httpGet(t, url+"/healthz", ""); code != 200 || strings.TrimSpace(body) != `{"status":"ok"}` {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	if code, body := httpGet(t, url+"/readyz", ""); code != 200 || !strings.Contains(body, `"backend":"ok"`) || !strings.Contains(body, `"store":"ok"`) {
		t.Fatalf("/readyz: %d %s", code, body)
	}
	for _, bearer := range []string{"", token} {
		if code, body := httpGet(t, url+"/metrics", bearer); code != http.StatusUnauthorized || strings.Contains(body, "cccops_calls_total") {
			t.Errorf("/metrics with bearer %q: %d", bearer, code)
		}
	}

	tr, err := transport.NewStreamableHTTP(url+"/mcp", transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr)
	startClient(t, c)
	if r := call(t, c, "list_agent_states", nil); r.IsError {
		t.Fatalf("read: %s", resultText(r))
	}
	code, body := httpGet(t, url+"/metrics", metricsToken)
	if code != 200 || !strings.Contains(body, `cccops_calls_total{action="ListAgentStates",class="read",result="ok"} 1`) ||
		!strings.Contains(body, `cccops_call_duration_seconds_count{action="ListAgentStates",class="read"} 1`) {
		t.Fatalf("/metrics after one read over MCP: %d\n%s", code, body)
	}
	// The MCP endpoint keeps its own checks.
	if code, _ := httpGet(t, url+"/mcp", ""); code != http.StatusUnauthorized {
		t.Errorf("/mcp without a token: %d", code)
	}
}

// stdio mode serves no ops endpoint unless --ops-addr is set; with it,
// the endpoints answer there and count the calls made over stdio.
func TestStdioServesOpsOnlyOnOpsAddr(t *testing.T) {
	stdin, w := io.Pipe()
	t.Cleanup(func() { w.Close() })
	addr := startBin(t, childEnv(), regexp.MustCompile(`operations endpoints on http://(\S+) `), stdin,
		"--backend", "sim", "--audit", "off", "--ops-addr", "127.0.0.1:0")
	base := "http://" + addr
	if code, _ := httpGet(t, base+"/healthz", ""); code != 200 {
		t.Fatalf("/healthz on --ops-addr: %d", code)
	}
	if code, body := httpGet(t, base+"/metrics", ""); code != 200 || !strings.Contains(body, "cccops_confirmations_pending 0") {
		t.Fatalf("/metrics on --ops-addr from loopback: %d\n%s", code, body)
	}
	for _, l := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"sh","version":"0"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"create_skill_group","arguments":{"Name":"ops"}}}`,
	} {
		if _, err := io.WriteString(w, l+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	// The write waits for a yes the client cannot give (it declared no
	// elicitation): a refusal or a pending request, but never a run.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := httpGet(t, base+"/metrics", "")
		if strings.Contains(body, `cccops_gate_decisions_total{decision="confirm"`) {
			if strings.Contains(body, `cccops_calls_total{action="CreateSkillGroup"`) {
				t.Fatalf("an unconfirmed write ran:\n%s", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no gate decision counted for the write within 30 s:\n%s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Without --ops-addr, stdio mode listens nowhere.
func TestStdioWithoutOpsAddrListensNowhere(t *testing.T) {
	_, errOut, code := runBin(t, childEnv(), "--backend", "sim", "--audit", "off")
	if code != 0 || strings.Contains(errOut, "operations endpoints") {
		t.Errorf("stdio without --ops-addr: exit %d\n%s", code, errOut)
	}
}
