package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

func invokeErr(t *testing.T, e *env, tool string, args map[string]any) *tools.Error {
	t.Helper()
	_, err := e.reg.Invoke(context.Background(), tools.Invocation{Principal: alice, Tool: tool, Args: args})
	var te *tools.Error
	if !errors.As(err, &te) {
		t.Fatalf("%s %v: want a tools.Error, got %v", tool, args, err)
	}
	return te
}

// TestTimesInEveryFormReachCCCAsItWantsThem: times arrive from MCP as JSON
// strings or numbers; CCC receives epoch ms (or its date-time text), which
// is what the gate digests and the audit records.
func TestTimesInEveryFormReachCCCAsItWantsThem(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	now := time.Now()
	res, err := e.reg.Invoke(context.Background(), tools.Invocation{Principal: alice, Tool: "list_call_detail_records",
		Args: map[string]any{"PageNumber": 1, "PageSize": 100, "StartTime": "2h", "StopTime": "now"}})
	if err != nil {
		t.Fatal(err)
	}
	recs := e.audit.records(t)
	args := recs[len(recs)-1].Args
	start, _ := args["StartTime"].(float64)
	stop, _ := args["StopTime"].(float64)
	if d := now.Add(-2*time.Hour).UnixMilli() - int64(start); d > 5000 || d < -5000 || stop < start {
		t.Fatalf("audit args %v: StartTime is not 2 h ago in epoch ms", args)
	}
	rows := res.Data()["CallDetailRecords"].(map[string]any)["List"].([]any)
	if len(rows) == 0 {
		t.Fatal("no calls in the last two hours")
	}
	for _, r := range rows {
		st, _ := r.(map[string]any)["StartTime"].(json.Number).Int64()
		if st < int64(start) || st > int64(stop) {
			t.Fatalf("a call at %d is outside the window %v–%v", st, start, stop)
		}
	}
	// The text shows the same times as readable local times with the zone:
	// the first row's, since a full page need not reach back to the
	// window's start (it does not, from 01:33 to 02:00 in Shanghai).
	first, _ := rows[0].(map[string]any)["StartTime"].(json.Number).Int64()
	if shown := time.UnixMilli(first).In(e.reg.Zone()).Format("2006-01-02 15:04:05"); !strings.Contains(res.Text, "times in Asia/Shanghai, UTC+08:00") || !strings.Contains(res.Text, shown) {
		t.Fatalf("text times, want %s (first row %d ms, window %v–%v): %.3000s", shown, first, start, stop, res.Text)
	}

	// A report takes date-time text; an epoch-ms number becomes that text
	// in the call center's zone.
	ms := time.Date(2026, 11, 24, 9, 0, 0, 0, e.reg.Zone()).UnixMilli()
	if _, err := e.reg.Invoke(context.Background(), tools.Invocation{Principal: alice, Tool: "get_instance_summary_report",
		Args: map[string]any{"StartTime": float64(ms), "EndTime": "2026-11-24"}}); err == nil {
		t.Fatal("an end before the start was accepted")
	}
	if _, err := e.reg.Invoke(context.Background(), tools.Invocation{Principal: alice, Tool: "get_instance_summary_report",
		Args: map[string]any{"StartTime": float64(ms), "EndTime": "today"}}); err != nil {
		t.Fatal(err)
	}
	recs = e.audit.records(t)
	if got := recs[len(recs)-1].Args["StartTime"]; got != "2026-11-24 09:00:00" {
		t.Fatalf("report StartTime sent as %v", got)
	}
}

// TestBadTimesAreRefusedBeforeCCC: epoch seconds and a stop before the
// start are refused with words that say what to send, and nothing reaches
// the backend.
func TestBadTimesAreRefusedBeforeCCC(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	secs := float64(time.Now().Add(-time.Hour).Unix())
	te := invokeErr(t, e, "list_call_detail_records", map[string]any{"PageNumber": 1, "PageSize": 10, "StartTime": secs})
	if te.Kind != tools.KindInvalidArgs || te.Param != "StartTime" || !strings.Contains(te.Message, "epoch seconds") || !strings.Contains(te.Message, "000") {
		t.Fatalf("epoch seconds: %v", te)
	}
	te = invokeErr(t, e, "list_call_detail_records", map[string]any{"PageNumber": 1, "PageSize": 10, "StartTime": "1h", "StopTime": "3h"})
	if te.Param != "StopTime" || !strings.Contains(te.Message, "before StartTime") {
		t.Fatalf("stop before start: %v", te)
	}
	if n := e.sim.Count("ListCallDetailRecords"); n != 0 {
		t.Fatalf("%d refused calls reached the backend", n)
	}
}

