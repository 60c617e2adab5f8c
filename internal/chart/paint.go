package chart

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// The font is Go Regular, embedded in the binary, so a chart renders the
// same on every machine. It is parsed on the first chart, not at start: a
// server that never draws one never reads it.
var (
	fontOnce sync.Once
	fontGo   *opentype.Font
	fontErr  error
)

func goRegular() (*opentype.Font, error) {
	fontOnce.Do(func() { fontGo, fontErr = opentype.Parse(goregular.TTF) })
	return fontGo, fontErr
}

// canvas paints on an RGBA image: crisp rectangles, anti-aliased shapes
// (one vector path at a time, in one colour) and text. A canvas and its
// faces belong to one chart; the parsed font is shared.
type canvas struct {
	img   *image.RGBA
	path  vector.Rasterizer
	polys [][]float64 // the current path: polygons as x, y, x, y, …
	// The current path's extent, in pixels: only that part is rasterized.
	x0, y0, x1, y1 float64
}

func newCanvas(w, h int, bg color.RGBA) *canvas {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	c := &canvas{img: img}
	c.clear()
	return c
}

func face(f *opentype.Font, px float64) (font.Face, error) {
	return opentype.NewFace(f, &opentype.FaceOptions{Size: px, DPI: 72, Hinting: font.HintingFull})
}

// rect fills [x0,x1)×[y0,y1), rounded to whole pixels so edges stay sharp.
func (c *canvas) rect(x0, y0, x1, y1 float64, col color.RGBA) {
	r := image.Rect(int(math.Round(x0)), int(math.Round(y0)), int(math.Round(x1)), int(math.Round(y1)))
	draw.Draw(c.img, r, image.NewUniform(col), image.Point{}, draw.Over)
}

// The path is a union of convex polygons all wound the same way (the
// rasterizer adds coverage and clamps it at full), so quads and discs that
// overlap paint each pixel once.

func (c *canvas) polygon(xy ...float64) {
	for i := 0; i < len(xy); i += 2 {
		c.x0, c.y0 = math.Min(c.x0, xy[i]), math.Min(c.y0, xy[i+1])
		c.x1, c.y1 = math.Max(c.x1, xy[i]), math.Max(c.y1, xy[i+1])
	}
	c.polys = append(c.polys, xy)
}

// segment adds a line from (ax,ay) to (bx,by), w pixels wide, butt ends.
func (c *canvas) segment(ax, ay, bx, by, w float64) {
	dx, dy := bx-ax, by-ay
	l := math.Hypot(dx, dy)
	if l == 0 {
		return
	}
	nx, ny := -dy/l*w/2, dx/l*w/2
	c.polygon(ax+nx, ay+ny, bx+nx, by+ny, bx-nx, by-ny, ax-nx, ay-ny)
}

// disc adds a filled circle, wound like segment's quads.
func (c *canvas) disc(x, y, r float64) {
	const n = 24
	xy := make([]float64, 0, 2*n)
	for i := 0; i < n; i++ {
		a := -2 * math.Pi * float64(i) / n
		xy = append(xy, x+r*math.Cos(a), y+r*math.Sin(a))
	}
	c.polygon(xy...)
}

// polyline adds the lines through pts, with round joins and ends: solid
// when dash is nil, otherwise on/off lengths repeated along the whole line.
func (c *canvas) polyline(pts [][2]float64, w float64, dash []float64) {
	if len(dash) == 0 {
		for i := range pts {
			if i > 0 {
				c.segment(pts[i-1][0], pts[i-1][1], pts[i][0], pts[i][1], w)
			}
			c.disc(pts[i][0], pts[i][1], w/2)
		}
		return
	}
	k, left := 0, dash[0] // current dash entry and what remains of it
	for i := 1; i < len(pts); i++ {
		ax, ay, bx, by := pts[i-1][0], pts[i-1][1], pts[i][0], pts[i][1]
		if k%2 == 0 {
			c.disc(ax, ay, w/2)
		}
		l := math.Hypot(bx-ax, by-ay)
		for t := 0.0; t < l; {
			step := math.Min(left, l-t)
			if k%2 == 0 {
				f0, f1 := t/l, (t+step)/l
				c.segment(ax+(bx-ax)*f0, ay+(by-ay)*f0, ax+(bx-ax)*f1, ay+(by-ay)*f1, w)
			}
			t += step
			if left -= step; left <= 1e-9 {
				k = (k + 1) % len(dash)
				left = dash[k]
			}
		}
	}
}

