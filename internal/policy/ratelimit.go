package policy

import (
	"fmt"
	"math"
	"time"

	"github.com/cccops/cccops/internal/ccc/spec"
)

// Rate is a token bucket: up to N calls at once, refilled evenly over Per.
// N < 0 means no limit.
type Rate struct {
	N   int
	Per time.Duration
}

func (r Rate) String() string { return fmt.Sprintf("%d per %v", r.N, r.Per) }

// Limits are per-principal token buckets. Every call takes a token from
// Overall and, when its class has an entry in Class, one from that bucket
// too; a call is refused unless both have one.
type Limits struct {
	Overall Rate                 // zero → 600 per minute
	Class   map[spec.Access]Rate // nil → external: 10 per hour
}

// DefaultLimits are used for a zero Limits.
func DefaultLimits() Limits {
	return Limits{
		Overall: Rate{N: 600, Per: time.Minute},
		Class:   map[spec.Access]Rate{spec.AccessExternal: {N: 10, Per: time.Hour}},
	}
}

func (l Limits) withDefaults() (Limits, error) {
	def := DefaultLimits()
	if l.Overall == (Rate{}) {
		l.Overall = def.Overall
	}
	if l.Class == nil {
		l.Class = def.Class
	}
	check := func(what string, r Rate) error {
		if r.N > 0 && r.Per <= 0 {
			return fmt.Errorf("policy: rate limit %s allows %d calls but has no period; set Per", what, r.N)
		}
		return nil
	}
	if err := check("overall", l.Overall); err != nil {
		return l, err
	}
	cls := make(map[spec.Access]Rate, len(l.Class))
	for a, r := range l.Class {
		if !validAccess(a) {
			return l, fmt.Errorf("policy: rate limit for unknown class %q", a)
		}
		if err := check(string(a), r); err != nil {
			return l, err
		}
		cls[a] = r
	}
	l.Class = cls
	return l, nil
}

// RateLimitError says a principal ran out of calls and when to try again.
type RateLimitError struct {
	RetryAfter time.Duration
	Limit      string // which bucket, e.g. "external: 10 per 1h0m0s"
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("rate limit reached (%s per person); try again in %v", e.Limit, e.RetryAfter.Round(time.Second))
}

type bucketKey struct {
	principal string
	class     spec.Access // "" for the overall bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// refill brings b up to date at now and returns its token count.
func (b *bucket) refill(r Rate, now time.Time) {
	if el := now.Sub(b.last); el > 0 {
		b.tokens = math.Min(float64(r.N), b.tokens+float64(r.N)*el.Seconds()/r.Per.Seconds())
		b.last = now
	}
}

// wait is how long until b holds one token.
func (b *bucket) wait(r Rate) time.Duration {
	if b.tokens >= 1 {
		return 0
	}
	need := (1 - b.tokens) * r.Per.Seconds() / float64(r.N)
	return time.Duration(math.Ceil(need * float64(time.Second)))
}

// Limit takes one token from each bucket the call draws on, or none when
// any of them is empty; then it returns *RateLimitError. The class comes
// from the reviewed table, not from c.Access.
func (g *Gate) Limit(c Call) error {
	now := g.now()
	type use struct {
		key  bucketKey
		rate Rate
	}
	uses := []use{{bucketKey{c.Principal.ID, ""}, g.limits.Overall}}
	if access := AccessOf(c.Action); access != "" {
		if r, ok := g.limits.Class[access]; ok {
			uses = append(uses, use{bucketKey{c.Principal.ID, access}, r})
		}
	}

	g.limitMu.Lock()
	defer g.limitMu.Unlock()
	if len(g.buckets) > 10000 {
		g.pruneBuckets(now)
	}
	var worst *RateLimitError
	var bs []*bucket
	for _, u := range uses {
		if u.rate.N < 0 {
			continue
		}
		b := g.buckets[u.key]
		if b == nil {
			b = &bucket{tokens: float64(u.rate.N), last: now}
			g.buckets[u.key] = b
		}
		b.refill(u.rate, now)
		var w time.Duration
		if u.rate.N == 0 { // a class switched off entirely
			w = max(u.rate.Per, time.Hour)
		} else {
			w = b.wait(u.rate)
		}
		if w > 0 {
			name := "overall"
			if u.key.class != "" {
				name = string(u.key.class)
			}
			if worst == nil || w > worst.RetryAfter {
				worst = &RateLimitError{RetryAfter: w, Limit: name + ": " + u.rate.String()}
			}
		}
		bs = append(bs, b)
	}
	if worst != nil {
		return worst
	}
	for _, b := range bs {
		b.tokens--
	}
	return nil
}

// pruneBuckets forgets buckets that have refilled completely: a fresh
// bucket would be identical.
func (g *Gate) pruneBuckets(now time.Time) {
	for k, b := range g.buckets {
		r := g.limits.Overall
		if k.class != "" {
			r = g.limits.Class[k.class]
		}
		b.refill(r, now)
		if b.tokens >= float64(r.N) {
			delete(g.buckets, k)
		}
	}
}
