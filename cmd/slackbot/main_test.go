package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/slack"
)

func TestStartsOnTheSimulator(t *testing.T) {
	const secret = "cmd-test-signing-secret"
	t.Setenv("SLACK_SIGNING_SECRET", secret)
	t.Setenv("SLACK_ADDR", "127.0.0.1:0")
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("SLACK_APP_TOKEN", "")
	t.Setenv("SLACK_STUCK_AFTER", "90m")
	t.Setenv("CCC_BACKEND", "sim")
	t.Setenv("CCC_AUDIT_FILE", "off")
	t.Setenv("CCC_TOKEN_SECRET", "cmd-test-token-secret-of-32-bytes!!")
	t.Setenv("CCC_METRICS_TOKEN", "")
	t.Setenv("SLACK_OPS_ADDR", "")

	got := make(chan string, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	}))
	defer receiver.Close()

	addr, stop := startRun(t)
	base := "http://" + addr

	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()

	post := func(text string, sign bool) *http.Response {
		body := url.Values{"command": {"/ccc"}, "text": {text}, "team_id": {"T1"}, "user_id": {"U1"}, "user_name": {"u"},
			"channel_id": {"C1"}, "response_url": {receiver.URL}}.Encode()
		req, _ := http.NewRequest(http.MethodPost, base+"/slack/commands", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if sign {
			ts := time.Now().Unix()
			req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
			req.Header.Set("X-Slack-Signature", slack.Sign(secret, ts, []byte(body)))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if r := post("help", false); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned: %d", r.StatusCode)
	}
	r := post("agents stuck", true)
	var ack map[string]any
	_ = json.NewDecoder(r.Body).Decode(&ack)
	r.Body.Close()
	if r.StatusCode != 200 || !strings.Contains(ack["text"].(string), "Working on") {
		t.Fatalf("ack %d %v", r.StatusCode, ack)
	}
	select {
	case msg := <-got:
		if !strings.Contains(msg, "mallory") || !strings.Contains(msg, "1h30m threshold") {
			t.Errorf("board: %s", msg)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no reply on the response_url")
	}
	// The operations endpoints share the bot's listener: ready, and the
	// board's reads counted.
	if code, body := get(t, base+"/readyz", ""); code != 200 || !strings.Contains(body, `"status":"ready"`) {
		t.Errorf("readyz: %d %s", code, body)
	}
	if code, body := get(t, base+"/metrics", ""); code != 200 || !strings.Contains(body, `cccops_calls_total{action="ListAgentStates",class="read",result="ok"}`) {
		t.Errorf("metrics: %d\n%s", code, body)
	}
	stop()
}

// startRun starts the bot with the environment the test set and waits
// until it listens; stop ends it and checks it ended cleanly.
func startRun(t *testing.T) (addr string, stop func()) {
	t.Helper()
	addr, stop, err := tryStartRun(t)
	if err != nil {
		t.Fatalf("run ended early: %v", err)
	}
	return addr, stop
}

// tryStartRun is startRun that hands back why run ended before it was
// ready.
func tryStartRun(t *testing.T) (addr string, stop func(), err error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, func(a string) { addrc <- a }) }()
	select {
	case addr = <-addrc:
	case err := <-done:
		cancel()
		return "", nil, err
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("not ready in 30 s")
	}
	return addr, func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}, nil
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// freeAddr is a loopback address nobody listens on (for a flag that wants one).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// With --ops-addr (Socket Mode, or a Slack listener on a public URL) the
// probes and /metrics move to that address, and /metrics wants the token.
func TestOpsAddrServesTheEndpointsApart(t *testing.T) {
	const token = "metrics-token-of-the-bot-0123456789"
	t.Setenv("SLACK_SIGNING_SECRET", "cmd-test-signing-secret")
	t.Setenv("SLACK_ADDR", "127.0.0.1:0")
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("SLACK_APP_TOKEN", "")
	t.Setenv("CCC_BACKEND", "sim")
	t.Setenv("CCC_AUDIT_FILE", "off")
	t.Setenv("CCC_TOKEN_SECRET", "cmd-test-token-secret-of-32-bytes!!")
	t.Setenv("CCC_METRICS_TOKEN", token)
	// A free port can be taken by another test binary between freeAddr and
	// the bot's listen: try another one then.
	var opsAddr, addr string
	var stop func()
	for attempt := 1; ; attempt++ {
		opsAddr = freeAddr(t)
		t.Setenv("SLACK_OPS_ADDR", opsAddr)
		var err error
		if addr, stop, err = tryStartRun(t); err == nil {
			break
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatalf("run ended early: %v", err)
		}
	}
	if code, _ := get(t, "http://"+opsAddr+"/healthz", ""); code != 200 {
		t.Errorf("healthz on --ops-addr: %d", code)
	}
	if code, _ := get(t, "http://"+opsAddr+"/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("metrics without the token: %d", code)
	}
	if code, body := get(t, "http://"+opsAddr+"/metrics", token); code != 200 || !strings.Contains(body, "cccops_confirmations_pending 0") {
		t.Errorf("metrics with the token: %d\n%s", code, body)
	}
	if code, _ := get(t, "http://"+addr+"/metrics", token); code != http.StatusNotFound {
		t.Errorf("metrics on the Slack listener too: %d", code)
	}
	stop()
}

