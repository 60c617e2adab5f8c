package oauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/cccops/cccops/internal/oauth"
	"github.com/cccops/cccops/internal/oauth/oauthtest"
	"github.com/cccops/cccops/internal/policy"
)

const resource = "https://mcp.example.com/mcp"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	idp   *oauthtest.IdP
	rs    *oauth.Server
	clock *clock
	logs  *bytes.Buffer
}

func newFixtureB(b *testing.B) *fixture { return newFixture(b, nil) }

func newFixture(t testing.TB, mod func(*oauth.Config)) *fixture {
	t.Helper()
	f := &fixture{idp: oauthtest.Start(t, "", "rfc8414"), clock: &clock{t: time.Now().Truncate(time.Second)}, logs: &bytes.Buffer{}}
	cfg := oauth.Config{
		Issuers:  []oauth.Issuer{{Alias: "idp", URL: f.idp.URL}},
		Resource: resource,
		Now:      f.clock.Now,
		Logger:   slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	rs, err := oauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.rs = rs
	return f
}

type answer struct {
	status    int
	challenge string
	body      string
	p         policy.Principal
}

func (f *fixture) present(t *testing.T, authorization string) answer {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", strings.NewReader("{}"))
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	w := httptest.NewRecorder()
	p, ok := f.rs.Authenticate(w, r)
	a := answer{status: w.Code, challenge: w.Header().Get("WWW-Authenticate"), body: w.Body.String(), p: p}
	if ok {
		a.status = 200
	}
	return a
}

func (f *fixture) claims(sub string) map[string]any {
	return f.idp.Claims(sub, resource, f.clock.Now())
}

func TestValidTokensBecomeOAuthPrincipals(t *testing.T) {
	f := newFixture(t, func(c *oauth.Config) { c.GroupsClaim = "realm_access.roles" })
	for _, k := range f.idp.Keys() { // RS256 and ES256
		c := f.claims("u-123")
		c["realm_access"] = map[string]any{"roles": []any{"ccc-operators", "offline_access"}}
		c["groups"] = []any{"not-this-claim"}
		a := f.present(t, "Bearer "+f.idp.Mint(k, c))
		if a.status != 200 {
			t.Fatalf("%s token refused: %d %s %s", k.Alg, a.status, a.challenge, a.body)
		}
		want := policy.Principal{ID: "oauth:idp:u-123", Name: "u-123@example.com", Surface: "mcp",
			Groups: []string{"ccc-operators", "offline_access"}, Scopes: []string{policy.ScopeRead, policy.ScopeWrite}}
		if a.p.ID != want.ID || a.p.Name != want.Name || a.p.Surface != want.Surface || !slices.Equal(a.p.Groups, want.Groups) || !slices.Equal(a.p.Scopes, want.Scopes) {
			t.Fatalf("%s principal %+v, want %+v", k.Alg, a.p, want)
		}
	}
	// Entra and Okta put scopes in scp, as a list; a name claim stands in
	// for a missing email.
	c := f.claims("u-9")
	delete(c, "scope")
	delete(c, "email")
	c["scp"] = []any{"ccc:read"}
	c["name"] = "Nine Person"
	a := f.present(t, "Bearer "+f.idp.Mint(f.idp.Keys()[0], c))
	if a.status != 200 || a.p.Name != "Nine Person" || !slices.Equal(a.p.Scopes, []string{policy.ScopeRead}) || len(a.p.Groups) != 0 {
		t.Fatalf("scp token: %d %+v", a.status, a.p)
	}
}

func TestBadTokensAreRefusedWithTheRightChallenge(t *testing.T) {
	f := newFixture(t, nil)
	rsa, ec := f.idp.Keys()[0], f.idp.Keys()[1]
	stranger := oauthtest.Start(t, "", "rfc8414")
	unpublished := f.idp.NewKey(jose.RS256)
	now := f.clock.Now()
	with := func(mod func(map[string]any)) map[string]any {
		c := f.claims("alice")
		mod(c)
		return c
	}
	good := f.idp.Mint(rsa, f.claims("alice"))
	cases := []struct {
		name, token, want string
	}{
		{"expired beyond the leeway", f.idp.Mint(rsa, with(func(c map[string]any) { c["exp"] = now.Add(-61 * time.Second).Unix() })), "expired"},
		{"not valid yet", f.idp.Mint(ec, with(func(c map[string]any) { c["nbf"] = now.Add(2 * time.Minute).Unix() })), "not valid yet"},
		{"no expiry", f.idp.Mint(rsa, with(func(c map[string]any) { delete(c, "exp") })), "no expiry"},
		{"wrong audience", f.idp.Mint(rsa, with(func(c map[string]any) { c["aud"] = "https://other.example.com/mcp" })), "audience"},
		{"an ID token for a client", f.idp.Mint(rsa, with(func(c map[string]any) { c["aud"] = "claude-connector" })), "audience"},
		{"wrong issuer", stranger.Mint(stranger.Keys()[0], stranger.Claims("alice", resource, now)), "issuer is not trusted"},
		{"issuer claim forged onto another provider's key", stranger.Mint(stranger.Keys()[0], f.claims("alice")), "signing key"},
		{"unknown kid", f.idp.Mint(unpublished, f.claims("alice")), "signing key"},
		{"alg none", f.idp.MintNone(rsa, f.claims("alice")), "accepted algorithm"},
		{"HMAC keyed with the public key", f.idp.MintHMACWithPublicKey(rsa, f.claims("alice")), "accepted algorithm"},
		{"tampered payload", oauthtest.Tamper(good, with(func(c map[string]any) { c["sub"] = "admin" })), "signature does not verify"},
		{"no subject", f.idp.Mint(rsa, with(func(c map[string]any) { delete(c, "sub") })), "no subject"},
		{"not a JWT", "opaque-token-0123456789abcdef", "accepted algorithm"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := f.present(t, "Bearer "+tc.token)
			if a.status != 401 {
				t.Fatalf("status %d (%+v), want 401", a.status, a.p)
			}
			for _, part := range []string{`error="invalid_token"`, `resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"`} {
				if !strings.Contains(a.challenge, part) {
					t.Fatalf("WWW-Authenticate %q lacks %s", a.challenge, part)
				}
			}
			if !strings.HasPrefix(a.challenge, "Bearer ") || !strings.Contains(a.body, tc.want) || !strings.Contains(a.challenge, tc.want) {
				t.Fatalf("the refusal does not say %q: %q / %q", tc.want, a.challenge, a.body)
			}
			if strings.Contains(a.body+a.challenge+f.logs.String(), tc.token) {
				t.Fatal("the token is echoed or logged")
			}
		})
	}
	t.Run("expired within the leeway", func(t *testing.T) {
		if a := f.present(t, "Bearer "+f.idp.Mint(rsa, with(func(c map[string]any) { c["exp"] = now.Add(-50 * time.Second).Unix() }))); a.status != 200 {
			t.Fatalf("a token 50 s past exp (leeway 60 s): %d %s", a.status, a.body)
		}
	})
	t.Run("missing token", func(t *testing.T) {
		for _, auth := range []string{"", "Basic YWxpY2U6cHc=", "Bearer "} {
			a := f.present(t, auth)
			if a.status != 401 || strings.Contains(a.challenge, "error=") ||
				a.challenge != `Bearer scope="ccc:read ccc:write", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"` {
				t.Fatalf("%q: %d %q", auth, a.status, a.challenge)
			}
		}
	})
	t.Run("no ccc scope", func(t *testing.T) {
		a := f.present(t, "Bearer "+f.idp.Mint(ec, with(func(c map[string]any) { c["scope"] = "openid email" })))
		if a.status != 403 || !strings.Contains(a.challenge, `error="insufficient_scope"`) || !strings.Contains(a.challenge, `scope="ccc:read"`) || !strings.Contains(a.challenge, "resource_metadata=") {
			t.Fatalf("no ccc scope: %d %q", a.status, a.challenge)
		}
	})
}

