package tools_test

// Fault drills: the registry, the real SDK and the simulator's fault modes
// together. Each drill checks what a user of the product would see when CCC
// throttles, fails, hangs, or is hammered — and, at the simulator's
// per-action counters, that nothing risky was ever sent twice.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

// drill is one simulator, one client and one registry, wired as the product
// wires them but with the knobs a drill needs.
type drill struct {
	sim    *sim.Server
	client *ccc.Client
	reg    *tools.Registry
	once   sync.Once
}

type drillOpts struct {
	faults      sim.Faults
	timeout     time.Duration // registry bound on one call
	readTimeout time.Duration // ccc read timeout of one attempt
	maxAttempts int
}

// unlimited lets a drill make as many calls as it needs: the rate limiter
// has its own tests, and here it would only hide what the backend does.
var unlimited = policy.Limits{Overall: policy.Rate{N: -1}, Class: map[spec.Access]policy.Rate{}}

func newDrill(t *testing.T, o drillOpts) *drill {
	t.Helper()
	srv, err := sim.Start("127.0.0.1:0", sim.Options{Faults: o.faults})
	if err != nil {
		t.Fatal(err)
	}
	client, err := ccc.New(ccc.Config{
		Endpoint:    srv.URL,
		Credentials: ccc.Credentials{Mode: ccc.CredAccessKey, AccessKeyID: sim.DefaultAccessKeyID, AccessKeySecret: sim.DefaultAccessKeySecret},
		ReadTimeout: o.readTimeout,
		MaxAttempts: o.maxAttempts,
		BaseBackoff: 2 * time.Millisecond, // real backoff shape, test-sized
	})
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	gate, err := policy.New(policy.Config{Secret: []byte("drill-secret-of-at-least-32-bytes!!"), Limits: unlimited})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := tools.New(tools.Config{Client: client, Gate: gate, DefaultInstance: sim.DefaultInstanceID, Timeout: o.timeout})
	if err != nil {
		t.Fatal(err)
	}
	d := &drill{sim: srv, client: client, reg: reg}
	t.Cleanup(d.close)
	return d
}

func (d *drill) close() {
	d.once.Do(func() {
		d.client.Close()
		d.sim.Close()
	})
}

var drillUser = policy.Principal{ID: "test:drill", Name: "Drill", Surface: "test"}

// confirmAndRun asks for a risky call, then confirms it with the token the
// registry handed out: the way every surface runs a write.
func (d *drill) confirmAndRun(t *testing.T, tool string, args map[string]any) (*tools.Result, error) {
	t.Helper()
	ctx := context.Background()
	first, err := d.reg.Invoke(ctx, tools.Invocation{CanAsk: true, Principal: drillUser, Tool: tool, Args: args})
	if err != nil {
		t.Fatalf("%s: asking for confirmation failed: %v", tool, err)
	}
	if first.Status != tools.StatusPending || first.Pending == nil {
		t.Fatalf("%s ran without a confirmation: %+v", tool, first)
	}
	return d.reg.Invoke(ctx, tools.Invocation{CanAsk: true, Principal: drillUser, Tool: tool, Args: args, Confirmation: &tools.Confirmation{Token: first.Pending.Token}})
}

// TestDrillReadsSurviveThrottlingAndOutages: with 30 % of requests throttled
// and 10 % answered 503, every read still succeeds — the client retries
// behind the user's back, inside the call's deadline.
func TestDrillReadsSurviveThrottlingAndOutages(t *testing.T) {
	d := newDrill(t, drillOpts{
		faults:  sim.Faults{ThrottleRate: 0.3, UnavailableRate: 0.1},
		timeout: 10 * time.Second,
	})
	const calls = 60
	reads := []struct {
		tool string
		args map[string]any
	}{
		{"list_real_time_agent", nil},
		{"list_skill_groups", nil},
		{"list_roles", nil},
		{"get_user", nil}, // filled below
	}
	alice, ok := d.sim.Agent(sim.DefaultInstanceID, "alice")
	if !ok {
		t.Fatal("the seed has no alice")
	}
	reads[3].args = map[string]any{"UserId": alice.UserID}
	for i := 0; i < calls; i++ {
		r := reads[i%len(reads)]
		res, err := d.reg.Invoke(context.Background(), tools.Invocation{CanAsk: true, Principal: drillUser, Tool: r.tool, Args: r.args})
		if err != nil {
			t.Fatalf("read %d (%s) failed under faults: %v", i, r.tool, err)
		}
		if res.Status != tools.StatusOK || res.RequestID == "" {
			t.Fatalf("read %d (%s): %+v", i, r.tool, res)
		}
	}
	var sent int64
	for _, r := range reads {
		tl, _ := d.reg.Lookup(r.tool)
		sent += d.sim.Count(tl.Action)
	}
	// 40 % of requests fail, so 60 successes need about 100 requests; far
	// more than 60 proves the retries happened rather than luck.
	if sent < calls*3/2 {
		t.Fatalf("the simulator received %d requests for %d reads; faults were not injected or not retried", sent, calls)
	}
	t.Logf("%d reads succeeded with %d requests sent", calls, sent)
}

