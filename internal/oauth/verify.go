package oauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/cccops/cccops/internal/policy"
)

// Algorithms are the signature algorithms accepted. "none" and the HMAC
// family are not among them: a token signed with a shared secret (or with
// the issuer's public key used as one) is refused before any key is used.
var Algorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
	jose.EdDSA,
}

func fits(k *jose.JSONWebKey, alg jose.SignatureAlgorithm) bool {
	switch pk := k.Key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(string(alg), "RS") || strings.HasPrefix(string(alg), "PS")
	case *ecdsa.PublicKey:
		switch alg {
		case jose.ES256:
			return pk.Curve == elliptic.P256()
		case jose.ES384:
			return pk.Curve == elliptic.P384()
		case jose.ES512:
			return pk.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == jose.EdDSA
	}
	return false
}

// Refusal is why a token was not accepted. Description is safe to show the
// client (it never holds the token); Status is 401, 403 or 503.
type Refusal struct {
	Status      int
	Code        string // "invalid_token", "insufficient_scope", or "" (no token)
	Description string
	Scope       string // the scope needed, for insufficient_scope
}

func (r *Refusal) Error() string { return r.Description }

func invalid(format string, a ...any) *Refusal {
	return &Refusal{Status: 401, Code: "invalid_token", Description: fmt.Sprintf(format, a...)}
}

// claims are the registered claims plus the ones this server reads.
type claims struct {
	jwt.Claims
	Email             string `json:"email"`
	Name              string `json:"name"`
	PreferredUsername string `json:"preferred_username"`
	Scope             string `json:"scope"`
	Scp               any    `json:"scp"`
}

// Verify checks a bearer token and returns its principal. The principal's
// Scopes hold the ccc scopes the token carries (possibly none: the caller
// refuses those with 403).
func (s *Server) Verify(ctx context.Context, token string) (policy.Principal, *Refusal) {
	tok, err := jwt.ParseSigned(token, Algorithms)
	if err != nil {
		return policy.Principal{}, invalid("the access token is not a JWS-signed JWT with an accepted algorithm (%s)", algNames())
	}
	if len(tok.Headers) != 1 {
		return policy.Principal{}, invalid("the access token must carry exactly one signature")
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "" && !slices.Contains([]string{"jwt", "at+jwt", "application/at+jwt"}, strings.ToLower(typ)) {
		return policy.Principal{}, invalid("the token's type %q is not an access token", clip(typ))
	}
	var unverified claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return policy.Principal{}, invalid("the access token's claims are not valid JSON")
	}
	is := s.issuers[unverified.Issuer]
	if is == nil {
		return policy.Principal{}, invalid("the token's issuer is not trusted by this server; use a token from %s", strings.Join(s.issuerURLs(), " or "))
	}
	key, err := is.key(ctx, h.KeyID, jose.SignatureAlgorithm(h.Algorithm))
	if errors.Is(err, errUnavailable) {
		return policy.Principal{}, &Refusal{Status: 503, Code: "temporarily_unavailable",
			Description: "the identity provider's signing keys cannot be fetched right now; try again in a minute"}
	}
	if err != nil {
		return policy.Principal{}, invalid("the token's signing key (kid %q) is not in the issuer's key set", clip(h.KeyID))
	}
	var c claims
	var all map[string]any
	if err := tok.Claims(key.Key, &c, &all); err != nil {
		return policy.Principal{}, invalid("the token's signature does not verify")
	}
	if c.Expiry == nil {
		return policy.Principal{}, invalid("the token has no expiry (exp)")
	}
	err = c.Claims.ValidateWithLeeway(jwt.Expected{Issuer: is.URL, AnyAudience: jwt.Audience{s.cfg.Audience}, Time: s.cfg.Now()}, Leeway)
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return policy.Principal{}, invalid("the token has expired; get a new one")
	case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return policy.Principal{}, invalid("the token is not valid yet; check the clocks")
	case errors.Is(err, jwt.ErrInvalidAudience):
		return policy.Principal{}, invalid("the token's audience is not this server; request it for resource %s", s.cfg.Audience)
	case err != nil:
		return policy.Principal{}, invalid("the token's claims do not check out")
	}
	if c.Subject == "" {
		return policy.Principal{}, invalid("the token names no subject (sub)")
	}
	name := firstOf(c.Email, c.Name, c.PreferredUsername, c.Subject)
	p := policy.Principal{
		ID:      "oauth:" + is.Alias + ":" + c.Subject,
		Name:    name,
		Surface: "mcp",
		Groups:  listClaim(claimAt(all, s.cfg.GroupsClaim), false),
		Scopes:  []string{},
	}
	if s.cfg.SlackClaim != "" {
		if ids := listClaim(claimAt(all, s.cfg.SlackClaim), false); len(ids) == 1 && slackUserID(ids[0]) {
			p.Slack = ids[0]
		}
	}
	for _, sc := range append(strings.Fields(c.Scope), listClaim(c.Scp, true)...) {
		if (sc == policy.ScopeRead || sc == policy.ScopeWrite) && !slices.Contains(p.Scopes, sc) {
			p.Scopes = append(p.Scopes, sc)
		}
	}
	return p, nil
}

func (s *Server) issuerURLs() []string {
	out := make([]string, len(s.order))
	for i, is := range s.order {
		out[i] = is.URL
	}
	return out
}

func algNames() string {
	n := make([]string, len(Algorithms))
	for i, a := range Algorithms {
		n[i] = string(a)
	}
	return strings.Join(n, ", ")
}

func firstOf(v ...string) string {
	for _, s := range v {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// claimAt finds a claim by name, or by a dotted path into objects
// (realm_access.roles) when no claim has the whole name.
func claimAt(all map[string]any, name string) any {
	if v, ok := all[name]; ok {
		return v
	}
	var cur any = all
	for _, part := range strings.Split(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// listClaim reads a claim that is a list of strings or one string (split
// on spaces when split is set, as scopes are); anything else gives nothing.
func listClaim(v any, split bool) []string {
	var out []string
	switch v := v.(type) {
	case string:
		if split {
			return strings.Fields(v)
		}
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && strings.TrimSpace(s) != "" {
				out = append(out, strings.TrimSpace(s))
			}
		}
	}
	return out
}

// clip shortens a value taken from the token before it is quoted back.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// slackUserID reports whether s looks like a Slack user id (U… or W…).
func slackUserID(s string) bool {
	if len(s) < 3 || len(s) > 32 || (s[0] != 'U' && s[0] != 'W') {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
