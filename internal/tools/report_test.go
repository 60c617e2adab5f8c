package tools_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

func TestParsePeriodNamesTheWindow(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2025, 3, 12, 18, 30, 0, 0, loc)
	mid := time.Date(2025, 3, 12, 0, 0, 0, 0, loc)
	for _, c := range []struct {
		name, interval string
		from, to       time.Time
		every          string
	}{
		{"", "", mid, now, "hour"},
		{"today", "day", mid, now, "day"},
		{"yesterday", "", mid.AddDate(0, 0, -1), mid, "hour"},
		{"7d", "", mid.AddDate(0, 0, -6), now, "day"},
		{"2025-03-10", "", mid.AddDate(0, 0, -2), mid.AddDate(0, 0, -1), "hour"},
	} {
		p, err := tools.ParsePeriod(c.name, c.interval, now)
		if err != nil || !p.From.Equal(c.from) || !p.To.Equal(c.to) || p.Interval != c.every {
			t.Errorf("%q %q: %+v %v", c.name, c.interval, p, err)
		}
	}
	for _, bad := range []string{"lastweek", "2025-03-13", "2025-13-01"} {
		if _, err := tools.ParsePeriod(bad, "", now); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := tools.ParsePeriod("today", "minute", now); err == nil || !strings.Contains(err.Error(), "interval=hour") {
		t.Errorf("interval=minute: %v", err)
	}
}

func TestCallReportForOneSkillGroupAddsUpToItsRows(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	ctx := context.Background()
	// Yesterday in the call center's zone, which has no daylight saving
	// time: 24 hours, whatever the zone of the machine.
	p, _ := e.reg.ParsePeriod("yesterday", "", time.Now())
	rep, err := e.reg.CallReport(ctx, alice, "", p, "billing")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Group != "Billing" || len(rep.Points) != 24 || rep.Source != "ListSkillGroupSummaryReportsByInterval" {
		t.Fatalf("report %s %d points from %s", rep.Group, len(rep.Points), rep.Source)
	}
	sum := 0
	for _, pt := range rep.Points {
		sum += pt.Offered
		if pt.Answered+pt.Abandoned > pt.Offered {
			t.Fatalf("%v: answered %d + abandoned %d > offered %d", pt.Start, pt.Answered, pt.Abandoned, pt.Offered)
		}
	}
	if sum == 0 || sum != rep.Total.Offered {
		t.Fatalf("points add to %d, total %d", sum, rep.Total.Offered)
	}
	if _, err := e.reg.CallReport(ctx, alice, "", p, "Nope"); err == nil || !strings.Contains(err.Error(), "Billing") {
		t.Errorf("unknown group: %v", err)
	}
}

// "today" is the call center's day, not the machine's: at 17:30 UTC it is
// already tomorrow in Shanghai, and CCC reads the report's date-time text in
// Shanghai time.
func TestReportPeriodsAreInTheCallCentersZone(t *testing.T) {
	at := time.Date(2026, 3, 2, 17, 30, 0, 0, time.UTC) // 01:30 on 3 March in Shanghai
	e := newEnvAt(t, policy.Config{}, tools.Filter{}, func() time.Time { return at })
	p, err := e.reg.ParsePeriod("today", "", at)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 3, 0, 0, 0, 0, e.reg.Zone()); !p.From.Equal(want) || !p.To.Equal(at) || p.Zone() != "CST (UTC+08:00)" {
		t.Fatalf("today at %v: %v to %v in %s, want from %v", at, p.From, p.To, p.Zone(), want)
	}
	rep, err := e.reg.CallReport(context.Background(), alice, "", p, "")
	if err != nil {
		t.Fatal(err)
	}
	recs := e.audit.records(t)
	if args := recs[len(recs)-1].Args; args["StartTime"] != "2026-03-03 00:00:00" || args["EndTime"] != "2026-03-03 01:30:00" {
		t.Fatalf("sent %v", args)
	}
	if len(rep.Points) != 2 || rep.Points[0].Start.Hour() != 0 || rep.Total.Offered == 0 {
		t.Fatalf("%d points from %v, %d calls offered; want 00:00 and 01:00 with calls", len(rep.Points), rep.Points, rep.Total.Offered)
	}

	// A period read in another zone (UTC's midnight of 2 March) is sent as
	// the same instant in the call center's zone.
	utc, _ := tools.ParsePeriod("today", "", at)
	if _, err := e.reg.CallReport(context.Background(), alice, "", utc, ""); err != nil {
		t.Fatal(err)
	}
	recs = e.audit.records(t)
	if args := recs[len(recs)-1].Args; args["StartTime"] != "2026-03-02 08:00:00" || args["EndTime"] != "2026-03-03 01:30:00" {
		t.Fatalf("UTC's today sent as %v", args)
	}
}

func TestInstanceStatusUsesTheBoardsStuckAgents(t *testing.T) {
	// Late afternoon in Shanghai (and mid-morning UTC): "today" has calls.
	at := time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)
	e := newEnvAt(t, policy.Config{}, tools.Filter{}, func() time.Time { return at })
	ctx := context.Background()
	st, err := e.reg.InstanceStatus(ctx, alice, "")
	if err != nil {
		t.Fatal(err)
	}
	board, err := e.reg.AgentBoard(ctx, alice, "", "stuck", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Stuck) != len(board) || len(board) != 5 {
		t.Fatalf("status stuck %v, board %d", st.StuckLogins(), len(board))
	}
	for i := range board {
		if st.Stuck[i].LoginName != board[i].LoginName {
			t.Fatalf("stuck %v, board order differs at %d", st.StuckLogins(), i)
		}
	}
	total := 0
	for _, s := range st.States {
		total += s.Count
	}
	if total != st.Agents || st.Agents == 0 {
		t.Errorf("states add to %d of %d agents", total, st.Agents)
	}
	if st.Today.Offered == 0 || st.Today.Answered > st.Today.Offered || len(st.Groups) != 7 {
		t.Errorf("today %+v, %d groups", st.Today, len(st.Groups))
	}
	for i := 1; i < len(st.Groups); i++ {
		a, b := st.Groups[i-1], st.Groups[i]
		if a.Waiting < b.Waiting || (a.Waiting == b.Waiting && a.Offered < b.Offered) {
			t.Errorf("groups not busiest first: %s then %s", a.Name, b.Name)
		}
	}
}
