package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

const testSecret = "test-signing-secret-not-a-real-one"

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// received is one message the fake Slack got.
type received struct {
	Path string
	Msg  map[string]any
	Raw  string
}

type upload struct {
	Filename, Content, Channel, Comment string
}

// fakeSlack is the Web API and the response_url receiver, on 127.0.0.1.
type fakeSlack struct {
	t   testing.TB
	srv *httptest.Server

	mu         sync.Mutex
	responses  []received // response_url posts, in order
	ephemerals []url.Values
	posts      []url.Values // chat.postMessage
	updates    []url.Values // chat.update
	uploads    []upload
	pendingUp  map[string]*upload
	violations []string
	// failures to inject: per path prefix, a queue of status codes to answer first
	fail map[string][]int

	n atomic.Int64

	mux *http.ServeMux
}

// handle adds a Web API method to the fake.
func (f *fakeSlack) handle(path string, h http.HandlerFunc) { f.mux.HandleFunc(path, h) }

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{t: t, pendingUp: map[string]*upload{}, fail: map[string][]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/respond/", f.respond)
	mux.HandleFunc("/api/chat.postEphemeral", f.postEphemeral)
	mux.HandleFunc("/api/chat.postMessage", f.chatRecord(&f.posts, "chat.postMessage"))
	mux.HandleFunc("/api/chat.update", f.chatRecord(&f.updates, "chat.update"))
	mux.HandleFunc("/api/files.getUploadURLExternal", f.getUploadURL)
	mux.HandleFunc("/upload/", f.uploadBytes)
	mux.HandleFunc("/api/files.completeUploadExternal", f.completeUpload)
	f.mux = mux
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, v := range f.violations {
			t.Errorf("Slack limit broken: %s", v)
		}
	})
	return f
}

// responseURL makes a fresh response_url on the fake.
func (f *fakeSlack) responseURL() string {
	return fmt.Sprintf("%s/respond/%d", f.srv.URL, f.n.Add(1))
}

// failNext makes the next requests to a path answer these statuses first.
func (f *fakeSlack) failNext(path string, statuses ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[path] = append(f.fail[path], statuses...)
}

// injected answers an injected failure, if one is queued for the path.
func (f *fakeSlack) injected(w http.ResponseWriter, r *http.Request) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for prefix, q := range f.fail {
		if strings.HasPrefix(r.URL.Path, prefix) && len(q) > 0 {
			f.fail[prefix] = q[1:]
			if q[0] == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "1")
			}
			w.WriteHeader(q[0])
			_, _ = w.Write([]byte("injected"))
			return true
		}
	}
	return false
}

func (f *fakeSlack) check(where string, m map[string]any) {
	blocks, _ := m["blocks"].([]any)
	if len(blocks) > MaxBlocks {
		f.violations = append(f.violations, fmt.Sprintf("%s: %d blocks", where, len(blocks)))
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if typ, _ := x["type"].(string); (typ == "mrkdwn" || typ == "plain_text") && len([]rune(fmt.Sprint(x["text"]))) > MaxTextChars {
				f.violations = append(f.violations, fmt.Sprintf("%s: a text object of %d characters", where, len([]rune(fmt.Sprint(x["text"])))))
			}
			for _, val := range x {
				walk(val)
			}
		case []any:
			for _, val := range x {
				walk(val)
			}
		}
	}
	walk(blocks)
}

func (f *fakeSlack) respond(w http.ResponseWriter, r *http.Request) {
	if f.injected(w, r) {
		return
	}
	body, _ := io.ReadAll(r.Body)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		http.Error(w, "bad json", 400)
		return
	}
	f.mu.Lock()
	f.check("response_url", m)
	f.responses = append(f.responses, received{Path: r.URL.Path, Msg: m, Raw: string(body)})
	f.mu.Unlock()
	_, _ = w.Write([]byte("ok"))
}

