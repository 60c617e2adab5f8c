package mcp

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cccops/cccops/internal/app"
	"github.com/cccops/cccops/internal/oauth"
	"github.com/cccops/cccops/internal/oauth/oauthtest"
)

// serveOAuth runs the HTTP endpoint with the OAuth resource server trusting
// idp, plus the static tokens given (nil: none, i.e. --auth oauth).
func (e *env) serveOAuth(t *testing.T, idp *oauthtest.IdP, tokens map[string]string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	resource := "http://" + ln.Addr().String() + DefaultPath
	rs, err := oauth.New(oauth.Config{Issuers: []oauth.Issuer{{Alias: "idp", URL: idp.URL}}, Resource: resource, Logger: app.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	if tokens == nil {
		tokens = map[string]string{}
	}
	h, err := e.srv.HTTPHandler(HTTPConfig{Tokens: tokens, OAuth: rs})
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
		_ = hs.Shutdown(ctx)
	})
	return resource
}

func withPolicy(t *testing.T, yaml string) envOpt {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(c *app.Config, _ *Options) { c.PolicyFile = path }
}

func mint(idp *oauthtest.IdP, resource, sub string, mod func(map[string]any)) string {
	c := idp.Claims(sub, resource, time.Now())
	if mod != nil {
		mod(c)
	}
	return idp.Mint(idp.Keys()[0], c)
}

func (e *env) ranAs(t *testing.T, action, principal string) bool {
	t.Helper()
	for _, r := range e.auditRecords(t) {
		if r.Action == action && r.Result == "ok" && r.Principal == principal && r.Surface == "mcp" {
			return true
		}
	}
	return false
}

