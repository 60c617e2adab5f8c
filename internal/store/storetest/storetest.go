// Package storetest is the conformance suite every store engine runs: the
// same behaviour, asserted the same way, on memory, SQLite and PostgreSQL.
//
//	func TestConformance(t *testing.T) { storetest.Run(t, open) }
//
// open gives the suite a store for one test; calling it again with the same
// key in the same test gives a second handle on the same backing store, as a
// second process would open it (its own connections, its own listener).
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/store"
)

// Open opens a store for test t. The first call with a key opens an empty
// store; a later call with the same key in the same test opens another
// handle on that store. The engine closes what it opened when t ends (the
// suite may close a handle earlier; a second Close must not fail the test).
type Open func(t *testing.T, key string, opt store.Options) store.Store

// Clock is a clock the test moves by hand. Its zero value is not usable:
// use NewClock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Epoch is where test clocks start: a whole second, so every engine stores
// it without rounding.
var Epoch = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Options are the options the suite opens stores with: the clock c, a short
// poll so waits on an injected clock see expiry soon, a retention of a day.
func Options(c *Clock) store.Options {
	return store.Options{Now: c.Now, PollEvery: 20 * time.Millisecond, Retention: 24 * time.Hour}
}

// generous bounds every wait in the suite: long enough for a loaded shared
// machine, short enough that a store that never wakes fails the test.
const generous = 15 * time.Second

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*generous)
	t.Cleanup(cancel)
	return ctx
}

// NewRequest is a complete request with every field set, expiring ttl after
// now.
func NewRequest(id string, now time.Time, ttl time.Duration) *store.Request {
	return &store.Request{
		ID:            id,
		Kind:          store.KindApproval,
		Requester:     "mcp:alice-laptop",
		RequesterName: "Alice",
		Surface:       "mcp",
		Action:        "ResetUserStatus",
		Tool:          "reset_user_status",
		Instance:      "ccc-test",
		Digest:        "sha256:" + id,
		Args:          json.RawMessage(`{"InstanceId":"ccc-test","UserId":"u-1"}`),
		Preview:       "Reset u-1 (Alice) to ready",
		FourEyes:      true,
		Rule:          "destructive needs approval",
		Approvers:     json.RawMessage(`["slack:T1:U2"]`),
		Meta:          json.RawMessage(`{"channel":"C1","ts":"1.2"}`),
		ExpiresAt:     now.Add(ttl),
	}
}

func mustCreate(t *testing.T, s store.Store, r *store.Request) {
	t.Helper()
	if err := s.Create(ctxFor(t), r); err != nil {
		t.Fatalf("Create(%s): %v", r.ID, err)
	}
}

func mustGet(t *testing.T, s store.Store, id string) *store.Request {
	t.Helper()
	r, err := s.Get(ctxFor(t), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return r
}

func conflict(t *testing.T, err error, wantState store.State) *store.ConflictError {
	t.Helper()
	var ce *store.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("got error %v, want a *store.ConflictError", err)
	}
	if ce.Current == nil {
		t.Fatalf("ConflictError without Current: %v", err)
	}
	if ce.Current.State != wantState {
		t.Fatalf("ConflictError.Current.State = %s, want %s", ce.Current.State, wantState)
	}
	return ce
}

func sameJSON(a, b json.RawMessage) bool { return string(a) == string(b) }

// checkSame compares the fields a caller sets on Create.
func checkSame(t *testing.T, got, want *store.Request) {
	t.Helper()
	type pair struct {
		name      string
		got, want any
	}
	for _, p := range []pair{
		{"ID", got.ID, want.ID}, {"Kind", got.Kind, want.Kind}, {"Requester", got.Requester, want.Requester},
		{"RequesterName", got.RequesterName, want.RequesterName}, {"Surface", got.Surface, want.Surface},
		{"Action", got.Action, want.Action}, {"Tool", got.Tool, want.Tool}, {"Instance", got.Instance, want.Instance},
		{"Digest", got.Digest, want.Digest}, {"Preview", got.Preview, want.Preview}, {"FourEyes", got.FourEyes, want.FourEyes},
		{"Rule", got.Rule, want.Rule}, {"By", got.By, want.By}, {"Approver", got.Approver, want.Approver},
		{"Reason", got.Reason, want.Reason}, {"RequestID", got.RequestID, want.RequestID}, {"Error", got.Error, want.Error},
	} {
		if p.got != p.want {
			t.Errorf("%s = %v, want %v", p.name, p.got, p.want)
		}
	}
	for _, p := range []struct {
		name      string
		got, want json.RawMessage
	}{{"Args", got.Args, want.Args}, {"Approvers", got.Approvers, want.Approvers}, {"Meta", got.Meta, want.Meta}, {"Result", got.Result, want.Result}} {
		if !sameJSON(p.got, p.want) {
			t.Errorf("%s = %s, want %s", p.name, p.got, p.want)
		}
	}
	if !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("ExpiresAt = %v, want %v", got.ExpiresAt, want.ExpiresAt)
	}
}