// fill paints the path in col and starts a new one. Only the path's
// extent is rasterized.
func (c *canvas) fill(col color.RGBA) {
	defer c.clear()
	if len(c.polys) == 0 {
		return
	}
	r := image.Rect(int(math.Floor(c.x0)), int(math.Floor(c.y0)), int(math.Ceil(c.x1)), int(math.Ceil(c.y1))).Intersect(c.img.Rect)
	if r.Empty() {
		return
	}
	ox, oy := float64(r.Min.X), float64(r.Min.Y)
	c.path.Reset(r.Dx(), r.Dy())
	for _, xy := range c.polys {
		c.path.MoveTo(float32(xy[0]-ox), float32(xy[1]-oy))
		for i := 2; i < len(xy); i += 2 {
			c.path.LineTo(float32(xy[i]-ox), float32(xy[i+1]-oy))
		}
		c.path.ClosePath()
	}
	// Coverage into an alpha mask first (the rasterizer's fast path), then
	// blend only the covered pixels.
	mask := image.NewAlpha(image.Rect(0, 0, r.Dx(), r.Dy()))
	c.path.DrawOp = draw.Src
	c.path.Draw(mask, mask.Rect, image.Opaque, image.Point{})
	draw.DrawMask(c.img, r, image.NewUniform(col), image.Point{}, mask, image.Point{}, draw.Over)
}

func (c *canvas) clear() {
	c.polys = c.polys[:0]
	c.x0, c.y0, c.x1, c.y1 = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
}

// text draws s with its baseline at y; align is 0 for left of x, 0.5
// centred on x, 1 right of x.
func (c *canvas) text(f font.Face, s string, x, y, align float64, col color.RGBA) {
	w := float64(font.MeasureString(f, s)) / 64
	d := font.Drawer{Dst: c.img, Src: image.NewUniform(col), Face: f, Dot: fixed.P(int(math.Round(x-w*align)), int(math.Round(y)))}
	d.DrawString(s)
}

// width is s's advance in pixels.
func width(f font.Face, s string) float64 { return float64(font.MeasureString(f, s)) / 64 }

// vtext draws s turned a quarter turn, centred on (x, y): reading upwards
// when up, else downwards.
func (c *canvas) vtext(f font.Face, s string, x, y float64, up bool, col color.RGBA) {
	m := f.Metrics()
	asc, desc := m.Ascent.Ceil(), m.Descent.Ceil()
	w, h := int(math.Ceil(width(f, s))), asc+desc
	flat := image.NewAlpha(image.Rect(0, 0, w, h))
	d := font.Drawer{Dst: flat, Src: image.Opaque, Face: f, Dot: fixed.P(0, asc)}
	d.DrawString(s)
	turned := image.NewAlpha(image.Rect(0, 0, h, w))
	for ty := 0; ty < w; ty++ {
		for tx := 0; tx < h; tx++ {
			sx, sy := w-1-ty, tx // upwards: the start of the text at the bottom
			if !up {
				sx, sy = ty, h-1-tx
			}
			turned.Pix[ty*turned.Stride+tx] = flat.Pix[sy*flat.Stride+sx]
		}
	}
	at := image.Pt(int(math.Round(x))-h/2, int(math.Round(y))-w/2)
	draw.DrawMask(c.img, turned.Rect.Add(at), image.NewUniform(col), image.Point{}, turned, image.Point{}, draw.Over)
}
