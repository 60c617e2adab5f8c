package store

import "time"

// seenAt makes r what a reader sees at now: expired when it is open past
// its expiry, though only Move and Sweep store that (as Memory.view).
func seenAt(r *Request, now time.Time) *Request {
	if r.expiredAt(now) {
		r.State, r.Reason = Expired, ExpiredReason
	}
	return r
}
