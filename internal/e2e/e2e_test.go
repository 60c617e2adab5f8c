// Package e2e runs the built binaries together: the MCP server and the
// Slack bot sharing one store (a SQLite file, or a PostgreSQL database the
// tests start), one simulator, and a fake Slack Web API, all on loopback.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/slack"
	"github.com/cccops/cccops/internal/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds cmd/mcp-server and cmd/slackbot once.
func binaries(t *testing.T) (mcpBin, botBin string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "cccops-e2e")
		if buildErr != nil {
			return
		}
		for _, c := range []string{"mcp-server", "slackbot"} {
			out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, c), "../../cmd/"+c).CombinedOutput()
			if err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", c, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "mcp-server"), filepath.Join(binDir, "slackbot")
}

const (
	signingSecret = "e2e-signing-secret"
	approvals     = "CAPPROVE"
	policyYAML    = `
principals:
  local: {roles: [oncall], slack: U1ALICE}
  U1ALICE: oncall
  U2BOB: [oncall, lead]
roles:
  oncall:
    rules:
      - {name: reads, access: [read], verdict: allow}
      - {name: reset, actions: [ResetUserStatus], verdict: confirm}
  lead:
    approver: true
    rules:
      - {name: reads, access: [read], verdict: allow}
`
)

// fakeSlack is Slack's Web API and the response_url receiver.
type fakeSlack struct {
	srv       *httptest.Server
	mu        sync.Mutex
	posts     []url.Values
	responses []map[string]any
	n         int
}

func newFakeSlack(t *testing.T) *fakeSlack {
	f := &fakeSlack{}
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, extra map[string]any) {
		out := map[string]any{"ok": true}
		for k, v := range extra {
			out[k] = v
		}
		_ = json.NewEncoder(w).Encode(out)
	}
	mux.HandleFunc("/api/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		f.posts = append(f.posts, r.PostForm)
		n := len(f.posts)
		f.mu.Unlock()
		ok(w, map[string]any{"channel": r.PostForm.Get("channel"), "ts": fmt.Sprintf("1700000000.%06d", n)})
	})
	for _, m := range []string{"chat.update", "chat.postEphemeral"} {
		mux.HandleFunc("/api/"+m, func(w http.ResponseWriter, r *http.Request) { ok(w, map[string]any{"ts": "1.0"}) })
	}
	mux.HandleFunc("/api/usergroups.list", func(w http.ResponseWriter, r *http.Request) { ok(w, map[string]any{"usergroups": []any{}}) })
	mux.HandleFunc("/respond/", func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		m["_path"] = r.URL.Path
		f.mu.Lock()
		f.responses = append(f.responses, m)
		f.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) responseURL() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	return fmt.Sprintf("%s/respond/%d", f.srv.URL, f.n)
}

// postsFor counts the approval messages posted for a request.
func (f *fakeSlack) postsFor(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, p := range f.posts {
		if p.Get("channel") == approvals && strings.Contains(p.Get("blocks"), id) {
			n++
		}
	}
	return n
}

