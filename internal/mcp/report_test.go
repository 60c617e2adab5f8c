package mcp

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/chart"
)

func TestReportResourceIsAPNGWithItsSummary(t *testing.T) {
	e := newEnv(t)
	c := e.inProcess(t, false, nil)
	ctx := context.Background()
	tl, err := c.ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, tm := range tl.ResourceTemplates {
		found = found || (tm.URITemplate != nil && tm.URITemplate.Raw() == ReportURI && tm.MIMEType == "image/png")
	}
	if !found {
		t.Fatalf("no %s template", ReportURI)
	}
	// Whole periods: "today" has no calls just after midnight.
	shanghaiYesterday := func() string {
		return time.Now().In(sim.DefaultZone).AddDate(0, 0, -1).Format("2006-01-02")
	}
	for _, period := range []string{"yesterday", "7d"} {
		var rr mcp.ReadResourceRequest
		rr.Params.URI = "ccc://instances/" + sim.SecondInstanceID + "/report/" + period + ".png"
		before := shanghaiYesterday()
		rd, err := c.ReadResource(ctx, rr)
		after := shanghaiYesterday()
		if err != nil {
			t.Fatalf("%s: %v", period, err)
		}
		if len(rd.Contents) != 2 {
			t.Fatalf("%s: %d contents, want the PNG and its summary", period, len(rd.Contents))
		}
		blob, ok := rd.Contents[0].(mcp.BlobResourceContents)
		if !ok || blob.MIMEType != "image/png" {
			t.Fatalf("%s: first content %#v", period, rd.Contents[0])
		}
		raw, err := base64.StdEncoding.DecodeString(blob.Blob)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil || img.Bounds() != image.Rect(0, 0, chart.Width, chart.Height) {
			t.Fatalf("%s: PNG %v, %v", period, err, img)
		}
		text := rd.Contents[1].(mcp.TextResourceContents).Text
		if !strings.Contains(text, sim.SecondInstanceID) || !strings.Contains(text, "calls offered") || !strings.Contains(text, "service level") {
			t.Errorf("%s: summary %q", period, text)
		}
		// Yesterday is the call center's, whatever the machine's zone (the
		// day may turn over in Shanghai during the read).
		if period == "yesterday" {
			recs := e.auditRecords(t)
			sent := recs[len(recs)-1].Args["StartTime"]
			if sent != before+" 00:00:00" && sent != after+" 00:00:00" {
				t.Errorf("yesterday sent from %v, want Shanghai's midnight of %s", sent, before)
			}
			if !strings.Contains(text, "yesterday "+before+" (CST (UTC+08:00))") && !strings.Contains(text, "yesterday "+after+" (CST (UTC+08:00))") {
				t.Errorf("want Shanghai's yesterday, %s: %q", before, text)
			}
		}
	}
	// The reads went through the gate for this session's principal.
	n := 0
	for _, r := range e.auditRecords(t) {
		if r.Action == "GetInstanceSummaryReportByInterval" && r.Args["InstanceId"] == sim.SecondInstanceID {
			n++
		}
	}
	if n < 2 {
		t.Errorf("%d audited report reads, want one per chart at least", n)
	}
	// An empty period is a text that says so, not an empty chart.
	var rr mcp.ReadResourceRequest
	rr.Params.URI = reportURI(sim.DefaultInstanceID, "2020-01-01")
	rd, err := c.ReadResource(ctx, rr)
	if err != nil {
		t.Fatal(err)
	}
	if len(rd.Contents) != 1 || !strings.Contains(rd.Contents[0].(mcp.TextResourceContents).Text, "no calls in this period") {
		t.Errorf("empty period: %#v", rd.Contents)
	}
	// A bad period is an error that says what to use.
	rr.Params.URI = reportURI(sim.DefaultInstanceID, "lastweek")
	if _, err := c.ReadResource(ctx, rr); err == nil || !strings.Contains(err.Error(), "today, yesterday, 7d") {
		t.Errorf("bad period: %v", err)
	}
}
