package slack

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

// recentCalls returns the calls of the last since, as the registry sees
// them, counted back from the bot's clock: the bot's own since=… is
// counted from the same instant, so both see the same calls.
func (e *env) recentCalls(since time.Duration) []tools.CallRow {
	e.t.Helper()
	log, err := e.reg.CallLog(context.Background(), policy.Principal{ID: "test", Surface: "test"}, "", e.clock.Now().Add(-since), "", "", 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	return log.Rows
}

// fullNumbers returns the caller and callee numbers of recent calls.
func (e *env) fullNumbers(since time.Duration) []string {
	var out []string
	for _, r := range e.recentCalls(since) {
		out = append(out, r.Caller, r.Callee)
	}
	return out
}

func TestCallsFlowUploadsMaskedCSV(t *testing.T) {
	e := newEnv(t, envOpts{})
	numbers := e.fullNumbers(3 * time.Hour)
	if len(numbers)/2 <= 20 {
		t.Fatalf("only %d calls in 3h; the CSV path needs more than 20", len(numbers)/2)
	}
	_, msgs, _ := e.command(uAlice, "calls since=3h")
	e.slack.mu.Lock()
	uploads := append([]upload(nil), e.slack.uploads...)
	e.slack.mu.Unlock()
	if len(uploads) != 1 {
		t.Fatalf("%d uploads, want 1", len(uploads))
	}
	up := uploads[0]
	if up.Channel != "C1" || !strings.HasSuffix(up.Filename, ".csv") || !strings.Contains(up.Comment, "call(s)") || !strings.Contains(up.Comment, "masked") {
		t.Errorf("upload %+v", up)
	}
	recs, err := csv.NewReader(strings.NewReader(up.Content)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs)-1 != len(numbers)/2 {
		t.Errorf("CSV has %d rows, want %d", len(recs)-1, len(numbers)/2)
	}
	for _, r := range recs[1:] {
		if !strings.HasPrefix(r[4], "*") || !strings.HasPrefix(r[5], "*") {
			t.Fatalf("unmasked numbers in the CSV: %v", r)
		}
	}
	for _, n := range numbers {
		if strings.Contains(up.Content+up.Comment, n) {
			t.Fatalf("full number %s is in the channel CSV", n)
		}
	}
	// The requester alone gets the full numbers.
	if len(msgs) != 1 || msgs[0].Msg["response_type"] != Ephemeral {
		t.Fatalf("private message: %+v", msgs)
	}
	if got := text(msgs[0].Msg); !strings.Contains(got, numbers[0]) || !strings.Contains(got, "only for you") {
		t.Errorf("the private message lacks the full numbers")
	}
}

func TestCallsFlowSmallListIsMaskedInChannel(t *testing.T) {
	e := newEnv(t, envOpts{})
	numbers := e.fullNumbers(3 * time.Hour)
	// The newest inbound call's caller: a customer, who called a few times
	// at most. An outbound call's caller is one of the centre's own lines,
	// which matches dozens of calls and sends the list as a CSV instead.
	var full string
	for _, r := range e.recentCalls(3 * time.Hour) {
		if r.Type == "Inbound" {
			full = r.Caller
			break
		}
	}
	if full == "" {
		t.Fatal("no inbound call in the last 3h")
	}
	_, msgs, _ := e.command(uAlice, "calls since=3h number="+full)
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want a channel post and a private one", len(msgs))
	}
	channel, private := msgs[0].Msg, msgs[1].Msg
	if channel["response_type"] != InChannel || private["response_type"] != Ephemeral {
		t.Fatalf("types %v, %v", channel["response_type"], private["response_type"])
	}
	ct := text(channel)
	for _, n := range numbers {
		if strings.Contains(ct, n) {
			t.Errorf("channel post shows full number %s:\n%s", n, ct)
		}
	}
	if !strings.Contains(ct, full[len(full)-4:]) || !strings.Contains(ct, "masked") {
		t.Errorf("channel post lacks the masked number:\n%s", ct)
	}
	if !strings.Contains(text(private), full) {
		t.Errorf("private post lacks the full number")
	}
	e.slack.mu.Lock()
	n := len(e.slack.uploads)
	e.slack.mu.Unlock()
	if n != 0 {
		t.Errorf("a short list was uploaded")
	}
}

func TestCallsFlowErrors(t *testing.T) {
	e := newEnv(t, envOpts{})
	ack, _, _ := e.command(uAlice, "calls since=soon")
	if !strings.Contains(text(ack), "since=soon") {
		t.Errorf("bad since: %s", text(ack))
	}
	ack, _, _ = e.command(uAlice, "calls colour=red")
	if !strings.Contains(text(ack), "unknown option colour") {
		t.Errorf("bad option: %s", text(ack))
	}
	_, msgs, _ := e.command(uAlice, "calls agent=nobodyatall")
	if len(msgs) != 1 || !strings.Contains(text(msgs[0].Msg), "nobodyatall") || msgs[0].Msg["response_type"] != Ephemeral {
		t.Errorf("unknown agent: %+v", msgs)
	}
}

