package ops_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cccops/cccops/internal/app"
	"github.com/cccops/cccops/internal/ops"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/store"
)

func parseText(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("not Prometheus text: %v\n%s", err, text)
	}
	return fams
}

func writeText(t *testing.T, r *ops.Registry) string {
	t.Helper()
	var b strings.Builder
	if err := r.WriteText(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The families a scrape of a fresh process holds, with their types: the
// names, HELP texts and types dashboards and alerts were built on when
// /metrics came from client_golang (its Go and process collectors).
var wantFamilies = map[string]dto.MetricType{
	"cccops_confirmations_pending": dto.MetricType_GAUGE,
	"cccops_rate_limited_total":    dto.MetricType_COUNTER,
	"cccops_store_errors_total":    dto.MetricType_COUNTER,

	"go_gc_duration_seconds":           dto.MetricType_SUMMARY,
	"go_gc_gogc_percent":               dto.MetricType_GAUGE,
	"go_gc_gomemlimit_bytes":           dto.MetricType_GAUGE,
	"go_goroutines":                    dto.MetricType_GAUGE,
	"go_info":                          dto.MetricType_GAUGE,
	"go_memstats_alloc_bytes":          dto.MetricType_GAUGE,
	"go_memstats_alloc_bytes_total":    dto.MetricType_COUNTER,
	"go_memstats_buck_hash_sys_bytes":  dto.MetricType_GAUGE,
	"go_memstats_frees_total":          dto.MetricType_COUNTER,
	"go_memstats_gc_sys_bytes":         dto.MetricType_GAUGE,
	"go_memstats_heap_alloc_bytes":     dto.MetricType_GAUGE,
	"go_memstats_heap_idle_bytes":      dto.MetricType_GAUGE,
	"go_memstats_heap_inuse_bytes":     dto.MetricType_GAUGE,
	"go_memstats_heap_objects":         dto.MetricType_GAUGE,
	"go_memstats_heap_released_bytes":  dto.MetricType_GAUGE,
	"go_memstats_heap_sys_bytes":       dto.MetricType_GAUGE,
	"go_memstats_last_gc_time_seconds": dto.MetricType_GAUGE,
	"go_memstats_mallocs_total":        dto.MetricType_COUNTER,
	"go_memstats_mcache_inuse_bytes":   dto.MetricType_GAUGE,
	"go_memstats_mcache_sys_bytes":     dto.MetricType_GAUGE,
	"go_memstats_mspan_inuse_bytes":    dto.MetricType_GAUGE,
	"go_memstats_mspan_sys_bytes":      dto.MetricType_GAUGE,
	"go_memstats_next_gc_bytes":        dto.MetricType_GAUGE,
	"go_memstats_other_sys_bytes":      dto.MetricType_GAUGE,
	"go_memstats_stack_inuse_bytes":    dto.MetricType_GAUGE,
	"go_memstats_stack_sys_bytes":      dto.MetricType_GAUGE,
	"go_memstats_sys_bytes":            dto.MetricType_GAUGE,
	"go_sched_gomaxprocs_threads":      dto.MetricType_GAUGE,
	"go_threads":                       dto.MetricType_GAUGE,

	"process_cpu_seconds_total":        dto.MetricType_COUNTER,
	"process_max_fds":                  dto.MetricType_GAUGE,
	"process_open_fds":                 dto.MetricType_GAUGE,
	"process_resident_memory_bytes":    dto.MetricType_GAUGE,
	"process_start_time_seconds":       dto.MetricType_GAUGE,
	"process_virtual_memory_bytes":     dto.MetricType_GAUGE,
	"process_virtual_memory_max_bytes": dto.MetricType_GAUGE,
}

// The HELP texts of cccops' own families, as they were.
var wantHelp = map[string]string{
	"cccops_calls_total":            "CCC calls that ran, by action, access class and result (ok or error).",
	"cccops_call_duration_seconds":  "Time CCC took to answer a call that ran (retries included), by action and access class.",
	"cccops_gate_decisions_total":   "Records of the policy gate, by verdict (allow, confirm, deny) and result (pending, approved, sending, ok, error, refused, expired, rate-limited, …).",
	"cccops_rate_limited_total":     "Calls refused because the principal's rate limit was spent, by access class.",
	"cccops_store_errors_total":     "Calls refused because the store could not be reached (nothing ran); see /readyz.",
	"cccops_confirmations_pending":  "Confirmation and approval requests waiting for a human's yes, read from the store at scrape time (counted up to 1000).",
	"go_goroutines":                 "Number of goroutines that currently exist.",
	"process_resident_memory_bytes": "Resident memory size in bytes.",
	"go_memstats_heap_alloc_bytes":  "Number of heap bytes allocated and currently in use, same as go_memstats_alloc_bytes. Equals to /memory/classes/heap/objects:bytes.",
}

func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.Label {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// A scrape of a fresh process, as Prometheus parses it: exactly the
// families of before (and the zero series of rate_limited for each class),
// with their HELP texts; then, after a few calls' records, the histogram's
// cumulative buckets, sum and count, and the counters' label values.
func TestScrapeIsWholePrometheusText(t *testing.T) {
	e := newEnv(t, "", app.Config{})
	code, body, h := e.get(t, "/metrics", "Accept-Encoding", "identity")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	if ct := h.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if h.Get("Content-Encoding") != "" || h.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Errorf("an identity scrape: Content-Encoding %q, Content-Length %q for %d bytes", h.Get("Content-Encoding"), h.Get("Content-Length"), len(body))
	}
	fams := parseText(t, body)
	var extra []string
	for name, f := range fams {
		want, ok := wantFamilies[name]
		if !ok {
			extra = append(extra, name)
			continue
		}
		if f.GetType() != want {
			t.Errorf("%s is a %v, want %v", name, f.GetType(), want)
		}
		if len(f.Metric) == 0 {
			t.Errorf("%s has no series", name)
		}
	}
	if len(extra) > 0 {
		t.Errorf("families not exposed before: %v", extra)
	}
	for name := range wantFamilies {
		if fams[name] == nil {
			t.Errorf("%s is missing from a fresh scrape", name)
		}
	}
	for name, help := range wantHelp {
		if f := fams[name]; f != nil && f.GetHelp() != help {
			t.Errorf("HELP of %s = %q, want %q", name, f.GetHelp(), help)
		}
	}
	var classes []string
	for _, m := range fams["cccops_rate_limited_total"].Metric {
		classes = append(classes, labelsOf(m)["class"])
		if m.Counter.GetValue() != 0 {
			t.Errorf("rate_limited %v = %v in a fresh process", labelsOf(m), m.Counter.GetValue())
		}
	}
	if want := []string{"destructive", "external", "read", "secret", "write"}; !slices.Equal(classes, want) {
		t.Errorf("rate_limited classes %v, want %v", classes, want)
	}
	if v := fams["go_goroutines"].Metric[0].Gauge.GetValue(); v < 1 {
		t.Errorf("go_goroutines = %v", v)
	}
	if v := fams["process_resident_memory_bytes"].Metric[0].Gauge.GetValue(); v < 1<<20 {
		t.Errorf("process_resident_memory_bytes = %v", v)
	}
	if v := fams["go_memstats_heap_alloc_bytes"].Metric[0].Gauge.GetValue(); v < 1<<10 {
		t.Errorf("go_memstats_heap_alloc_bytes = %v", v)
	}
	if v := fams["process_open_fds"].Metric[0].Gauge.GetValue(); v < 3 {
		t.Errorf("process_open_fds = %v", v)
	}
	if q := fams["go_gc_duration_seconds"].Metric[0].Summary.Quantile; len(q) != 5 {
		t.Errorf("go_gc_duration_seconds has %d quantiles, want 5", len(q))
	}

	// Five calls of a read at 3 ms, 12 ms, 12 ms, 700 ms and 40 s, and a
	// write CCC refused.
	for _, ms := range []int64{3, 12, 12, 700, 40000} {
		e.metrics.Observe(policy.Record{Action: "ListAgentStates", Decision: policy.Allow, Result: policy.ResultOK, LatencyMS: ms})
	}
	e.metrics.Observe(policy.Record{Action: "CreateSkillGroup", Decision: policy.Confirm, Result: policy.ResultError, LatencyMS: 80})
	fams = e.scrape(t, "Accept-Encoding", "identity")
	dur := fams["cccops_call_duration_seconds"]
	if dur == nil || dur.GetType() != dto.MetricType_HISTOGRAM || len(dur.Metric) != 2 {
		t.Fatalf("cccops_call_duration_seconds: %v", dur)
	}
	var read *dto.Histogram
	for _, m := range dur.Metric {
		if l := labelsOf(m); l["action"] == "ListAgentStates" && l["class"] == "read" && len(l) == 2 {
			read = m.Histogram
		}
	}
	if read == nil {
		t.Fatalf("no histogram of ListAgentStates/read: %v", dur.Metric)
	}
	wantBuckets := []struct {
		le    float64
		count uint64
	}{{.005, 1}, {.01, 1}, {.025, 3}, {.05, 3}, {.1, 3}, {.25, 3}, {.5, 3}, {1, 4}, {2.5, 4}, {5, 4}, {10, 4}, {30, 4}, {math.Inf(1), 5}}
	if len(read.Bucket) != len(wantBuckets) {
		t.Fatalf("%d buckets, want %d: %v", len(read.Bucket), len(wantBuckets), read.Bucket)
	}
	for i, b := range read.Bucket {
		if b.GetUpperBound() != wantBuckets[i].le || b.GetCumulativeCount() != wantBuckets[i].count {
			t.Errorf("bucket %d: le=%v count %d, want le=%v count %d", i, b.GetUpperBound(), b.GetCumulativeCount(), wantBuckets[i].le, wantBuckets[i].count)
		}
	}
	if read.GetSampleCount() != 5 || math.Abs(read.GetSampleSum()-40.727) > 1e-9 {
		t.Errorf("count %d sum %v, want 5 and 40.727", read.GetSampleCount(), read.GetSampleSum())
	}
	_, text, _ := e.get(t, "/metrics", "Accept-Encoding", "identity")
	if !strings.Contains(text, `cccops_call_duration_seconds_bucket{action="ListAgentStates",class="read",le="+Inf"} 5`+"\n") {
		t.Errorf("no +Inf bucket of 5 in:\n%s", text)
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"cccops_calls_total", map[string]string{"action": "ListAgentStates", "class": "read", "result": "ok"}, 5},
		{"cccops_calls_total", map[string]string{"action": "CreateSkillGroup", "class": "write", "result": "error"}, 1},
		{"cccops_gate_decisions_total", map[string]string{"decision": "allow", "result": "ok"}, 5},
		{"cccops_gate_decisions_total", map[string]string{"decision": "confirm", "result": "error"}, 1},
	} {
		found := false
		for _, m := range fams[c.name].Metric {
			if l := labelsOf(m); fmt.Sprint(l) == fmt.Sprint(c.labels) {
				found = true
				if m.Counter.GetValue() != c.want {
					t.Errorf("%s%v = %v, want %v", c.name, c.labels, m.Counter.GetValue(), c.want)
				}
			}
		}
		if !found {
			t.Errorf("%s%v is missing", c.name, c.labels)
		}
	}
}

// A client that accepts gzip gets the same families gzipped; one that
// refuses it (q=0) gets plain text.
func TestScrapeIsGzippedWhenAccepted(t *testing.T) {
	e := newEnv(t, "", app.Config{})
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}} // see the bytes on the wire
	for _, c := range []struct {
		accept string
		gzip   bool
	}{{"gzip", true}, {"br;q=1.0, gzip;q=0.5", true}, {"*", true}, {"gzip;q=0", false}, {"gzip;q=0, *", false}, {"", false}, {"deflate", false}} {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/metrics", nil)
		if c.accept != "" {
			req.Header.Set("Accept-Encoding", c.accept)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get("Content-Encoding") == "gzip"; got != c.gzip {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q", c.accept, resp.Header.Get("Content-Encoding"))
			continue
		}
		text := string(raw)
		if c.gzip {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("Accept-Encoding %q: not gzip: %v", c.accept, err)
			}
			b, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("Accept-Encoding %q: bad gzip: %v", c.accept, err)
			}
			text = string(b)
		}
		if fams := parseText(t, text); fams["cccops_store_errors_total"] == nil || fams["go_goroutines"] == nil {
			t.Errorf("Accept-Encoding %q: families missing", c.accept)
		}
	}
}

