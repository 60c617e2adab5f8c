package slack

import (
	"encoding/json"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the signed fixtures under testdata/slack")

// fixtureSecret signs the fixtures; it only exists in this test.
const fixtureSecret = "cccops-fixture-signing-secret"

// fixtureTime is when the fixtures were "sent" (2026-01-01T00:00:00Z).
const fixtureTime = 1767225600

type fixture struct {
	Description string            `json:"description"`
	Path        string            `json:"path"`
	Headers     map[string]string `json:"headers"`
	Body        string            `json:"body"`
	WantStatus  int               `json:"want_status"`
}

var fixtureDir = filepath.Join("..", "..", "testdata", "slack")

func makeFixtures() map[string]fixture {
	help := url.Values{"command": {"/ccc"}, "text": {"help"}, "team_id": {"T1"}, "user_id": {"U1ALICE"}, "user_name": {"alice"},
		"channel_id": {"C1"}, "response_url": {"http://127.0.0.1:9/never-used"}}.Encode()
	signed := func(ts int64, body string) map[string]string {
		return map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": strconv.FormatInt(ts, 10),
			"X-Slack-Signature": Sign(fixtureSecret, ts, []byte(body))}
	}
	tampered := strings.Replace(help, "text=help", "text=reset+mallory", 1)
	payload, _ := json.Marshal(map[string]any{"type": "block_actions", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": "U1ALICE"},
		"actions": []any{map[string]any{"action_id": "not_ours", "block_id": "b", "value": "x", "type": "button"}}})
	click := url.Values{"payload": {string(payload)}}.Encode()
	return map[string]fixture{
		"command_valid.json":    {"a /ccc help command signed with the fixture secret", "/slack/commands", signed(fixtureTime, help), help, 200},
		"command_tampered.json": {"the valid command's signature on a body changed to reset mallory", "/slack/commands", signed(fixtureTime, help), tampered, 401},
		"command_stale.json":    {"a correctly signed command sent 301 s before the clock", "/slack/commands", signed(fixtureTime-301, help), help, 401},
		"command_future.json":   {"a correctly signed command dated 301 s after the test clock (which reads fixture time + 10 s)", "/slack/commands", signed(fixtureTime+311, help), help, 401},
		"command_unsigned.json": {"a command without signature headers", "/slack/commands", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, help, 401},
		"command_badprefix.json": {"a v1 signature", "/slack/commands", map[string]string{"Content-Type": "application/x-www-form-urlencoded",
			"X-Slack-Request-Timestamp": strconv.Itoa(fixtureTime), "X-Slack-Signature": strings.Replace(Sign(fixtureSecret, fixtureTime, []byte(help)), "v0=", "v1=", 1)}, help, 401},
		"interaction_valid.json":    {"a button click on someone else's button, signed", "/slack/interactions", signed(fixtureTime, click), click, 200},
		"interaction_tampered.json": {"the click with its body changed", "/slack/interactions", signed(fixtureTime, click), strings.Replace(click, "not_ours", "ccc_confirm", 1), 401},
	}
}

func TestFixturesAreCurrent(t *testing.T) {
	want := makeFixtures()
	for name, f := range want {
		path := filepath.Join(fixtureDir, name)
		if *update {
			b, _ := json.MarshalIndent(f, "", "  ")
			if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var got fixture
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/slack -run TestFixturesAreCurrent -update)", err)
		}
		if err := json.Unmarshal(b, &got); err != nil || got.Body != f.Body || got.Headers["X-Slack-Signature"] != f.Headers["X-Slack-Signature"] {
			t.Errorf("%s is out of date; regenerate with -update", name)
		}
	}
}

func loadFixture(t *testing.T, name string) fixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func sendFixture(t *testing.T, e *env, f fixture) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+f.Path, strings.NewReader(f.Body))
	for k, v := range f.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, sb.String()
}

func fixtureEnv(t *testing.T) *env {
	e := newEnv(t, envOpts{mutate: func(c *Config) { c.SigningSecret = fixtureSecret }})
	e.clock.mu.Lock()
	e.clock.t = time.Unix(fixtureTime+10, 0)
	e.clock.mu.Unlock()
	return e
}

func TestSignedFixtures(t *testing.T) {
	names := []string{"command_valid.json", "command_tampered.json", "command_stale.json", "command_future.json", "command_unsigned.json",
		"command_badprefix.json", "interaction_valid.json", "interaction_tampered.json"}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			e := fixtureEnv(t)
			f := loadFixture(t, name)
			status, body := sendFixture(t, e, f)
			if status != f.WantStatus {
				t.Fatalf("status %d, want %d (%s)", status, f.WantStatus, body)
			}
			if status == 200 && f.Path == "/slack/commands" && !strings.Contains(body, "/ccc agents") {
				t.Errorf("valid help command answered %q", body)
			}
			if status == 401 && strings.Contains(body, fixtureSecret) {
				t.Error("the refusal leaks the secret")
			}
			e.bot.Wait()
			for action, n := range e.sim.Counts() {
				if n != 0 {
					t.Errorf("%s reached CCC %d times", action, n)
				}
			}
			if len(e.slack.messages()) != 0 {
				t.Errorf("a refused or inert request produced Slack messages")
			}
		})
	}
}

func TestReplayedRequestIsRefused(t *testing.T) {
	e := fixtureEnv(t)
	f := loadFixture(t, "command_valid.json")
	if status, _ := sendFixture(t, e, f); status != 200 {
		t.Fatalf("first delivery: %d", status)
	}
	if status, body := sendFixture(t, e, f); status != http.StatusConflict || !strings.Contains(body, "replay") {
		t.Fatalf("replay: %d %q", status, body)
	}
	// A replay after the window is refused as stale, too.
	e.clock.Add(10 * time.Minute)
	if status, _ := sendFixture(t, e, f); status != http.StatusUnauthorized {
		t.Fatalf("late replay: %d", status)
	}
}

func TestVerifierWindowEdges(t *testing.T) {
	now := time.Unix(fixtureTime, 0)
	v := NewVerifier("s", func() time.Time { return now })
	body := []byte("a=b")
	for _, tc := range []struct {
		offset int64
		ok     bool
	}{{0, true}, {-300, true}, {300, true}, {-301, false}, {301, false}} {
		ts := fixtureTime + tc.offset
		h := http.Header{}
		h.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
		h.Set("X-Slack-Signature", Sign("s", ts, body))
		if err := v.Verify(h, body); (err == nil) != tc.ok {
			t.Errorf("offset %d: err %v", tc.offset, err)
		}
	}
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", strconv.Itoa(fixtureTime))
	h.Set("X-Slack-Signature", Sign("other secret", fixtureTime, body))
	if err := v.Verify(h, body); err != ErrBadSignature {
		t.Errorf("wrong secret: %v", err)
	}
	h.Set("X-Slack-Signature", "v0=zz")
	if err := v.Verify(h, body); err != ErrBadSignature {
		t.Errorf("bad hex: %v", err)
	}
	if err := NewVerifier("", nil).Verify(h, body); err == nil {
		t.Error("an empty secret verified something")
	}
}

func TestHealthz(t *testing.T) {
	e := newEnv(t, envOpts{})
	resp, err := http.Get(e.srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz %d", resp.StatusCode)
	}
	resp, err = http.Get(e.srv.URL + "/slack/commands")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /slack/commands: %d", resp.StatusCode)
	}
}
