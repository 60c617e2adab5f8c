package policy

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// tokenPrefix names the token format; a new format gets a new prefix.
const tokenPrefix = "cct1."

// maxTokenLen bounds what parseToken will look at.
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
	Nonce     string `json:"n"` // the stored request's id
}

// Refusal codes of a yes that does not settle its request (Refusal.Code).
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

// tokenError says why a token was not accepted and what to do.
type tokenError struct {
	Code   string // one of the Refused* constants
	Reason string
}

func refuse(code, format string, a ...any) *tokenError {
	return &tokenError{Code: code, Reason: fmt.Sprintf(format, a...)}
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
// Only the exact bytes sign produces are accepted: one format, base64url
// without padding or line breaks, canonical JSON with known fields.
func (g *Gate) parseToken(tok string) (claims, *tokenError) {
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