func (f *fakeSlack) apiOK(w http.ResponseWriter, extra map[string]any) {
	out := map[string]any{"ok": true}
	for k, v := range extra {
		out[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func (f *fakeSlack) authed(w http.ResponseWriter, r *http.Request) bool {
	_ = r.ParseForm()
	tok := r.PostForm.Get("token")
	if tok == "" {
		tok = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if tok != "xoxb-test-token" {
		f.apiOK(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return false
	}
	return true
}

func (f *fakeSlack) postEphemeral(w http.ResponseWriter, r *http.Request) {
	if f.injected(w, r) || !f.authed(w, r) {
		return
	}
	f.mu.Lock()
	f.ephemerals = append(f.ephemerals, r.PostForm)
	var blocks []any
	_ = json.Unmarshal([]byte(r.PostForm.Get("blocks")), &blocks)
	f.check("chat.postEphemeral", map[string]any{"blocks": blocks})
	f.mu.Unlock()
	f.apiOK(w, map[string]any{"message_ts": "1.0"})
}

// chatRecord records chat.postMessage or chat.update calls, checked
// against Slack's limits, and answers with a channel and ts.
func (f *fakeSlack) chatRecord(into *[]url.Values, method string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if f.injected(w, r) || !f.authed(w, r) {
			return
		}
		f.mu.Lock()
		*into = append(*into, r.PostForm)
		n := len(*into)
		var blocks []any
		_ = json.Unmarshal([]byte(r.PostForm.Get("blocks")), &blocks)
		f.check(method, map[string]any{"blocks": blocks})
		f.mu.Unlock()
		f.apiOK(w, map[string]any{"channel": r.PostForm.Get("channel"), "ts": fmt.Sprintf("1700000000.%06d", n)})
	}
}

func (f *fakeSlack) getUploadURL(w http.ResponseWriter, r *http.Request) {
	if f.injected(w, r) || !f.authed(w, r) {
		return
	}
	id := fmt.Sprintf("F%d", f.n.Add(1))
	f.mu.Lock()
	f.pendingUp[id] = &upload{Filename: r.PostForm.Get("filename")}
	f.mu.Unlock()
	f.apiOK(w, map[string]any{"upload_url": f.srv.URL + "/upload/" + id, "file_id": id})
}

func (f *fakeSlack) uploadBytes(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	file, _, err := r.FormFile("file")
	if err != nil {
		http.Error(w, "no file", 400)
		return
	}
	b, _ := io.ReadAll(file)
	f.mu.Lock()
	if u := f.pendingUp[id]; u != nil {
		u.Content = string(b)
	}
	f.mu.Unlock()
	_, _ = w.Write([]byte("OK - " + strconv.Itoa(len(b))))
}

func (f *fakeSlack) completeUpload(w http.ResponseWriter, r *http.Request) {
	if f.injected(w, r) || !f.authed(w, r) {
		return
	}
	var files []struct{ ID, Title string }
	_ = json.Unmarshal([]byte(r.PostForm.Get("files")), &files)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, fl := range files {
		u := f.pendingUp[fl.ID]
		if u == nil || u.Content == "" {
			f.apiOK(w, map[string]any{"ok": false, "error": "file_not_found"})
			return
		}
		u.Channel, u.Comment = r.PostForm.Get("channel_id"), r.PostForm.Get("initial_comment")
		f.uploads = append(f.uploads, *u)
	}
	f.apiOK(w, map[string]any{"files": files})
}

func (f *fakeSlack) messages() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.responses...)
}

// env is one bot on a fresh simulator with a fake Slack.
type env struct {
	t     testing.TB
	sim   *sim.Server
	reg   *tools.Registry
	gate  *policy.Gate
	bot   *Bot
	slack *fakeSlack
	clock *clock
	srv   *httptest.Server
	audit *auditLog
}

// auditLog collects the gate's audit lines.
type auditLog struct {
	mu    sync.Mutex
	lines []policy.Record
}

func (a *auditLog) Write(p []byte) (int, error) {
	var r policy.Record
	if err := json.Unmarshal(p, &r); err != nil {
		return 0, err
	}
	a.mu.Lock()
	a.lines = append(a.lines, r)
	a.mu.Unlock()
	return len(p), nil
}

// results lists "action:result" of the audit lines of one action.
func (a *auditLog) results(action string) []policy.Record {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []policy.Record
	for _, r := range a.lines {
		if r.Action == action {
			out = append(out, r)
		}
	}
	return out
}

type envOpts struct {
	policyYAML string
	mutate     func(*Config)
	approvals  bool // the gate holds approvals for other surfaces
	// now, when set, fixes the simulator's, the registry's and the bot's
	// clock (tests whose data depends on the hour of the day).
	now time.Time
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	clk := &clock{t: time.Now()}
	simOpts := sim.Options{}
	if !o.now.IsZero() {
		clk.t = o.now
		simOpts.Now = clk.Now
	}
	srv, err := sim.Start("127.0.0.1:0", simOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	client, err := ccc.New(ccc.Config{Endpoint: srv.URL, Credentials: ccc.Credentials{Mode: ccc.CredAccessKey, AccessKeyID: sim.DefaultAccessKeyID, AccessKeySecret: sim.DefaultAccessKeySecret}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	audit := &auditLog{}
	pc := policy.Config{Secret: []byte("slack-test-token-secret-32-bytes!!"), Now: clk.Now, Audit: audit, Approvals: o.approvals}
	if o.policyYAML != "" {
		f, err := policy.ParseFile([]byte(o.policyYAML))
		if err != nil {
			t.Fatal(err)
		}
		pc.File = f
	}
	gate, err := policy.New(pc)
	if err != nil {
		t.Fatal(err)
	}
	tc := tools.Config{Client: client, Gate: gate, DefaultInstance: sim.DefaultInstanceID}
	if !o.now.IsZero() {
		tc.Now = clk.Now
	}
	reg, err := tools.New(tc)
	if err != nil {
		t.Fatal(err)
	}
	fs := newFakeSlack(t)
	cfg := Config{Registry: reg, SigningSecret: testSecret, BotToken: "xoxb-test-token", APIURL: fs.srv.URL + "/api/", Now: clk.Now, MaxRetryWait: 5 * time.Second}
	if o.mutate != nil {
		o.mutate(&cfg)
	}
	bot, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bot.Close)
	hs := httptest.NewServer(bot.Handler())
	t.Cleanup(hs.Close)
	return &env{t: t, sim: srv, reg: reg, gate: gate, bot: bot, slack: fs, clock: clk, srv: hs, audit: audit}
}

// signedPost posts a form body to the bot, signed now.
func (e *env) signedPost(path string, form url.Values) (int, map[string]any) {
	e.t.Helper()
	body := form.Encode()
	ts := e.clock.Now().Unix()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Slack-Signature", Sign(testSecret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m
}

type user struct{ team, id, name string }

var (
	uAlice = user{"T1", "U1ALICE", "alice.oncall"}
	uBob   = user{"T1", "U2BOB", "bob.lead"}
	uEve   = user{"T1", "U3EVE", "eve"}
)

// command runs /ccc text as u, waits for the background work, and returns
// the acknowledgement and what reached the response_url.
func (e *env) command(u user, text string) (map[string]any, []received, string) {
	e.t.Helper()
	ru := e.slack.responseURL()
	before := len(e.slack.messages())
	status, ack := e.signedPost("/slack/commands", url.Values{
		"command": {"/ccc"}, "text": {text}, "team_id": {u.team}, "user_id": {u.id}, "user_name": {u.name},
		"channel_id": {"C1"}, "response_url": {ru}, "trigger_id": {"1.2.3"},
	})
	if status != http.StatusOK {
		e.t.Fatalf("/ccc %s: status %d", text, status)
	}
	e.bot.Wait()
	return ack, e.slack.messages()[before:], ru
}

// click presses a button as u and waits for the outcome.
func (e *env) click(u user, actionID, value string) []received {
	e.t.Helper()
	before := len(e.slack.messages())
	status, _ := e.signedPost("/slack/interactions", url.Values{"payload": {e.clickPayload(u, actionID, value)}})
	if status != http.StatusOK {
		e.t.Fatalf("click: status %d", status)
	}
	e.bot.Wait()
	return e.slack.messages()[before:]
}

func (e *env) clickPayload(u user, actionID, value string) string {
	p := map[string]any{
		"type": "block_actions", "team": map[string]any{"id": u.team}, "user": map[string]any{"id": u.id, "name": u.name, "team_id": u.team},
		"channel": map[string]any{"id": "C1"}, "response_url": e.slack.responseURL(), "trigger_id": "1.2.3",
		"actions": []any{map[string]any{"type": "button", "action_id": actionID, "block_id": "ccc_pending", "value": value, "action_ts": "1"}},
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// text flattens every text in a message.
func text(m map[string]any) string {
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["text"].(string); ok {
				b.WriteString(s)
				b.WriteString("\n")
			}
			for k, val := range x {
				if k != "text" {
					walk(val)
				} else if _, isStr := val.(string); !isStr {
					walk(val)
				}
			}
		case []any:
			for _, val := range x {
				walk(val)
			}
		}
	}
	walk(m)
	return b.String()
}

// buttons returns the action elements of a message by action_id.
func buttons(m map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	blocks, _ := m["blocks"].([]any)
	for _, bl := range blocks {
		bm, _ := bl.(map[string]any)
		if bm["type"] != "actions" {
			continue
		}
		els, _ := bm["elements"].([]any)
		for _, el := range els {
			em, _ := el.(map[string]any)
			out[fmt.Sprint(em["action_id"])] = em
		}
	}
	return out
}

func (e *env) agent(login string) sim.AgentInfo {
	a, ok := e.sim.Agent(sim.DefaultInstanceID, login)
	if !ok {
		e.t.Fatalf("no agent %s", login)
	}
	return a
}

func (e *env) directReset(ram string) {
	client, err := ccc.New(ccc.Config{Endpoint: e.sim.URL, Credentials: ccc.Credentials{Mode: ccc.CredAccessKey, AccessKeyID: sim.DefaultAccessKeyID, AccessKeySecret: sim.DefaultAccessKeySecret}})
	if err != nil {
		e.t.Fatal(err)
	}
	defer client.Close()
	n, _ := strconv.ParseInt(ram, 10, 64)
	if _, err := client.Call(context.Background(), &ccc.ResetUserStatusRequest{InstanceId: ccc.Ptr(sim.DefaultInstanceID), RamIdList: []int64{n}}); err != nil {
		e.t.Fatal(err)
	}
}

func toAny(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}