func TestRefusesToStartWithoutSlackSecrets(t *testing.T) {
	t.Setenv("SLACK_SIGNING_SECRET", "")
	t.Setenv("SLACK_APP_TOKEN", "")
	err := run(context.Background(), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "SLACK_SIGNING_SECRET") {
		t.Errorf("got %v", err)
	}
	t.Setenv("SLACK_SIGNING_SECRET", "x")
	t.Setenv("SLACK_STUCK_AFTER", "soon")
	if err := run(context.Background(), nil, nil); err == nil || !strings.Contains(err.Error(), "SLACK_STUCK_AFTER") {
		t.Errorf("got %v", err)
	}
}

// syncBuffer is a bytes.Buffer safe for the bot's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func captureStderr(t *testing.T) *syncBuffer {
	var buf syncBuffer
	old := stderr
	stderr = &buf
	t.Cleanup(func() { stderr = old })
	return &buf
}

// TestHelpNamesTheEnvironmentOnlySettings: -h lists the Slack secrets and
// the CCC credentials, which have no flag, and the real defaults.
func TestHelpNamesTheEnvironmentOnlySettings(t *testing.T) {
	out := captureStderr(t)
	if err := run(context.Background(), []string{"-h"}, nil); err != nil {
		t.Fatal(err)
	}
	h := out.String()
	for _, w := range []string{"SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "files:write", "CCC_BEARER_TOKEN",
		"ALIBABA_CLOUD_ACCESS_KEY_ID", "-stuck-after duration", "(default 2h0m0s)", "-rate-limit limit", "(default 600)", "[SLACK_ADDR]"} {
		if !strings.Contains(h, w) {
			t.Errorf("-h lacks %q:\n%s", w, h)
		}
	}
}

func TestRefusesBadStuckAfter(t *testing.T) {
	captureStderr(t)
	t.Setenv("SLACK_SIGNING_SECRET", "x")
	for _, v := range []string{"0", "-1h", "soon"} {
		t.Setenv("SLACK_STUCK_AFTER", v)
		err := run(context.Background(), nil, nil)
		if err == nil || !strings.Contains(err.Error(), `SLACK_STUCK_AFTER="`+v+`": use a positive duration`) {
			t.Errorf("SLACK_STUCK_AFTER=%s: %v", v, err)
		}
	}
}

// TestWarnsAboutPlainHTTPOnAReachableAddress: configured to listen on
// every interface, the bot says that plain HTTP needs TLS in front. (The
// test listens on loopback whatever is configured.)
func TestWarnsAboutPlainHTTPOnAReachableAddress(t *testing.T) {
	oldListen := listen
	t.Cleanup(func() { listen = oldListen })
	listen = func(network, _ string) (net.Listener, error) { return net.Listen(network, "127.0.0.1:0") }
	t.Setenv("SLACK_SIGNING_SECRET", "cmd-test-signing-secret")
	t.Setenv("SLACK_APP_TOKEN", "")
	t.Setenv("SLACK_STUCK_AFTER", "")
	t.Setenv("CCC_BACKEND", "sim")
	t.Setenv("CCC_AUDIT_FILE", "off")
	t.Setenv("CCC_TOKEN_SECRET", "cmd-test-token-secret-of-32-bytes!!")
	for addr, warned := range map[string]bool{"0.0.0.0:3000": true, ":3000": true, "127.0.0.1:3000": false} {
		out := captureStderr(t)
		t.Setenv("SLACK_ADDR", addr)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- run(ctx, nil, func(string) { cancel() }) }()
		if err := <-done; err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		cancel()
		logs := out.String()
		if got := strings.Contains(logs, "plain HTTP") && strings.Contains(logs, "TLS reverse proxy") && strings.Contains(logs, addr); got != warned {
			t.Errorf("%s: warned=%v, want %v:\n%s", addr, got, warned, logs)
		}
	}
}
