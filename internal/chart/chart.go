// Package chart draws a call report (tools.Report) as a PNG: calls offered,
// answered and abandoned per interval as bars on the left axis, the service
// level (%) and the average wait (s) as lines on a second axis on the right,
// titled with the instance, the period and the time zone. It paints on an
// image.RGBA itself — rectangles for the bars, anti-aliased paths
// (golang.org/x/image/vector) for the lines, and the embedded Go Regular
// font, parsed on the first chart — so the same report gives the same
// bytes on every machine, and a server that draws no chart pays nothing
// for it at start.
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"math"

	"github.com/cccops/cccops/internal/tools"
)

// Width and Height are the size of every chart, in pixels.
const (
	Width  = 1200
	Height = 600
)

// ErrEmpty is returned for a report without calls: there is nothing to draw.
var ErrEmpty = errors.New("no calls in this period, so there is nothing to chart")

// Series are the values a chart plots, one per interval, in order. They
// come from the report's points and nothing else.
type Series struct {
	Labels       []string
	Offered      []float64
	Answered     []float64
	Abandoned    []float64
	ServiceLevel []float64 // percent, 0–100; NaN where nothing was offered
	AvgWait      []float64 // seconds; NaN where nothing was offered
}

// SeriesOf turns a report's points into the plotted series.
func SeriesOf(r *tools.Report) Series {
	var s Series
	for _, p := range r.Points {
		s.Labels = append(s.Labels, r.IntervalLabel(p))
		s.Offered = append(s.Offered, float64(p.Offered))
		s.Answered = append(s.Answered, float64(p.Answered))
		s.Abandoned = append(s.Abandoned, float64(p.Abandoned))
		sl, wait := math.NaN(), math.NaN()
		if p.Offered > 0 {
			sl, wait = p.ServiceLevel*100, p.AvgWait.Seconds()
		}
		s.ServiceLevel = append(s.ServiceLevel, sl)
		s.AvgWait = append(s.AvgWait, wait)
	}
	return s
}

// Title is "Calls on ccc-sim-shanghai · today 2026-03-02 · hourly · times CST (UTC+08:00)".
func Title(r *tools.Report) string {
	every := "hourly"
	if r.Period.Interval == "day" {
		every = "daily"
	}
	return fmt.Sprintf("Calls on %s · %s · %s · times %s", r.Subject(), r.Period.Label(), every, r.Period.Zone())
}

// PNG draws the report. A report without calls is ErrEmpty.
func PNG(r *tools.Report) ([]byte, error) {
	if r.Empty() || len(r.Points) == 0 {
		return nil, ErrEmpty
	}
	c, _, err := render(SeriesOf(r), Title(r))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, c.img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