// TestDrillRiskyActionsAreNeverSentTwice: under the same faults, a confirmed
// destructive or external call is sent exactly once. When the one attempt is
// throttled or refused with 503 the user gets the error, not a silent retry
// that could reset an agent twice or call a customer twice.
func TestDrillRiskyActionsAreNeverSentTwice(t *testing.T) {
	d := newDrill(t, drillOpts{
		faults:  sim.Faults{ThrottleRate: 0.3, UnavailableRate: 0.1},
		timeout: 10 * time.Second,
	})
	alice, _ := d.sim.Agent(sim.DefaultInstanceID, "alice")
	var stuck []sim.AgentInfo
	for _, login := range []string{"mallory", "trent", "sybil", "victor"} {
		a, ok := d.sim.Agent(sim.DefaultInstanceID, login)
		if !ok {
			t.Fatalf("the seed has no %s", login)
		}
		stuck = append(stuck, a)
	}
	type risky struct {
		action string
		args   func(i int) map[string]any
	}
	cases := []risky{
		{"ResetUserStatus", func(i int) map[string]any {
			return map[string]any{"RamIdList": []any{json.Number(stuck[i%len(stuck)].RamID)}}
		}},
		{"StartBack2BackCall", func(i int) map[string]any {
			return map[string]any{"Caller": alice.Extension, "Callee": fmt.Sprintf("137000%05d", i)}
		}},
	}
	const perAction = 20
	for _, c := range cases {
		d.sim.ResetCounts()
		external := len(d.sim.External())
		var ok, faulted int
		codes := map[string]int{}
		for i := 0; i < perAction; i++ {
			res, err := d.confirmAndRun(t, c.action, c.args(i))
			var te *tools.Error
			switch {
			case err == nil && res.Status == tools.StatusOK:
				ok++
			case errors.As(err, &te) && te.Kind == tools.KindCCC && te.CCC != nil && (te.CCC.Retryable || te.CCC.MayHaveRun):
				faulted++
				codes[te.CCC.Code]++
				if te.CCC.Attempts != 1 {
					t.Errorf("%s: a failed risky call reports %d attempts; it must be sent once", c.action, te.CCC.Attempts)
				}
			default:
				t.Fatalf("%s call %d: unexpected outcome %+v %v", c.action, i, res, err)
			}
		}
		if got := d.sim.Count(c.action); got != perAction {
			t.Errorf("%s: %d confirmed calls reached the backend as %d requests; want exactly one each", c.action, perAction, got)
		}
		if faulted == 0 {
			t.Errorf("%s: no call met a fault, so the drill proved nothing", c.action)
		}
		if c.action == "StartBack2BackCall" {
			if placed := len(d.sim.External()) - external; placed != ok {
				t.Errorf("%d calls placed to real people for %d successful confirmations", placed, ok)
			}
		}
		for code := range codes {
			if code != "Throttling.User" && code != "ServiceUnavailable" {
				t.Errorf("%s failed with %s, not one of the injected faults", c.action, code)
			}
		}
		t.Logf("%s: %d ok, %d failed once and were not retried %v", c.action, ok, faulted, codes)
	}
}

