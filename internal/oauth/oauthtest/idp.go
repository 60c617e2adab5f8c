// Package oauthtest is a local identity provider for tests: it generates
// real keys, serves RFC 8414 or OpenID Connect metadata and a JWKS on a
// loopback listener it starts, and mints tokens signed with go-jose, the
// same library the resource server verifies with. It also makes the bad
// tokens attackers send (alg none, HMAC keyed with the public key, a
// tampered payload).
package oauthtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Key is one signing key of the provider.
type Key struct {
	ID  string
	Alg jose.SignatureAlgorithm
	Pub any
	key any
}

// IdP is the stand-in provider.
type IdP struct {
	t      testing.TB
	URL    string // issuer
	Layout string // "rfc8414" (path inserted) or "oidc" (path appended)

	mu        sync.Mutex
	published []*Key
	keys      map[string]*Key
	jwksHits  int
	metaHits  int
	n         int

	user  map[string]any // the signed-in person's claims (sub, groups, …)
	grant []string       // scopes the provider lets them have
	codes map[string]grant
}

type grant struct {
	challenge, redirect, resource, clientID string
	scopes                                  []string
	user                                    map[string]any
}

// Start runs a provider on 127.0.0.1 with an RS256 and an ES256 key.
// path is the issuer's path ("" or e.g. "/realms/ops"); layout picks where
// its metadata lives.
func Start(t testing.TB, path, layout string) *IdP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &IdP{t: t, URL: "http://" + ln.Addr().String() + path, Layout: layout, keys: map[string]*Key{}, codes: map[string]grant{}}
	p.SignIn("alice", []string{"ccc:read", "ccc:write"}, nil)
	p.published = []*Key{p.NewKey(jose.RS256), p.NewKey(jose.ES256)}
	mux := http.NewServeMux()
	metaPath := "/.well-known/oauth-authorization-server" + path
	if layout == "oidc" {
		metaPath = path + "/.well-known/openid-configuration"
	}
	mux.HandleFunc(metaPath, func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.metaHits++
		p.mu.Unlock()
		writeJSON(w, map[string]any{
			"issuer":                                p.URL,
			"authorization_endpoint":                p.URL + "/authorize",
			"token_endpoint":                        p.URL + "/token",
			"jwks_uri":                              p.URL + "/jwks",
			"response_types_supported":              []string{"code"},
			"grant_types_supported":                 []string{"authorization_code", "refresh_token"},
			"code_challenge_methods_supported":      []string{"S256"},
			"token_endpoint_auth_methods_supported": []string{"none"},
			"scopes_supported":                      []string{"openid", "ccc:read", "ccc:write"},
		})
	})
	mux.HandleFunc(path+"/jwks", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.jwksHits++
		set := jose.JSONWebKeySet{}
		for _, k := range p.published {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Pub, KeyID: k.ID, Algorithm: string(k.Alg), Use: "sig"})
		}
		p.mu.Unlock()
		writeJSON(w, set)
	})
	mux.HandleFunc(path+"/authorize", p.authorize)
	mux.HandleFunc(path+"/token", p.token)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() { _ = hs.Close() })
	return p
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// NewKey makes a key (not yet published) for RS256 or ES256.
func (p *IdP) NewKey(alg jose.SignatureAlgorithm) *Key {
	p.t.Helper()
	p.mu.Lock()
	p.n++
	nonce := make([]byte, 4)
	_, _ = rand.Read(nonce)
	k := &Key{ID: fmt.Sprintf("key-%d-%s-%x", p.n, strings.ToLower(string(alg)), nonce), Alg: alg}
	p.mu.Unlock()
	switch alg {
	case jose.RS256:
		priv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			p.t.Fatal(err)
		}
		k.key, k.Pub = priv, &priv.PublicKey
	case jose.ES256:
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			p.t.Fatal(err)
		}
		k.key, k.Pub = priv, &priv.PublicKey
	default:
		p.t.Fatalf("oauthtest: no key type for %s", alg)
	}
	p.mu.Lock()
	p.keys[k.ID] = k
	p.mu.Unlock()
	return k
}

// Keys returns the published keys (RS256 first, then ES256, then added ones).
func (p *IdP) Keys() []*Key {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*Key(nil), p.published...)
}

// Publish replaces the JWKS with these keys (a rotation).
func (p *IdP) Publish(keys ...*Key) {
	p.mu.Lock()
	p.published = keys
	p.mu.Unlock()
}