// TestCallsWithoutAFileShowTheFirstRows: with no bot token, or an upload
// that fails, a long call log still shows its newest rows (masked in the
// channel, full to the requester, header on top) and says how to get the
// file.
func TestCallsWithoutAFileShowTheFirstRows(t *testing.T) {
	for _, c := range []struct {
		name   string
		token  string
		fail   bool
		reason string
		next   []string
	}{
		{"no bot token", "", false, "no bot token is configured", []string{"SLACK_BOT_TOKEN", "files:write"}},
		{"upload fails", "xoxb-test-token", true, "the CSV upload failed", []string{"/invite @cccops", "files:write"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, envOpts{mutate: func(cfg *Config) { cfg.BotToken = c.token }})
			if c.fail {
				e.slack.failNext("/api/files.getUploadURLExternal", http.StatusInternalServerError)
			}
			_, msgs, _ := e.command(uAlice, "calls since=3h")
			if len(msgs) != 2 {
				t.Fatalf("%d messages: %+v", len(msgs), msgs)
			}
			pub, priv := msgs[0].Msg, msgs[1].Msg
			if pub["response_type"] != InChannel || priv["response_type"] != Ephemeral {
				t.Fatalf("response types %v, %v", pub["response_type"], priv["response_type"])
			}
			got := text(pub)
			for _, w := range append([]string{"Showing the newest 20 of", c.reason, "time         dir  from"}, c.next...) {
				if !strings.Contains(got, w) {
					t.Errorf("channel message lacks %q:\n%s", w, got)
				}
			}
			rows := 0
			for _, l := range strings.Split(got, "\n") {
				if strings.Contains(l, "*******") {
					rows++
				}
			}
			if rows != 20 {
				t.Errorf("%d masked rows in the channel, want 20:\n%s", rows, got)
			}
			if p := text(priv); !strings.Contains(p, "Full numbers, only for you") || !strings.Contains(p, "The newest 20 of") || strings.Contains(p, "*******") {
				t.Errorf("private copy:\n%s", p)
			}
			e.slack.mu.Lock()
			defer e.slack.mu.Unlock()
			if len(e.slack.uploads) != 0 {
				t.Errorf("%d uploads", len(e.slack.uploads))
			}
		})
	}
}

func TestWebAPIRateLimitIsWaitedOut(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.slack.failNext("/api/files.getUploadURLExternal", http.StatusTooManyRequests)
	_, msgs, _ := e.command(uAlice, "calls since=3h")
	e.slack.mu.Lock()
	n := len(e.slack.uploads)
	e.slack.mu.Unlock()
	if n != 1 || len(msgs) != 1 || !strings.Contains(text(msgs[0].Msg), "only for you") {
		t.Fatalf("after a 429: %d uploads, messages %+v", n, msgs)
	}
}

func TestCallDetailFlow(t *testing.T) {
	e := newEnv(t, envOpts{})
	log, err := e.reg.CallLog(context.Background(), policy.Principal{ID: "t"}, "", time.Now().Add(-6*time.Hour), "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for _, r := range log.Rows {
		if r.Recorded && r.Disposition == "Success" {
			id = r.ContactID
			break
		}
	}
	_, msgs, _ := e.command(uAlice, "call "+id)
	if len(msgs) != 1 || msgs[0].Msg["response_type"] != Ephemeral {
		t.Fatalf("%+v", msgs)
	}
	got := text(msgs[0].Msg)
	for _, want := range []string{"Call " + id, "*Events*", "Released", "*Recording*", "https://", "*Transcript*", "Agent"} {
		if !strings.Contains(got, want) {
			t.Errorf("call detail lacks %q", want)
		}
	}
	_, msgs, _ = e.command(uAlice, "call nope-nope")
	if len(msgs) != 1 || !strings.Contains(text(msgs[0].Msg), "/ccc calls") {
		t.Errorf("unknown call: %+v", msgs)
	}
	ack, _, _ := e.command(uAlice, "call")
	if !strings.Contains(text(ack), "contact id") {
		t.Errorf("no id: %s", text(ack))
	}
}

