package schema_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/schema"
)

var shanghai = time.FixedZone("Asia/Shanghai", 8*3600)

// TestEveryTimeFormReadsTheSame: one instant written in each accepted form
// becomes the same epoch ms for an integer time and the same text for a
// text time, read in the call center's zone.
func TestEveryTimeFormReadsTheSame(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 30, 0, 0, shanghai)
	want := time.Date(2026, 11, 24, 0, 0, 0, 0, shanghai)
	forms := []any{
		want.UnixMilli(), float64(want.UnixMilli()), json.Number("1795449600000"), "1795449600000",
		"2026-11-24 00:00:00", "2026-11-24", "2026-11-24T00:00:00", "2026-11-23T16:00:00Z", "2026-11-24T00:00:00+08:00",
		"yesterday", "34h30m" /* not a form */, "1d", "24h",
	}
	cdr := schemaOf(t, &ccc.ListCallDetailRecordsRequest{})
	rep := schemaOf(t, &ccc.GetInstanceSummaryReportRequest{})
	for _, f := range forms {
		args := map[string]any{"StartTime": f}
		err := cdr.NormalizeTimes(args, now, shanghai)
		switch f {
		case "34h30m":
			if err == nil {
				t.Errorf("%v was read as a time", f)
			}
			continue
		case "1d", "24h":
			if err != nil || args["StartTime"] != now.Add(-24*time.Hour).UnixMilli() {
				t.Errorf("%v: %v %v", f, args["StartTime"], err)
			}
			continue
		}
		if err != nil || args["StartTime"] != want.UnixMilli() {
			t.Errorf("%#v: got %v (%v), want %d", f, args["StartTime"], err, want.UnixMilli())
		}
		args = map[string]any{"StartTime": f}
		if err := rep.NormalizeTimes(args, now, shanghai); err != nil || args["StartTime"] != "2026-11-24 00:00:00" {
			t.Errorf("text time %#v: got %v (%v)", f, args["StartTime"], err)
		}
	}
	args := map[string]any{"StartTime": "30m", "StopTime": "today"}
	if err := cdr.NormalizeTimes(args, now, shanghai); err == nil {
		t.Fatalf("a stop (midnight) before the start (30 min ago) was accepted: %v", args)
	}
	g := schemaOf(t, &ccc.GenerateAgentStatisticReportRequest{})
	args = map[string]any{"StartDate": "7d", "EndDate": "today"}
	if err := g.NormalizeTimes(args, now, shanghai); err != nil || args["StartDate"] != "2026-11-18" || args["EndDate"] != "2026-11-25" {
		t.Fatalf("dates: %v %v", args, err)
	}
}

// TestEpochSecondsAreRefused: a time in seconds is never read as ms of
// 1970; the error says what it looks like and what to send.
func TestEpochSecondsAreRefused(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 30, 0, 0, shanghai)
	s := schemaOf(t, &ccc.ListCallDetailRecordsRequest{})
	for _, v := range []any{int64(1796159666), float64(1796159666), "1796159666", json.Number("1796159666")} {
		args := map[string]any{"StartTime": v}
		err := s.NormalizeTimes(args, now, shanghai)
		var ve *schema.ValidationError
		if !errors.As(err, &ve) || ve.Param != "StartTime" || !strings.Contains(err.Error(), "epoch seconds") || !strings.Contains(err.Error(), "1796159666000") {
			t.Errorf("%#v: %v", v, err)
		}
	}
	for _, v := range []any{int64(0), int64(-5), "soon", true, 1.5e15} {
		if err := s.NormalizeTimes(map[string]any{"StartTime": v}, now, shanghai); err == nil {
			t.Errorf("%#v was accepted as a time", v)
		}
	}
}
