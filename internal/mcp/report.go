package mcp

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cccops/cccops/internal/chart"
)

// ReportURI is the template of the report chart resource.
const ReportURI = "ccc://instances/{instance_id}/report/{period}.png"

func reportURI(instance, period string) string {
	return "ccc://instances/" + instance + "/report/" + period + ".png"
}

// addReportResources serves the call report chart: a PNG (blob, image/png)
// and the summary numbers as a companion text. Its reads go through the
// registry, so they are gated and audited like any read.
func (s *Server) addReportResources() {
	tmpl := mcp.NewResourceTemplate(ReportURI, "call_report_chart",
		mcp.WithTemplateTitle("Call report chart"),
		mcp.WithTemplateDescription(fmt.Sprintf("Calls offered, answered and abandoned per interval (bars), service level and average wait (lines on a second axis), as a %d×%d PNG, plus the summary numbers as text. period: today, yesterday, 7d or a date (2006-01-02); hourly for one day, daily for 7d.", chart.Width, chart.Height)),
		mcp.WithTemplateMIMEType("image/png"))
	s.mcp.AddResourceTemplate(tmpl, s.readReport)
	if s.inst != "" {
		s.mcp.AddResource(mcp.NewResource(reportURI(s.inst, "today"), "default_instance_report_today",
			mcp.WithResourceTitle("Today's calls on "+s.inst),
			mcp.WithResourceDescription("Today's calls per hour on the default instance, as a chart with its summary numbers."),
			mcp.WithMIMEType("image/png")), s.readReport)
	}
}

func (s *Server) readReport(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	uri := req.Params.URI
	rest, ok := strings.CutPrefix(uri, "ccc://instances/")
	inst, file, ok2 := strings.Cut(rest, "/report/")
	period, ok3 := strings.CutSuffix(file, ".png")
	if !ok || !ok2 || !ok3 || inst == "" || strings.Contains(inst, "/") || period == "" {
		return nil, fmt.Errorf("not a report chart: %q; use %s, e.g. %s", uri, ReportURI, reportURI(orDefault(s.inst, "ccc-…"), "today"))
	}
	p, err := s.reg.ParsePeriod(period, "", s.now())
	if err != nil {
		return nil, errors.New(err.Error())
	}
	rep, err := s.reg.CallReport(ctx, s.principal(ctx), inst, p, "")
	if err != nil {
		return nil, fmt.Errorf("the report could not be read: %s", err.Error())
	}
	summary := mcp.TextResourceContents{URI: uri, MIMEType: "text/plain", Text: rep.Summary()}
	img, err := chart.PNG(rep)
	if errors.Is(err, chart.ErrEmpty) {
		return []mcp.ResourceContents{summary}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("the chart could not be drawn: %s", err.Error())
	}
	return []mcp.ResourceContents{
		mcp.BlobResourceContents{URI: uri, MIMEType: "image/png", Blob: base64.StdEncoding.EncodeToString(img)},
		summary,
	}, nil
}