// A client that speaks the MCP authorization specification starts with no
// token, discovers the provider from the 401, signs in (authorization code
// with PKCE, resource indicator) and uses the tools as that person.
func TestOAuthClientDiscoversSignsInAndCallsAsThePerson(t *testing.T) {
	for _, legacy := range []bool{true, false} {
		e := newEnv(t)
		idp := oauthtest.Start(t, "/realms/ops", "rfc8414")
		idp.SignIn("alice", []string{"ccc:read", "ccc:write"}, map[string]any{"name": "Alice Ops"})
		resource := e.serveOAuth(t, idp, nil)
		store := transport.NewMemoryTokenStore()
		var opts []transport.StreamableHTTPCOption
		opts = append(opts, transport.WithHTTPOAuth(transport.OAuthConfig{
			ClientID: "connector-test", RedirectURI: "http://127.0.0.1:1/callback",
			Scopes: []string{"ccc:read", "ccc:write"}, TokenStore: store, PKCEEnabled: true,
		}))
		tr, err := transport.NewStreamableHTTP(resource, opts...)
		if err != nil {
			t.Fatal(err)
		}
		var copts []client.ClientOption
		if legacy {
			copts = append(copts, client.WithLegacyProtocolOnly())
		}
		c := client.NewClient(tr, copts...)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		var init mcp.InitializeRequest
		init.Params.ClientInfo = mcp.Implementation{Name: "connector-test", Version: "1"}
		_, err = c.Initialize(ctx, init)
		if !client.IsOAuthAuthorizationRequiredError(err) {
			t.Fatalf("initialize without a token: %v; want the client told to authorize", err)
		}
		h := client.GetOAuthHandler(err)
		meta, err := h.GetServerMetadata(ctx)
		if err != nil || meta.Issuer != idp.URL {
			t.Fatalf("the client did not find the provider from the 401: %+v %v", meta, err)
		}
		verifier, _ := client.GenerateCodeVerifier()
		state, _ := client.GenerateState()
		authURL, err := h.GetAuthorizationURL(ctx, state, client.GenerateCodeChallenge(verifier))
		if err != nil {
			t.Fatal(err)
		}
		if u, _ := url.Parse(authURL); u.Query().Get("resource") != resource {
			t.Fatalf("the client asks for resource %q, want %q (from the metadata)", u.Query().Get("resource"), resource)
		}
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noFollow.Get(authURL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		back, _ := url.Parse(resp.Header.Get("Location"))
		if err := h.ProcessAuthorizationResponse(ctx, back.Query().Get("code"), back.Query().Get("state"), verifier); err != nil {
			t.Fatalf("token exchange: %v", err)
		}
		if _, err := c.Initialize(ctx, init); err != nil {
			t.Fatalf("initialize with the token: %v", err)
		}
		if n := len(listTools(t, c)); n != 89 {
			t.Fatalf("tools/list as alice: %d tools", n)
		}
		res := callTool(t, c, "list_agent_states", nil)
		if res.IsError || !strings.Contains(text(res), "mallory") {
			t.Fatalf("read as alice: %s", text(res))
		}
		if !e.ranAs(t, "ListAgentStates", "oauth:idp:alice") {
			t.Fatalf("the read is not audited as oauth:idp:alice: %+v", e.auditRecords(t))
		}
	}
}

func TestOAuthRefusalsAtTheEndpoint(t *testing.T) {
	e := newEnv(t)
	idp := oauthtest.Start(t, "", "oidc")
	resource := e.serveOAuth(t, idp, nil)
	metaURL := strings.Replace(resource, "/mcp", "/.well-known/oauth-protected-resource/mcp", 1)
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`
	post := func(token string) rawResp {
		r := &raw{t: t, url: resource, token: token}
		return r.do(http.MethodPost, strings.NewReader(init), nil)
	}
	res := post("")
	if res.status != 401 || res.header.Get("WWW-Authenticate") != `Bearer scope="ccc:read ccc:write", resource_metadata="`+metaURL+`"` {
		t.Fatalf("no token: %d %q", res.status, res.header.Get("WWW-Authenticate"))
	}
	// The challenge's metadata URL is served, public, by this server.
	resp, err := http.Get(metaURL)
	if err != nil {
		t.Fatal(err)
	}
	var doc oauth.Metadata
	_ = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if resp.StatusCode != 200 || doc.Resource != resource || len(doc.AuthorizationServers) != 1 || doc.AuthorizationServers[0] != idp.URL {
		t.Fatalf("metadata: %d %+v", resp.StatusCode, doc)
	}
	for _, bad := range []string{
		mint(idp, resource, "alice", func(c map[string]any) { c["exp"] = time.Now().Add(-5 * time.Minute).Unix() }),
		mint(idp, resource, "alice", func(c map[string]any) { c["aud"] = "https://elsewhere.example.com/mcp" }),
		idp.MintNone(idp.Keys()[0], idp.Claims("alice", resource, time.Now())),
		aliceToken,
	} {
		res := post(bad)
		if ch := res.header.Get("WWW-Authenticate"); res.status != 401 || !strings.Contains(ch, `error="invalid_token"`) || !strings.Contains(ch, `resource_metadata="`+metaURL+`"`) {
			t.Fatalf("bad token: %d %q", res.status, ch)
		}
		if strings.Contains(res.body, bad) {
			t.Fatal("the token is echoed")
		}
	}
	res = post(mint(idp, resource, "alice", func(c map[string]any) { c["scope"] = "openid profile" }))
	if ch := res.header.Get("WWW-Authenticate"); res.status != 403 || !strings.Contains(ch, `error="insufficient_scope"`) || !strings.Contains(ch, `scope="ccc:read"`) {
		t.Fatalf("token without ccc scopes: %d %q", res.status, ch)
	}
	if n := e.sim.Count("ListAgentStates"); n != 0 {
		t.Fatalf("refused requests reached the simulator %d times", n)
	}
}

// ccc:read alone lists and reads but the gate refuses a write, which never
// reaches CCC; the refusal says which scope to grant.
func TestOAuthReadScopeNarrowsTheGate(t *testing.T) {
	e := newEnv(t)
	idp := oauthtest.Start(t, "", "rfc8414")
	resource := e.serveOAuth(t, idp, nil)
	tok := mint(idp, resource, "reader", func(c map[string]any) { c["scope"] = "ccc:read" })
	c := httpClient(t, resource, tok, false, accept())
	if res := callTool(t, c, "list_agent_states", nil); res.IsError {
		t.Fatalf("read with ccc:read: %s", text(res))
	}
	res := callTool(t, c, "reset_user_status", resetArgs(t, e.sim))
	if !res.IsError || !strings.Contains(text(res), "ccc:write") || e.sim.Count("ResetUserStatus") != 0 {
		t.Fatalf("write with ccc:read only: %q, ran %d", text(res), e.sim.Count("ResetUserStatus"))
	}
}

// The policy gives roles by group; the token's groups claim decides which.
func TestOAuthGroupClaimGrantsARole(t *testing.T) {
	e := newEnv(t, withPolicy(t, `
default_role: viewer
groups:
  ccc-operators: operator
roles:
  viewer:
    rules:
      - {access: [read], verdict: allow}
  operator:
    rules:
      - {access: [read], verdict: allow}
      - {access: [destructive], verdict: confirm}
`))
	idp := oauthtest.Start(t, "", "rfc8414")
	resource := e.serveOAuth(t, idp, nil)
	viewer := httpClient(t, resource, mint(idp, resource, "vera", nil), false, accept())
	if res := callTool(t, viewer, "reset_user_status", resetArgs(t, e.sim)); !res.IsError || e.sim.Count("ResetUserStatus") != 0 {
		t.Fatalf("a reset without the group: %q, ran %d", text(res), e.sim.Count("ResetUserStatus"))
	}
	h := accept()
	operator := httpClient(t, resource, mint(idp, resource, "otto", func(c map[string]any) { c["groups"] = []any{"ccc-operators"} }), false, h)
	if res := callTool(t, operator, "reset_user_status", resetArgs(t, e.sim)); res.IsError || e.sim.Count("ResetUserStatus") != 1 || len(h.asked()) != 1 {
		t.Fatalf("a confirmed reset by a ccc-operators member: %q, ran %d, asked %d", text(res), e.sim.Count("ResetUserStatus"), len(h.asked()))
	}
	if !e.ranAs(t, "ResetUserStatus", "oauth:idp:otto") {
		t.Fatal("the reset is not audited as oauth:idp:otto")
	}
}

// --auth both: static tokens still work as before; sessions stay with the
// principal that opened them, across both kinds of token.
func TestOAuthSessionsBoundToTheirPrincipal(t *testing.T) {
	e := newEnv(t)
	idp := oauthtest.Start(t, "", "rfc8414")
	resource := e.serveOAuth(t, idp, map[string]string{"ci": aliceToken})
	alice := &raw{t: t, url: resource, token: mint(idp, resource, "alice", nil)}
	alice.initialize(map[string]any{})
	if res := alice.rpc(2, "tools/list", nil); res.status != 200 {
		t.Fatalf("owner: %d %s", res.status, res.body)
	}
	for name, tok := range map[string]string{
		"another person's token": mint(idp, resource, "bob", nil),
		"a static token":         aliceToken,
	} {
		other := &raw{t: t, url: resource, token: tok, session: alice.session}
		if res := other.rpc(3, "tools/call", map[string]any{"name": "list_agent_states", "arguments": map[string]any{}}); res.status != http.StatusNotFound {
			t.Fatalf("%s used alice's session: %d", name, res.status)
		}
	}
	if n := e.sim.Count("ListAgentStates"); n != 0 {
		t.Fatalf("a foreign session call reached the simulator %d times", n)
	}
	// A later token of the same person (refreshed) keeps the session.
	alice.token = mint(idp, resource, "alice", func(c map[string]any) { c["jti"] = "refreshed" })
	if res := alice.rpc(4, "tools/list", nil); res.status != 200 {
		t.Fatalf("owner with a refreshed token: %d", res.status)
	}
	ci := httpClient(t, resource, aliceToken, false, nil)
	if res := callTool(t, ci, "list_agent_states", nil); res.IsError || !e.ranAs(t, "ListAgentStates", "mcp:ci") {
		t.Fatalf("static token under --auth both: %q", text(res))
	}
}

// --auth tokens (no OAuth configured) answers exactly as before: no
// metadata, the old challenge, the old body.
func TestStaticTokenAnswersUnchangedWithoutOAuth(t *testing.T) {
	e := newEnv(t)
	u := e.serveHTTP(t, HTTPConfig{})
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`
	for _, tc := range []struct{ auth, challenge, body string }{
		{"", `Bearer realm="cccops"`, "missing bearer token: send Authorization: Bearer <token>\n"},
		{"Bearer wrong-token-0123456789", `Bearer realm="cccops", error="invalid_token"`, "invalid bearer token\n"},
	} {
		r := &raw{t: t, url: u}
		res := r.do(http.MethodPost, strings.NewReader(init), map[string]string{"Authorization": tc.auth})
		if res.status != 401 || res.header.Get("WWW-Authenticate") != tc.challenge || res.body != tc.body {
			t.Fatalf("%q: %d %q %q", tc.auth, res.status, res.header.Get("WWW-Authenticate"), res.body)
		}
	}
	resp, err := http.Get(strings.Replace(u, "/mcp", "/.well-known/oauth-protected-resource", 1))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("metadata served without OAuth: %d %s", resp.StatusCode, b)
	}
}
