// Package ops serves what operators and their tools look at, for both
// binaries: GET /healthz (the process is up), GET /readyz (the store and
// the CCC backend can be reached) and GET /metrics (Prometheus, from a
// registry of our own). Metrics come from the policy gate's records
// (policy.Config.Observe), the one place every decision and outcome passes,
// so the MCP server and the Slack bot count the same way.
package ops

import (
	"context"
	"log/slog"
	"time"

	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/store"
)

// MaxPendingCounted bounds the scrape-time count of pending requests: the
// gauge reads at most this many (a lower bound beyond it).
const MaxPendingCounted = 1000

// pendingTimeout bounds the store read behind one scrape.
const pendingTimeout = 2 * time.Second

// Metrics is the registry of one process with cccops' metrics.
// Observe is safe for concurrent use.
type Metrics struct {
	reg         *Registry
	calls       *CounterVec
	duration    *HistogramVec
	decisions   *CounterVec
	rateLimited *CounterVec
	storeErrors *Counter
}

// NewMetrics builds the registry: cccops' metrics plus the Go runtime's
// and the process's (go_*, process_*; see runtime.go, process_linux.go).
func NewMetrics() *Metrics {
	reg := NewRegistry()
	m := &Metrics{
		reg: reg,
		calls: reg.Counter("cccops_calls_total",
			"CCC calls that ran, by action, access class and result (ok or error).",
			"action", "class", "result"),
		duration: reg.Histogram("cccops_call_duration_seconds",
			"Time CCC took to answer a call that ran (retries included), by action and access class.",
			[]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
			"action", "class"),
		decisions: reg.Counter("cccops_gate_decisions_total",
			"Records of the policy gate, by verdict (allow, confirm, deny) and result (pending, approved, sending, ok, error, refused, expired, rate-limited, …).",
			"decision", "result"),
		rateLimited: reg.Counter("cccops_rate_limited_total",
			"Calls refused because the principal's rate limit was spent, by access class.",
			"class"),
		storeErrors: reg.Counter("cccops_store_errors_total",
			"Calls refused because the store could not be reached (nothing ran); see /readyz.").With(),
	}
	reg.register(goCollector{}, goNames...)
	reg.register(processCollector{}, processNames...)
	// Series that exist from the start, so rate() and alerts see a zero
	// rather than nothing.
	for _, c := range []spec.Access{spec.AccessRead, spec.AccessSecret, spec.AccessWrite, spec.AccessDestructive, spec.AccessExternal} {
		m.rateLimited.With(string(c))
	}
	return m
}

// Registry is the registry /metrics serves (tests and extra metrics).
func (m *Metrics) Registry() *Registry { return m.reg }

// Results of the gate's records; anything else is counted as "other", so a
// label never takes an unbounded value.
var knownResults = map[string]bool{
	policy.ResultPending: true, policy.ResultApproved: true, policy.ResultSending: true, policy.ResultOK: true,
	policy.ResultError: true, policy.ResultRefused: true, policy.ResultExpired: true, policy.CodeRateLimited: true,
}

// Observe counts one gate record; give it to policy.Config.Observe (or
// app.Config.Observe).
func (m *Metrics) Observe(r policy.Record) {
	action, class := r.Action, string(policy.AccessOf(r.Action))
	if class == "" { // not one of the 89 actions: the name is the caller's, not ours
		action, class = "unknown", "unknown"
	}
	decision := string(r.Decision)
	switch r.Decision {
	case policy.Allow, policy.Confirm, policy.Deny:
	case "":
		decision = "none"
	default:
		decision = "other"
	}
	result := r.Result
	if !knownResults[result] {
		result = "other"
	}
	m.decisions.With(decision, result).Inc()
	switch r.Result {
	case policy.ResultOK, policy.ResultError:
		m.calls.With(action, class, r.Result).Inc()
		m.duration.With(action, class).Observe(float64(r.LatencyMS) / 1000)
	case policy.CodeRateLimited:
		m.rateLimited.With(class).Inc()
	}
	if r.ErrorCode == policy.CodeUnavailable {
		m.storeErrors.Inc()
	}
}

// WatchPending adds cccops_confirmations_pending: the requests waiting for
// a human's yes, listed from st at each scrape (up to MaxPendingCounted,
// within 2 s). When the store cannot be read the gauge is left out of that
// scrape and the failure logged; /readyz says so too.
func (m *Metrics) WatchPending(st store.Store, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m.reg.GaugeFunc("cccops_confirmations_pending",
		"Confirmation and approval requests waiting for a human's yes, read from the store at scrape time (counted up to 1000).",
		func(ctx context.Context) (float64, bool) {
			ctx, cancel := context.WithTimeout(ctx, pendingTimeout)
			defer cancel()
			reqs, err := st.List(ctx, store.Query{States: []store.State{store.Pending}, Limit: MaxPendingCounted})
			if err != nil {
				log.Warn("metrics: pending requests could not be listed from the store; cccops_confirmations_pending is left out of this scrape", "store", st.Name(), "err", err)
				return 0, false
			}
			return float64(len(reqs)), true
		})
}
