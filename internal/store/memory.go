package store

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"
)

// Memory is the store of one process: nothing survives it, nothing is
// shared with another. For tests and a lone stdio server.
type Memory struct {
	opt Options

	mu      sync.Mutex
	reqs    map[string]*Request
	once    map[string]time.Time // kind + "\x00" + key → expiry
	buckets map[string]*memBucket
	changed chan struct{} // closed and replaced on every change (Wait)
	closed  bool
}

type memBucket struct {
	tokens float64
	last   time.Time
	b      Bucket
}

// NewMemory builds an empty memory store.
func NewMemory(opt Options) *Memory {
	return &Memory{opt: opt.withDefaults(), reqs: map[string]*Request{}, once: map[string]time.Time{},
		buckets: map[string]*memBucket{}, changed: make(chan struct{})}
}

func (m *Memory) now() time.Time {
	if m.opt.Now != nil {
		return m.opt.Now()
	}
	return time.Now()
}

// notifyLocked wakes every Wait.
func (m *Memory) notifyLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// expireLocked turns an open request past its expiry into an expired one.
func (m *Memory) expireLocked(r *Request, now time.Time) bool {
	if !r.expiredAt(now) {
		return false
	}
	r.apply(Expired, Change{Reason: ExpiredReason}, now)
	m.notifyLocked()
	return true
}

// view is a copy of r as a reader sees it at now: expired when it is open
// past its expiry, though only Move and Sweep store that.
func (m *Memory) view(r *Request, now time.Time) *Request {
	c := r.Clone()
	if c.expiredAt(now) {
		c.State, c.Reason = Expired, ExpiredReason
	}
	return c
}

// Create implements Store.
func (m *Memory) Create(_ context.Context, r *Request) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errClosed
	}
	if r.ID == "" || r.ExpiresAt.IsZero() {
		return errIncomplete
	}
	if _, ok := m.reqs[r.ID]; ok {
		return ErrExists
	}
	c := r.Clone()
	if c.State == "" {
		c.State = Pending
	}
	now := m.now()
	c.CreatedAt, c.UpdatedAt = now, now
	m.reqs[c.ID] = c
	m.notifyLocked()
	return nil
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, id string) (*Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.reqs[id]
	if !ok {
		return nil, ErrNotFound
	}
	return m.view(r, m.now()), nil
}

// Move implements Store.
func (m *Memory) Move(_ context.Context, id string, from []State, to State, ch Change) (*Request, error) {
	if !to.Valid() {
		return nil, errBadState(to)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errClosed
	}
	r, ok := m.reqs[id]
	if !ok {
		return nil, ErrNotFound
	}
	now := m.now()
	if to != Expired && m.expireLocked(r, now) {
		return nil, &ConflictError{Current: r.Clone(), Wanted: to}
	}
	if !slices.Contains(from, r.State) {
		return nil, &ConflictError{Current: r.Clone(), Wanted: to}
	}
	r.apply(to, ch, now)
	m.notifyLocked()
	return r.Clone(), nil
}

// List implements Store.
func (m *Memory) List(_ context.Context, q Query) ([]*Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	var out []*Request
	for _, r := range m.reqs {
		r := m.view(r, now)
		if len(q.States) > 0 && !slices.Contains(q.States, r.State) {
			continue
		}
		if q.Kind != "" && r.Kind != q.Kind {
			continue
		}
		if q.Requester != "" && r.Requester != q.Requester {
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Wait implements Store.
func (m *Memory) Wait(ctx context.Context, id string, while []State) (*Request, error) {
	for {
		m.mu.Lock()
		r, ok := m.reqs[id]
		if !ok {
			m.mu.Unlock()
			return nil, ErrNotFound
		}
		if c := m.view(r, m.now()); !slices.Contains(while, c.State) {
			m.mu.Unlock()
			return c, nil
		}
		changed := m.changed
		m.mu.Unlock()
		// An injected clock does not wake us; look again now and then so
		// expiry is seen.
		t := time.NewTimer(m.opt.PollEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-changed:
			t.Stop()
		case <-t.C:
		}
	}
}

// Once implements Store.
func (m *Memory) Once(_ context.Context, kind, key string, expires time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false, errClosed
	}
	k := kind + "\x00" + key
	if exp, ok := m.once[k]; ok && m.now().Before(exp) {
		return false, nil
	}
	m.once[k] = expires
	return true, nil
}

// Take implements Store.
func (m *Memory) Take(_ context.Context, buckets []Bucket) (int, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return -1, 0, errClosed
	}
	now := m.now()
	limited, worst := -1, time.Duration(0)
	states := make([]*memBucket, len(buckets))
	for i, b := range buckets {
		mb := m.buckets[b.Key]
		if mb == nil || mb.b != b {
			mb = &memBucket{tokens: float64(b.N), last: now, b: b}
		}
		mb.tokens, mb.last = refill(mb.tokens, mb.last, now, b), now
		states[i] = mb
		if w := waitFor(mb.tokens, b); w > 0 && w > worst {
			limited, worst = i, w
		}
	}
	for i, b := range buckets {
		m.buckets[b.Key] = states[i]
	}
	if limited >= 0 {
		return limited, worst, nil
	}
	for _, mb := range states {
		mb.tokens--
	}
	return -1, 0, nil
}

// Sweep implements Store.
func (m *Memory) Sweep(_ context.Context) ([]*Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	var expired []*Request
	for id, r := range m.reqs {
		if m.expireLocked(r, now) {
			expired = append(expired, r.Clone())
			continue
		}
		if r.State.Ended() && now.Sub(r.UpdatedAt) > m.opt.Retention {
			delete(m.reqs, id)
		}
	}
	for k, exp := range m.once {
		if !now.Before(exp) {
			delete(m.once, k)
		}
	}
	for k, mb := range m.buckets {
		if refill(mb.tokens, mb.last, now, mb.b) >= float64(mb.b.N) {
			delete(m.buckets, k)
		}
	}
	sort.Slice(expired, func(i, j int) bool { return expired[i].ID < expired[j].ID })
	return expired, nil
}

// Now implements Store.
func (m *Memory) Now(context.Context) (time.Time, error) { return m.now(), nil }

// Ping implements Store.
func (m *Memory) Ping(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errClosed
	}
	return nil
}

// Name implements Store.
func (m *Memory) Name() string { return "memory" }

// Close implements Store.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}
