package ops_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cccops/cccops/internal/app"
	"github.com/cccops/cccops/internal/ops"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

const testSecret = "ops-test-secret-of-at-least-32-bytes!"

type env struct {
	app     *app.App
	metrics *ops.Metrics
	srv     *httptest.Server // the ops handler on a loopback listener
	clock   *clock
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// newEnv opens the product as the binaries do, on the embedded simulator
// and a memory store, with auditing off (metrics must not depend on it),
// and serves the ops handler.
func newEnv(t *testing.T, token string, cfg app.Config) *env {
	t.Helper()
	m := ops.NewMetrics()
	cfg.Backend, cfg.TokenSecret, cfg.AuditPath, cfg.Logger, cfg.Observe = app.BackendSim, testSecret, "off", app.Discard(), m.Observe
	a, err := app.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	m.WatchPending(a.Store, app.Discard())
	check, err := ops.DialCheck(a.Client.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	ck := &clock{t: time.Now()}
	h, err := ops.Handler(ops.Config{Metrics: m, Store: a.Store, Backend: check, MetricsToken: token, Logger: app.Discard(), Now: ck.now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{app: a, metrics: m, srv: srv, clock: ck}
}

func (e *env) get(t *testing.T, path string, header ...string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// scrape parses /metrics the way Prometheus does.
func (e *env) scrape(t *testing.T, header ...string) map[string]*dto.MetricFamily {
	t.Helper()
	code, body, _ := e.get(t, "/metrics", header...)
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v\n%s", err, body)
	}
	return fams
}

// value is the counter or gauge value of the series with these labels
// (name=value pairs), 0 when it is absent; for a histogram, its count.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return 0
}

var who = policy.Principal{ID: "mcp:ops-test", Name: "ops-test", Surface: "mcp"}

func invoke(t *testing.T, a *app.App, tool string, args map[string]any) (*tools.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return a.Registry.Invoke(ctx, tools.Invocation{Principal: who, Tool: tool, Args: args, CanAsk: true})
}

// Calls through the registry move the counters /metrics shows: a read
// (ok, with its latency), a read CCC refuses (error), a write waiting for a
// yes (pending, and the pending gauge), and a read over the rate limit
// (refused before CCC: zero backend calls).
func TestMetricsCountWhatTheGateSaw(t *testing.T) {
	e := newEnv(t, "", app.Config{RateLimit: 4})
	before := e.scrape(t)
	if v := value(before, "cccops_calls_total", "action", "ListAgentStates", "result", "ok"); v != 0 {
		t.Fatalf("calls before any call: %v", v)
	}
	if _, ok := before["cccops_rate_limited_total"]; !ok {
		t.Error("cccops_rate_limited_total is not exposed before the first refusal")
	}

	if res, err := invoke(t, e.app, "list_agent_states", nil); err != nil || res.Status != tools.StatusOK {
		t.Fatalf("read: %v %+v", err, res)
	}
	if _, err := invoke(t, e.app, "list_agent_states", map[string]any{"InstanceId": "ccc-no-such-instance"}); err == nil {
		t.Fatal("a read of an unknown instance succeeded")
	}
	res, err := invoke(t, e.app, "create_skill_group", map[string]any{"Name": "ops-test"})
	if err != nil || res.Status != tools.StatusPending {
		t.Fatalf("a write without a yes: %v %+v", err, res)
	}
	if res, err := invoke(t, e.app, "list_agent_states", nil); err != nil || res.Status != tools.StatusOK {
		t.Fatalf("second read: %v %+v", err, res)
	}
	sent := e.app.Sim.Count("ListAgentStates")
	if _, err := invoke(t, e.app, "list_agent_states", nil); err == nil {
		t.Fatal("the fifth call within a minute passed a limit of 4")
	}
	if n := e.app.Sim.Count("ListAgentStates"); n != sent {
		t.Errorf("the rate-limited read reached the simulator (%d → %d requests)", sent, n)
	}
	if n := e.app.Sim.Count("CreateSkillGroup"); n != 0 {
		t.Errorf("the unconfirmed write reached the simulator %d times", n)
	}

	f := e.scrape(t)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"cccops_calls_total", []string{"action", "ListAgentStates", "class", "read", "result", "ok"}, 2},
		{"cccops_calls_total", []string{"action", "ListAgentStates", "class", "read", "result", "error"}, 1},
		{"cccops_calls_total", []string{"action", "CreateSkillGroup"}, 0},
		{"cccops_call_duration_seconds", []string{"action", "ListAgentStates", "class", "read"}, 3},
		{"cccops_gate_decisions_total", []string{"decision", "allow", "result", "ok"}, 2},
		{"cccops_gate_decisions_total", []string{"decision", "allow", "result", "error"}, 1},
		{"cccops_gate_decisions_total", []string{"decision", "confirm", "result", "pending"}, 1},
		{"cccops_gate_decisions_total", []string{"decision", "allow", "result", "rate-limited"}, 1},
		{"cccops_rate_limited_total", []string{"class", "read"}, 1},
		{"cccops_rate_limited_total", []string{"class", "destructive"}, 0},
		{"cccops_confirmations_pending", nil, 1},
		{"cccops_store_errors_total", nil, 0},
	} {
		if got := value(f, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if _, ok := f["go_goroutines"]; !ok {
		t.Error("the Go runtime's metrics are missing")
	}

	// The requester declines: nothing is pending any more.
	if err := e.app.Registry.Withdraw(context.Background(), who, res.Pending, "declined", "the test said no"); err != nil {
		t.Fatal(err)
	}
	f = e.scrape(t)
	if got := value(f, "cccops_confirmations_pending"); got != 0 {
		t.Errorf("pending after the decline: %v", got)
	}
	if got := value(f, "cccops_gate_decisions_total", "decision", "confirm", "result", "refused"); got != 1 {
		t.Errorf("refused records after the decline: %v", got)
	}
}

func readyz(t *testing.T, e *env) (int, map[string]any) {
	t.Helper()
	code, body, h := e.get(t, "/readyz")
	if ct := h.Get("Content-Type"); ct != "application/json" {
		t.Errorf("/readyz Content-Type %q", ct)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("/readyz body is not JSON: %q", body)
	}
	return code, out
}

// /healthz says the process is up; /readyz checks the store and the
// backend, and says in words which failed: a closed store (and the calls it
// refuses count as store errors), then a simulator that is down.
func TestReadyzNamesWhatFailed(t *testing.T) {
	e := newEnv(t, "", app.Config{})
	if code, body, _ := e.get(t, "/healthz"); code != http.StatusOK || strings.TrimSpace(body) != `{"status":"ok"}` {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	code, out := readyz(t, e)
	if code != http.StatusOK || out["status"] != "ready" {
		t.Fatalf("/readyz with everything up: %d %v", code, out)
	}

	if err := e.app.Store.Close(); err != nil {
		t.Fatal(err)
	}
	// Within the cache window the last answer stands; after it, the check runs again.
	if code, _ := readyz(t, e); code != http.StatusOK {
		t.Errorf("/readyz within its 1 s cache: %d, want the cached 200", code)
	}
	e.clock.add(2 * time.Second)
	code, out = readyz(t, e)
	checks, _ := out["checks"].(map[string]any)
	storeMsg, _ := checks["store"].(string)
	if code != http.StatusServiceUnavailable || out["status"] != "unavailable" || !strings.Contains(storeMsg, "store (memory) did not answer") || checks["backend"] != "ok" {
		t.Fatalf("/readyz with the store closed: %d %v", code, out)
	}
	if _, err := invoke(t, e.app, "list_agent_states", nil); err == nil {
		t.Fatal("a read ran with the store closed")
	}
	if got := value(e.scrape(t), "cccops_store_errors_total"); got != 1 {
		t.Errorf("cccops_store_errors_total = %v after one call refused by a closed store", got)
	}
	if code, _, _ := e.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz with the store closed: %d (the process is up)", code)
	}

	if err := e.app.Sim.Close(); err != nil {
		t.Fatal(err)
	}
	e.clock.add(2 * time.Second)
	code, out = readyz(t, e)
	checks, _ = out["checks"].(map[string]any)
	backendMsg, _ := checks["backend"].(string)
	if code != http.StatusServiceUnavailable || !strings.Contains(backendMsg, "CCC backend did not accept a connection") {
		t.Fatalf("/readyz with the simulator down: %d %v", code, out)
	}
	if strings.Contains(backendMsg, "127.0.0.1") {
		t.Errorf("/readyz names the backend's address to anyone who asks: %q", backendMsg)
	}
}

// With a metrics token, /metrics answers only with it (constant-time
// compare); the probes stay open.
func TestMetricsTokenIsRequired(t *testing.T) {
	const token = "metrics-token-0123456789abcdef"
	e := newEnv(t, token, app.Config{})
	for _, hdr := range [][]string{nil, {"Authorization", "Bearer wrong-token-0123456789abcdef"}, {"Authorization", "Basic " + token}} {
		code, body, h := e.get(t, "/metrics", hdr...)
		if code != http.StatusUnauthorized || h.Get("WWW-Authenticate") == "" || !strings.Contains(body, ops.MetricsTokenEnv) {
			t.Errorf("/metrics with %v: %d %q (WWW-Authenticate %q)", hdr, code, body, h.Get("WWW-Authenticate"))
		}
		if strings.Contains(body, "cccops_") {
			t.Errorf("/metrics with %v leaked metrics", hdr)
		}
	}
	if f := e.scrape(t, "Authorization", "Bearer "+token); f["cccops_store_errors_total"] == nil {
		t.Error("/metrics with the token lacks cccops_store_errors_total")
	}
	if code, _, _ := e.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz behind a metrics token: %d", code)
	}
	if code, _, _ := e.get(t, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz behind a metrics token: %d", code)
	}
	if _, err := ops.Handler(ops.Config{Metrics: e.metrics, Store: e.app.Store, MetricsToken: "short"}); err == nil || !strings.Contains(err.Error(), ops.MetricsTokenEnv) {
		t.Errorf("a short metrics token: %v", err)
	}
}

// Without a token, /metrics answers loopback clients naming a loopback
// host, and refuses a request whose Host is another name (a page that
// rebound its DNS name to 127.0.0.1).
func TestMetricsWithoutTokenAreLoopbackOnly(t *testing.T) {
	e := newEnv(t, "", app.Config{})
	code, body, _ := e.get(t, "/metrics")
	if code != http.StatusOK || !strings.Contains(body, "cccops_store_errors_total") {
		t.Fatalf("/metrics from loopback: %d", code)
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/metrics", nil)
	req.Host = "evil.example:80"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), ops.MetricsTokenEnv) {
		t.Errorf("/metrics with Host evil.example: %d %q", resp.StatusCode, b)
	}
	if code, _, _ := e.get(t, "/nowhere"); code != http.StatusNotFound {
		t.Errorf("/nowhere: %d", code)
	}
	req, _ = http.NewRequest(http.MethodPost, e.srv.URL+"/healthz", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: %d", resp.StatusCode)
	}
}

// An action name that is not one of the 89 never becomes a label value.
func TestUnknownActionsShareOneLabel(t *testing.T) {
	m := ops.NewMetrics()
	for _, a := range []string{"Drop1", "Drop2", "Drop3"} {
		m.Observe(policy.Record{Action: a, Decision: policy.Deny, Result: policy.ResultError})
	}
	var text strings.Builder
	if err := m.Registry().WriteText(context.Background(), &text); err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text.String()))
	if err != nil {
		t.Fatalf("not Prometheus text: %v\n%s", err, text.String())
	}
	calls := fams["cccops_calls_total"]
	if calls == nil || len(calls.Metric) != 1 || calls.Metric[0].Counter.GetValue() != 3 {
		t.Fatalf("unknown actions: %v", calls)
	}
	for _, l := range calls.Metric[0].Label {
		if l.GetName() == "action" && l.GetValue() != "unknown" {
			t.Errorf("action label %q", l.GetValue())
		}
	}
}