// Label values are the caller's words: a backslash, a double quote and a
// newline are escaped, invalid UTF-8 becomes U+FFFD, and Prometheus reads
// back exactly the value (for a counter and a histogram alike); HELP text
// escapes a backslash and a newline.
func TestLabelValuesAreEscaped(t *testing.T) {
	const hostile = "a\\b \"quoted\" two\nlines} x=\"y\",z 1"
	r := ops.NewRegistry()
	c := r.Counter("test_hostile_total", "help with a \\ backslash\nand a second line", "v", "w")
	c.With(hostile, "plain").Add(3)
	c.With("bad\xffutf8", "plain").Inc()
	hv := r.Histogram("test_hostile_seconds", "a histogram", []float64{.1, 1}, "v")
	hv.With(hostile).Observe(0.5)
	fams := parseText(t, writeText(t, r))

	f := fams["test_hostile_total"]
	if f == nil || len(f.Metric) != 2 {
		t.Fatalf("test_hostile_total: %v", f)
	}
	if f.GetHelp() != "help with a \\ backslash\nand a second line" {
		t.Errorf("HELP read back as %q", f.GetHelp())
	}
	got := map[string]float64{}
	for _, m := range f.Metric {
		l := labelsOf(m)
		if l["w"] != "plain" {
			t.Errorf("label w = %q", l["w"])
		}
		got[l["v"]] = m.Counter.GetValue()
	}
	if got[hostile] != 3 || got["bad\uFFFDutf8"] != 1 {
		t.Errorf("label values read back: %v", got)
	}
	h := fams["test_hostile_seconds"]
	if h == nil || len(h.Metric) != 1 || labelsOf(h.Metric[0])["v"] != hostile || h.Metric[0].Histogram.GetSampleCount() != 1 {
		t.Fatalf("test_hostile_seconds: %v", h)
	}
}

