package chart

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"golang.org/x/image/font"
)

var (
	colBackground = color.RGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	colText       = color.RGBA{R: 0x22, G: 0x22, B: 0x22, A: 0xff}
	colTick       = color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff}
	colAxis       = color.RGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xff}
	colGrid       = color.RGBA{R: 0xe4, G: 0xe4, B: 0xe4, A: 0xff}
	colOffered    = color.RGBA{R: 0x9e, G: 0xb9, B: 0xd4, A: 0xff} // light blue
	colAnswered   = color.RGBA{R: 0x2b, G: 0x6c, B: 0xb0, A: 0xff} // blue
	colAbandoned  = color.RGBA{R: 0xd9, G: 0x4f, B: 0x3d, A: 0xff} // red
	colSL         = color.RGBA{R: 0x2e, G: 0x9e, B: 0x4f, A: 0xff} // green
	colWait       = color.RGBA{R: 0xe6, G: 0x8a, B: 0x00, A: 0xff} // orange
)

// Sizes in pixels.
const (
	titlePx   = 20
	labelPx   = 14 // ticks, legend, axis titles
	lineW     = 2.6
	haloW     = lineW + 3 // white under a line, to keep it apart from the bars
	dotR      = 3.6
	maxBarW   = 26
	groupFill = 0.78 // of an interval's width, for its three bars
)

var waitDash = []float64{9, 5}

// layout is where the data goes: the plot area and both scales.
type layout struct {
	n                        int
	left, top, right, bottom float64
	divs                     int     // grid divisions, shared by both axes
	callsMax, rightMax       float64 // the top of each axis
}

func (l layout) slot() float64   { return (l.right - l.left) / float64(l.n) }
func (l layout) x(i int) float64 { return l.left + l.slot()*(float64(i)+0.5) }
func (l layout) yCalls(v float64) float64 {
	return l.bottom - v/l.callsMax*(l.bottom-l.top)
}
func (l layout) yRight(v float64) float64 {
	return l.bottom - v/l.rightMax*(l.bottom-l.top)
}

// barX is the left and right edge of bar k (0 offered, 1 answered, 2
// abandoned) of interval i.
func (l layout) barX(i, k int) (float64, float64) {
	g := math.Min(l.slot()*groupFill, 3*maxBarW)
	x0 := l.x(i) - g/2
	return x0 + g*float64(k)/3, x0 + g*float64(k+1)/3
}

type legendEntry struct {
	label string
	col   color.RGBA
	line  bool
	dash  []float64
}

var legend = []legendEntry{
	{label: "offered", col: colOffered},
	{label: "answered", col: colAnswered},
	{label: "abandoned", col: colAbandoned},
	{label: "service level % (answered ≤ 20 s, right axis)", col: colSL, line: true},
	{label: "average wait s (right axis)", col: colWait, line: true, dash: waitDash},
}