// answer waits for what reached one response_url.
func (f *fakeSlack) answer(t *testing.T, ru string) string {
	t.Helper()
	path := ru[strings.Index(ru, "/respond/"):]
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		f.mu.Lock()
		for _, m := range f.responses {
			if m["_path"] == path {
				b, _ := json.Marshal(m)
				f.mu.Unlock()
				return string(b)
			}
		}
		f.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing reached %s", path)
	return ""
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// world is one simulator, one fake Slack and one store setting.
type world struct {
	t      *testing.T
	sim    *sim.Server
	slack  *fakeSlack
	store  string
	policy string
	audit  string
	mcpBin string
	botBin string
}

func newWorld(t *testing.T, storeSetting string) *world {
	mcpBin, botBin := binaries(t)
	s, err := sim.Start("127.0.0.1:0", sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	dir := t.TempDir()
	pol := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(pol, []byte(policyYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	return &world{t: t, sim: s, slack: newFakeSlack(t), store: storeSetting, policy: pol, audit: filepath.Join(dir, "audit.jsonl"), mcpBin: mcpBin, botBin: botBin}
}

func (w *world) env(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CCC_") || strings.HasPrefix(kv, "ALIBABA_CLOUD_") || strings.HasPrefix(kv, "SLACK_") {
			continue
		}
		out = append(out, kv)
	}
	out = append(out, "CCC_TOKEN_SECRET=e2e-token-secret-of-at-least-32-bytes!", "CCC_STORE="+w.store, "CCC_SIM_ADDR="+w.sim.Addr,
		"CCC_POLICY_FILE="+w.policy, "CCC_AUDIT_FILE="+w.audit)
	return append(out, extra...)
}

// bot is one running slackbot process.
type bot struct {
	cmd  *exec.Cmd
	url  string
	logs *syncBuf
}

// syncBuf is a buffer a process writes while the test reads it.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// readyAddr is where the bot says it listens: it binds 127.0.0.1:0 itself,
// so no other process can take the port between a pick and the bind.
var readyAddr = regexp.MustCompile(`msg="slackbot ready" .*\baddr=(\S+)`)

func (w *world) startBot() *bot {
	t := w.t
	cmd := exec.Command(w.botBin)
	cmd.Env = w.env("SLACK_ADDR=127.0.0.1:0", "SLACK_API_URL="+w.slack.srv.URL+"/api/", "SLACK_SIGNING_SECRET="+signingSecret,
		"SLACK_BOT_TOKEN=xoxb-e2e", "SLACK_APPROVALS_CHANNEL="+approvals)
	logs := &syncBuf{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &bot{cmd: cmd, logs: logs}
	t.Cleanup(func() { b.kill() })
	waitFor(t, "the bot's ready line", func() bool {
		m := readyAddr.FindStringSubmatch(logs.String())
		if m != nil {
			b.url = "http://" + m[1]
		}
		return m != nil
	})
	waitFor(t, "the bot's /healthz", func() bool {
		resp, err := http.Get(b.url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return b
}

// kill ends the bot at once, as kill -9 would.
func (b *bot) kill() {
	if b.cmd.ProcessState == nil {
		_ = b.cmd.Process.Kill()
		_ = b.cmd.Wait()
	}
}

// signed posts a signed form to a bot and returns the status.
func signed(t *testing.T, b *bot, path string, form url.Values) int {
	body := form.Encode()
	return signedRaw(t, b, path, body, time.Now().Unix())
}

func signedRaw(t *testing.T, b *bot, path, body string, ts int64) int {
	req, _ := http.NewRequest(http.MethodPost, b.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Slack-Signature", slack.Sign(signingSecret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func clickBody(user, name, action, id, responseURL string) string {
	p := map[string]any{
		"type": "block_actions", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": user, "name": name, "team_id": "T1"},
		"channel": map[string]any{"id": approvals}, "response_url": responseURL, "trigger_id": "1.2.3",
		"actions": []any{map[string]any{"type": "button", "action_id": action, "block_id": "ccc_approval", "value": id, "action_ts": "1"}},
	}
	raw, _ := json.Marshal(p)
	return url.Values{"payload": {string(raw)}}.Encode()
}

// click presses a button as a Slack user on a bot and returns what the
// bot answered through the response_url.
func (w *world) click(b *bot, user, name, action, id string) string {
	w.t.Helper()
	ru := w.slack.responseURL()
	if st := signedRaw(w.t, b, "/slack/interactions", clickBody(user, name, action, id, ru), time.Now().Unix()); st != http.StatusOK {
		w.t.Fatalf("click: status %d", st)
	}
	return w.slack.answer(w.t, ru)
}

// assistant is an MCP client over stdio that declares no elicitation.
func (w *world) assistant(env ...string) *client.Client {
	t := w.t
	c, err := client.NewStdioMCPClient(w.mcpBin, w.env(env...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "e2e-assistant", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	return c
}

func callTool(t *testing.T, c *client.Client, name string, args map[string]any) (*mcp.CallToolResult, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var req mcp.CallToolRequest
	req.Params.Name, req.Params.Arguments = name, args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var b strings.Builder
	for _, ct := range res.Content {
		if tc, ok := ct.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return res, b.String()
}

// askReset asks, as the assistant, to reset an agent, and returns the
// approval's id.
func (w *world) askReset(c *client.Client, login string) string {
	t := w.t
	a, ok := w.sim.Agent(sim.DefaultInstanceID, login)
	if !ok {
		t.Fatalf("no agent %s", login)
	}
	ram, err := strconv.ParseInt(a.RamID, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	res, text := callTool(t, c, "reset_user_status", map[string]any{"RamIdList": []any{ram}})
	sc, _ := res.StructuredContent.(map[string]any)
	id, _ := sc["approval_id"].(string)
	if res.IsError || !strings.HasPrefix(id, "apr_") || sc["state"] != "pending" || !strings.Contains(text, "NOT RUN YET") {
		t.Fatalf("want a pending approval, got %v %q %v", res.IsError, text, sc)
	}
	return id
}

func (w *world) approvalState(c *client.Client, id string) (string, string) {
	res, text := callTool(w.t, c, "get_approval", map[string]any{"approval_id": id})
	sc, _ := res.StructuredContent.(map[string]any)
	state, _ := sc["state"].(string)
	return state, text
}

func TestApprovalAcrossBinariesOnSQLite(t *testing.T) {
	w := newWorld(t, "sqlite:"+filepath.Join(t.TempDir(), "state.db"))
	bot1 := w.startBot()
	asst := w.assistant()

	id := w.askReset(asst, "mallory")
	waitFor(t, "the approval in the approvals channel", func() bool { return w.slack.postsFor(id) == 1 })
	if n := w.sim.Count("ResetUserStatus"); n != 0 {
		t.Fatalf("asking ran ResetUserStatus %d times", n)
	}
	// Someone who may not approve: refused privately, nothing runs.
	if got := w.click(bot1, "U3EVE", "eve", "ccc_confirm", id); !strings.Contains(got, "stays open") || w.sim.Count("ResetUserStatus") != 0 {
		t.Fatalf("eve's click: %s", got)
	}
	// The bot dies between the request and the click; a new one on the same
	// file settles it as if nothing happened.
	bot1.kill()
	bot2 := w.startBot()
	if got := w.click(bot2, "U1ALICE", "alice", "ccc_confirm", id); !strings.Contains(got, "Confirmed by") {
		t.Fatalf("alice's click after the restart: %s", got)
	}
	if n := w.sim.Count("ResetUserStatus"); n != 1 {
		t.Fatalf("ResetUserStatus ran %d times, want once", n)
	}
	if state, text := w.approvalState(asst, id); state != "done" || !strings.Contains(text, "RequestId") {
		t.Fatalf("get_approval after the run: %s %s", state, text)
	}

	// Denied: nothing runs, and the assistant is told.
	id2 := w.askReset(asst, "trent")
	waitFor(t, "the second approval", func() bool { return w.slack.postsFor(id2) == 1 })
	if got := w.click(bot2, "U2BOB", "bob", "ccc_deny", id2); !strings.Contains(got, "denied") {
		t.Fatalf("bob's deny: %s", got)
	}
	if state, _ := w.approvalState(asst, id2); state != "denied" || w.sim.Count("ResetUserStatus") != 1 {
		t.Fatalf("after deny: %s, %d runs", state, w.sim.Count("ResetUserStatus"))
	}
	// The approval posted by the first bot was posted once in all.
	if n := w.slack.postsFor(id); n != 1 {
		t.Errorf("the first approval was posted %d times", n)
	}
}

func TestApprovalAcrossReplicasOnPostgres(t *testing.T) {
	w := newWorld(t, pgtest.NewDatabase(t))
	botA, botB := w.startBot(), w.startBot()
	mcpA, mcpB := w.assistant(), w.assistant()

	// Requested on MCP replica A, posted once by whichever bot, approved
	// through bot B, collected on MCP replica B.
	id := w.askReset(mcpA, "mallory")
	waitFor(t, "the approval in the approvals channel", func() bool { return w.slack.postsFor(id) >= 1 })
	time.Sleep(3 * time.Second) // both bots have polled at least once more
	if n := w.slack.postsFor(id); n != 1 {
		t.Fatalf("two bot replicas posted the approval %d times", n)
	}
	if got := w.click(botB, "U1ALICE", "alice", "ccc_confirm", id); !strings.Contains(got, "Confirmed by") {
		t.Fatalf("alice's click on bot B: %s", got)
	}
	if state, _ := w.approvalState(mcpB, id); state != "done" || w.sim.Count("ResetUserStatus") != 1 {
		t.Fatalf("on MCP replica B: %s, %d runs", state, w.sim.Count("ResetUserStatus"))
	}

	// 20 parallel clicks spread over both bots run the action exactly once.
	id2 := w.askReset(mcpB, "trent")
	waitFor(t, "the second approval", func() bool { return w.slack.postsFor(id2) == 1 })
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := botA
			if i%2 == 1 {
				b = botB
			}
			w.click(b, "U1ALICE", "alice", "ccc_confirm", id2)
		}()
	}
	wg.Wait()
	if n := w.sim.Count("ResetUserStatus"); n != 2 {
		t.Fatalf("20 parallel clicks: ResetUserStatus ran %d times in all, want 2 (one per approval)", n)
	}

	// A signed request replayed to the other replica is refused there.
	body := url.Values{"command": {"/ccc"}, "text": {"help"}, "team_id": {"T1"}, "user_id": {"U1ALICE"}, "user_name": {"alice"},
		"channel_id": {"C1"}, "response_url": {w.slack.responseURL()}}.Encode()
	ts := time.Now().Unix()
	if st := signedRaw(t, botA, "/slack/commands", body, ts); st != http.StatusOK {
		t.Fatalf("first delivery: %d", st)
	}
	if st := signedRaw(t, botB, "/slack/commands", body, ts); st != http.StatusConflict {
		t.Fatalf("the replay to replica B answered %d, want 409", st)
	}
}

// A bot killed while CCC has the approved call: the store and the audit say
// it may have run, and nothing runs it again by itself.
func TestKillMidCallLeavesTheSendingRecord(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			setting := "sqlite:" + filepath.Join(t.TempDir(), "state.db")
			if engine == "postgres" {
				setting = pgtest.NewDatabase(t)
			}
			w := newWorld(t, setting)
			b := w.startBot()
			asst := w.assistant()
			id := w.askReset(asst, "mallory")
			waitFor(t, "the approval", func() bool { return w.slack.postsFor(id) == 1 })

			w.sim.SetFaults(sim.Faults{HangRate: 1, HangFor: time.Minute, Only: []string{"ResetUserStatus"}})
			ru := w.slack.responseURL()
			if st := signedRaw(t, b, "/slack/interactions", clickBody("U1ALICE", "alice", "ccc_confirm", id, ru), time.Now().Unix()); st != http.StatusOK {
				t.Fatalf("click: %d", st)
			}
			waitFor(t, "the reset to reach CCC", func() bool { return w.sim.Count("ResetUserStatus") == 1 })
			b.kill() // kill -9 while CCC holds the call
			w.sim.SetFaults(sim.Faults{})

			state, text := w.approvalState(asst, id)
			if state != "sending" || !strings.Contains(text, "may have run") {
				t.Fatalf("after the kill: %s %q", state, text)
			}
			audit, _ := os.ReadFile(w.audit)
			var sending, outcome int
			for _, line := range strings.Split(strings.TrimSpace(string(audit)), "\n") {
				var r map[string]any
				if json.Unmarshal([]byte(line), &r) != nil || r["approval_id"] != id {
					continue
				}
				switch r["result"] {
				case "sending":
					sending++
				case "ok", "error":
					outcome++
				}
			}
			if sending != 1 || outcome != 0 {
				t.Fatalf("audit for %s: %d sending and %d outcome lines, want 1 and 0", id, sending, outcome)
			}
			// A new bot names it at start, and runs nothing again.
			b2 := w.startBot()
			waitFor(t, "the start-up warning", func() bool {
				return strings.Contains(b2.logs.String(), "may have run") && strings.Contains(b2.logs.String(), id)
			})
			if got := w.click(b2, "U1ALICE", "alice", "ccc_confirm", id); !strings.Contains(got, "already settled") {
				t.Fatalf("a click after the crash: %s", got)
			}
			time.Sleep(time.Second)
			if n := w.sim.Count("ResetUserStatus"); n != 1 {
				t.Fatalf("ResetUserStatus reached CCC %d times, want 1", n)
			}
		})
	}
}

// The rate limit is one budget per principal across replicas sharing the
// store: 6 calls a minute, spent on two MCP processes, and the seventh is
// refused on either.
func TestRateLimitHoldsAcrossReplicasOnPostgres(t *testing.T) {
	w := newWorld(t, pgtest.NewDatabase(t))
	a, b := w.assistant("CCC_RATE_LIMIT=6"), w.assistant("CCC_RATE_LIMIT=6")
	for i := range 6 {
		c := a
		if i%2 == 1 {
			c = b
		}
		if res, text := callTool(t, c, "list_agent_states", map[string]any{"PageSize": 5}); res.IsError {
			t.Fatalf("call %d refused: %s", i+1, text)
		}
	}
	for name, c := range map[string]*client.Client{"A": a, "B": b} {
		res, text := callTool(t, c, "list_agent_states", map[string]any{"PageSize": 5})
		if !res.IsError || !strings.Contains(text, "rate limit") {
			t.Errorf("seventh call on replica %s: %v %s", name, res.IsError, text)
		}
	}
}

// /ccc reset previewed by one bot process, the bot killed, the click
// delivered to the next one on the same file: it settles as if nothing
// happened.
func TestSlackPreviewSurvivesARestartOnSQLite(t *testing.T) {
	w := newWorld(t, "sqlite:"+filepath.Join(t.TempDir(), "state.db"))
	b1 := w.startBot()
	ru := w.slack.responseURL()
	form := url.Values{"command": {"/ccc"}, "text": {"reset mallory"}, "team_id": {"T1"}, "user_id": {"U1ALICE"}, "user_name": {"alice"},
		"channel_id": {"C1"}, "response_url": {ru}, "trigger_id": {"1.2.3"}}
	if st := signed(t, b1, "/slack/commands", form); st != http.StatusOK {
		t.Fatalf("/ccc reset: %d", st)
	}
	preview := w.slack.answer(t, ru)
	i := strings.Index(preview, `"value":"cfm_`)
	if i < 0 || !strings.Contains(preview, "ccc_confirm") {
		t.Fatalf("no preview with a Confirm button: %s", preview)
	}
	id := preview[i+len(`"value":"`):]
	id = id[:strings.IndexByte(id, '"')]
	b1.kill()
	b2 := w.startBot()
	if got := w.click(b2, "U1ALICE", "alice", "ccc_confirm", id); !strings.Contains(got, "Reset by") {
		t.Fatalf("the click after the restart: %s", got)
	}
	if n := w.sim.Count("ResetUserStatus"); n != 1 {
		t.Fatalf("ResetUserStatus ran %d times, want once", n)
	}
}