// TestDrillHungBackendTimesOut: when CCC stops answering, the tool returns a
// Timeout error at the configured bound instead of waiting for the backend.
func TestDrillHungBackendTimesOut(t *testing.T) {
	const bound = 300 * time.Millisecond
	d := newDrill(t, drillOpts{
		faults:  sim.Faults{HangRate: 1, HangFor: time.Minute},
		timeout: bound,
	})
	start := time.Now()
	_, err := d.reg.Invoke(context.Background(), tools.Invocation{CanAsk: true, Principal: drillUser, Tool: "list_real_time_agent"})
	took := time.Since(start)
	var te *tools.Error
	if !errors.As(err, &te) || te.Kind != tools.KindCCC || te.CCC == nil || te.CCC.Code != "Timeout" {
		t.Fatalf("want a Timeout error, got %v", err)
	}
	if te.CCC.Hint() == "" {
		t.Error("a timeout should tell the user what to do next")
	}
	// The simulator would hold the request for a minute; anything near
	// that means the bound was not applied. The margin absorbs a slow,
	// shared machine without hiding that.
	if took > bound+20*time.Second {
		t.Fatalf("the call took %v with a bound of %v", took, bound)
	}
}

// TestDrillHungRequestsDoNotBlockOthers: with every other request hanging,
// the ones that are answered come back as answers — a hung connection does
// not hold up the pool, the gate or the registry for anyone else.
func TestDrillHungRequestsDoNotBlockOthers(t *testing.T) {
	d := newDrill(t, drillOpts{
		faults:      sim.Faults{HangRate: 0.5, HangFor: time.Minute},
		timeout:     3 * time.Second,
		maxAttempts: 1, // one request per call, so exactly half of them hang
	})
	const calls = 24
	var wg sync.WaitGroup
	errs := make([]error, calls)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = d.reg.Invoke(context.Background(), tools.Invocation{CanAsk: true, Principal: drillUser, Tool: "list_roles"})
		}()
	}
	wg.Wait()
	var ok, timedOut int
	for i, err := range errs {
		var te *tools.Error
		switch {
		case err == nil:
			ok++
		case errors.As(err, &te) && te.CCC != nil && te.CCC.Code == "Timeout":
			timedOut++
		default:
			t.Errorf("call %d: %v", i, err)
		}
	}
	if got := d.sim.Count("ListRoles"); got != calls {
		t.Fatalf("the simulator received %d requests for %d calls", got, calls)
	}
	// The simulator hangs exactly every second request. Had hung requests
	// blocked the rest, more than half would have run out of time.
	if ok != calls/2 || timedOut != calls/2 {
		t.Fatalf("%d answered and %d timed out; want %d each", ok, timedOut, calls/2)
	}
}

// TestDrillThousandConcurrentCallsLeaveNothingBehind: 1,000 tool calls at
// once, reads and pending risky calls mixed, all answered; after closing the
// client and the simulator not one goroutine of ours is left running.
func TestDrillThousandConcurrentCallsLeaveNothingBehind(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	d := newDrill(t, drillOpts{timeout: 30 * time.Second})
	const calls = 1000
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	pending := 0
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inv := tools.Invocation{CanAsk: true, Principal: drillUser, Tool: "list_roles"}
			if i%10 == 0 {
				inv = tools.Invocation{CanAsk: true, Principal: drillUser, Tool: "modify_skill_group", Args: map[string]any{"SkillGroupId": "sg-any", "Name": "renamed"}}
			}
			res, err := d.reg.Invoke(context.Background(), inv)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				failures = append(failures, err.Error())
			case res.Status == tools.StatusPending:
				pending++
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d concurrent calls failed; first: %s", len(failures), calls, failures[0])
	}
	if pending != calls/10 {
		t.Fatalf("%d risky calls waited for confirmation, want %d", pending, calls/10)
	}
	// Every read reached the backend; on a loaded machine an attempt can
	// pass its read timeout and be retried (reads are retried by design),
	// so more requests than reads may arrive — never fewer.
	if got := d.sim.Count("ListRoles"); got < calls*9/10 {
		t.Fatalf("the simulator answered %d reads, want at least %d", got, calls*9/10)
	} else if got > calls*9/10 {
		t.Logf("%d read requests for %d reads: some attempts timed out under load and were retried", got, calls*9/10)
	}
	if got := d.sim.Count("ModifySkillGroup"); got != 0 {
		t.Fatalf("an unconfirmed ModifySkillGroup reached the backend %d times", got)
	}
	d.close()
}