func TestAgentsBoardCommand(t *testing.T) {
	e := newEnv(t, envOpts{})
	_, msgs, _ := e.command(uAlice, "agents")
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	got := text(msgs[0].Msg)
	for _, want := range []string{"Agents on ccc-sim-shanghai", "48 agents", "5 stuck", ":rotating_light: *Mallory Zhao", "rupert", "/ccc reset rupert,mallory,"} {
		if !strings.Contains(got, want) {
			t.Errorf("board lacks %q", want)
		}
	}
	// Stuck agents come before the table's normal rows.
	if strings.Index(got, "Mallory Zhao") > strings.Index(got, "login ") {
		t.Errorf("stuck agents are not at the top")
	}
	_, msgs, _ = e.command(uAlice, "agents talking Billing")
	got = text(msgs[0].Msg)
	rowsPart, _, _ := strings.Cut(got, "Stuck would mean") // the legend names every state
	if !strings.Contains(got, "(talking Billing)") || strings.Contains(rowsPart, " Ready ") {
		t.Errorf("filtered board:\n%s", got)
	}
	_, msgs, _ = e.command(uAlice, "agents group=nosuch")
	if !strings.Contains(text(msgs[0].Msg), "Billing") || msgs[0].Msg["response_type"] != Ephemeral {
		t.Errorf("unknown group: %s", text(msgs[0].Msg))
	}
}

func TestResponseURLFailures(t *testing.T) {
	t.Run("5xx then ok is retried", func(t *testing.T) {
		e := newEnv(t, envOpts{})
		e.slack.failNext("/respond/", http.StatusBadGateway, http.StatusServiceUnavailable)
		_, msgs, _ := e.command(uAlice, "agents")
		if len(msgs) != 1 || !strings.Contains(text(msgs[0].Msg), "Agents on") {
			t.Fatalf("%+v", msgs)
		}
	})
	t.Run("429 waits Retry-After", func(t *testing.T) {
		e := newEnv(t, envOpts{})
		e.slack.failNext("/respond/", http.StatusTooManyRequests)
		_, msgs, _ := e.command(uAlice, "agents")
		if len(msgs) != 1 {
			t.Fatalf("%+v", msgs)
		}
	})
	t.Run("a dead response_url falls back to chat.postEphemeral", func(t *testing.T) {
		e := newEnv(t, envOpts{})
		e.slack.failNext("/respond/", http.StatusNotFound)
		_, msgs, _ := e.command(uAlice, "agents")
		if len(msgs) != 0 {
			t.Fatalf("%+v", msgs)
		}
		e.slack.mu.Lock()
		defer e.slack.mu.Unlock()
		if len(e.slack.ephemerals) != 1 {
			t.Fatalf("%d ephemeral posts", len(e.slack.ephemerals))
		}
		p := e.slack.ephemerals[0]
		if p.Get("channel") != "C1" || p.Get("user") != "U1ALICE" || !strings.Contains(p.Get("blocks"), "Agents on") {
			t.Errorf("fallback post %v", p)
		}
	})
}

// since=today is the call center's midnight, and the log shows its times: at
// 17:30 UTC, Shanghai's 13 March has begun.
func TestCallsSinceTodayIsTheCallCentersDay(t *testing.T) {
	at := time.Date(2025, 3, 12, 17, 30, 0, 0, time.UTC)
	e := newEnv(t, envOpts{now: at})
	_, msgs, _ := e.command(uAlice, "calls since=today")
	midnight := time.Date(2025, 3, 13, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	recs := e.audit.results("ListCallDetailRecords")
	if len(recs) == 0 || recs[0].Args["StartTime"] != float64(midnight.UnixMilli()) {
		t.Fatalf("want the window from %v: %+v", midnight, recs)
	}
	if len(msgs) == 0 {
		t.Fatal("no reply")
	}
	// Over 20 calls: the summary goes with the channel's CSV file, the rows
	// to the requester.
	e.slack.mu.Lock()
	uploads := append([]upload(nil), e.slack.uploads...)
	e.slack.mu.Unlock()
	if len(uploads) != 1 || !strings.Contains(uploads[0].Comment, "since 2025-03-13 00:00") || !strings.Contains(uploads[0].Comment, "times Asia/Shanghai)") {
		t.Fatalf("want the summary in Shanghai's times: %d uploads %v", len(uploads), uploads)
	}
	if !strings.Contains(uploads[0].Content, ",2025-03-13T01:") || !strings.Contains(uploads[0].Content, "+08:00,") || strings.Contains(uploads[0].Content, "Z,") {
		t.Fatalf("want the CSV's start times with Shanghai's offset:\n%.400s", uploads[0].Content)
	}
	if got := text(msgs[0].Msg); !strings.Contains(got, "\n03-13 01:") || strings.Contains(got, "\n03-12 ") {
		t.Fatalf("want the rows in Shanghai's times:\n%s", got)
	}
}