// The metadata document holds what RFC 9728 §2 requires and sits where §3.1
// says a client looks for it given the resource URL; the resource it names
// is the one the client derived the URL from (§3.3).
func TestMetadataDocumentFollowsRFC9728(t *testing.T) {
	f := newFixture(t, func(c *oauth.Config) { c.EndpointPath = "/mcp" })
	if got := f.rs.MetadataURL(); got != "https://mcp.example.com/.well-known/oauth-protected-resource/mcp" {
		t.Fatalf("metadata URL %s", got)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !f.rs.ServeMetadata(w, r) {
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	for _, path := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("%s: %d %q", path, resp.StatusCode, resp.Header)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s is not a JSON object: %s", path, b)
		}
		if doc["resource"] != resource {
			t.Fatalf("resource %v, want the URL the client started from, %s", doc["resource"], resource)
		}
		as, _ := doc["authorization_servers"].([]any)
		if len(as) != 1 || as[0] != f.idp.URL {
			t.Fatalf("authorization_servers %v", doc["authorization_servers"])
		}
		for _, field := range []string{"scopes_supported", "bearer_methods_supported"} {
			l, ok := doc[field].([]any)
			if !ok || len(l) == 0 {
				t.Fatalf("%s missing or empty: %v", field, doc[field])
			}
			for _, v := range l {
				s, ok := v.(string)
				if !ok || (field == "bearer_methods_supported" && s != "header" && s != "body" && s != "query") {
					t.Fatalf("%s holds %v", field, v)
				}
			}
		}
		if sc := doc["scopes_supported"].([]any); len(sc) != 2 || sc[0] != "ccc:read" || sc[1] != "ccc:write" {
			t.Fatalf("scopes_supported %v", sc)
		}
	}
	resp, err := http.Post(srv.URL+"/.well-known/oauth-protected-resource", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST to the metadata: %d", resp.StatusCode)
	}
	if resp, _ := http.Get(srv.URL + "/.well-known/oauth-protected-resource/other"); resp.StatusCode != 404 {
		t.Fatalf("metadata of another resource path: %d", resp.StatusCode)
	}
}

