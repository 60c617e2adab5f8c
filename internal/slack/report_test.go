package slack

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/chart"
)

// afternoon is a weekday afternoon in Shanghai (16:10): "today" has calls
// whatever the hour the test runs. The bot's clock reads it in UTC, as on
// most servers; the report is of the call center's day all the same.
var afternoon = time.Date(2025, 3, 12, 8, 10, 0, 0, time.UTC)

func TestReportTodayUploadsAPNGChartWithTheSummary(t *testing.T) {
	e := newEnv(t, envOpts{now: afternoon})
	ack, msgs, _ := e.command(uAlice, "report today")
	if !strings.Contains(text(ack), "Working on") {
		t.Fatalf("ack %v", ack)
	}
	e.slack.mu.Lock()
	uploads := append([]upload(nil), e.slack.uploads...)
	e.slack.mu.Unlock()
	if len(uploads) != 1 {
		t.Fatalf("%d uploads completed, want 1 (getUploadURLExternal, the bytes, completeUploadExternal); messages %v", len(uploads), msgs)
	}
	up := uploads[0]
	if up.Channel != "C1" || !strings.HasSuffix(up.Filename, ".png") || !strings.Contains(up.Filename, "today") {
		t.Errorf("upload %s to %s", up.Filename, up.Channel)
	}
	img, err := png.Decode(bytes.NewReader([]byte(up.Content)))
	if err != nil {
		t.Fatalf("the uploaded file is not a PNG: %v", err)
	}
	if img.Bounds() != image.Rect(0, 0, chart.Width, chart.Height) {
		t.Errorf("chart %v", img.Bounds())
	}
	for _, want := range []string{"calls offered", "answered", "abandoned", "service level", "average wait", "<@U1ALICE>", "today 2025-03-12 (CST (UTC+08:00))"} {
		if !strings.Contains(up.Comment, want) {
			t.Errorf("the comment beside the chart lacks %q: %s", want, up.Comment)
		}
	}
	if len(msgs) != 1 || msgs[0].Msg["response_type"] != Ephemeral || !strings.Contains(text(msgs[0].Msg), "Chart posted") {
		t.Fatalf("reply %v", msgs)
	}
	// The read went through the gate and is in the audit.
	if recs := e.audit.results("GetInstanceSummaryReportByInterval"); len(recs) == 0 {
		t.Error("the report read is not audited")
	}
}

// At 17:30 UTC it is 01:30 the next day in Shanghai: "today" is that day,
// from its midnight, whatever the zone of the bot's machine.
func TestReportTodayIsTheCallCentersDay(t *testing.T) {
	e := newEnv(t, envOpts{now: time.Date(2025, 3, 12, 17, 30, 0, 0, time.UTC)})
	_, _, _ = e.command(uAlice, "report today")
	e.slack.mu.Lock()
	uploads := append([]upload(nil), e.slack.uploads...)
	e.slack.mu.Unlock()
	if len(uploads) != 1 {
		t.Fatalf("%d uploads, want the chart", len(uploads))
	}
	if !strings.Contains(uploads[0].Comment, "today 2025-03-13 (CST (UTC+08:00))") {
		t.Fatalf("want Shanghai's 13 March: %s", uploads[0].Comment)
	}
	if recs := e.audit.results("GetInstanceSummaryReportByInterval"); len(recs) != 1 || recs[0].Args["StartTime"] != "2025-03-13 00:00:00" {
		t.Fatalf("sent %+v", recs)
	}
}

func TestReportOfAnEmptyPeriodSaysSoAndUploadsNothing(t *testing.T) {
	e := newEnv(t, envOpts{})
	day := e.clock.Now().AddDate(0, 0, -20).Format("2006-01-02")
	_, msgs, _ := e.command(uAlice, "report "+day)
	e.slack.mu.Lock()
	n := len(e.slack.uploads)
	e.slack.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d uploads for an empty day", n)
	}
	if len(msgs) != 1 || !strings.Contains(text(msgs[0].Msg), "no calls in this period") {
		t.Fatalf("reply %v", msgs)
	}
}

func TestReportRefusesABadPeriodAtOnce(t *testing.T) {
	e := newEnv(t, envOpts{})
	ack, msgs, _ := e.command(uAlice, "report lastweek")
	if len(msgs) != 0 || !strings.Contains(text(ack), "today, yesterday, 7d") {
		t.Fatalf("ack %v, messages %v", ack, msgs)
	}
	ack, _, _ = e.command(uAlice, "report today interval=minute")
	if !strings.Contains(text(ack), "interval=hour") {
		t.Fatalf("ack %v", ack)
	}
}

func TestReportUploadFailureStillGivesTheNumbers(t *testing.T) {
	e := newEnv(t, envOpts{now: afternoon})
	e.slack.failNext("/api/files.getUploadURLExternal", 500)
	_, msgs, _ := e.command(uAlice, "report today")
	if len(msgs) != 1 || !strings.Contains(text(msgs[0].Msg), "upload failed") || !strings.Contains(text(msgs[0].Msg), "calls offered") {
		t.Fatalf("reply %v", msgs)
	}
}

func TestStatusShowsTodayAgentsStuckAndBusiestGroups(t *testing.T) {
	e := newEnv(t, envOpts{now: afternoon})
	_, msgs, _ := e.command(uAlice, "status")
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0].Msg
	got := text(m)
	if m["response_type"] != Ephemeral {
		t.Errorf("status is %v", m["response_type"])
	}
	for _, want := range []string{"Status of ccc-sim-shanghai", "Today since 00:00* (as of 16:10 CST)", "offered", "abandoned", "service level", "average wait", "average talk",
		"Agents", "Talking", "Stuck", "mallory", "/ccc reset ", "Busiest skill groups", "avg wait"} {
		if !strings.Contains(got, want) {
			t.Errorf("status lacks %q:\n%s", want, got)
		}
	}
	// The reset command names exactly the agents the board flags stuck.
	line := got[strings.Index(got, "/ccc reset ")+len("/ccc reset "):]
	line = line[:strings.IndexAny(line, "` ")]
	names := strings.Split(line, ",")
	if len(names) != 5 || !strings.Contains(line, "mallory") || !strings.Contains(line, "rupert") {
		t.Errorf("reset command for %v", names)
	}
	for _, action := range []string{"GetInstanceSummaryReportSinceMidnight", "ListSkillGroupSummaryReportsSinceMidnight", "ListSkillGroupStates", "ListUsers", "ListAgentStates"} {
		if len(e.audit.results(action)) == 0 {
			t.Errorf("%s not read through the gate", action)
		}
	}
}

func TestStatusDeniedByPolicyReadsNothingFromCCC(t *testing.T) {
	e := newEnv(t, envOpts{policyYAML: `
default_role: viewer
roles:
  viewer:
    rules:
      - actions: [GetInstanceSummaryReportSinceMidnight]
        verdict: deny
      - access: [read]
        verdict: allow
`})
	before := e.sim.Count("GetInstanceSummaryReportSinceMidnight")
	_, msgs, _ := e.command(uAlice, "status")
	if len(msgs) != 1 || !strings.Contains(strings.ToLower(text(msgs[0].Msg)), "policy") {
		t.Fatalf("reply %v", msgs)
	}
	if e.sim.Count("GetInstanceSummaryReportSinceMidnight") != before {
		t.Error("a denied read reached CCC")
	}
	recs := e.audit.results("GetInstanceSummaryReportSinceMidnight")
	if len(recs) == 0 || recs[len(recs)-1].Decision != "deny" {
		t.Errorf("audit %+v", recs)
	}
}
