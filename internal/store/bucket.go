package store

import "time"

// bucketState is a stored bucket: tokens left at last, for bucket b.
type bucketState struct {
	tokens float64
	last   time.Time
	b      Bucket
}

// drawBuckets is Take's arithmetic for the SQL engines, the same as
// Memory's: a bucket not stored yet, or stored with another size, starts
// full; each is refilled up to now; if every one holds a token, one is
// drawn from each, else none and limited names the one that waits longest.
// It returns every bucket's new state by key, to be stored either way.
func drawBuckets(buckets []Bucket, stored map[string]bucketState, now time.Time) (states map[string]*bucketState, limited int, wait time.Duration) {
	limited = -1
	states = make(map[string]*bucketState, len(buckets))
	for i, b := range buckets {
		st := states[b.Key]
		if st == nil {
			if old, ok := stored[b.Key]; ok && old.b.N == b.N && old.b.Per == b.Per {
				st = &old
			} else {
				st = &bucketState{tokens: float64(b.N), last: now, b: b}
			}
			st.tokens, st.last = refill(st.tokens, st.last, now, b), now
			states[b.Key] = st
		}
		if w := waitFor(st.tokens, b); w > 0 && w > wait {
			limited, wait = i, w
		}
	}
	if limited >= 0 {
		return states, limited, wait
	}
	for _, b := range buckets {
		states[b.Key].tokens--
	}
	return states, -1, 0
}