func TestKeyRotationIsPickedUpWithBoundedRefreshes(t *testing.T) {
	f := newFixture(t, nil)
	old := f.idp.Keys()[0]
	if a := f.present(t, "Bearer "+f.idp.Mint(old, f.claims("alice"))); a.status != 200 {
		t.Fatalf("before rotation: %d %s", a.status, a.body)
	}
	hits := f.idp.JWKSHits()
	if hits != 1 {
		t.Fatalf("the key set was fetched %d times for one token", hits)
	}
	fresh := f.idp.NewKey(jose.ES256)
	f.idp.Publish(old, fresh)
	// Within 30 s of the last fetch the new key is not looked for; after
	// that, one refresh finds it.
	f.clock.Add(10 * time.Second)
	if a := f.present(t, "Bearer "+f.idp.Mint(fresh, f.claims("alice"))); a.status != 401 || f.idp.JWKSHits() != hits {
		t.Fatalf("refresh inside the 30 s bound: %d, %d fetches", a.status, f.idp.JWKSHits()-hits)
	}
	f.clock.Add(21 * time.Second)
	if a := f.present(t, "Bearer "+f.idp.Mint(fresh, f.claims("alice"))); a.status != 200 {
		t.Fatalf("token on the rotated-in key: %d %s", a.status, a.body)
	}
	if f.idp.JWKSHits() != hits+1 {
		t.Fatalf("rotation took %d fetches", f.idp.JWKSHits()-hits)
	}
	// A flood of tokens naming unknown keys fetches at most once per 30 s:
	// one a second for 60 s after a fetch gives two more fetches.
	hits = f.idp.JWKSHits()
	unknown := f.idp.NewKey(jose.RS256)
	for i := 0; i < 60; i++ {
		f.clock.Add(time.Second)
		if a := f.present(t, "Bearer "+f.idp.Mint(unknown, f.claims("alice"))); a.status != 401 {
			t.Fatalf("unknown kid accepted: %d", a.status)
		}
	}
	if got := f.idp.JWKSHits() - hits; got != 2 {
		t.Fatalf("60 unknown-kid tokens over 60 s caused %d fetches; want 2", got)
	}
	// The provider retires the old key: once the cache is older than its
	// maximum age, tokens on that key stop working.
	f.idp.Publish(fresh)
	f.clock.Add(oauth.DefaultMaxKeyAge + time.Second)
	if a := f.present(t, "Bearer "+f.idp.Mint(old, f.claims("alice"))); a.status != 401 {
		t.Fatalf("token on a retired key: %d", a.status)
	}
	if a := f.present(t, "Bearer "+f.idp.Mint(fresh, f.claims("alice"))); a.status != 200 {
		t.Fatalf("token on the current key after retirement: %d %s", a.status, a.body)
	}
}

