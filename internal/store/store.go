// Package store is the state the gate and the surfaces share: confirmation
// and approval requests with their lifecycle, single-use keys (token
// redemptions, Slack request replay memory, MCP confirmation nonces) and
// rate-limit buckets. Three engines sit behind one interface: memory (one
// process), SQLite (one host; processes share a file) and PostgreSQL
// (replicas on several hosts).
//
// The store holds no policy: internal/policy decides, the store remembers
// and settles each request once with a compare-and-set, so two processes
// can never both run one request.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// State is where a request is in its lifecycle:
//
//	pending → approved → sending → done | failed
//	pending → denied | declined | cancelled | expired
//
// approved may also end expired (nobody claimed it in time) — never sent.
type State string

// The states.
const (
	Pending   State = "pending"   // waiting for a human
	Approved  State = "approved"  // a human said yes; not sent yet
	Denied    State = "denied"    // an approver said no
	Declined  State = "declined"  // the requester said no
	Cancelled State = "cancelled" // withdrawn (by the requester or an approver)
	Expired   State = "expired"   // nobody answered in time; nothing ran
	Sending   State = "sending"   // handed to CCC; after a crash: may have run
	Done      State = "done"      // CCC answered success
	Failed    State = "failed"    // CCC answered an error (it may still have run; see Error)
)

// States lists every state.
var States = []State{Pending, Approved, Denied, Declined, Cancelled, Expired, Sending, Done, Failed}

// Ended reports whether s is final: nothing moves a request out of it.
func (s State) Ended() bool {
	switch s {
	case Denied, Declined, Cancelled, Expired, Done, Failed:
		return true
	}
	return false
}

// Valid reports whether s is one of States.
func (s State) Valid() bool { return slices.Contains(States, s) }

// Request kinds.
const (
	KindConfirm  = "confirm"  // the requester's own surface asks them (MCP elicitation, Slack buttons)
	KindApproval = "approval" // a human approves in Slack (another surface, or four eyes)
)

// Request is one confirmation or approval request. JSON fields hold what
// the store need not understand.
type Request struct {
	ID            string
	Kind          string // KindConfirm or KindApproval
	State         State
	Requester     string // principal id, e.g. "mcp:alice-laptop", "slack:T1:U1"
	RequesterName string // display name
	Surface       string // where it was asked: "mcp", "slack", "stdio", "test"
	Action        string // CCC action, e.g. "ResetUserStatus"
	Tool          string // tool name, e.g. "reset_user_status"
	Instance      string
	Digest        string          // policy.Digest of Args
	Args          json.RawMessage // canonical arguments: exactly what will be sent
	Preview       string          // what will change, masked (safe for a channel)
	FourEyes      bool
	Rule          string          // the policy rule that asked for it
	Approvers     json.RawMessage // who may approve (the gate's words; opaque here)
	Meta          json.RawMessage // the surfaces' own data (Slack channel and ts, command, shown states)
	CreatedAt     time.Time
	ExpiresAt     time.Time // a pending or approved request past this is expired
	UpdatedAt     time.Time
	By            string          // who made the last change
	Approver      string          // who said yes (approved)
	Reason        string          // a line on the last change
	Result        json.RawMessage // the outcome kept for the requester, redacted
	RequestID     string          // CCC's RequestId
	Error         string          // the failure, in words
}

// Change is what a Move sets besides the state. Empty fields leave the
// stored value as it is.
type Change struct {
	By        string
	Approver  string
	Reason    string
	Result    json.RawMessage
	RequestID string
	Error     string
	Meta      json.RawMessage // replaces Meta when non-nil
}

// Query selects requests for List. Zero fields select everything.
type Query struct {
	States    []State
	Kind      string
	Requester string
	Limit     int // ≤ 0: 100
}

// Bucket is one token bucket a call draws on: up to N calls at once,
// refilled evenly over Per. Take never sees N < 0 (no limit).
type Bucket struct {
	Key string // e.g. "mcp:alice|" or "mcp:alice|external"
	N   int
	Per time.Duration
}

// Errors.
var (
	ErrNotFound = errors.New("store: no such request")
	ErrExists   = errors.New("store: a request with this id exists")
)

// ConflictError says a Move did not apply because the request is not in a
// state it may move from (another process settled it first, or it
// expired). Current is the request as it is now.
type ConflictError struct {
	Current *Request
	Wanted  State
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("store: request %s is %s, so it cannot become %s", e.Current.ID, e.Current.State, e.Wanted)
}