// JWKSHits counts requests for the key set.
func (p *IdP) JWKSHits() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.jwksHits
}

// Claims returns a valid claim set for subject sub and audience aud, with
// both ccc scopes, valid for 10 minutes from now.
func (p *IdP) Claims(sub, aud string, now time.Time) map[string]any {
	return map[string]any{
		"iss":   p.URL,
		"sub":   sub,
		"aud":   aud,
		"iat":   now.Unix(),
		"nbf":   now.Unix(),
		"exp":   now.Add(10 * time.Minute).Unix(),
		"scope": "openid ccc:read ccc:write",
		"email": sub + "@example.com",
	}
}

// Mint signs claims with key k (its kid in the header).
func (p *IdP) Mint(k *Key, claims map[string]any) string {
	p.t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: k.Alg, Key: jose.JSONWebKey{Key: k.key, KeyID: k.ID}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		p.t.Fatal(err)
	}
	return p.sign(s, claims)
}

func (p *IdP) sign(s jose.Signer, claims map[string]any) string {
	p.t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		p.t.Fatal(err)
	}
	obj, err := s.Sign(b)
	if err != nil {
		p.t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		p.t.Fatal(err)
	}
	return out
}

// MintHMACWithPublicKey signs with HS256 keyed by k's public key in PEM,
// the classic algorithm-confusion attack.
func (p *IdP) MintHMACWithPublicKey(k *Key, claims map[string]any) string {
	p.t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.Pub)
	if err != nil {
		p.t.Fatal(err)
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: jose.JSONWebKey{Key: secret, KeyID: k.ID}}, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	return p.sign(s, claims)
}

// MintNone builds an unsigned token (alg none) naming k's kid.
func (p *IdP) MintNone(k *Key, claims map[string]any) string {
	p.t.Helper()
	h, _ := json.Marshal(map[string]any{"alg": "none", "typ": "JWT", "kid": k.ID})
	b, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	return enc(h) + "." + enc(b) + "."
}

// Tamper swaps a signed token's payload for other claims, keeping the
// header and the signature.
func Tamper(token string, claims map[string]any) string {
	parts := strings.Split(token, ".")
	b, _ := json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

// SignIn sets who is signed in at the provider when a client sends them to
// authorize: their subject, the scopes they may be granted, and extra
// claims (groups, name).
func (p *IdP) SignIn(sub string, scopes []string, extra map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = map[string]any{"sub": sub, "email": sub + "@example.com"}
	for k, v := range extra {
		p.user[k] = v
	}
	p.grant = scopes
}

// authorize consents at once for the signed-in person (authorization code
// flow with PKCE S256 only) and redirects back with a code.
func (p *IdP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("redirect_uri") == "" {
		http.Error(w, "authorization code with PKCE S256 only", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	g := grant{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), resource: q.Get("resource"), clientID: q.Get("client_id"), user: p.user}
	for _, sc := range strings.Fields(q.Get("scope")) {
		for _, ok := range p.grant {
			if sc == ok {
				g.scopes = append(g.scopes, sc)
			}
		}
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	code := base64.RawURLEncoding.EncodeToString(b)
	p.codes[code] = g
	p.mu.Unlock()
	u, err := url.Parse(g.redirect)
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	v := u.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// token redeems a code once, checking the PKCE verifier, and mints an
// access token whose audience is the resource the client asked for.
func (p *IdP) token(w http.ResponseWriter, r *http.Request) {
	fail := func(code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "authorization_code" {
		fail("unsupported_grant_type", "authorization_code only")
		return
	}
	p.mu.Lock()
	g, ok := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code"))
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case !ok:
		fail("invalid_grant", "unknown or used code")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		fail("invalid_grant", "PKCE verifier does not match")
		return
	case r.PostForm.Get("redirect_uri") != g.redirect:
		fail("invalid_grant", "redirect_uri differs")
		return
	case r.PostForm.Get("resource") != g.resource:
		fail("invalid_target", "resource differs from the authorization request")
		return
	}
	claims := p.Claims("", g.resource, time.Now())
	for k, v := range g.user {
		claims[k] = v
	}
	claims["scope"] = strings.Join(g.scopes, " ")
	claims["azp"] = g.clientID
	writeJSON(w, map[string]any{
		"access_token": p.Mint(p.Keys()[0], claims),
		"token_type":   "Bearer",
		"expires_in":   600,
		"scope":        strings.Join(g.scopes, " "),
	})
}