func TestDiscoveryFindsMetadataInBothLayouts(t *testing.T) {
	for _, layout := range []string{"rfc8414", "oidc"} {
		idp := oauthtest.Start(t, "/realms/ops", layout)
		rs, err := oauth.New(oauth.Config{Issuers: []oauth.Issuer{{Alias: "kc", URL: idp.URL}}, Resource: resource})
		if err != nil {
			t.Fatal(err)
		}
		if err := rs.Discover(context.Background()); err != nil {
			t.Fatalf("%s: %v", layout, err)
		}
		if idp.JWKSHits() != 1 {
			t.Fatalf("%s: keys fetched %d times", layout, idp.JWKSHits())
		}
	}
	// An issuer written differently from what its metadata says is refused:
	// tokens would carry the other spelling.
	idp := oauthtest.Start(t, "/realms/ops", "oidc")
	rs, err := oauth.New(oauth.Config{Issuers: []oauth.Issuer{{Alias: "kc", URL: idp.URL + "/"}}, Resource: resource})
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.Discover(context.Background()); err == nil || !strings.Contains(err.Error(), "exactly") {
		t.Fatalf("issuer mismatch: %v", err)
	}
	// Nothing at the issuer: the error names where it looked.
	rs, _ = oauth.New(oauth.Config{Issuers: []oauth.Issuer{{Alias: "x", URL: idp.URL + "/nothing"}}, Resource: resource})
	if err := rs.Discover(context.Background()); err == nil || !strings.Contains(err.Error(), "publishes no metadata") {
		t.Fatalf("no metadata: %v", err)
	}
}

