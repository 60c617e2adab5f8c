package slack

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"

	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

// Kinds of pending request.
const (
	kindReset   = "reset"   // /ccc reset: re-check agent states before running
	kindGeneric = "generic" // /ccc <tool> …: run exactly what was previewed
)

// pendingRequest is a call waiting for a click. It lives only on the
// server; the buttons carry nothing but its opaque id.
type pendingRequest struct {
	ID        string
	Kind      string
	Requester policy.Principal
	UserID    string // requester's Slack user id
	ChannelID string
	Command   string // what to type to start again, e.g. "/ccc reset alice,bob"
	Tool      string
	Args      map[string]any
	Token     string
	ExpiresAt time.Time
	FourEyes  bool
	Instance  string
	Shown     []tools.AgentRow // the states the preview showed (reset)

	state   string // "", "settling", "settled"
	outcome string // one line, for a late click
}

// pendingStore keeps pending requests and settles each once.
type pendingStore struct {
	mu    sync.Mutex
	items map[string]*pendingRequest
	now   func() time.Time
	keep  time.Duration // how long a settled or expired request is remembered
}

func newPendingStore(now func() time.Time) *pendingStore {
	return &pendingStore{items: map[string]*pendingRequest{}, now: now, keep: time.Hour}
}

func newID() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// add stores p under a fresh random id and returns the id.
func (s *pendingStore) add(p *pendingRequest) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked()
	p.ID = newID()
	s.items[p.ID] = p
	return p.ID
}

// sweepLocked forgets requests expired or settled longer than keep ago.
func (s *pendingStore) sweepLocked() {
	now := s.now()
	for id, p := range s.items {
		if now.Sub(p.ExpiresAt) > s.keep {
			delete(s.items, id)
		}
	}
}

// get returns a copy of the request, or false.
func (s *pendingStore) get(id string) (pendingRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.items[id]
	if !ok {
		return pendingRequest{}, false
	}
	return *p, true
}

// claim marks the request as being settled by this click. It fails when it
// is unknown, or when another click settles or settled it (then the
// outcome so far is returned).
func (s *pendingStore) claim(id string) (pendingRequest, string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.items[id]
	if !ok {
		return pendingRequest{}, "", false
	}
	if p.state != "" {
		out := p.outcome
		if out == "" {
			out = "someone else's click is being handled right now"
		}
		return *p, out, false
	}
	p.state = "settling"
	return *p, "", true
}

// finish records the outcome of a claimed request; it stays settled.
func (s *pendingStore) finish(id, outcome string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.items[id]; ok {
		p.state, p.outcome = "settled", outcome
	}
}
