package chart

import (
	"bytes"
	"image/color"
	"image/png"
	"math"
	"testing"
)

// Four hours: a busy one, then one without calls, whose service level and
// wait are NaN.
func fourHours(gap bool) Series {
	nan := math.NaN()
	s := Series{
		Labels:       []string{"09:00", "10:00", "11:00", "12:00"},
		Offered:      []float64{20, 100, 0, 10},
		Answered:     []float64{18, 90, 0, 9},
		Abandoned:    []float64{1, 6, 0, 1},
		ServiceLevel: []float64{50, 50, nan, 50},
		AvgWait:      []float64{5, 5, nan, 5},
	}
	if !gap {
		s.Offered[2], s.Answered[2], s.ServiceLevel[2], s.AvgWait[2] = 10, 10, 50, 5
	}
	return s
}

func at(t *testing.T, c *canvas, x, y float64) color.RGBA {
	t.Helper()
	return c.img.RGBAAt(int(math.Floor(x)), int(math.Floor(y)))
}

func TestTheBusiestIntervalsBarReachesNearTheTopInItsColour(t *testing.T) {
	c, l, err := render(fourHours(true), "test")
	if err != nil {
		t.Fatal(err)
	}
	x0, x1 := l.barX(1, 0)
	mid, top := (x0+x1)/2, l.yCalls(100)
	if h := l.bottom - l.top; top-l.top > 0.25*h {
		t.Errorf("the tallest bar tops out at %.0f px of a %.0f px plot area, the axis wastes the rest", l.bottom-top, h)
	}
	if got := at(t, c, mid, top+3); got != colOffered {
		t.Errorf("just inside the top of the 100-call bar: %v, want offered's %v", got, colOffered)
	}
	if got := at(t, c, mid, top-3); got == colOffered {
		t.Errorf("above the 100-call bar the offered colour goes on")
	}
	if got := at(t, c, mid, l.bottom-3); got != colOffered {
		t.Errorf("at the foot of the bar: %v", got)
	}
	a0, a1 := l.barX(1, 1)
	if got := at(t, c, (a0+a1)/2, l.yCalls(90)+3); got != colAnswered {
		t.Errorf("top of the 90-answered bar: %v, want %v", got, colAnswered)
	}
	b0, b1 := l.barX(1, 2)
	if got := at(t, c, (b0+b1)/2, l.yCalls(6)+2); got != colAbandoned {
		t.Errorf("top of the 6-abandoned bar: %v, want %v", got, colAbandoned)
	}
	if got := at(t, c, (b0+b1)/2, l.yCalls(6)-3); got == colAbandoned {
		t.Errorf("the 6-abandoned bar is taller than 6")
	}
}

func TestAnIntervalWithoutCallsLeavesAGapInTheLines(t *testing.T) {
	green := func(p color.RGBA) bool { return int(p.G)-int(p.R) > 40 && int(p.G)-int(p.B) > 40 }
	for _, gap := range []bool{true, false} {
		c, l, err := render(fourHours(gap), "test")
		if err != nil {
			t.Fatal(err)
		}
		y := l.yRight(50)
		if got := at(t, c, (l.x(0)+l.x(1))/2, y); got != colSL {
			t.Fatalf("gap %v: the service level line between 09:00 and 10:00 is %v, want %v", gap, got, colSL)
		}
		// Between the dots of 10:00 and 12:00, where 11:00 had no calls.
		drawn := 0
		for x := l.x(1) + 2*dotR; x < l.x(3)-2*dotR; x++ {
			for dy := -1.0; dy <= 1; dy++ {
				if green(at(t, c, x, y+dy)) {
					drawn++
				}
			}
		}
		if gap && drawn > 0 {
			t.Errorf("%d green pixels through 11:00, which had no calls", drawn)
		}
		if !gap && drawn == 0 {
			t.Errorf("no line through 11:00 when it had calls: the check sees nothing")
		}
	}
}

func TestALongTitleShrinksToFitTheWidth(t *testing.T) {
	title := "Calls on ccc-production-instance-shanghai-0123456789 · Billing and Collections Escalations · 7 days 2025-03-06 – 2025-03-12 · daily · times CST (UTC+08:00)"
	c, _, err := render(fourHours(true), title)
	if err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 44; y++ { // the title's band
		for _, x := range []int{0, 1, Width - 2, Width - 1} {
			if p := c.img.RGBAAt(x, y); p != colBackground {
				t.Fatalf("the title reaches the edge at (%d,%d): %v", x, y, p)
			}
		}
	}
	inked := 0
	for x := 0; x < 40; x++ {
		for y := 0; y < 44; y++ {
			if c.img.RGBAAt(x+20, y) != colBackground {
				inked++
			}
		}
	}
	if inked == 0 {
		t.Errorf("nothing drawn near the left end of the title band: the title is not using the width")
	}
}

// Reports are drawn on Slack and MCP requests at once; each gives the same
// bytes (the docs test relies on it) and shares only the parsed font.
func TestChartsDrawnAtOnceAreTheSame(t *testing.T) {
	const n = 4
	out := make([][]byte, n)
	done := make(chan error, n)
	for i := range n {
		go func() {
			c, _, err := render(fourHours(i%2 == 0), "at once")
			if err == nil {
				var buf bytes.Buffer
				err = png.Encode(&buf, c.img)
				out[i] = buf.Bytes()
			}
			done <- err
		}()
	}
	for range n {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(out[0], out[2]) || !bytes.Equal(out[1], out[3]) {
		t.Errorf("the same series drawn twice gave different PNGs")
	}
	if bytes.Equal(out[0], out[1]) {
		t.Errorf("different series gave the same PNG")
	}
}