func TestIssuerAndResourceConfiguration(t *testing.T) {
	got, err := oauth.ParseIssuers(" kc=https://sso.example.com/realms/ops , https://login.example.org/ ")
	if err != nil {
		t.Fatal(err)
	}
	want := []oauth.Issuer{{Alias: "kc", URL: "https://sso.example.com/realms/ops"}, {Alias: "login.example.org", URL: "https://login.example.org/"}}
	if !slices.Equal(got, want) {
		t.Fatalf("ParseIssuers: %+v", got)
	}
	if l, err := oauth.ParseIssuers("http://127.0.0.1:9000,dev=http://localhost:9001/r"); err != nil || len(l) != 2 || l[0].Alias != "127.0.0.1" {
		t.Fatalf("loopback HTTP issuers: %+v %v", l, err)
	}
	for _, bad := range []string{"http://sso.example.com", "ftp://sso.example.com", "kc=https://a.example.com?x=1", "bad alias=https://a.example.com", "https://u:p@a.example.com"} {
		if _, err := oauth.ParseIssuers(bad); err == nil {
			t.Errorf("ParseIssuers(%q) accepted", bad)
		}
	}
	same := []oauth.Issuer{{Alias: "sso.example.com", URL: "https://sso.example.com/a"}, {Alias: "sso.example.com", URL: "https://sso.example.com/b"}}
	if _, err := oauth.New(oauth.Config{Issuers: same, Resource: resource}); err == nil || !strings.Contains(err.Error(), "alias") {
		t.Fatalf("two issuers with one alias: %v", err)
	}
	one := []oauth.Issuer{{Alias: "kc", URL: "https://sso.example.com"}}
	for _, bad := range []string{"", "mcp.example.com/mcp", "http://mcp.example.com/mcp", "https://mcp.example.com/mcp#x"} {
		if _, err := oauth.New(oauth.Config{Issuers: one, Resource: bad}); err == nil {
			t.Errorf("resource %q accepted", bad)
		}
	}
	if _, err := oauth.New(oauth.Config{Resource: resource}); err == nil {
		t.Error("no issuer accepted")
	}
	if _, err := oauth.New(oauth.Config{Issuers: one, Resource: "http://127.0.0.1:8080/mcp"}); err != nil {
		t.Errorf("loopback HTTP resource: %v", err)
	}
}

// A configured audience other than the resource URL is the one checked.
func TestConfiguredAudience(t *testing.T) {
	f := newFixture(t, func(c *oauth.Config) { c.Audience = "api://cccops" })
	k := f.idp.Keys()[0]
	if a := f.present(t, "Bearer "+f.idp.Mint(k, f.claims("alice"))); a.status != 401 {
		t.Fatalf("token for the resource URL with audience api://cccops configured: %d", a.status)
	}
	c := f.claims("alice")
	c["aud"] = []any{"other", "api://cccops"}
	if a := f.present(t, "Bearer "+f.idp.Mint(k, c)); a.status != 200 {
		t.Fatalf("token for api://cccops: %d %s", a.status, a.body)
	}
}

// The provider down at the first request: 503 with Retry-After, not a 401
// that would send the client to sign in again.
func TestUnreachableProviderIsNotAnAuthFailure(t *testing.T) {
	idp := oauthtest.Start(t, "", "rfc8414")
	rs, err := oauth.New(oauth.Config{Issuers: []oauth.Issuer{{Alias: "idp", URL: "http://127.0.0.1:1"}}, Resource: resource, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	c := idp.Claims("alice", resource, time.Now())
	c["iss"] = "http://127.0.0.1:1"
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	r.Header.Set("Authorization", "Bearer "+idp.Mint(idp.Keys()[0], c))
	w := httptest.NewRecorder()
	if _, ok := rs.Authenticate(w, r); ok || w.Code != 503 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("unreachable provider: %d %v", w.Code, w.Header())
	}
}

func TestSlackClaimLinksThePersonsSlackUser(t *testing.T) {
	f := newFixture(t, func(c *oauth.Config) { c.SlackClaim = "slack_user" })
	k := f.idp.Keys()[0]
	c := f.claims("u-7")
	c["slack_user"] = "U01ALICE01"
	if a := f.present(t, "Bearer "+f.idp.Mint(k, c)); a.status != 200 || a.p.Slack != "U01ALICE01" {
		t.Fatalf("slack claim: %d %+v", a.status, a.p)
	}
	// Anything that is not one Slack user id links nobody.
	for _, bad := range []any{"alice@example.com", []any{"U1", "U2"}, "U01 ALICE", ""} {
		c := f.claims("u-8")
		c["slack_user"] = bad
		if a := f.present(t, "Bearer "+f.idp.Mint(k, c)); a.status != 200 || a.p.Slack != "" {
			t.Errorf("claim %v linked %q (status %d)", bad, a.p.Slack, a.status)
		}
	}
}
