package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Verification failures. None of them carries the signature or the secret.
var (
	ErrMissingSignature = errors.New("slack request has no X-Slack-Signature or X-Slack-Request-Timestamp header")
	ErrBadSignature     = errors.New("slack request signature does not match the signing secret")
	ErrStale            = errors.New("slack request timestamp is outside the 300-second window")
	ErrReplay           = errors.New("slack request was already received once (replay)")
	ErrStoreDown        = errors.New("slack request refused: the replay memory (the shared store) cannot be reached, so a replay could not be told apart; Slack retries")
	ErrBusy             = errors.New("slack request refused: too many requests inside the signature window to remember them all")
)

// SignatureWindow is how far a request's timestamp may be from now.
const SignatureWindow = 300 * time.Second

// maxSeen caps the replay memory; only verified requests are remembered, so
// reaching it means a flood of genuine traffic, and the oldest go first.
const maxSeen = 200_000

// Verifier checks Slack's v0 request signatures (HMAC-SHA256 over
// "v0:{timestamp}:{raw body}") in constant time, refuses timestamps more
// than SignatureWindow away from now, and refuses a signature it has
// already accepted. slack-go's own verifier does not dedupe and cannot take
// a clock, so this one is ours.
type Verifier struct {
	secret []byte
	now    func() time.Time
	// shared, when set, remembers accepted signatures in the store every
	// replica shares, so a request replayed to another replica is refused
	// too; the local map is then not used.
	shared func(ctx context.Context, kind, key string, expires time.Time) (bool, error)

	mu   sync.Mutex
	seen map[string]time.Time // signature → its timestamp
}

// NewVerifier builds a verifier for a signing secret.
func NewVerifier(secret string, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{secret: []byte(secret), now: now, seen: map[string]time.Time{}}
}

// Sign computes the v0 signature header value for a body at a timestamp,
// as Slack does. Tests and fixtures use it.
func Sign(secret string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", timestamp)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks one request's headers against its raw body, before anything
// parses the body. A request that passes is remembered, so the same
// signature is refused from then on.
func (v *Verifier) Verify(h http.Header, body []byte) error {
	if len(v.secret) == 0 {
		return ErrBadSignature
	}
	sig, ts := h.Get("X-Slack-Signature"), h.Get("X-Slack-Request-Timestamp")
	if sig == "" || ts == "" {
		return ErrMissingSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrStale
	}
	at := time.Unix(sec, 0)
	now := v.now()
	if d := now.Sub(at); d > SignatureWindow || d < -SignatureWindow {
		return ErrStale
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return ErrBadSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return ErrBadSignature
	}
	mac := hmac.New(sha256.New, v.secret)
	fmt.Fprintf(mac, "v0:%d:", sec)
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), got) {
		return ErrBadSignature
	}
	key := string(got)
	if v.shared != nil {
		first, err := v.shared(context.Background(), "slack-signature", hex.EncodeToString(got), at.Add(SignatureWindow+time.Minute))
		if err != nil {
			return ErrStoreDown
		}
		if !first {
			return ErrReplay
		}
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, dup := v.seen[key]; dup {
		return ErrReplay
	}
	if len(v.seen) >= maxSeen/2 {
		v.sweepLocked(now)
	}
	if len(v.seen) >= maxSeen {
		// Forgetting a signature still inside its window would let it be
		// replayed; refuse instead (it takes 200k genuine requests in five
		// minutes to get here).
		return ErrBusy
	}
	v.seen[key] = at
	return nil
}

// sweepLocked forgets signatures whose timestamp is out of the window: they
// would be refused as stale anyway.
func (v *Verifier) sweepLocked(now time.Time) {
	for k, at := range v.seen {
		if d := now.Sub(at); d > SignatureWindow || d < -SignatureWindow {
			delete(v.seen, k)
		}
	}
}
