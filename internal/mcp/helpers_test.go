package mcp

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cccops/cccops/internal/app"
	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

const testSecret = "mcp-test-secret-of-at-least-32-bytes!"

// env is one simulator, one app (registry + gate) on it, and one MCP server.
type env struct {
	sim   *sim.Server
	app   *app.App
	srv   *Server
	audit string
}

type envOpt func(*app.Config, *Options)

func gateway() envOpt { return func(_ *app.Config, o *Options) { o.Gateway = true } }
func readOnly() envOpt {
	return func(c *app.Config, _ *Options) { c.ReadOnly = true }
}
func filter(f tools.Filter) envOpt { return func(c *app.Config, _ *Options) { c.Filter = f } }
func confirmWait(d time.Duration) envOpt {
	return func(_ *app.Config, o *Options) { o.ConfirmWait = d }
}

func newEnv(t testing.TB, opts ...envOpt) *env {
	t.Helper()
	s, err := sim.Start("127.0.0.1:0", sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	cfg := app.Config{Backend: app.BackendSim, SimAddr: s.Addr, AuditPath: audit, TokenSecret: testSecret, Logger: app.Discard()}
	o := Options{Backend: "test simulator", Logger: app.Discard()}
	for _, f := range opts {
		f(&cfg, &o)
	}
	a, err := app.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	o.Registry = a.Registry
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &env{sim: s, app: a, srv: srv, audit: audit}
}

func (e *env) auditRecords(t *testing.T) []policy.Record {
	t.Helper()
	f, err := os.Open(e.audit)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []policy.Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r policy.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line is not JSON: %q", sc.Text())
		}
		out = append(out, r)
	}
	return out
}

// elicitor is a scripted human: it answers every confirmation the same way
// and remembers what it was shown.
type elicitor struct {
	mu       sync.Mutex
	action   mcp.ElicitationResponseAction
	confirm  bool
	block    bool // never answer; wait until the server gives up
	messages []string
}

func (h *elicitor) Elicit(ctx context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	h.mu.Lock()
	h.messages = append(h.messages, req.Params.Message)
	h.mu.Unlock()
	if h.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	res := &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: h.action}}
	if h.action == mcp.ElicitationResponseActionAccept {
		res.Content = map[string]any{"confirm": h.confirm}
	}
	return res, nil
}

func (h *elicitor) asked() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.messages...)
}

func accept() *elicitor  { return &elicitor{action: mcp.ElicitationResponseActionAccept, confirm: true} }
func decline() *elicitor { return &elicitor{action: mcp.ElicitationResponseActionDecline} }

// inProcess connects a real mcp-go client to the server in this process.
// modern=false keeps it on the initialize handshake (elicitation/create);
// modern=true lets it negotiate 2026-07-28 (input requests in results).
func (e *env) inProcess(t *testing.T, modern bool, h client.ElicitationHandler) *client.Client {
	t.Helper()
	var copts []client.ClientOption
	if !modern {
		copts = append(copts, client.WithLegacyProtocolOnly())
	}
	if h != nil {
		copts = append(copts, client.WithElicitationHandler(h))
	}
	c, err := client.NewInProcessClientWithOptions(e.srv.MCP(), copts...)
	if err != nil {
		t.Fatal(err)
	}
	initClient(t, c)
	if got := mcp.IsModernProtocol(c.ProtocolVersion()); got != modern {
		t.Fatalf("client negotiated %q; wanted modern=%v", c.ProtocolVersion(), modern)
	}
	return c
}

func initClient(t *testing.T, c *client.Client) *mcp.InitializeResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var req mcp.InitializeRequest
	req.Params.ClientInfo = mcp.Implementation{Name: "cccops-test", Version: "1"}
	res, err := c.Initialize(ctx, req)
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	return res
}

func callTool(t *testing.T, c *client.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("tools/call %s: protocol error %v (a tool failure must be an isError result)", name, err)
	}
	return res
}

func listTools(t *testing.T, c *client.Client) []mcp.Tool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	return res.Tools
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func mallory(t *testing.T, s *sim.Server) sim.AgentInfo {
	t.Helper()
	a, ok := s.Agent(sim.DefaultInstanceID, "mallory")
	if !ok {
		t.Fatal("the simulator has no agent mallory")
	}
	return a
}

func resetArgs(t *testing.T, s *sim.Server) map[string]any {
	t.Helper()
	id, err := strconv.ParseInt(mallory(t, s).RamID, 10, 64)
	if err != nil {
		t.Fatalf("RamId %q: %v", mallory(t, s).RamID, err)
	}
	return map[string]any{"RamIdList": []any{id}}
}