// A family never grows past ops.MaxSeries series: later combinations of
// values share the series whose labels are all "other".
func TestSeriesAreBounded(t *testing.T) {
	r := ops.NewRegistry()
	c := r.Counter("test_bounded_total", "bounded", "v")
	for i := range ops.MaxSeries + 5 {
		c.With("value-" + strconv.Itoa(i)).Inc()
	}
	c.With("value-0").Inc() // an early series is still its own
	f := parseText(t, writeText(t, r))["test_bounded_total"]
	if n := len(f.Metric); n != ops.MaxSeries+1 {
		t.Fatalf("%d series, want %d (and one other)", n, ops.MaxSeries+1)
	}
	for _, m := range f.Metric {
		switch v := labelsOf(m)["v"]; v {
		case "other":
			if m.Counter.GetValue() != 5 {
				t.Errorf("other = %v, want 5", m.Counter.GetValue())
			}
		case "value-0":
			if m.Counter.GetValue() != 2 {
				t.Errorf("value-0 = %v, want 2", m.Counter.GetValue())
			}
		}
	}
}

// Records observed from many goroutines while others scrape: every scrape
// parses, its buckets never go down and agree with _count, and at the end
// nothing was lost.
func TestObserveAndScrapeConcurrently(t *testing.T) {
	m := ops.NewMetrics()
	actions := []string{"ListAgentStates", "ListUsers", "CreateSkillGroup", "NotAnAction"}
	const workers, each = 8, 300
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 4)
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				var b strings.Builder
				if err := m.Registry().WriteText(context.Background(), &b); err != nil {
					errs <- err
					return
				}
				p := expfmt.NewTextParser(model.UTF8Validation)
				fams, err := p.TextToMetricFamilies(strings.NewReader(b.String()))
				if err != nil {
					errs <- err
					return
				}
				if d := fams["cccops_call_duration_seconds"]; d != nil {
					for _, s := range d.Metric {
						var prev uint64
						for _, bk := range s.Histogram.Bucket {
							if bk.GetCumulativeCount() < prev {
								errs <- fmt.Errorf("buckets go down: %v", s.Histogram.Bucket)
								return
							}
							prev = bk.GetCumulativeCount()
						}
						if s.Histogram.GetSampleCount() < prev {
							errs <- fmt.Errorf("_count %d is below a bucket %d", s.Histogram.GetSampleCount(), prev)
							return
						}
					}
				}
			}
		})
	}
	var observers sync.WaitGroup
	for w := range workers {
		observers.Go(func() {
			for i := range each {
				m.Observe(policy.Record{Action: actions[(w+i)%len(actions)], Decision: policy.Allow, Result: policy.ResultOK, LatencyMS: int64(i % 50)})
			}
		})
	}
	observers.Wait()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	fams := parseText(t, writeText(t, m.Registry()))
	total := workers * each
	var calls float64
	for _, s := range fams["cccops_calls_total"].Metric {
		calls += s.Counter.GetValue()
	}
	var count uint64
	var sum float64
	for _, s := range fams["cccops_call_duration_seconds"].Metric {
		count += s.Histogram.GetSampleCount()
		sum += s.Histogram.GetSampleSum()
	}
	var wantSum float64
	for range workers {
		for i := range each {
			wantSum += float64(i%50) / 1000
		}
	}
	if calls != float64(total) || count != uint64(total) || math.Abs(sum-wantSum) > 1e-6 {
		t.Errorf("calls %v, histogram count %d sum %v; want %d, %d, %v", calls, count, sum, total, total, wantSum)
	}
	if n := len(fams["cccops_calls_total"].Metric); n != len(actions) {
		t.Errorf("%d call series, want %d (the unknown action counted as one)", n, len(actions))
	}
	if got := value(fams, "cccops_gate_decisions_total", "decision", "allow", "result", "ok"); got != float64(total) {
		t.Errorf("decisions allow/ok = %v, want %d", got, total)
	}
}