// render paints the chart of s.
func render(s Series, title string) (*canvas, layout, error) {
	f, err := goRegular()
	if err != nil {
		return nil, layout{}, fmt.Errorf("the chart font did not load (%v); the report's numbers are in its text", err)
	}
	big, err := face(f, titlePx)
	if err != nil {
		return nil, layout{}, err
	}
	if w := width(big, title); w > Width-40 { // a long instance or group name: a smaller title, never a clipped one
		big.Close()
		if big, err = face(f, math.Max(10, titlePx*(Width-40)/w)); err != nil {
			return nil, layout{}, err
		}
	}
	small, err := face(f, labelPx)
	if err != nil {
		return nil, layout{}, err
	}
	defer big.Close()
	defer small.Close()

	c := newCanvas(Width, Height, colBackground)
	n := len(s.Labels)
	if n == 0 {
		return c, layout{}, ErrEmpty
	}

	// Scales: the calls axis in whole numbers, the right one wide enough for
	// 100 % and the longest wait; both on the same grid.
	maxCalls, maxRight := 1.0, 100.0
	for _, vs := range [][]float64{s.Offered, s.Answered, s.Abandoned} {
		for _, v := range vs {
			maxCalls = math.Max(maxCalls, v)
		}
	}
	for _, vs := range [][]float64{s.ServiceLevel, s.AvgWait} {
		for _, v := range vs {
			if !math.IsNaN(v) {
				maxRight = math.Max(maxRight, v)
			}
		}
	}
	l := layout{n: n}
	var callsStep, rightStep float64
	l.divs, callsStep, rightStep = scales(maxCalls, maxRight)
	l.callsMax, l.rightMax = callsStep*float64(l.divs), rightStep*float64(l.divs)

	// Margins fit the tick labels and the axis titles.
	const pad = 14
	widest := func(step float64) float64 {
		w := 0.0
		for k := 0; k <= l.divs; k++ {
			w = math.Max(w, width(small, num(step*float64(k))))
		}
		return w
	}
	lineH := float64(small.Metrics().Height.Ceil())
	l.left = pad + lineH + 10 + widest(callsStep) + 10
	l.right = Width - (pad + lineH + 10 + widest(rightStep) + 10)
	l.top, l.bottom = 86, Height-46

	// Title, and the legend in one row beneath it, both centred.
	c.text(big, title, Width/2, 32, 0.5, colText)
	const swatch, thumb, gapIn, gapOut = 14, 28, 7, 24
	total := 0.0
	for i, e := range legend {
		w := float64(swatch)
		if e.line {
			w = thumb
		}
		total += w + gapIn + width(small, e.label)
		if i > 0 {
			total += gapOut
		}
	}
	x, ly := (Width-total)/2, 60.0
	for _, e := range legend {
		if e.line {
			c.polyline([][2]float64{{x, ly}, {x + thumb, ly}}, lineW, e.dash)
			c.disc(x+thumb/2, ly, dotR)
			c.fill(e.col)
			x += thumb
		} else {
			c.rect(x, ly-swatch/2, x+swatch, ly+swatch/2, e.col)
			x += swatch
		}
		x += gapIn
		c.text(small, e.label, x, ly+5, 0, colText)
		x += width(small, e.label) + gapOut
	}

	// Grid, bars, then the lines over them.
	for k := 1; k <= l.divs; k++ {
		y := math.Round(l.yCalls(callsStep * float64(k)))
		c.rect(l.left, y, l.right, y+1, colGrid)
	}
	for k, vs := range [][]float64{s.Offered, s.Answered, s.Abandoned} {
		col := []color.RGBA{colOffered, colAnswered, colAbandoned}[k]
		for i, v := range vs {
			if v > 0 {
				x0, x1 := l.barX(i, k)
				c.rect(x0, l.yCalls(v), x1, l.bottom, col)
			}
		}
	}
	for k, vs := range [][]float64{s.ServiceLevel, s.AvgWait} {
		col, dash := []color.RGBA{colSL, colWait}[k], [][]float64{nil, waitDash}[k]
		var runs [][][2]float64 // the lines break where a value is NaN
		var run [][2]float64
		for i, v := range vs {
			if math.IsNaN(v) {
				if len(run) > 0 {
					runs = append(runs, run)
				}
				run = nil
				continue
			}
			run = append(run, [2]float64{l.x(i), l.yRight(v)})
		}
		if len(run) > 0 {
			runs = append(runs, run)
		}
		for _, r := range runs {
			// Dots mark the points unless they would crowd into a band; a
			// lone point between gaps always has one.
			c.line(r, col, dash, l.slot() >= 3*dotR || len(r) == 1)
		}
	}

	// Axes: lines, ticks and labels outside the plot area.
	c.rect(l.left-1, l.top, l.left, l.bottom+1, colAxis)
	c.rect(l.right, l.top, l.right+1, l.bottom+1, colAxis)
	c.rect(l.left-1, l.bottom, l.right+1, l.bottom+1, colAxis)
	for k := 0; k <= l.divs; k++ {
		y := math.Round(l.yCalls(callsStep * float64(k)))
		c.rect(l.left-6, y, l.left-1, y+1, colAxis)
		c.rect(l.right+1, y, l.right+6, y+1, colAxis)
		c.text(small, num(callsStep*float64(k)), l.left-10, y+5, 1, colTick)
		c.text(small, num(rightStep*float64(k)), l.right+10, y+5, 0, colTick)
	}
	step := labelStep(s.Labels, small, l.slot())
	for i, lb := range s.Labels {
		if i%step != 0 {
			continue
		}
		x := math.Round(l.x(i))
		c.rect(x, l.bottom+1, x+1, l.bottom+6, colAxis)
		c.text(small, lb, x, l.bottom+23, 0.5, colTick)
	}
	mid := (l.top + l.bottom) / 2
	c.vtext(small, "calls", pad+lineH/2, mid, true, colText)
	c.vtext(small, "service level %  ·  average wait s", Width-pad-lineH/2, mid, false, colText)
	return c, l, nil
}

// line strokes pts, with a dot on each point if dots, over a thin white
// halo.
func (c *canvas) line(pts [][2]float64, col color.RGBA, dash []float64, dots bool) {
	for k, w := range []float64{haloW, lineW} {
		if k == 0 {
			c.polyline(pts, w, nil)
		} else {
			c.polyline(pts, w, dash)
		}
		for _, p := range pts {
			if dots {
				c.disc(p[0], p[1], dotR+(haloW-lineW)/2*float64(1-k))
			}
		}
		c.fill([]color.RGBA{colBackground, col}[k])
	}
}

// scales picks the number of grid divisions and a step for each axis so
// that both axes fit their values with the least room left over: steps of
// 1, 2, 2.5, 4 or 5 times a power of ten, and whole numbers for calls.
func scales(calls, right float64) (divs int, callsStep, rightStep float64) {
	best := math.Inf(1)
	for d := 3; d <= 8; d++ {
		cs, rs := nice(calls/float64(d), true), nice(right/float64(d), false)
		waste := 2 - calls/(cs*float64(d)) - right/(rs*float64(d))
		if waste < best-1e-9 {
			best, divs, callsStep, rightStep = waste, d, cs, rs
		}
	}
	return divs, callsStep, rightStep
}

func nice(raw float64, whole bool) float64 {
	e := math.Pow(10, math.Floor(math.Log10(raw)))
	for {
		for _, m := range []float64{1, 2, 2.5, 4, 5} {
			s := m * e
			if whole && (s < 1 || s != math.Trunc(s)) {
				continue
			}
			if s >= raw*(1-1e-9) {
				return s
			}
		}
		e *= 10
	}
}

// labelStep labels every interval when the labels fit, else every 2nd,
// 3rd, 4th, 6th, 12th, 24th… so they never touch.
func labelStep(labels []string, f font.Face, slot float64) int {
	w := 0.0
	for _, lb := range labels {
		w = math.Max(w, width(f, lb))
	}
	for _, st := range []int{1, 2, 3, 4, 6, 12} {
		if float64(st)*slot >= w+14 {
			return st
		}
	}
	st := 24
	for float64(st)*slot < w+14 {
		st += 24
	}
	return st
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
