package policy

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// tokenPrefix names the token format; a new format gets a new prefix.
const tokenPrefix = "cct1."

// maxTokenLen bounds what Redeem will look at.
const maxTokenLen = 4096

var b64 = base64.RawURLEncoding.Strict()

// claims is what a confirmation token binds. Short JSON names keep tokens
// small enough for a Slack button value.
type claims struct {
	Principal string `json:"p"`
	Action    string `json:"a"`
	Digest    string `json:"d"`
	Instance  string `json:"i"`
	Issued    int64  `json:"t"` // Unix milliseconds
	Expires   int64  `json:"e"` // Unix milliseconds
	Nonce     string `json:"n"` // 128 random bits, hex
}

// Refusal codes carried by RefusedError.Code.
const (
	RefusedMalformed = "malformed"
	RefusedSignature = "signature"
	RefusedExpired   = "expired"
	RefusedPrincipal = "principal"
	RefusedAction    = "action"
	RefusedInstance  = "instance"
	RefusedArguments = "arguments"
	RefusedReplay    = "replay"
	RefusedFourEyes  = "four-eyes"
	RefusedDenied    = "denied"
)

// RefusedError says why a confirmation was not accepted and what to do.
type RefusedError struct {
	Code   string // one of the Refused* constants
	Reason string
}

func (e *RefusedError) Error() string { return "confirmation refused: " + e.Reason }

func refuse(code, format string, a ...any) *RefusedError {
	return &RefusedError{Code: code, Reason: fmt.Sprintf(format, a...)}
}

// Issue makes the confirmation token for c: it binds the requesting
// principal, the action, Digest(c.Args), the instance, the issue time, the
// expiry and a random nonce, signed with HMAC-SHA256. The token is opaque
// to everyone but this gate (and gates sharing its secret).
func (g *Gate) Issue(c Call) (string, time.Time, error) {
	if c.Principal.ID == "" {
		return "", time.Time{}, refuse(RefusedPrincipal, "no principal on the request; the adapter must identify the caller before asking for confirmation")
	}
	if d := g.Decide(c); d.Verdict == Deny {
		return "", time.Time{}, refuse(RefusedDenied, "%s", d.Reason)
	}
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return "", time.Time{}, fmt.Errorf("policy: cannot draw a nonce: %w", err)
	}
	now := g.now()
	exp := now.Add(g.ttl)
	cl := claims{
		Principal: c.Principal.ID,
		Action:    c.Action,
		Digest:    Digest(c.Args),
		Instance:  c.InstanceID,
		Issued:    now.UnixMilli(),
		Expires:   exp.UnixMilli(),
		Nonce:     hex.EncodeToString(nonce),
	}
	return g.sign(cl), time.UnixMilli(cl.Expires), nil
}

func (g *Gate) sign(cl claims) string {
	payload, _ := json.Marshal(cl) // plain strings and ints always encode
	head := tokenPrefix + b64.EncodeToString(payload)
	return head + "." + b64.EncodeToString(g.mac(head))
}

func (g *Gate) mac(head string) []byte {
	m := hmac.New(sha256.New, g.secret)
	m.Write([]byte(head))
	return m.Sum(nil)
}

// parseToken checks a token's shape and signature and returns its claims.
// Only the exact bytes Issue produces are accepted: one format, base64url
// without padding or line breaks, canonical JSON with known fields.
func (g *Gate) parseToken(tok string) (claims, *RefusedError) {
	var cl claims
	malformed := refuse(RefusedMalformed, "the confirmation token is not one this server issued (wrong format); start the action again to get a new confirmation")
	if len(tok) > maxTokenLen || !strings.HasPrefix(tok, tokenPrefix) {
		return cl, malformed
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return cl, malformed
		}
	}
	dot := strings.LastIndexByte(tok, '.')
	head, sig := tok[:dot], tok[dot+1:]
	if head == tokenPrefix[:len(tokenPrefix)-1] || strings.Count(tok, ".") != 2 {
		return cl, malformed
	}
	mac, err := b64.DecodeString(sig)
	if err != nil || len(mac) != sha256.Size {
		return cl, malformed
	}
	if !hmac.Equal(mac, g.mac(head)) {
		return cl, refuse(RefusedSignature, "the confirmation token's signature does not match: it was altered, or issued by another server or before a restart; start the action again to get a new confirmation")
	}
	payload, err := b64.DecodeString(head[len(tokenPrefix):])
	if err != nil {
		return cl, malformed
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cl); err != nil || dec.More() {
		return cl, malformed
	}
	if again, _ := json.Marshal(cl); !bytes.Equal(again, payload) {
		return cl, malformed
	}
	return cl, nil
}