// TestFieldsKeepOnlyTheNamedColumns: Fields shapes the result (text and
// structured content) and is never sent: the gate and the audit see the
// arguments without it.
func TestFieldsKeepOnlyTheNamedColumns(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	res, err := e.reg.Invoke(context.Background(), tools.Invocation{Principal: alice, Tool: "list_call_detail_records",
		Args: map[string]any{"PageNumber": 1, "PageSize": 20, "Fields": []any{"ContactId", "agents.AgentId", "Duration"}}})
	if err != nil {
		t.Fatal(err)
	}
	cdr := res.Data()["CallDetailRecords"].(map[string]any)
	if cdr["TotalCount"] == nil {
		t.Fatal("paging fields are not columns and must stay")
	}
	for _, r := range cdr["List"].([]any) {
		row := r.(map[string]any)
		if len(row) != 3 || row["ContactId"] == nil || row["Duration"] == nil {
			t.Fatalf("row keeps %v", row)
		}
		for _, a := range row["Agents"].([]any) {
			if ag := a.(map[string]any); len(ag) != 1 || ag["AgentId"] == nil {
				t.Fatalf("agent keeps %v", ag)
			}
		}
	}
	if strings.Contains(res.Text, "CallingNumber") {
		t.Fatalf("text keeps a column not asked for: %.300s", res.Text)
	}
	recs := e.audit.records(t)
	if _, sent := recs[len(recs)-1].Args["Fields"]; sent {
		t.Fatal("Fields reached the gate's arguments")
	}
	te := invokeErr(t, e, "list_call_detail_records", map[string]any{"PageNumber": 1, "PageSize": 20, "Fields": []any{"Nope"}})
	if te.Param != "Fields" || !strings.Contains(te.Message, "ContactId") {
		t.Fatalf("unknown column: %v", te)
	}
	te = invokeErr(t, e, "list_roles", map[string]any{"Fields": []any{"RoleId"}})
	if te.Param != "Fields" || !strings.Contains(te.Message, "no such parameter") {
		t.Fatalf("Fields on a tool without it: %v", te)
	}
	if n := e.sim.Count("ListCallDetailRecords"); n != 1 {
		t.Fatalf("backend calls %d, want 1", n)
	}
}

// registryWith is a registry on a simulator of its own, with these result
// options.
func registryWith(t *testing.T, so sim.Options, ro tools.ResultOptions) *tools.Registry {
	t.Helper()
	srv, err := sim.Start("127.0.0.1:0", so)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	gate, _ := policy.New(policy.Config{Secret: []byte("test-secret-of-at-least-32-bytes!!")})
	reg, err := tools.New(tools.Config{Client: clientFor(t, srv), Gate: gate, DefaultInstance: sim.DefaultInstanceID, Results: ro})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// TestStructuredContentOff: the operator's switch marks results so a
// surface sends only the text, which holds everything.
func TestStructuredContentOff(t *testing.T) {
	reg := registryWith(t, sim.Options{}, tools.ResultOptions{NoStructured: true})
	res, err := reg.Invoke(context.Background(), tools.Invocation{Principal: alice, Tool: "list_skill_groups"})
	if err != nil || !res.NoStructured || !strings.Contains(res.Text, "SkillGroupName") {
		t.Fatalf("%v %+v", err, res)
	}
}

// Results' times carry no offset, so the legend of a zone with daylight
// saving time names both of its offsets rather than today's alone.
func TestTheTimesLegendOfAZoneWithDaylightSavingTime(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	reg := registryWith(t, sim.Options{Zone: ny}, tools.ResultOptions{Zone: ny})
	res, err := reg.Invoke(context.Background(), tools.Invocation{Principal: alice, Tool: "list_call_detail_records",
		Args: map[string]any{"PageNumber": 1, "PageSize": 5, "StartTime": "1d"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Text, "times in America/New_York, UTC-05:00 or UTC-04:00 by date;") {
		t.Fatalf("legend: %.300s", res.Text)
	}
}