// Run runs the conformance suite against the engine open opens.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, Open)
	}{
		{"a created request reads back field by field, with the store's times", testCreateGet},
		{"an id is created once; unknown ids are not found", testExistsNotFound},
		{"of 20 racing moves from pending to approved over two handles exactly one wins", testMoveRace},
		{"a move from a state the request is not in is a conflict that shows the current request", testMoveWrongState},
		{"a move after expiry expires the request and is a conflict", testMoveAfterExpiry},
		{"a move to the state the request is in applies only the change", testSelfMove},
		{"a request walks the lifecycle pending approved sending done", testLifecycle},
		{"list filters by state kind and requester, oldest first, limited", testList},
		{"wait wakes when another handle moves the request", testWaitWakesOnMove},
		{"wait wakes when the injected clock passes expiry", testWaitWakesOnExpiry},
		{"wait returns at once when the request is already settled, and ends with its context", testWaitEdges},
		{"once is true the first time, false until expiry, true again after", testOnce},
		{"take draws until a bucket is empty and refills over time", testTakeRefill},
		{"take draws from every bucket or from none", testTakeAllOrNone},
		{"a bucket of zero refuses every call", testTakeZero},
		{"take names the bucket that waits longest", testTakeLongestWait},
		{"take holds the limit across two handles exactly", testTakeAcrossHandles},
		{"a bucket whose size changed starts full", testTakeResized},
		{"sweep expires open requests, deletes old ended ones and forgets expired keys", testSweep},
		{"now is the injected clock", testNow},
		{"ping answers while open; close ends the store", testPingClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

func testCreateGet(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	s := open(t, "a", Options(clk))
	want := NewRequest("req-1", clk.Now(), time.Hour)
	mustCreate(t, s, want)
	clk.Advance(time.Second)
	got := mustGet(t, s, "req-1")
	checkSame(t, got, want)
	if got.State != store.Pending {
		t.Errorf("State = %s, want pending (the default)", got.State)
	}
	if !got.CreatedAt.Equal(Epoch) || !got.UpdatedAt.Equal(Epoch) {
		t.Errorf("CreatedAt, UpdatedAt = %v, %v; want both %v (the store's clock at Create)", got.CreatedAt, got.UpdatedAt, Epoch)
	}

	// A second handle (another process) reads the same row.
	other := open(t, "a", Options(clk))
	checkSame(t, mustGet(t, other, "req-1"), want)

	// A request created in another state keeps it; JSON fields may be empty.
	r2 := &store.Request{ID: "req-2", Kind: store.KindConfirm, State: store.Approved, ExpiresAt: clk.Now().Add(time.Minute)}
	mustCreate(t, s, r2)
	got2 := mustGet(t, other, "req-2")
	if got2.State != store.Approved || got2.Kind != store.KindConfirm || len(got2.Args) != 0 || len(got2.Meta) != 0 {
		t.Errorf("req-2 = %+v, want approved confirm with no JSON", got2)
	}

	// Incomplete requests are refused.
	if err := s.Create(ctxFor(t), &store.Request{ID: "no-expiry"}); err == nil {
		t.Error("Create without ExpiresAt succeeded, want an error")
	}
	if err := s.Create(ctxFor(t), &store.Request{ExpiresAt: clk.Now().Add(time.Minute)}); err == nil {
		t.Error("Create without ID succeeded, want an error")
	}
	// What the caller holds is not the stored copy.
	want.Preview = "changed after Create"
	if got := mustGet(t, s, "req-1"); got.Preview == want.Preview {
		t.Error("changing the caller's request after Create changed the stored one")
	}
}

func testExistsNotFound(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	s := open(t, "a", Options(clk))
	other := open(t, "a", Options(clk))
	mustCreate(t, s, NewRequest("dup", clk.Now(), time.Hour))
	dup := NewRequest("dup", clk.Now(), time.Hour)
	dup.Preview = "second"
	if err := other.Create(ctxFor(t), dup); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second Create of one id on another handle: %v, want ErrExists", err)
	}
	if got := mustGet(t, s, "dup"); got.Preview == "second" {
		t.Error("a refused Create overwrote the stored request")
	}
	if _, err := s.Get(ctxFor(t), "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(unknown): %v, want ErrNotFound", err)
	}
	if _, err := s.Move(ctxFor(t), "nope", []store.State{store.Pending}, store.Approved, store.Change{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Move(unknown): %v, want ErrNotFound", err)
	}
	if _, err := s.Wait(ctxFor(t), "nope", []store.State{store.Pending}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Wait(unknown): %v, want ErrNotFound", err)
	}
}

func testMoveRace(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	handles := []store.Store{open(t, "a", Options(clk)), open(t, "a", Options(clk))}
	mustCreate(t, handles[0], NewRequest("race", clk.Now(), time.Hour))

	const n = 20
	var (
		wg        sync.WaitGroup
		start     = make(chan struct{})
		winners   []string
		conflicts int
		mu        sync.Mutex
		others    []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			by := fmt.Sprintf("slack:T1:U%d", i)
			r, err := handles[i%2].Move(context.Background(), "race", []store.State{store.Pending}, store.Approved,
				store.Change{By: by, Approver: by, Reason: "approved in the race"})
			mu.Lock()
			defer mu.Unlock()
			var ce *store.ConflictError
			switch {
			case err == nil:
				if r.State != store.Approved || r.By != by {
					others = append(others, fmt.Errorf("winner %s got %s by %s", by, r.State, r.By))
				}
				winners = append(winners, by)
			case errors.As(err, &ce):
				if ce.Current == nil || ce.Current.State != store.Approved || ce.Wanted != store.Approved {
					others = append(others, fmt.Errorf("conflict without the approved request: %v", err))
				}
				conflicts++
			default:
				others = append(others, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range others {
		t.Error(err)
	}
	if len(winners) != 1 || conflicts != n-1 {
		t.Fatalf("%d winners %v and %d conflicts, want exactly 1 winner and %d conflicts", len(winners), winners, conflicts, n-1)
	}
	for _, h := range handles {
		if got := mustGet(t, h, "race"); got.State != store.Approved || got.By != winners[0] || got.Approver != winners[0] {
			t.Errorf("stored request is %s by %s, want approved by the one winner %s", got.State, got.By, winners[0])
		}
	}
}

func testMoveWrongState(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	s := open(t, "a", Options(clk))
	mustCreate(t, s, NewRequest("r", clk.Now(), time.Hour))
	if _, err := s.Move(ctxFor(t), "r", []store.State{store.Pending}, store.Declined, store.Change{By: "mcp:alice", Reason: "no"}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Move(ctxFor(t), "r", []store.State{store.Pending}, store.Approved, store.Change{By: "slack:T1:U2"})
	ce := conflict(t, err, store.Declined)
	if ce.Wanted != store.Approved || ce.Current.By != "mcp:alice" {
		t.Errorf("conflict = wanted %s, current by %s; want approved, by mcp:alice", ce.Wanted, ce.Current.By)
	}
	if got := mustGet(t, s, "r"); got.State != store.Declined || got.By != "mcp:alice" {
		t.Errorf("a refused move changed the request: %s by %s", got.State, got.By)
	}
	// No state at all to move from is a conflict too.
	if _, err := s.Move(ctxFor(t), "r", nil, store.Approved, store.Change{}); err == nil {
		t.Error("Move with no from states succeeded")
	}
	// An unknown target state is an error, not a conflict, and changes nothing.
	_, err = s.Move(ctxFor(t), "r", []store.State{store.Declined}, store.State("exploded"), store.Change{})
	var ce2 *store.ConflictError
	if err == nil || errors.As(err, &ce2) {
		t.Errorf("Move to an unknown state: %v, want a plain error", err)
	}
}

func testMoveAfterExpiry(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	s := open(t, "a", Options(clk))
	mustCreate(t, s, NewRequest("p", clk.Now(), time.Minute))
	a := NewRequest("a", clk.Now(), time.Minute)
	a.State = store.Approved
	mustCreate(t, s, a)
	mustCreate(t, s, NewRequest("e", clk.Now(), time.Minute))

	clk.Advance(time.Minute) // expiry is inclusive: at ExpiresAt the request is expired
	_, err := s.Move(ctxFor(t), "p", []store.State{store.Pending}, store.Approved, store.Change{By: "late"})
	ce := conflict(t, err, store.Expired)
	if ce.Current.Reason != store.ExpiredReason || ce.Current.By == "late" {
		t.Errorf("expired request: reason %q by %q; want %q and not the late mover", ce.Current.Reason, ce.Current.By, store.ExpiredReason)
	}
	if !ce.Current.UpdatedAt.Equal(clk.Now()) {
		t.Errorf("expired UpdatedAt = %v, want %v", ce.Current.UpdatedAt, clk.Now())
	}
	if got := mustGet(t, s, "p"); got.State != store.Expired {
		t.Errorf("after the refused move the request is %s, want expired (stored)", got.State)
	}
	// An approved request nobody claimed in time is never sent.
	_, err = s.Move(ctxFor(t), "a", []store.State{store.Approved}, store.Sending, store.Change{})
	conflict(t, err, store.Expired)
	// Asking for expired past expiry applies, with the caller's change.
	r, err := s.Move(ctxFor(t), "e", []store.State{store.Pending}, store.Expired, store.Change{Reason: "timed out in Slack"})
	if err != nil {
		t.Fatalf("Move to expired past expiry: %v", err)
	}
	if r.State != store.Expired || r.Reason != "timed out in Slack" {
		t.Errorf("got %s %q, want expired with the caller's reason", r.State, r.Reason)
	}
	// Get of an open request past expiry shows it expired, but stores
	// nothing: each expiry is reported once, to the Move that met it (p, a)
	// or in Sweep's list (g).
	created := clk.Now()
	mustCreate(t, s, NewRequest("g", clk.Now(), time.Second))
	clk.Advance(2 * time.Second)
	for range 2 {
		got := mustGet(t, s, "g")
		if got.State != store.Expired || got.Reason != store.ExpiredReason {
			t.Errorf("Get past expiry: %s %q, want expired", got.State, got.Reason)
		}
		if !got.UpdatedAt.Equal(created) {
			t.Errorf("Get past expiry: UpdatedAt %v, want %v (a reader stores nothing)", got.UpdatedAt, created)
		}
	}
	swept, err := s.Sweep(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(swept) != 1 || swept[0].ID != "g" {
		var ids []string
		for _, r := range swept {
			ids = append(ids, r.ID)
		}
		t.Errorf("Sweep reported %v, want [g]: a Move that met expiry has reported it, a Get has not", ids)
	}
}

func testSelfMove(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	s := open(t, "a", Options(clk))
	want := NewRequest("r", clk.Now(), time.Hour)
	want.Reason = "asked in #ops"
	mustCreate(t, s, want)
	clk.Advance(time.Second)
	meta := json.RawMessage(`{"channel":"C1","ts":"9.9"}`)
	r, err := s.Move(ctxFor(t), "r", []store.State{store.Pending}, store.Pending, store.Change{Meta: meta})
	if err != nil {
		t.Fatalf("self-move: %v", err)
	}
	want.Meta = meta
	checkSame(t, r, want)
	if r.State != store.Pending || !r.UpdatedAt.Equal(clk.Now()) || !r.CreatedAt.Equal(Epoch) {
		t.Errorf("self-move: state %s, updated %v, created %v; want pending, %v, %v", r.State, r.UpdatedAt, r.CreatedAt, clk.Now(), Epoch)
	}
	checkSame(t, mustGet(t, s, "r"), want)
	// A self-move past expiry expires instead.
	clk.Advance(2 * time.Hour)
	_, err = s.Move(ctxFor(t), "r", []store.State{store.Pending}, store.Pending, store.Change{Meta: meta})
	conflict(t, err, store.Expired)
}

func testLifecycle(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	s := open(t, "a", Options(clk))
	other := open(t, "a", Options(clk))
	mustCreate(t, s, NewRequest("r", clk.Now(), time.Hour))
	steps := []struct {
		h    store.Store
		from store.State
		to   store.State
		ch   store.Change
	}{
		{s, store.Pending, store.Approved, store.Change{By: "slack:T1:U2", Approver: "slack:T1:U2", Reason: "looks right"}},
		{other, store.Approved, store.Sending, store.Change{By: "mcp:alice-laptop"}},
		{s, store.Sending, store.Done, store.Change{Result: json.RawMessage(`{"Success":true}`), RequestID: "RID-1"}},
	}
	for _, st := range steps {
		clk.Advance(time.Second)
		r, err := st.h.Move(ctxFor(t), "r", []store.State{st.from}, st.to, st.ch)
		if err != nil {
			t.Fatalf("%s → %s: %v", st.from, st.to, err)
		}
		if r.State != st.to || !r.UpdatedAt.Equal(clk.Now()) {
			t.Fatalf("%s → %s: got %s at %v", st.from, st.to, r.State, r.UpdatedAt)
		}
	}
	got := mustGet(t, other, "r")
	if got.State != store.Done || got.By != "mcp:alice-laptop" || got.Approver != "slack:T1:U2" || got.Reason != "looks right" ||
		got.RequestID != "RID-1" || !sameJSON(got.Result, json.RawMessage(`{"Success":true}`)) || got.Error != "" {
		t.Errorf("after the lifecycle: %+v", got)
	}
	if !got.State.Ended() {
		t.Error("done is not ended")
	}
	// An ended request does not expire, and nothing moves it on.
	clk.Advance(2 * time.Hour)
	if got := mustGet(t, s, "r"); got.State != store.Done {
		t.Errorf("done request past its expiry reads %s", got.State)
	}
	_, err := s.Move(ctxFor(t), "r", []store.State{store.Sending}, store.Failed, store.Change{Error: "late"})
	conflict(t, err, store.Done)
	// A failure keeps its error.
	mustCreate(t, s, NewRequest("f", clk.Now(), time.Hour))
	if _, err := s.Move(ctxFor(t), "f", []store.State{store.Pending}, store.Sending, store.Change{}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Move(ctxFor(t), "f", []store.State{store.Sending}, store.Failed, store.Change{Error: "CCC said Throttling; it may have run"})
	if err != nil || r.Error != "CCC said Throttling; it may have run" {
		t.Fatalf("failed: %v %+v", err, r)
	}
}

func testList(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	s := open(t, "a", Options(clk))
	other := open(t, "a", Options(clk))
	type row struct {
		id, kind, requester string
		state               store.State
		ttl                 time.Duration
	}
	rows := []row{
		{"r1", store.KindConfirm, "mcp:alice", store.Pending, time.Hour},
		{"r2", store.KindApproval, "mcp:alice", store.Approved, time.Hour},
		{"r3", store.KindApproval, "slack:T1:U1", store.Pending, time.Hour},
		{"r4", store.KindConfirm, "slack:T1:U1", store.Done, time.Hour},
		{"r5", store.KindApproval, "mcp:alice", store.Pending, 30 * time.Second}, // expires before we list
	}
	for _, r := range rows {
		req := NewRequest(r.id, clk.Now(), r.ttl)
		req.Kind, req.Requester, req.State = r.kind, r.requester, r.state
		mustCreate(t, s, req)
		clk.Advance(10 * time.Second)
	}
	// Two created at the same instant come in id order.
	mustCreate(t, s, NewRequest("r7", clk.Now(), time.Hour))
	mustCreate(t, s, NewRequest("r6", clk.Now(), time.Hour))
	clk.Advance(time.Minute)

	ids := func(q store.Query) []string {
		t.Helper()
		rs, err := other.List(ctxFor(t), q)
		if err != nil {
			t.Fatalf("List(%+v): %v", q, err)
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	for _, c := range []struct {
		q    store.Query
		want []string
	}{
		{store.Query{}, []string{"r1", "r2", "r3", "r4", "r5", "r6", "r7"}},
		{store.Query{States: []store.State{store.Pending}}, []string{"r1", "r3", "r6", "r7"}},
		{store.Query{States: []store.State{store.Expired}}, []string{"r5"}},
		{store.Query{States: []store.State{store.Approved, store.Done}}, []string{"r2", "r4"}},
		{store.Query{Kind: store.KindConfirm}, []string{"r1", "r4"}},
		{store.Query{Requester: "mcp:alice"}, []string{"r1", "r2", "r5"}},
		{store.Query{Requester: "mcp:alice", Kind: store.KindApproval, States: []store.State{store.Approved}}, []string{"r2"}},
		{store.Query{Limit: 2}, []string{"r1", "r2"}},
		{store.Query{States: []store.State{store.Pending}, Limit: 3}, []string{"r1", "r3", "r6"}},
		{store.Query{Requester: "nobody"}, nil},
	} {
		if got := ids(c.q); !slices.Equal(got, c.want) {
			t.Errorf("List(%+v) = %v, want %v", c.q, got, c.want)
		}
	}
	rs, err := s.List(ctxFor(t), store.Query{States: []store.State{store.Expired}})
	if err != nil || len(rs) != 1 {
		t.Fatalf("List expired: %v %v", rs, err)
	}
	if rs[0].Reason != store.ExpiredReason {
		t.Errorf("listed expired request has reason %q", rs[0].Reason)
	}
	// Listing showed the expiry without storing it: Sweep still reports it.
	if swept, err := s.Sweep(ctxFor(t)); err != nil || len(swept) != 1 || swept[0].ID != "r5" {
		t.Errorf("Sweep after List reported %v (%v), want r5 alone", swept, err)
	}
	checkSame(t, mustGet(t, s, "r1"), func() *store.Request {
		r := NewRequest("r1", Epoch, time.Hour)
		r.Kind, r.Requester = store.KindConfirm, "mcp:alice"
		return r
	}())
}

func testWaitWakesOnMove(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	a := open(t, "a", store.Options{Now: clk.Now}) // default poll: the wake must not depend on a fast poll
	b := open(t, "a", store.Options{Now: clk.Now})
	mustCreate(t, b, NewRequest("w", clk.Now(), time.Hour))

	type result struct {
		r   *store.Request
		err error
	}
	done := make(chan result, 1)
	waiting := make(chan struct{})
	go func() {
		close(waiting)
		r, err := a.Wait(context.Background(), "w", []store.State{store.Pending})
		done <- result{r, err}
	}()
	<-waiting
	time.Sleep(50 * time.Millisecond) // let Wait look once and sleep
	select {
	case res := <-done:
		t.Fatalf("Wait returned before any move: %+v %v", res.r, res.err)
	default:
	}
	if _, err := b.Move(ctxFor(t), "w", []store.State{store.Pending}, store.Approved, store.Change{By: "slack:T1:U2"}); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-done:
		if res.err != nil || res.r.State != store.Approved || res.r.By != "slack:T1:U2" {
			t.Fatalf("Wait returned %+v, %v; want the approved request", res.r, res.err)
		}
	case <-time.After(generous):
		t.Fatalf("Wait on one handle did not wake within %v of a Move on the other", generous)
	}
}

func testWaitWakesOnExpiry(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	s := open(t, "a", Options(clk))
	mustCreate(t, s, NewRequest("w", clk.Now(), time.Minute))
	done := make(chan *store.Request, 1)
	go func() {
		r, err := s.Wait(context.Background(), "w", []store.State{store.Pending, store.Approved})
		if err != nil {
			t.Errorf("Wait: %v", err)
		}
		done <- r
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("Wait returned before expiry: %+v", r)
	default:
	}
	clk.Advance(time.Minute)
	select {
	case r := <-done:
		if r == nil || r.State != store.Expired {
			t.Fatalf("Wait returned %+v, want the expired request", r)
		}
	case <-time.After(generous):
		t.Fatalf("Wait did not see expiry by the injected clock within %v", generous)
	}
}

func testWaitEdges(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	s := open(t, "a", Options(clk))
	mustCreate(t, s, NewRequest("w", clk.Now(), time.Hour))
	// Not in the states waited on: returns at once.
	r, err := s.Wait(ctxFor(t), "w", []store.State{store.Approved})
	if err != nil || r.State != store.Pending {
		t.Fatalf("Wait while approved on a pending request: %+v %v", r, err)
	}
	// The context ends the wait.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := s.Wait(ctx, "w", []store.State{store.Pending}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait past its context: %v, want context.DeadlineExceeded", err)
	}
}

func testOnce(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	s := open(t, "a", Options(clk))
	other := open(t, "a", Options(clk))
	once := func(h store.Store, kind, key string, exp time.Time) bool {
		t.Helper()
		ok, err := h.Once(ctxFor(t), kind, key, exp)
		if err != nil {
			t.Fatalf("Once(%s, %s): %v", kind, key, err)
		}
		return ok
	}
	exp := clk.Now().Add(5 * time.Minute)
	if !once(s, "token", "jti-1", exp) {
		t.Fatal("first Once is false")
	}
	if once(s, "token", "jti-1", exp) || once(other, "token", "jti-1", exp) {
		t.Fatal("a repeated Once (on either handle) is true: a token could be redeemed twice")
	}
	if !once(other, "slack", "jti-1", exp) {
		t.Error("the same key in another kind is false: kinds must not share keys")
	}
	clk.Advance(5*time.Minute - time.Millisecond)
	if once(other, "token", "jti-1", exp) {
		t.Error("Once is true a millisecond before the key expires")
	}
	clk.Advance(time.Millisecond)
	if !once(other, "token", "jti-1", clk.Now().Add(time.Minute)) {
		t.Error("Once is false after the key expired")
	}
	if once(s, "token", "jti-1", clk.Now().Add(time.Minute)) {
		t.Error("Once is true again right after it was recorded anew")
	}
	// 20 racing first uses over two handles: exactly one is true.
	var wg sync.WaitGroup
	var mu sync.Mutex
	trues := 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := []store.Store{s, other}[i%2].Once(context.Background(), "nonce", "n-1", clk.Now().Add(time.Minute))
			if err != nil {
				t.Errorf("Once: %v", err)
			}
			if ok {
				mu.Lock()
				trues++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if trues != 1 {
		t.Errorf("%d of 20 racing Once calls were true, want exactly 1", trues)
	}
}

func take(t *testing.T, s store.Store, bs ...store.Bucket) (int, time.Duration) {
	t.Helper()
	i, w, err := s.Take(ctxFor(t), bs)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	return i, w
}

func testTakeRefill(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	s := open(t, "a", Options(clk))
	b := store.Bucket{Key: "mcp:alice|", N: 3, Per: time.Minute}
	for i := range 3 {
		if l, w := take(t, s, b); l != -1 || w != 0 {
			t.Fatalf("take %d of a full bucket of 3: limited %d wait %v", i+1, l, w)
		}
	}
	l, w := take(t, s, b)
	if l != 0 {
		t.Fatalf("fourth take: limited %d, want 0", l)
	}
	if w < 19*time.Second || w > 21*time.Second { // one token in 20 s
		t.Errorf("wait %v, want about 20s (3 per minute)", w)
	}
	clk.Advance(10 * time.Second)
	if l, _ := take(t, s, b); l != 0 {
		t.Error("half a token was enough")
	}
	clk.Advance(10 * time.Second)
	if l, _ := take(t, s, b); l != -1 {
		t.Error("20 s did not refill one token")
	}
	if l, _ := take(t, s, b); l != 0 {
		t.Error("one refilled token gave two calls")
	}
	clk.Advance(time.Hour) // refill is capped at N
	for range 3 {
		if l, _ := take(t, s, b); l != -1 {
			t.Fatal("an hour did not refill the bucket")
		}
	}
	if l, _ := take(t, s, b); l != 0 {
		t.Error("refill went past N")
	}
}

func testTakeAllOrNone(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	s := open(t, "a", Options(clk))
	wide := store.Bucket{Key: "mcp:alice|", N: 5, Per: time.Hour}
	narrow := store.Bucket{Key: "mcp:alice|external", N: 1, Per: time.Hour}
	if l, _ := take(t, s, wide, narrow); l != -1 {
		t.Fatal("first take of two full buckets was limited")
	}
	for i := range 3 {
		if l, w := take(t, s, wide, narrow); l != 1 || w <= 0 {
			t.Fatalf("take %d with the narrow bucket empty: limited %d wait %v, want 1 and a wait", i, l, w)
		}
	}
	// The refused takes drew nothing from the wide bucket: 4 of 5 are left.
	for i := range 4 {
		if l, _ := take(t, s, wide); l != -1 {
			t.Fatalf("wide bucket empty after %d takes; refused takes drew from it", i+1)
		}
	}
	if l, _ := take(t, s, wide); l != 0 {
		t.Error("the wide bucket gave a sixth call")
	}
}

func testTakeZero(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	s := open(t, "a", Options(clk))
	off := store.Bucket{Key: "mcp:bob|external", N: 0, Per: time.Minute}
	wide := store.Bucket{Key: "mcp:bob|", N: 2, Per: time.Minute}
	l, w := take(t, s, wide, off)
	if l != 1 || w < time.Hour {
		t.Fatalf("take with a bucket of zero: limited %d wait %v, want 1 and at least an hour", l, w)
	}
	clk.Advance(24 * time.Hour)
	if l, _ := take(t, s, off); l != 0 {
		t.Error("a bucket of zero gave a call after a day")
	}
	for range 2 {
		if l, _ := take(t, s, wide); l != -1 {
			t.Fatal("refusals by the zero bucket drew from the other")
		}
	}
}

func testTakeLongestWait(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	s := open(t, "a", Options(clk))
	fast := store.Bucket{Key: "fast", N: 1, Per: time.Minute}
	slow := store.Bucket{Key: "slow", N: 1, Per: time.Hour}
	take(t, s, fast, slow)
	l, w := take(t, s, fast, slow)
	if l != 1 || w < 59*time.Minute || w > 61*time.Minute {
		t.Errorf("both empty: limited %d wait %v, want 1 (the hourly one) and about an hour", l, w)
	}
	l, w = take(t, s, slow, fast)
	if l != 0 || w < 59*time.Minute {
		t.Errorf("order swapped: limited %d wait %v, want 0 and about an hour", l, w)
	}
}

func testTakeAcrossHandles(t *testing.T, open Open) {
	clk := NewClock(Epoch) // stands still: no refill during the race
	handles := []store.Store{open(t, "a", Options(clk)), open(t, "a", Options(clk))}
	const n = 25
	b := []store.Bucket{{Key: "slack:T1:U1|", N: n, Per: time.Hour}, {Key: "slack:T1:U1|write", N: 100, Per: time.Hour}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 8 {
				l, _, err := handles[g%2].Take(context.Background(), b)
				if err != nil {
					t.Errorf("Take: %v", err)
					return
				}
				mu.Lock()
				if l == -1 {
					ok++
				} else {
					refused++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != n || refused != 64-n {
		t.Errorf("%d calls passed and %d were refused over two handles, want exactly %d and %d", ok, refused, n, 64-n)
	}
	// The second bucket was drawn once per passed call, never on a refusal.
	for i := range 100 - n {
		if l, _ := take(t, handles[i%2], b[1]); l != -1 {
			t.Fatalf("second bucket empty after %d more takes: refusals drew from it", i)
		}
	}
	if l, _ := take(t, handles[0], b[1]); l != 0 {
		t.Error("second bucket gave more than its size")
	}
}

func testTakeResized(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	s := open(t, "a", Options(clk))
	small := store.Bucket{Key: "k", N: 1, Per: time.Hour}
	take(t, s, small)
	if l, _ := take(t, s, small); l != 0 {
		t.Fatal("a bucket of one gave two calls")
	}
	big := store.Bucket{Key: "k", N: 3, Per: time.Hour}
	for i := range 3 {
		if l, _ := take(t, s, big); l != -1 {
			t.Fatalf("take %d after the limit was raised to 3 was refused", i+1)
		}
	}
	if l, _ := take(t, s, big); l != 0 {
		t.Error("the resized bucket gave a fourth call")
	}
}

func testSweep(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	opt := Options(clk) // retention: a day
	s := open(t, "a", opt)
	ctx := ctxFor(t)
	mustCreate(t, s, NewRequest("p-short", clk.Now(), time.Minute))
	ap := NewRequest("a-short", clk.Now(), time.Minute)
	ap.State = store.Approved
	mustCreate(t, s, ap)
	mustCreate(t, s, NewRequest("p-long", clk.Now(), 48*time.Hour))
	mustCreate(t, s, NewRequest("ended-early", clk.Now(), time.Hour))
	if _, err := s.Move(ctx, "ended-early", []store.State{store.Pending}, store.Cancelled, store.Change{By: "mcp:alice"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Once(ctx, "token", "short", clk.Now().Add(time.Minute)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := s.Once(ctx, "token", "long", clk.Now().Add(48*time.Hour)); !ok || err != nil {
		t.Fatal(ok, err)
	}
	take(t, s, store.Bucket{Key: "drawn", N: 10, Per: time.Hour})

	clk.Advance(2 * time.Minute)
	expired, err := s.Sweep(ctx)
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	var got []string
	for _, r := range expired {
		got = append(got, r.ID)
		if r.State != store.Expired || r.Reason != store.ExpiredReason || !r.UpdatedAt.Equal(clk.Now()) {
			t.Errorf("swept %s: %s %q at %v, want expired now", r.ID, r.State, r.Reason, r.UpdatedAt)
		}
		if r.Preview == "" || len(r.Meta) == 0 {
			t.Errorf("swept %s without its preview or meta: surfaces need them to update their message", r.ID)
		}
	}
	slices.Sort(got)
	if want := []string{"a-short", "p-short"}; !slices.Equal(got, want) {
		t.Fatalf("Sweep expired %v, want %v", got, want)
	}
	if again, err := s.Sweep(ctx); err != nil || len(again) != 0 {
		t.Fatalf("a second Sweep returned %v %v, want nothing", again, err)
	}
	if got := mustGet(t, s, "p-short"); got.State != store.Expired {
		t.Errorf("swept request reads %s", got.State)
	}
	counts := func() store.Counts {
		t.Helper()
		c, ok := s.(store.Counter)
		if !ok {
			t.Fatalf("%T does not count what it holds (store.Counter)", s)
		}
		n, err := c.Count(ctx)
		if err != nil {
			t.Fatalf("Count: %v", err)
		}
		return n
	}
	if c := counts(); c.OnceKeys != 1 {
		t.Errorf("after the sweep %d single-use keys are kept, want 1 (the unexpired one)", c.OnceKeys)
	}
	if ok, _ := s.Once(ctx, "token", "long", clk.Now().Add(time.Hour)); ok {
		t.Error("Sweep forgot a key that has not expired")
	}

	// Past the retention, ended requests go; open ones stay.
	clk.Advance(24*time.Hour + time.Second)
	if _, err := s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"p-short", "a-short", "ended-early"} {
		if _, err := s.Get(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%s) after retention: %v, want ErrNotFound", id, err)
		}
	}
	if got := mustGet(t, s, "p-long"); got.State != store.Pending {
		t.Errorf("an open request within its expiry was %s after the sweep", got.State)
	}
	c := counts()
	if c.Buckets != 0 {
		t.Errorf("%d buckets kept after they refilled, want 0", c.Buckets)
	}
	if c.Requests[store.Pending] != 1 || len(c.Requests) != 1 {
		t.Errorf("requests kept: %v, want just the open one", c.Requests)
	}
}

func testNow(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	s := open(t, "a", Options(clk))
	for range 2 {
		now, err := s.Now(ctxFor(t))
		if err != nil || !now.Equal(clk.Now()) {
			t.Fatalf("Now = %v, %v; want the injected %v", now, err, clk.Now())
		}
		clk.Advance(90 * time.Minute)
	}
	// Without an injected clock the store's clock is the real one (the
	// machine's, or the database's).
	real := open(t, "b", store.Options{})
	now, err := real.Now(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(now); d < -time.Minute || d > time.Minute {
		t.Errorf("real clock Now = %v, %v away from this machine's", now, d)
	}
	r := NewRequest("r", now, time.Hour)
	mustCreate(t, real, r)
	if got := mustGet(t, real, "r"); got.CreatedAt.Sub(now).Abs() > time.Minute {
		t.Errorf("CreatedAt = %v, want about %v", got.CreatedAt, now)
	}
}

func testPingClose(t *testing.T, open Open) {
	clk := NewClock(Epoch)
	s := open(t, "a", Options(clk))
	if err := s.Ping(ctxFor(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if s.Name() == "" {
		t.Error("Name is empty")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Ping(ctxFor(t)); err == nil {
		t.Error("Ping after Close succeeded")
	}
	if err := s.Create(ctxFor(t), NewRequest("late", clk.Now(), time.Hour)); err == nil {
		t.Error("Create after Close succeeded")
	}
}
