// Package chart draws a call report (tools.Report) as a PNG: calls offered,
// answered and abandoned per interval as bars on the left axis, the service
// level (%) and the average wait (s) as lines on a second axis on the right,
// titled with the instance, the period and the time zone. It uses
// gonum.org/v1/plot with its embedded Liberation fonts, so a chart renders
// the same on every machine.
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/cccops/cccops/internal/tools"
)

// Width and Height are the size of every chart, in pixels.
const (
	Width  = 1200
	Height = 600
	dpi    = 96
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

var (
	colOffered   = color.RGBA{R: 0x9e, G: 0xb9, B: 0xd4, A: 0xff} // light blue
	colAnswered  = color.RGBA{R: 0x2b, G: 0x6c, B: 0xb0, A: 0xff} // blue
	colAbandoned = color.RGBA{R: 0xd9, G: 0x4f, B: 0x3d, A: 0xff} // red
	colSL        = color.RGBA{R: 0x2e, G: 0x9e, B: 0x4f, A: 0xff} // green
	colWait      = color.RGBA{R: 0xe6, G: 0x8a, B: 0x00, A: 0xff} // orange
)

// rightMargin is the room kept for the right axis.
const rightMargin = 62

// PNG draws the report. A report without calls is ErrEmpty.
func PNG(r *tools.Report) ([]byte, error) {
	if r.Empty() || len(r.Points) == 0 {
		return nil, ErrEmpty
	}
	s := SeriesOf(r)
	p := plot.New()
	p.Title.Text = Title(r)
	p.Title.TextStyle.Font.Size = 15
	p.Title.Padding = 10
	p.Y.Label.Text = "calls"
	p.Y.Min = 0
	p.Y.Tick.Marker = intTicks{}
	p.Y.Tick.Label.Font.Size = 11
	p.X.Tick.Label.Font.Size = 11
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil // categories need no vertical lines
	p.Add(grid)
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size = 11
	p.Legend.XOffs, p.Legend.YOffs = 8, -4
	p.Legend.ThumbnailWidth = 18
	p.Legend.Padding = 3

	n := len(s.Labels)
	bw := vg.Length(math.Min(22, 780/float64(n)/3.6)) // three bars per interval with a gap
	maxCalls := 1.0
	for i, vs := range [][]float64{s.Offered, s.Answered, s.Abandoned} {
		for _, v := range vs {
			maxCalls = math.Max(maxCalls, v)
		}
		b, err := plotter.NewBarChart(plotter.Values(vs), bw)
		if err != nil {
			return nil, err
		}
		b.Color = []color.Color{colOffered, colAnswered, colAbandoned}[i]
		b.LineStyle.Width = 0
		b.Offset = vg.Length(i-1) * bw
		p.Add(b)
		p.Legend.Add([]string{"offered", "answered", "abandoned"}[i], b)
	}
	p.Y.Max = maxCalls * 1.3 // room for the legend above the bars
	p.NominalX(sparseLabels(s.Labels)...)

	right := &rightAxis{sl: s.ServiceLevel, wait: s.AvgWait}
	right.max = 100
	for _, v := range s.AvgWait {
		if !math.IsNaN(v) && v*1.15 > right.max {
			right.max = math.Ceil(v*1.15/50) * 50
		}
	}
	p.Add(right)
	slLine, waitLine := right.styles()
	p.Legend.Add("service level % (answered ≤ 20 s, right axis)", lineThumb{slLine, colSL})
	p.Legend.Add("average wait s (right axis)", lineThumb{waitLine, colWait})

	c := vgimg.NewWith(vgimg.UseWH(Width*vg.Inch/dpi, Height*vg.Inch/dpi), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(c)
	p.Draw(draw.Crop(dc, 8, -rightMargin, 6, -6))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sparseLabels keeps at most about 26 labels so they stay readable.
func sparseLabels(labels []string) []string {
	step := (len(labels) + 25) / 26
	if step <= 1 {
		return labels
	}
	out := make([]string, len(labels))
	for i, l := range labels {
		if i%step == 0 {
			out[i] = l
		}
	}
	return out
}

// intTicks labels the calls axis with whole numbers only.
type intTicks struct{}

func (intTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(min, max) {
		if t.Label != "" && t.Value != math.Trunc(t.Value) {
			continue
		}
		out = append(out, t)
	}
	return out
}

// rightAxis draws the service level and the average wait on a scale of
// 0..max along the right edge of the data area, and that scale's axis.
type rightAxis struct {
	sl, wait []float64
	max      float64
}

func (a *rightAxis) styles() (draw.LineStyle, draw.LineStyle) {
	return draw.LineStyle{Color: colSL, Width: vg.Points(2.2)},
		draw.LineStyle{Color: colWait, Width: vg.Points(2.2), Dashes: []vg.Length{vg.Points(6), vg.Points(3)}}
}

func (a *rightAxis) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, _ := plt.Transforms(&c)
	y := func(v float64) vg.Length { return c.Min.Y + vg.Length(v/a.max)*(c.Max.Y-c.Min.Y) }
	slStyle, waitStyle := a.styles()
	for k, vs := range [][]float64{a.sl, a.wait} {
		sty := []draw.LineStyle{slStyle, waitStyle}[k]
		glyph := draw.GlyphStyle{Color: sty.Color, Radius: vg.Points(2.6), Shape: draw.CircleGlyph{}}
		var run []vg.Point
		flush := func() {
			if len(run) > 1 {
				c.StrokeLines(sty, run)
			}
			run = run[:0]
		}
		for i, v := range vs {
			if math.IsNaN(v) {
				flush()
				continue
			}
			pt := vg.Point{X: trX(float64(i)), Y: y(v)}
			run = append(run, pt)
			c.DrawGlyph(glyph, pt)
		}
		flush()
	}
	// The axis: a line on the right edge, ticks and labels outside it.
	ax := plt.Y
	line := draw.LineStyle{Color: color.Black, Width: ax.LineStyle.Width}
	c.StrokeLine2(line, c.Max.X, c.Min.Y, c.Max.X, c.Max.Y)
	lbl := ax.Tick.Label
	lbl.XAlign, lbl.YAlign = draw.XLeft, draw.YCenter
	for _, t := range (plot.DefaultTicks{}).Ticks(0, a.max) {
		yy := y(t.Value)
		if t.Label == "" {
			c.StrokeLine2(line, c.Max.X, yy, c.Max.X+vg.Points(3), yy)
			continue
		}
		c.StrokeLine2(line, c.Max.X, yy, c.Max.X+vg.Points(6), yy)
		c.FillText(lbl, vg.Point{X: c.Max.X + vg.Points(9), Y: yy}, t.Label)
	}
	title := ax.Label.TextStyle
	title.Rotation = -math.Pi / 2
	title.XAlign, title.YAlign = draw.XCenter, draw.YCenter
	c.FillText(title, vg.Point{X: c.Max.X + vg.Points(rightMargin-12), Y: (c.Min.Y + c.Max.Y) / 2}, "service level %  ·  average wait s")
}

// lineThumb is a legend entry for a line.
type lineThumb struct {
	sty draw.LineStyle
	col color.Color
}

func (l lineThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(l.sty, c.Min.X, y, c.Max.X, y)
	c.DrawGlyph(draw.GlyphStyle{Color: l.col, Radius: vg.Points(2.6), Shape: draw.CircleGlyph{}}, c.Center())
}
