package ops

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// This file is a small metrics registry of our own, written instead of
// linking github.com/prometheus/client_golang: its packages (and protobuf,
// procfs, expvar, client_model, common) run inits and hold data that every
// start of both binaries paid for in time and resident memory. It has what
// cccops needs: counters and histograms with fixed label names, gauges read
// at scrape time, and the Prometheus text exposition format 0.0.4.

// ContentType is the media type of Registry.WriteText's output.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// maxLabels bounds the label names of one family; a series is looked up by
// a fixed-size array of values, so Observe does not allocate.
const maxLabels = 4

// MaxSeries bounds the series of one counter or histogram family: past it,
// a new combination of label values is counted under the series whose
// every label is "other", so no caller can grow a scrape without bound.
const MaxSeries = 1000

// Registry holds metric families and writes them in the Prometheus text
// format. Safe for concurrent use.
type Registry struct {
	mu    sync.Mutex
	names map[string]bool
	cols  []collector
}

// A collector writes one or more families at scrape time.
type collector interface {
	collect(ctx context.Context, e *encoder)
}

// NewRegistry builds an empty registry.
func NewRegistry() *Registry { return &Registry{names: map[string]bool{}} }

// register adds c, which writes the families names; it panics when a name
// is not a valid metric name or is registered already (a programming error,
// as client_golang's MustRegister).
func (r *Registry) register(c collector, names ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range names {
		if !validName(n, true) {
			panic(fmt.Sprintf("ops: %q is not a valid metric name", n))
		}
		if r.names[n] {
			panic(fmt.Sprintf("ops: metric %s is registered twice", n))
		}
	}
	for _, n := range names {
		r.names[n] = true
	}
	r.cols = append(r.cols, c)
}

// Counter adds a counter family with these label names.
func (r *Registry) Counter(name, help string, labels ...string) *CounterVec {
	v := &CounterVec{vec: newVec[Counter](name, help, labels, nil)}
	r.register(v, name)
	return v
}

// Histogram adds a histogram family with these upper bounds (sorted,
// +Inf implied) and label names.
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) *HistogramVec {
	if len(buckets) == 0 || !slices.IsSorted(buckets) || slices.ContainsFunc(buckets, func(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }) {
		panic(fmt.Sprintf("ops: histogram %s needs finite, sorted buckets", name))
	}
	if slices.Contains(labels, "le") {
		panic(fmt.Sprintf("ops: histogram %s cannot have a label named le", name))
	}
	upper := slices.Compact(slices.Clone(buckets))
	v := &HistogramVec{upper: upper}
	for _, u := range upper {
		v.les = append(v.les, string(appendFloat(nil, u)))
	}
	v.les = append(v.les, "+Inf")
	v.vec = newVec(name, help, labels, func(h *Histogram) { h.upper, h.counts = upper, make([]atomic.Uint64, len(upper)+1) })
	r.register(v, name)
	return v
}

// GaugeFunc adds a gauge without labels read by f at each scrape; when f
// reports false the gauge is left out of that scrape. f gets the scrape's
// context and must return by its deadline.
func (r *Registry) GaugeFunc(name, help string, f func(ctx context.Context) (float64, bool)) {
	r.register(gaugeFunc{name: name, help: help, f: f}, name)
}

// WriteText writes every family with at least one series, sorted by name,
// in the Prometheus text format 0.0.4 (ContentType). ctx bounds the gauges
// read at scrape time.
func (r *Registry) WriteText(ctx context.Context, w io.Writer) error {
	e := getEncoder()
	defer putEncoder(e)
	r.encode(ctx, e)
	_, err := w.Write(e.out)
	return err
}

// encode collects into e and leaves the text in e.out.
func (r *Registry) encode(ctx context.Context, e *encoder) {
	r.mu.Lock()
	cols := slices.Clone(r.cols)
	r.mu.Unlock()
	for _, c := range cols {
		c.collect(ctx, e)
	}
	e.finish()
}

type gaugeFunc struct {
	name, help string
	f          func(ctx context.Context) (float64, bool)
}

func (g gaugeFunc) collect(ctx context.Context, e *encoder) {
	if v, ok := g.f(ctx); ok {
		e.family(g.name, g.help, "gauge")
		e.float(g.name, nil, nil, "", "", v)
	}
}

