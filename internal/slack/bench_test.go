package slack

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkCommandAck measures how long the bot takes to acknowledge a
// signed slash command: verification, parsing and the reply Slack must get
// within 3 seconds. The CCC work it starts runs in the background and is
// not part of the measurement (it is waited for after the timer stops).
func BenchmarkCommandAck(b *testing.B) {
	for _, text := range []string{"help", "agents stuck", "list_skill_groups", "reset mallory"} {
		b.Run(strings.ReplaceAll(text, " ", "_"), func(b *testing.B) {
			e := newEnv(b, envOpts{})
			h := e.bot.Handler()
			ru := e.slack.responseURL()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				body := url.Values{"command": {"/ccc"}, "text": {text}, "team_id": {"T1"}, "user_id": {"U1ALICE"}, "user_name": {"alice"},
					"channel_id": {"C1"}, "response_url": {ru}, "trigger_id": {strconv.Itoa(i)}}.Encode()
				ts := e.clock.Now().Unix()
				req := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
				req.Header.Set("X-Slack-Signature", Sign(testSecret, ts, []byte(body)))
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
			b.StopTimer()
			e.bot.Wait()
		})
	}
}
