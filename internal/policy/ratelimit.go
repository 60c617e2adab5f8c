package policy

import (
	"context"
	"fmt"
	"time"

	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/store"
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
	return fmt.Sprintf("rate limit reached (%s, per principal: every client sharing this identity shares it); try again in %v", e.Limit, max(e.RetryAfter.Round(time.Second), time.Second))
}

// take draws one token from each bucket the call draws on (the principal's
// overall bucket and its class's, when the class has one), all or none, in
// the store — so the limit holds across every process sharing it. The
// class comes from the reviewed table, not from c.Access. It returns a
// *RateLimitError when a bucket is empty.
func (g *Gate) take(ctx context.Context, c Call) (*RateLimitError, error) {
	type use struct {
		name string
		rate Rate
	}
	uses := []use{{"overall", g.limits.Overall}}
	if access := AccessOf(c.Action); access != "" {
		if r, ok := g.limits.Class[access]; ok {
			uses = append(uses, use{string(access), r})
		}
	}
	var buckets []store.Bucket
	var names []string
	for _, u := range uses {
		if u.rate.N < 0 {
			continue
		}
		key := "rate|" + c.Principal.ID + "|"
		if u.name != "overall" {
			key += u.name
		}
		buckets = append(buckets, store.Bucket{Key: key, N: u.rate.N, Per: u.rate.Per})
		names = append(names, u.name+": "+u.rate.String())
	}
	if len(buckets) == 0 {
		return nil, nil
	}
	limited, wait, err := g.store.Take(ctx, buckets)
	if err != nil {
		return nil, err
	}
	if limited < 0 {
		return nil, nil
	}
	return &RateLimitError{RetryAfter: wait, Limit: names[limited]}, nil
}