// labelKey is the label values of one series.
type labelKey [maxLabels]string

// vec is the series of one family by label values.
type vec[S any] struct {
	name, help string
	labels     []string
	init       func(*S)

	mu     sync.RWMutex
	series map[labelKey]*S
}

func newVec[S any](name, help string, labels []string, init func(*S)) vec[S] {
	if len(labels) > maxLabels {
		panic(fmt.Sprintf("ops: metric %s has more than %d labels", name, maxLabels))
	}
	for i, l := range labels {
		if !validName(l, false) || strings.HasPrefix(l, "__") || slices.Contains(labels[:i], l) {
			panic(fmt.Sprintf("ops: metric %s: %q is not a valid label name, or it is repeated", name, l))
		}
	}
	return vec[S]{name: name, help: help, labels: slices.Clone(labels), init: init, series: map[labelKey]*S{}}
}

// with returns the series of these label values (one per label name),
// making it on first use. The values are the caller's to bound; past
// MaxSeries series every new combination shares the "other" series.
func (v *vec[S]) with(values []string) *S {
	if len(values) != len(v.labels) {
		panic(fmt.Sprintf("ops: metric %s takes %d label values, got %d", v.name, len(v.labels), len(values)))
	}
	var k labelKey
	copy(k[:], values)
	v.mu.RLock()
	s := v.series[k]
	v.mu.RUnlock()
	if s != nil {
		return s
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if s = v.series[k]; s != nil {
		return s
	}
	if len(v.series) >= MaxSeries {
		for i := range v.labels {
			k[i] = "other"
		}
		if s = v.series[k]; s != nil {
			return s
		}
	}
	for i := range v.labels {
		k[i] = strings.ToValidUTF8(k[i], "\uFFFD") // the format is UTF-8
	}
	if s = v.series[k]; s != nil {
		return s
	}
	s = new(S)
	if v.init != nil {
		v.init(s)
	}
	v.series[k] = s
	return s
}

// snapshot is the series sorted by label values.
func (v *vec[S]) snapshot() []entry[S] {
	v.mu.RLock()
	es := make([]entry[S], 0, len(v.series))
	for k, s := range v.series {
		es = append(es, entry[S]{k, s})
	}
	v.mu.RUnlock()
	slices.SortFunc(es, func(a, b entry[S]) int { return slices.Compare(a.key[:], b.key[:]) })
	return es
}

type entry[S any] struct {
	key labelKey
	s   *S
}

// CounterVec is a counter family.
type CounterVec struct{ vec[Counter] }

// With is the counter of these label values (one per label name).
func (v *CounterVec) With(values ...string) *Counter { return v.with(values) }

// Counter counts up. Safe for concurrent use.
type Counter struct{ n atomic.Uint64 }

// Inc adds one.
func (c *Counter) Inc() { c.n.Add(1) }

// Add adds n.
func (c *Counter) Add(n uint64) { c.n.Add(n) }

// Value is the count so far.
func (c *Counter) Value() uint64 { return c.n.Load() }

func (v *CounterVec) collect(_ context.Context, e *encoder) {
	es := v.snapshot()
	if len(es) == 0 {
		return
	}
	e.family(v.name, v.help, "counter")
	for _, x := range es {
		e.uint(v.name, v.labels, x.key[:len(v.labels)], "", "", x.s.Value())
	}
}

// HistogramVec is a histogram family.
type HistogramVec struct {
	vec[Histogram]
	upper []float64
	les   []string // the le label of each bucket, "+Inf" last
}

// With is the histogram of these label values (one per label name).
func (v *HistogramVec) With(values ...string) *Histogram { return v.with(values) }

// Histogram counts observations in buckets. Safe for concurrent use.
type Histogram struct {
	upper   []float64       // shared by the family
	counts  []atomic.Uint64 // per bucket, not cumulative; the last is +Inf
	sumBits atomic.Uint64
}

// Observe counts v in the first bucket whose upper bound is >= v.
func (h *Histogram) Observe(v float64) {
	i := 0
	for i < len(h.upper) && v > h.upper[i] {
		i++
	}
	h.counts[i].Add(1)
	for {
		old := h.sumBits.Load()
		if h.sumBits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

func (v *HistogramVec) collect(_ context.Context, e *encoder) {
	es := v.snapshot()
	if len(es) == 0 {
		return
	}
	e.family(v.name, v.help, "histogram")
	bucket, sum, count := v.name+"_bucket", v.name+"_sum", v.name+"_count"
	for _, x := range es {
		s, values := x.s, x.key[:len(v.labels)]
		// The count is the buckets' total, so _count and the +Inf bucket
		// always agree; _sum may miss an observation in flight.
		var cum uint64
		for j := range s.counts {
			cum += s.counts[j].Load()
			e.uint(bucket, v.labels, values, "le", v.les[j], cum)
		}
		e.float(sum, v.labels, values, "", "", math.Float64frombits(s.sumBits.Load()))
		e.uint(count, v.labels, values, "", "", cum)
	}
}

// encoder writes families; finish sorts them by name.
type encoder struct {
	buf   []byte // the families in the order collected
	spans []span
	out   []byte // after finish: the families sorted by name
}

type span struct {
	name       string
	start, end int
}

var encoders = sync.Pool{New: func() any { return new(encoder) }}

func getEncoder() *encoder { return encoders.Get().(*encoder) }

func putEncoder(e *encoder) {
	if cap(e.buf) > 1<<20 { // a rare huge scrape is not kept
		return
	}
	e.buf, e.spans, e.out = e.buf[:0], e.spans[:0], e.out[:0]
	encoders.Put(e)
}

// family starts a family: its HELP and TYPE lines.
func (e *encoder) family(name, help, typ string) {
	e.close()
	e.spans = append(e.spans, span{name: name, start: len(e.buf), end: -1})
	e.buf = append(e.buf, "# HELP "...)
	e.buf = append(e.buf, name...)
	e.buf = append(e.buf, ' ')
	e.buf = appendEscaped(e.buf, help, false)
	e.buf = append(e.buf, "\n# TYPE "...)
	e.buf = append(e.buf, name...)
	e.buf = append(e.buf, ' ')
	e.buf = append(e.buf, typ...)
	e.buf = append(e.buf, '\n')
}

func (e *encoder) close() {
	if n := len(e.spans); n > 0 && e.spans[n-1].end < 0 {
		e.spans[n-1].end = len(e.buf)
	}
}

func (e *encoder) finish() {
	e.close()
	slices.SortStableFunc(e.spans, func(a, b span) int { return strings.Compare(a.name, b.name) })
	for _, s := range e.spans {
		e.out = append(e.out, e.buf[s.start:s.end]...)
	}
}

// series writes name{labels="values",extra="extraValue"} and a space.
func (e *encoder) series(name string, labels, values []string, extra, extraValue string) {
	e.buf = append(e.buf, name...)
	if len(labels) > 0 || extra != "" {
		e.buf = append(e.buf, '{')
		for i, l := range labels {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.buf = appendLabel(e.buf, l, values[i])
		}
		if extra != "" {
			if len(labels) > 0 {
				e.buf = append(e.buf, ',')
			}
			e.buf = appendLabel(e.buf, extra, extraValue)
		}
		e.buf = append(e.buf, '}')
	}
	e.buf = append(e.buf, ' ')
}

func (e *encoder) uint(name string, labels, values []string, extra, extraValue string, v uint64) {
	e.series(name, labels, values, extra, extraValue)
	e.buf = strconv.AppendUint(e.buf, v, 10)
	e.buf = append(e.buf, '\n')
}

func (e *encoder) float(name string, labels, values []string, extra, extraValue string, v float64) {
	e.series(name, labels, values, extra, extraValue)
	e.buf = appendFloat(e.buf, v)
	e.buf = append(e.buf, '\n')
}

func appendLabel(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, '=', '"')
	b = appendEscaped(b, value, true)
	return append(b, '"')
}

// appendEscaped escapes a backslash and a newline (HELP text), and in a
// label value a double quote too.
func appendEscaped(b []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendFloat writes a sample value as client_golang does.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// validName reports whether s is a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)
// or, without colons, a label name.
func validName(s string, colon bool) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (colon && c == ':') || (i > 0 && c >= '0' && c <= '9')
		if !ok {
			return false
		}
	}
	return true
}