// Redeem accepts a confirmation token for c, approved by approver, or says
// why not with a *RefusedError. It checks, in order: format and signature;
// expiry; that c is the very call the token was issued for (same requester,
// action, instance and arguments); that the policy does not now deny it;
// who approves — under four eyes someone else holding an approver role,
// otherwise only the requester; and that the token was not
// redeemed before. A refused token stays usable for the call it was issued
// for; a redeemed one never works again. A zero approver means the
// requester confirmed it themselves.
func (g *Gate) Redeem(token string, c Call, approver Principal) error {
	cl, rerr := g.parseToken(token)
	if rerr != nil {
		return rerr
	}
	now := g.now()
	nowMS := now.UnixMilli()
	if nowMS >= cl.Expires {
		return refuse(RefusedExpired, "the confirmation expired at %s (it was valid for %v); nothing was run — start the action again to get a new confirmation",
			time.UnixMilli(cl.Expires).UTC().Format(time.RFC3339), time.Duration(cl.Expires-cl.Issued)*time.Millisecond)
	}
	if cl.Issued > nowMS+int64(time.Minute/time.Millisecond) || cl.Expires-cl.Issued > g.ttl.Milliseconds() || cl.Expires <= cl.Issued {
		return refuse(RefusedExpired, "the confirmation's validity window does not fit this server's clock or token lifetime; start the action again to get a new confirmation")
	}
	if cl.Principal != c.Principal.ID {
		return refuse(RefusedPrincipal, "this confirmation belongs to a request by %s, not %s; only the person who asked can continue it — ask for your own confirmation", cl.Principal, c.Principal.ID)
	}
	if cl.Action != c.Action {
		return refuse(RefusedAction, "this confirmation is for %s, not %s; request a confirmation for %s", cl.Action, c.Action, c.Action)
	}
	if cl.Instance != c.InstanceID {
		return refuse(RefusedInstance, "this confirmation is for instance %q, not %q; request a new confirmation for the instance you mean", cl.Instance, c.InstanceID)
	}
	if cl.Digest != Digest(c.Args) {
		return refuse(RefusedArguments, "the arguments differ from the ones that were confirmed; nothing was run — review the new arguments and confirm again")
	}
	d := g.Decide(c)
	if d.Verdict == Deny {
		return refuse(RefusedDenied, "the policy now denies this call: %s", d.Reason)
	}
	if d.FourEyes {
		if approver.ID == "" || approver.ID == cl.Principal {
			return refuse(RefusedFourEyes, "rule %s needs four eyes: someone other than %s, holding an approver role, must approve", d.Rule, cl.Principal)
		}
		if !g.IsApprover(approver) {
			return refuse(RefusedFourEyes, "rule %s needs an approver, and %s holds no approver role; ask someone who does", d.Rule, approver.ID)
		}
	} else if approver.ID != "" && approver.ID != cl.Principal {
		return refuse(RefusedPrincipal, "only %s, who asked, can confirm this call; %s cannot confirm it for them", cl.Principal, approver.ID)
	}

	g.nonceMu.Lock()
	defer g.nonceMu.Unlock()
	if !now.Before(g.nextSweep) { // forget expired nonces about once a minute
		for n, exp := range g.used {
			if nowMS >= exp.UnixMilli() {
				delete(g.used, n)
			}
		}
		g.nextSweep = now.Add(time.Minute)
	}
	if _, seen := g.used[cl.Nonce]; seen {
		return refuse(RefusedReplay, "this confirmation was already used; each confirmation runs its call once — start the action again if it must run again")
	}
	g.used[cl.Nonce] = time.UnixMilli(cl.Expires)
	return nil
}

// DeriveKey returns a key for another use of this gate's secret (for
// example sealing state a surface hands to a client), so that it survives
// restarts and is shared by replicas exactly as confirmation tokens are,
// without exposing the secret itself.
func (g *Gate) DeriveKey(purpose string) []byte {
	m := hmac.New(sha256.New, g.secret)
	m.Write([]byte("cccops derived key\x00"))
	m.Write([]byte(purpose))
	return m.Sum(nil)
}