// Store is safe for concurrent use by many goroutines and, for SQLite and
// PostgreSQL, many processes.
type Store interface {
	// Create stores a new request. Its ID and ExpiresAt must be set; the
	// store sets CreatedAt and UpdatedAt from its clock. State defaults
	// to Pending.
	Create(ctx context.Context, r *Request) error
	// Get returns the request, ErrNotFound when there is none. A pending
	// or approved request past its expiry is returned as expired, but only
	// Move and Sweep store that, so each expiry is reported exactly once
	// (to the Move that met it, or in Sweep's list).
	Get(ctx context.Context, id string) (*Request, error)
	// Move changes the state from one of from to to, atomically: of two
	// Moves racing from the same state, one wins and the other gets a
	// *ConflictError. A pending or approved request past its expiry
	// becomes expired instead, whatever was asked, and the Move gets a
	// *ConflictError (unless to is Expired). A Move to the state the
	// request is in (listed in from) only applies the change.
	Move(ctx context.Context, id string, from []State, to State, ch Change) (*Request, error)
	// List returns requests, oldest first; expiry shows as in Get (not
	// stored).
	List(ctx context.Context, q Query) ([]*Request, error)
	// Wait blocks until the request is in none of the states while (or
	// expired), or ctx ends; it returns the request as it then is.
	// PostgreSQL wakes on a notification; the others poll or signal.
	Wait(ctx context.Context, id string, while []State) (*Request, error)
	// Once records key (in a namespace, kind) until expires and reports
	// true; false when it is recorded and not expired yet.
	Once(ctx context.Context, kind, key string, expires time.Time) (bool, error)
	// Take draws one token from every bucket, all or none. When one is
	// empty it takes nothing and returns the index of the bucket that
	// waits longest and how long until it holds a token.
	Take(ctx context.Context, buckets []Bucket) (limited int, wait time.Duration, err error)
	// Sweep marks pending and approved requests past their expiry
	// expired and returns them (so surfaces can update their messages),
	// forgets expired Once keys and full buckets, and deletes ended
	// requests last changed more than the retention ago.
	Sweep(ctx context.Context) (expired []*Request, err error)
	// Now is the store's clock, which decides expiry.
	Now(ctx context.Context) (time.Time, error)
	// Ping checks that the store can be reached (readiness).
	Ping(ctx context.Context) error
	// Name says which store this is, without secrets ("memory",
	// "sqlite:/var/lib/cccops/state.db", "postgres://db.internal:5432/cccops").
	Name() string
	Close() error
}

// Options tune an engine. Zero values are the defaults.
type Options struct {
	// Now is the clock that decides expiry; nil: time.Now (memory, SQLite)
	// or the database's clock (PostgreSQL). Tests set it.
	Now func() time.Time
	// Retention is how long ended requests are kept (default 7 days).
	Retention time.Duration
	// PollEvery is how often Wait looks again where nothing notifies
	// (default 200 ms).
	PollEvery time.Duration
}

// DefaultRetention is how long ended requests are kept by default.
const DefaultRetention = 7 * 24 * time.Hour

func (o Options) withDefaults() Options {
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.PollEvery <= 0 {
		o.PollEvery = 200 * time.Millisecond
	}
	return o
}

// Clone returns a deep copy of r.
func (r *Request) Clone() *Request {
	if r == nil {
		return nil
	}
	c := *r
	c.Args = slices.Clone(r.Args)
	c.Approvers = slices.Clone(r.Approvers)
	c.Meta = slices.Clone(r.Meta)
	c.Result = slices.Clone(r.Result)
	return &c
}

// apply sets ch on r (the engines share it).
func (r *Request) apply(to State, ch Change, now time.Time) {
	r.State = to
	r.UpdatedAt = now
	if ch.By != "" {
		r.By = ch.By
	}
	if ch.Approver != "" {
		r.Approver = ch.Approver
	}
	if ch.Reason != "" {
		r.Reason = ch.Reason
	}
	if ch.Result != nil {
		r.Result = slices.Clone(ch.Result)
	}
	if ch.RequestID != "" {
		r.RequestID = ch.RequestID
	}
	if ch.Error != "" {
		r.Error = ch.Error
	}
	if ch.Meta != nil {
		r.Meta = slices.Clone(ch.Meta)
	}
}

// expiredAt reports whether r is open and past its expiry at now.
func (r *Request) expiredAt(now time.Time) bool {
	return (r.State == Pending || r.State == Approved) && !now.Before(r.ExpiresAt)
}

// ExpiredReason is the Reason of a request the store expired.
const ExpiredReason = "nobody answered before it expired; nothing ran"

// refill brings a bucket of n tokens per `per` from tokens at last up to
// now; the engines share the arithmetic.
func refill(tokens float64, last, now time.Time, b Bucket) float64 {
	if el := now.Sub(last); el > 0 {
		tokens += float64(b.N) * el.Seconds() / b.Per.Seconds()
	}
	return min(tokens, float64(b.N))
}

// waitFor is how long until a bucket holding tokens holds one.
func waitFor(tokens float64, b Bucket) time.Duration {
	if b.N == 0 {
		return max(b.Per, time.Hour) // a class switched off entirely
	}
	if tokens >= 1 {
		return 0
	}
	need := (1 - tokens) * b.Per.Seconds() / float64(b.N)
	return time.Duration(math.Ceil(need * float64(time.Second)))
}

var (
	errClosed     = errors.New("store: closed")
	errIncomplete = errors.New("store: a request needs an id and an expiry")
)

func errBadState(s State) error { return fmt.Errorf("store: %q is not a request state", s) }
