package sim

import (
	"container/list"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"strings"
	"sync"
	"time"
)

const (
	// nonceTTL is how long a used SignatureNonce is remembered and how far a
	// Timestamp may be from the simulator's clock.
	nonceTTL = 15 * time.Minute
	// maxNonces bounds the memory of used nonces; past it the oldest are
	// forgotten first.
	maxNonces = 200_000
)

// authenticate checks the request's credentials the way CCC's gateway does:
// an AccessKey HMAC-SHA1 signature (SignatureVersion 1.0) or a bearer token,
// a fresh Timestamp and a SignatureNonce never seen before. Timestamps are
// checked against the wall clock, not Options.Now, because the SDK stamps
// requests with the wall clock.
func (s *Sim) authenticate(method string, params map[string]string) *apiError {
	for _, p := range []string{"Timestamp", "SignatureNonce"} {
		if params[p] == "" {
			return missingParam(p)
		}
	}
	ts, err := time.Parse("2006-01-02T15:04:05Z", params["Timestamp"])
	if err != nil {
		return errf(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted; use UTC in the form 2006-01-02T15:04:05Z.")
	}
	if d := time.Since(ts); d > nonceTTL || d < -nonceTTL {
		return errf(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired: it must be within 15 minutes of the server's clock. Check your system clock.")
	}
	if strings.EqualFold(params["SignatureType"], "BEARERTOKEN") {
		tok := params["BearerToken"]
		if tok == "" {
			return missingParam("BearerToken")
		}
		if !s.knownToken(tok) {
			return errf(404, "InvalidBearerToken.NotFound", "Specified bearer token is not found or has expired. Get a new token and retry.")
		}
	} else {
		id := params["AccessKeyId"]
		if id == "" {
			return missingParam("AccessKeyId")
		}
		if params["Signature"] == "" {
			return missingParam("Signature")
		}
		if m := params["SignatureMethod"]; m != "" && m != "HMAC-SHA1" {
			return errf(400, "InvalidSignatureMethod", "Specified signature method %q is not supported; use HMAC-SHA1.", m)
		}
		if v := params["SignatureVersion"]; v != "" && v != "1.0" {
			return errf(400, "InvalidSignatureVersion", "Specified signature version %q is not supported; use 1.0.", v)
		}
		secret, ok := s.keys[id]
		if !ok {
			return errf(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found. Check the AccessKey id you configured.")
		}
		want := SignRPC(method, params, secret)
		if subtle.ConstantTimeCompare([]byte(want), []byte(params["Signature"])) != 1 {
			return errf(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. Check the AccessKey secret and how the request is signed.")
		}
	}
	if !s.nonces.add(params["SignatureNonce"], time.Now()) {
		return errf(400, "SignatureNonceUsed", "Specified signature nonce was used already. Send a fresh SignatureNonce with every request.")
	}
	return nil
}

func (s *Sim) knownToken(tok string) bool {
	found := false
	for t := range s.tokens {
		if subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
			found = true
		}
	}
	return found
}

// StringToSign builds Alibaba Cloud's RPC string to sign: the method, the
// encoded "/", and the percent-encoded, key-sorted canonical query of every
// parameter (query and form) except Signature.
func StringToSign(method string, params map[string]string) string {
	v := url.Values{}
	for k, val := range params {
		if k == "Signature" {
			continue
		}
		v.Set(k, val)
	}
	canon := v.Encode()
	canon = strings.ReplaceAll(canon, "+", "%20")
	canon = strings.ReplaceAll(canon, "*", "%2A")
	canon = strings.ReplaceAll(canon, "%7E", "~")
	return strings.ToUpper(method) + "&%2F&" + url.QueryEscape(canon)
}

// SignRPC returns the HMAC-SHA1 signature (key secret+"&") of a request's
// parameters, as SignatureVersion 1.0 defines it.
func SignRPC(method string, params map[string]string, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(StringToSign(method, params)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// nonceCache remembers used nonces for a while, in bounded memory.
type nonceCache struct {
	mu    sync.Mutex
	ttl   time.Duration
	max   int
	seen  map[string]*list.Element
	order *list.List // of nonceEntry, oldest first
}

type nonceEntry struct {
	nonce string
	at    time.Time
}

func newNonceCache(ttl time.Duration, max int) *nonceCache {
	return &nonceCache{ttl: ttl, max: max, seen: map[string]*list.Element{}, order: list.New()}
}

// add records the nonce and reports whether it was new.
func (c *nonceCache) add(nonce string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.order.Front(); e != nil; e = c.order.Front() {
		ent := e.Value.(nonceEntry)
		if now.Sub(ent.at) <= c.ttl && c.order.Len() < c.max {
			break
		}
		c.order.Remove(e)
		delete(c.seen, ent.nonce)
	}
	if _, dup := c.seen[nonce]; dup {
		return false
	}
	c.seen[nonce] = c.order.PushBack(nonceEntry{nonce: nonce, at: now})
	return true
}

func (c *nonceCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
