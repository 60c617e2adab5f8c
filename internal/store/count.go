package store

import "context"

// Counts is what a store holds now: requests by state, live single-use keys
// and rate-limit buckets. For metrics (confirmations pending) and for tests
// that check what Sweep forgot.
type Counts struct {
	Requests map[State]int
	OnceKeys int
	Buckets  int
}

// Counter is implemented by every engine of this package.
type Counter interface {
	Count(ctx context.Context) (Counts, error)
}

// Count implements Counter. Expired keys and requests not swept yet are
// counted: Count shows what the store holds, not what is live.
func (m *Memory) Count(context.Context) (Counts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return Counts{}, errClosed
	}
	c := Counts{Requests: map[State]int{}, OnceKeys: len(m.once), Buckets: len(m.buckets)}
	for _, r := range m.reqs {
		c.Requests[r.State]++
	}
	return c, nil
}