// When the store cannot be read, the pending gauge is left out of that
// scrape and the failure logged in words; every other family is still
// there.
func TestPendingGaugeIsLeftOutWhenTheStoreFails(t *testing.T) {
	st, err := store.OpenSQLite(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var mu sync.Mutex
	m := ops.NewMetrics()
	m.WatchPending(st, slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil)))
	if got := value(parseText(t, writeText(t, m.Registry())), "cccops_confirmations_pending"); got != 0 {
		t.Fatalf("pending on an empty store: %v", got)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	fams := parseText(t, writeText(t, m.Registry()))
	if _, ok := fams["cccops_confirmations_pending"]; ok {
		t.Error("cccops_confirmations_pending is exposed although the store cannot be read")
	}
	if fams["cccops_store_errors_total"] == nil || fams["go_goroutines"] == nil || fams["cccops_rate_limited_total"] == nil {
		t.Error("a failing store hid other families")
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "cccops_confirmations_pending is left out of this scrape") {
		t.Errorf("log: %q", logs.String())
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Neither binary links client_golang or what it pulls in (protobuf,
// procfs, expvar, client_model, common): their inits and data are what
// this registry saves at every start.
func TestBinariesDoNotLinkPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	for _, cmd := range []string{"github.com/cccops/cccops/cmd/mcp-server", "github.com/cccops/cccops/cmd/slackbot"} {
		out, err := exec.Command(gobin, "list", "-deps", cmd).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", cmd, err)
		}
		for pkg := range strings.Lines(string(out)) {
			pkg = strings.TrimSpace(pkg)
			if strings.Contains(pkg, "prometheus") || strings.HasPrefix(pkg, "google.golang.org/protobuf") || pkg == "expvar" {
				t.Errorf("%s links %s", cmd, pkg)
			}
		}
	}
}
