package slack

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cccops/cccops/internal/ccc/sim"
)

// fakeSocket is Slack's Socket Mode side: apps.connections.open hands out
// a WebSocket URL, and the test drives envelopes over it.
type fakeSocket struct {
	srv   *httptest.Server
	conns chan *websocket.Conn
	auth  chan string
}

func newFakeSocket(t *testing.T) *fakeSocket {
	fs := &fakeSocket{conns: make(chan *websocket.Conn, 4), auth: make(chan string, 4)}
	up := websocket.Upgrader{CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "https://api.slack.com" }}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
		select {
		case fs.auth <- r.Header.Get("Authorization"):
		default:
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(fs.srv.URL, "http") + "/ws"})
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		select {
		case fs.conns <- c:
		default:
			c.Close()
		}
	})
	fs.srv = httptest.NewServer(mux)
	t.Cleanup(fs.srv.Close)
	return fs
}

type envelope struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

func sendEnvelope(t *testing.T, c *websocket.Conn, typ, id string, payload any) envelope {
	t.Helper()
	if err := c.WriteJSON(map[string]any{"type": typ, "envelope_id": id, "payload": payload, "accepts_response_payload": true}); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	var ack envelope
	if err := c.ReadJSON(&ack); err != nil {
		t.Fatalf("no ack for %s: %v", id, err)
	}
	if ack.EnvelopeID != id {
		t.Fatalf("ack for %q, want %q", ack.EnvelopeID, id)
	}
	return ack
}

func TestSocketMode(t *testing.T) {
	fsock := newFakeSocket(t)
	e := newEnv(t, envOpts{})
	// This bot's Web API is the socket fake; response_urls stay on the HTTP fake.
	bot, err := New(Config{Registry: e.reg, AppToken: "xapp-test-app-token", APIURL: fsock.srv.URL + "/api/", Now: e.clock.Now,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	defer bot.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bot.RunSocketMode(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunSocketMode: %v", err)
		}
	}()

	if a := <-fsock.auth; a != "Bearer xapp-test-app-token" {
		t.Errorf("apps.connections.open authorized with %q", a)
	}
	var c *websocket.Conn
	select {
	case c = <-fsock.conns:
	case <-time.After(20 * time.Second):
		t.Fatal("the bot never opened the WebSocket")
	}
	defer c.Close()
	if err := c.WriteJSON(map[string]any{"type": "hello", "num_connections": 1}); err != nil {
		t.Fatal(err)
	}

	cmd := func(text string) map[string]any {
		return map[string]any{"command": "/ccc", "text": text, "team_id": "T1", "user_id": "U1ALICE", "user_name": "alice",
			"channel_id": "C1", "response_url": e.slack.responseURL()}
	}
	// help is answered in the acknowledgement itself.
	ack := sendEnvelope(t, c, "slash_commands", "env-1", cmd("help"))
	if !strings.Contains(string(ack.Payload), "/ccc agents") {
		t.Errorf("help ack: %s", ack.Payload)
	}
	// A reset: ack at once, the preview through the response_url, then a click.
	ack = sendEnvelope(t, c, "slash_commands", "env-2", cmd("reset mallory"))
	if !strings.Contains(string(ack.Payload), "Working on") {
		t.Errorf("reset ack: %s", ack.Payload)
	}
	bot.Wait()
	msgs := e.slack.messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages after the reset command, want the preview and the exact arguments", len(msgs))
	}
	id, _ := buttons(msgs[0].Msg)["ccc_confirm"]["value"].(string)
	if id == "" {
		t.Fatalf("no confirm button: %s", msgs[0].Raw)
	}
	// Slack redelivers an envelope it thinks was lost: handled once.
	sendEnvelope(t, c, "slash_commands", "env-2", cmd("reset mallory"))
	bot.Wait()
	if n := len(e.slack.messages()); n != 2 {
		t.Errorf("a redelivered envelope ran again (%d messages)", n)
	}
	click := map[string]any{"type": "block_actions", "team": map[string]any{"id": "T1"}, "user": map[string]any{"id": "U1ALICE", "name": "alice"},
		"channel": map[string]any{"id": "C1"}, "response_url": e.slack.responseURL(),
		"actions": []any{map[string]any{"type": "button", "action_id": "ccc_confirm", "block_id": "ccc_pending", "value": id}}}
	sendEnvelope(t, c, "interactive", "env-3", click)
	bot.Wait()
	if n := e.sim.Count("ResetUserStatus"); n != 1 {
		t.Errorf("ResetUserStatus ran %d times", n)
	}
	if a := e.agent("mallory"); a.State != sim.StateReady {
		t.Errorf("mallory is %s", a.State)
	}
	msgs = e.slack.messages()
	if last := msgs[len(msgs)-1]; !strings.Contains(text(last.Msg), "Reset by <@U1ALICE>") {
		t.Errorf("outcome: %s", last.Raw)
	}
}

func TestSocketModeNeedsAnAppToken(t *testing.T) {
	e := newEnv(t, envOpts{})
	if err := e.bot.RunSocketMode(context.Background()); err == nil || !strings.Contains(err.Error(), "SLACK_APP_TOKEN") {
		t.Errorf("got %v", err)
	}
	if _, err := New(Config{Registry: e.reg, AppToken: "xoxb-wrong-kind"}); err == nil || !strings.Contains(err.Error(), "xapp-") {
		t.Errorf("a bot token as app token: %v", err)
	}
	if _, err := New(Config{Registry: e.reg}); err == nil || !strings.Contains(err.Error(), "SLACK_SIGNING_SECRET") {
		t.Errorf("no secret: %v", err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
