package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cccops/cccops/internal/slack"
)

// SlackSecret signs the measured slash commands; it only opens a loopback
// listener that lives as long as one measurement.
const SlackSecret = "bench-slack-signing-secret-loopback-only"

// Slack is the Slack bot on the Env's registry, served on loopback, with a
// loopback stand-in for Slack's response_url and Web API that accepts
// whatever the bot sends after its acknowledgement.
type Slack struct {
	Bot *slack.Bot
	URL string // base URL of the bot's handler
	// Delivered counts the messages that reached a response_url.
	Delivered atomic.Int64

	fake, bot *http.Server
	fakeURL   string
	seq       atomic.Int64
	hc        *http.Client
}

// NewSlack starts the bot and the stand-in.
func (e *Env) NewSlack() (*Slack, error) {
	s := &Slack{hc: &http.Client{Timeout: 30 * time.Second}}
	fakeLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.fake = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if strings.HasPrefix(r.URL.Path, "/response/") { // not the Web API (usergroups.list, …)
			s.Delivered.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	})}
	go func() { _ = s.fake.Serve(fakeLn) }()
	s.fakeURL = "http://" + fakeLn.Addr().String()
	bot, err := slack.New(slack.Config{
		Registry: e.Registry, SigningSecret: SlackSecret, BotToken: "xoxb-bench-loopback",
		APIURL: s.fakeURL + "/api/", Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		s.Close()
		return nil, err
	}
	s.Bot = bot
	botLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		return nil, err
	}
	s.bot = &http.Server{Handler: bot.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.bot.Serve(botLn) }()
	s.URL = "http://" + botLn.Addr().String()
	return s, nil
}

// Close waits for the bot's background work, then stops everything.
func (s *Slack) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if s.bot != nil {
		stopServer(ctx, s.bot)
	}
	if s.Bot != nil {
		s.Bot.Wait()
		s.Bot.Close()
	}
	if s.fake != nil {
		stopServer(ctx, s.fake)
	}
	s.hc.CloseIdleConnections()
}

// Command returns a path that posts "/ccc <text>" to the bot, signed as
// Slack signs it, and returns when the acknowledgement has been read: what
// Slack's 3-second rule measures. The work the command starts goes on in
// the background and answers the stand-in's response_url.
func (s *Slack) Command(text string) CallFunc {
	return func(ctx context.Context) error {
		n := s.seq.Add(1)
		form := url.Values{
			"command": {"/ccc"}, "text": {text}, "team_id": {"T0BENCH"}, "team_domain": {"bench"},
			"user_id": {"U0LOAD"}, "user_name": {"load"}, "channel_id": {"C0BENCH"}, "channel_name": {"bench"},
			"response_url": {s.fakeURL + "/response/" + strconv.FormatInt(n, 10)},
			"trigger_id":   {"bench." + strconv.FormatInt(n, 10)},
		}
		body := form.Encode()
		ts := time.Now().Unix()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/slack/commands", strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("X-Slack-Signature", slack.Sign(SlackSecret, ts, []byte(body)))
		resp, err := s.hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/ccc %s: HTTP %d: %.200s", text, resp.StatusCode, raw)
		}
		if len(raw) > 0 {
			var ack map[string]any
			if err := json.Unmarshal(raw, &ack); err != nil {
				return fmt.Errorf("/ccc %s: the acknowledgement is not JSON: %.200s", text, raw)
			}
		}
		return nil
	}
}
