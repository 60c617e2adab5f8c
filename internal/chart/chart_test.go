package chart_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/chart"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

// docsNow is the clock of the README chart: a Wednesday evening in Shanghai.
var docsNow = time.Date(2025, 3, 12, 18, 30, 0, 0, time.FixedZone("CST", 8*3600))

var oncall = policy.Principal{ID: "test:oncall", Surface: "test"}

func registry(t testing.TB, now time.Time) *tools.Registry {
	t.Helper()
	srv, err := sim.Start("127.0.0.1:0", sim.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	client, err := ccc.New(ccc.Config{Endpoint: srv.URL, Credentials: ccc.Credentials{Mode: ccc.CredAccessKey, AccessKeyID: sim.DefaultAccessKeyID, AccessKeySecret: sim.DefaultAccessKeySecret}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	gate, err := policy.New(policy.Config{Secret: []byte("chart-test-secret-of-32-bytes!!!!"), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := tools.New(tools.Config{Client: client, Gate: gate, DefaultInstance: sim.DefaultInstanceID, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func report(t *testing.T, reg *tools.Registry, now time.Time, period, interval, group string) *tools.Report {
	t.Helper()
	p, err := tools.ParsePeriod(period, interval, now)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := reg.CallReport(context.Background(), oncall, "", p, group)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestChartIsAPNGOfTheDocumentedSize(t *testing.T) {
	reg := registry(t, docsNow)
	for _, c := range []struct{ period, interval, group string }{{"today", "", ""}, {"7d", "", ""}, {"yesterday", "", "Billing"}, {"7d", "hour", ""}} {
		rep := report(t, reg, docsNow, c.period, c.interval, c.group)
		b, err := chart.PNG(rep)
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		if ct := http.DetectContentType(b); ct != "image/png" {
			t.Fatalf("%v: content type %s", c, ct)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		if img.Bounds() != image.Rect(0, 0, chart.Width, chart.Height) {
			t.Fatalf("%v: %v, want %dx%d", c, img.Bounds(), chart.Width, chart.Height)
		}
	}
}

// The plotted series are the report rows CCC returned, interval by
// interval — read here straight from the action, not from the flow.
func TestChartPlotsTheReportRows(t *testing.T) {
	reg := registry(t, docsNow)
	rep := report(t, reg, docsNow, "today", "", "")
	s := chart.SeriesOf(rep)
	mid := time.Date(2025, 3, 12, 0, 0, 0, 0, docsNow.Location())
	res, err := reg.Invoke(context.Background(), tools.Invocation{Principal: oncall, Tool: "GetInstanceSummaryReportByInterval", Args: map[string]any{
		"StartTime": mid.Format("2006-01-02 15:04:05"), "EndTime": docsNow.Format("2006-01-02 15:04:05"), "Interval": "Hour"}})
	if err != nil {
		t.Fatal(err)
	}
	rows := res.Data()["InstanceTimeIntervalReport"].(map[string]any)["IntervalList"].([]any)
	if len(rows) != 19 || len(s.Offered) != len(rows) || len(s.Labels) != len(rows) {
		t.Fatalf("%d rows, %d plotted, want 19 hours (00:00 to 18:30)", len(rows), len(s.Offered))
	}
	f := func(m map[string]any, k string) float64 {
		v, err := strconv.ParseFloat(fmt.Sprint(m[k]), 64)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		return v
	}
	for i, it := range rows {
		in := it.(map[string]any)["Inbound"].(map[string]any)
		want := []float64{f(in, "CallsOffered"), f(in, "CallsHandled"), f(in, "CallsAbandonedInQueue")}
		got := []float64{s.Offered[i], s.Answered[i], s.Abandoned[i]}
		if want[0] != got[0] || want[1] != got[1] || want[2] != got[2] {
			t.Fatalf("hour %d: plotted %v, report %v", i, got, want)
		}
		if want[0] == 0 {
			if !math.IsNaN(s.ServiceLevel[i]) || !math.IsNaN(s.AvgWait[i]) {
				t.Fatalf("hour %d: lines drawn through an hour without calls", i)
			}
			continue
		}
		if math.Abs(s.ServiceLevel[i]-100*f(in, "ServiceLevel20")) > 1e-9 || s.AvgWait[i] != f(in, "AverageWaitTime") {
			t.Fatalf("hour %d: plotted SL %.2f wait %.0f, report %v / %v", i, s.ServiceLevel[i], s.AvgWait[i], in["ServiceLevel20"], in["AverageWaitTime"])
		}
	}
	if s.Labels[10] != "10:00" {
		t.Errorf("label of hour 10: %q", s.Labels[10])
	}
	// The simulated day has a shape: a morning peak above the lunch hour,
	// and the 11:00 incident with the worst service level and most abandons.
	if !(s.Offered[10] > s.Offered[12] && s.Offered[15] > s.Offered[12] && s.Offered[10] > 2*s.Offered[7]) {
		t.Errorf("no peaks around a lunch dip: %v", s.Offered)
	}
	w, _ := rep.Worst()
	if w.Start.Hour() != 11 || w.Abandoned < 10 || w.AvgWait < time.Minute {
		t.Errorf("worst hour %+v, want the 11:00 incident", w)
	}
	if got := chart.Title(rep); got != "Calls on ccc-sim-shanghai · today 2025-03-12 · hourly · times CST (UTC+08:00)" {
		t.Errorf("title %q", got)
	}
}

func TestAnEmptyPeriodIsNotDrawn(t *testing.T) {
	reg := registry(t, docsNow)
	// Eight days ago is before the simulator's history begins.
	rep := report(t, reg, docsNow, "2025-03-01", "", "")
	if !rep.Empty() {
		t.Fatalf("2025-03-01 has calls: %+v", rep.Total)
	}
	if _, err := chart.PNG(rep); !errors.Is(err, chart.ErrEmpty) {
		t.Fatalf("PNG of an empty period: %v", err)
	}
	if s := rep.Summary(); !bytes.Contains([]byte(s), []byte("no calls in this period")) {
		t.Errorf("summary %q", s)
	}
}

// docsPNG is the chart shown in README.md. Regenerate it with
// UPDATE_DOCS=1 go test ./internal/chart -run TestDocsChartIsCurrent
const docsPNG = "../../docs/report-today.png"

func TestDocsChartIsCurrent(t *testing.T) {
	reg := registry(t, docsNow)
	b, err := chart.PNG(report(t, reg, docsNow, "today", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("UPDATE_DOCS") != "" {
		if err := os.MkdirAll("../../docs", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(docsPNG, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := os.ReadFile(docsPNG)
	if err != nil || !bytes.Equal(old, b) {
		t.Fatalf("%s is stale or missing (%v); run UPDATE_DOCS=1 go test ./internal/chart -run TestDocsChartIsCurrent", docsPNG, err)
	}
}

// BenchmarkPNG is the time to draw and encode the README chart (one day,
// hourly), the work a /ccc report or a report resource does per call.
func BenchmarkPNG(b *testing.B) {
	reg := registry(b, docsNow)
	p, err := tools.ParsePeriod("today", "", docsNow)
	if err != nil {
		b.Fatal(err)
	}
	rep, err := reg.CallReport(context.Background(), oncall, "", p, "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := chart.PNG(rep); err != nil {
			b.Fatal(err)
		}
	}
}
