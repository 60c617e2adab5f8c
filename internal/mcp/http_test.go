package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cccops/cccops/internal/oauth/oauthtest"
)

const (
	aliceToken = "alice-token-0123456789abcdef"
	bobToken   = "bob-token-0123456789abcdef00"
)

// fakeClock is a settable clock for session expiry.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// serveHTTP runs the hardened handler on a real loopback listener.
func (e *env) serveHTTP(t *testing.T, cfg HTTPConfig) string {
	t.Helper()
	if cfg.Tokens == nil {
		cfg.Tokens = map[string]string{"alice": aliceToken, "bob": bobToken}
	}
	h, err := e.srv.HTTPHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The same server and listener cmd/mcp-server uses.
	hs := h.Server(nil)
	go hs.Serve(h.Listener(ln))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
		_ = hs.Shutdown(ctx)
	})
	return "http://" + ln.Addr().String() + DefaultPath
}

func httpClient(t *testing.T, url, token string, modern bool, h client.ElicitationHandler) *client.Client {
	t.Helper()
	tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	if err != nil {
		t.Fatal(err)
	}
	var opts []client.ClientOption
	if !modern {
		opts = append(opts, client.WithLegacyProtocolOnly())
	}
	if h != nil {
		opts = append(opts, client.WithElicitationHandler(h))
	}
	c := client.NewClient(tr, opts...)
	initClient(t, c)
	if got := mcp.IsModernProtocol(c.ProtocolVersion()); got != modern {
		t.Fatalf("client negotiated %q; wanted modern=%v", c.ProtocolVersion(), modern)
	}
	return c
}

func TestHTTPEndToEndWithARealClient(t *testing.T) {
	for _, modern := range []bool{false, true} {
		t.Run(fmt.Sprintf("modern=%v", modern), func(t *testing.T) {
			e := newEnv(t)
			url := e.serveHTTP(t, HTTPConfig{})
			h := accept()
			c := httpClient(t, url, aliceToken, modern, h)
			if n := len(listTools(t, c)); n != 89 {
				t.Fatalf("tools/list over HTTP gave %d tools", n)
			}
			res := callTool(t, c, "list_agent_states", nil)
			if res.IsError || !strings.Contains(text(res), "mallory") {
				t.Fatalf("read over HTTP: %s", text(res))
			}
			res = callTool(t, c, "reset_user_status", resetArgs(t, e.sim))
			if res.IsError {
				t.Fatalf("confirmed reset over HTTP failed: %s", text(res))
			}
			if len(h.asked()) != 1 || e.sim.Count("ResetUserStatus") != 1 || mallory(t, e.sim).Abnormal {
				t.Fatalf("asked %d, ran %d, mallory abnormal %v", len(h.asked()), e.sim.Count("ResetUserStatus"), mallory(t, e.sim).Abnormal)
			}
			if st := agentStateText(t, c, "mallory"); st == "Talking" {
				t.Fatal("mallory still Talking after the reset")
			}
			var byAlice bool
			for _, r := range e.auditRecords(t) {
				if r.Action == "ResetUserStatus" && r.Result == "ok" && r.Principal == "mcp:alice" && r.Surface == "mcp" {
					byAlice = true
				}
			}
			if !byAlice {
				t.Fatal("the reset is not audited as mcp:alice")
			}
		})
	}
}

func TestHTTPDeclinedAndUnsupported(t *testing.T) {
	for _, modern := range []bool{false, true} {
		t.Run(fmt.Sprintf("declined/modern=%v", modern), func(t *testing.T) {
			e := newEnv(t)
			c := httpClient(t, e.serveHTTP(t, HTTPConfig{}), aliceToken, modern, decline())
			res := callTool(t, c, "reset_user_status", resetArgs(t, e.sim))
			if !res.IsError || !strings.Contains(text(res), "declined") || e.sim.Count("ResetUserStatus") != 0 {
				t.Fatalf("declined reset: %q, ran %d", text(res), e.sim.Count("ResetUserStatus"))
			}
		})
		t.Run(fmt.Sprintf("unsupported/modern=%v", modern), func(t *testing.T) {
			e := newEnv(t)
			c := httpClient(t, e.serveHTTP(t, HTTPConfig{}), aliceToken, modern, nil)
			res := callTool(t, c, "reset_user_status", resetArgs(t, e.sim))
			if !res.IsError || !strings.Contains(text(res), "A human must confirm") || e.sim.Count("ResetUserStatus") != 0 {
				t.Fatalf("unsupported client: %q, ran %d", text(res), e.sim.Count("ResetUserStatus"))
			}
		})
	}
}

// raw is a minimal legacy JSON-RPC client, for what a real client never sends.
type raw struct {
	t       *testing.T
	url     string
	token   string
	session string
	header  map[string]string
}

type rawResp struct {
	status int
	header http.Header
	body   string
}

func (r *raw) do(method string, body io.Reader, extra map[string]string) rawResp {
	r.t.Helper()
	req, err := http.NewRequest(method, r.url, body)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.session != "" {
		req.Header.Set("Mcp-Session-Id", r.session)
		req.Header.Set("MCP-Protocol-Version", "2025-06-18")
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	for k, v := range extra {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResp{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (r *raw) rpc(id int, method string, params any) rawResp {
	r.t.Helper()
	msg := map[string]any{"jsonrpc": "2.0", "method": method}
	if id > 0 {
		msg["id"] = id
	}
	if params != nil {
		msg["params"] = params
	}
	b, _ := json.Marshal(msg)
	return r.do(http.MethodPost, bytes.NewReader(b), nil)
}

func (r *raw) initialize(caps map[string]any) {
	r.t.Helper()
	res := r.rpc(1, "initialize", map[string]any{"protocolVersion": "2025-06-18", "capabilities": caps, "clientInfo": map[string]any{"name": "raw", "version": "1"}})
	if res.status != http.StatusOK {
		r.t.Fatalf("initialize: %d %s", res.status, res.body)
	}
	r.session = res.header.Get("Mcp-Session-Id")
	if r.session == "" {
		r.t.Fatal("initialize returned no session id")
	}
	if res := r.rpc(0, "notifications/initialized", nil); res.status != http.StatusAccepted {
		r.t.Fatalf("initialized: %d %s", res.status, res.body)
	}
}

func TestHTTPAuthentication(t *testing.T) {
	e := newEnv(t)
	url := e.serveHTTP(t, HTTPConfig{})
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`
	cases := []struct {
		name, auth string
		status     int
		challenge  string
	}{
		{"missing", "", 401, `Bearer realm="cccops"`},
		{"wrong token", "Bearer not-the-right-token-at-all", 401, `error="invalid_token"`},
		{"prefix of a token", "Bearer " + aliceToken[:10], 401, `error="invalid_token"`},
		{"basic scheme", "Basic " + aliceToken, 401, "Bearer"},
		{"valid", "Bearer " + aliceToken, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &raw{t: t, url: url}
			res := r.do(http.MethodPost, strings.NewReader(init), map[string]string{"Authorization": tc.auth})
			if res.status != tc.status {
				t.Fatalf("status %d, want %d (%s)", res.status, tc.status, res.body)
			}
			if tc.challenge != "" && !strings.Contains(res.header.Get("WWW-Authenticate"), tc.challenge) {
				t.Fatalf("WWW-Authenticate %q lacks %q", res.header.Get("WWW-Authenticate"), tc.challenge)
			}
			if strings.Contains(res.body, aliceToken[:10]) {
				t.Fatal("the response echoes the token")
			}
		})
	}
}

func TestHTTPOriginAndHost(t *testing.T) {
	e := newEnv(t)
	url := e.serveHTTP(t, HTTPConfig{AllowedOrigins: []string{"https://ok.example"}})
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`
	cases := []struct {
		name   string
		extra  map[string]string
		status int
	}{
		{"no origin", nil, 200},
		{"allowed origin", map[string]string{"Origin": "https://OK.example"}, 200},
		{"foreign origin", map[string]string{"Origin": "https://evil.example"}, 403},
		{"foreign origin, no token", map[string]string{"Origin": "https://evil.example", "Authorization": ""}, 403},
		{"null origin", map[string]string{"Origin": "null"}, 403},
		{"rebinding host", map[string]string{"Host": "evil.example:8080"}, 403},
		{"localhost host", map[string]string{"Host": "localhost:8080"}, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &raw{t: t, url: url, token: aliceToken}
			res := r.do(http.MethodPost, strings.NewReader(init), tc.extra)
			if res.status != tc.status {
				t.Fatalf("status %d, want %d (%s)", res.status, tc.status, res.body)
			}
		})
	}
}

// unsized hides the length so the request goes out chunked.
type unsized struct{ io.Reader }

func TestHTTPBodyLimit(t *testing.T) {
	e := newEnv(t)
	url := e.serveHTTP(t, HTTPConfig{})
	r := &raw{t: t, url: url, token: aliceToken}
	r.initialize(map[string]any{})
	big := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_agent_states","arguments":{"SkillGroupId":"` + strings.Repeat("x", DefaultMaxBody) + `"}}}`
	if res := r.do(http.MethodPost, strings.NewReader(big), nil); res.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("sized body over 1 MiB: %d", res.status)
	}
	if res := r.do(http.MethodPost, unsized{strings.NewReader(big)}, nil); res.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked body over 1 MiB: %d", res.status)
	}
	if n := e.sim.Count("ListAgentStates"); n != 0 {
		t.Fatalf("an oversized call reached the simulator %d times", n)
	}
	if res := r.rpc(3, "tools/list", nil); res.status != http.StatusOK {
		t.Fatalf("a normal request after the refusals: %d %s", res.status, res.body)
	}
}

func TestHTTPSessionsBoundToTheirPrincipal(t *testing.T) {
	e := newEnv(t)
	url := e.serveHTTP(t, HTTPConfig{})
	alice := &raw{t: t, url: url, token: aliceToken}
	alice.initialize(map[string]any{})
	if res := alice.rpc(2, "tools/list", nil); res.status != http.StatusOK {
		t.Fatalf("owner's request: %d %s", res.status, res.body)
	}
	bob := &raw{t: t, url: url, token: bobToken, session: alice.session}
	if res := bob.rpc(2, "tools/list", nil); res.status != http.StatusNotFound {
		t.Fatalf("another principal used the session: %d %s", res.status, res.body)
	}
	if res := bob.rpc(3, "tools/call", map[string]any{"name": "list_agent_states", "arguments": map[string]any{}}); res.status != http.StatusNotFound || e.sim.Count("ListAgentStates") != 0 {
		t.Fatalf("another principal called a tool in the session: %d", res.status)
	}
	if res := bob.do(http.MethodDelete, nil, nil); res.status != http.StatusNotFound {
		t.Fatalf("another principal ended the session: %d", res.status)
	}
	if res := bob.do(http.MethodGet, nil, nil); res.status != http.StatusNotFound {
		t.Fatalf("another principal listened on the session: %d", res.status)
	}
	forged := &raw{t: t, url: url, token: aliceToken, session: "mcp-session-00000000-0000-0000-0000-000000000000"}
	if res := forged.rpc(2, "tools/list", nil); res.status != http.StatusNotFound {
		t.Fatalf("forged session id: %d", res.status)
	}
	if res := alice.rpc(4, "tools/list", nil); res.status != http.StatusOK {
		t.Fatalf("owner after the attempts: %d", res.status)
	}
	if res := alice.do(http.MethodDelete, nil, nil); res.status != http.StatusOK {
		t.Fatalf("owner ends the session: %d %s", res.status, res.body)
	}
	if res := alice.rpc(5, "tools/list", nil); res.status != http.StatusNotFound {
		t.Fatalf("ended session still usable: %d", res.status)
	}
}

func TestHTTPIdleSessionsExpire(t *testing.T) {
	e := newEnv(t)
	clock := &fakeClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	url := e.serveHTTP(t, HTTPConfig{SessionIdle: 10 * time.Minute, Now: clock.Now})
	alice := &raw{t: t, url: url, token: aliceToken}
	alice.initialize(map[string]any{})
	clock.Add(9 * time.Minute)
	if res := alice.rpc(2, "tools/list", nil); res.status != http.StatusOK {
		t.Fatalf("active session refused: %d", res.status)
	}
	clock.Add(9 * time.Minute) // 9 minutes after the last use: still alive
	if res := alice.rpc(3, "tools/list", nil); res.status != http.StatusOK {
		t.Fatalf("session in use expired: %d", res.status)
	}
	clock.Add(11 * time.Minute)
	if res := alice.rpc(4, "tools/list", nil); res.status != http.StatusNotFound {
		t.Fatalf("idle session still usable: %d", res.status)
	}
}

// A client that did not declare elicitation gets a plain JSON answer with
// the need for a human, never an elicitation/create on its stream; a
// forged request state runs nothing.
func TestHTTPNoElicitationForUndeclaredClientAndForgedState(t *testing.T) {
	e := newEnv(t)
	url := e.serveHTTP(t, HTTPConfig{})
	r := &raw{t: t, url: url, token: aliceToken}
	r.initialize(map[string]any{})
	args := resetArgs(t, e.sim)
	res := r.rpc(2, "tools/call", map[string]any{"name": "reset_user_status", "arguments": args})
	if res.status != 200 || strings.Contains(res.body, "elicitation/create") || !strings.Contains(res.body, "A human must confirm") || !strings.Contains(res.body, `"isError":true`) {
		t.Fatalf("undeclared client: %d %s %s", res.status, res.header.Get("Content-Type"), res.body)
	}
	res = r.rpc(3, "tools/call", map[string]any{
		"name": "reset_user_status", "arguments": args,
		"inputResponses": map[string]any{"confirm": map[string]any{"action": "accept", "content": map[string]any{"confirm": true}}},
		"requestState":   "eyJwIjoibWNwOmFsaWNlIn0.Zm9yZ2Vk",
	})
	if res.status != 200 || !strings.Contains(res.body, `"isError":true`) || !strings.Contains(res.body, "Nothing ran") {
		t.Fatalf("forged state: %d %s", res.status, res.body)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 0 {
		t.Fatalf("ResetUserStatus reached the simulator %d times", n)
	}
}

func TestHTTPRefusesToRunWithoutTokens(t *testing.T) {
	e := newEnv(t)
	if _, err := e.srv.HTTPHandler(HTTPConfig{}); err == nil {
		t.Fatal("an HTTP handler without tokens was built")
	}
	if _, err := e.srv.HTTPHandler(HTTPConfig{Tokens: map[string]string{"ci": "short"}}); err == nil || strings.Contains(err.Error(), "short\"") {
		t.Fatalf("short token: %v", err)
	}
}

func TestParseTokens(t *testing.T) {
	got, err := ParseTokens(" ci = " + aliceToken + " , bob=" + bobToken + ",")
	if err != nil || got["ci"] != aliceToken || got["bob"] != bobToken || len(got) != 2 {
		t.Fatalf("ParseTokens: %v %v", got, err)
	}
	for _, bad := range []string{
		"noequals" + aliceToken,
		"=" + aliceToken,
		"ci=short",
		"ci=" + aliceToken + ",ci=" + bobToken,
		"a=" + aliceToken + ",b=" + aliceToken,
		"bad name=" + aliceToken,
	} {
		_, err := ParseTokens(bad)
		if err == nil {
			t.Errorf("ParseTokens(%q) accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), aliceToken) || strings.Contains(err.Error(), "short") && strings.Contains(err.Error(), "=short") {
			t.Errorf("error leaks the token: %v", err)
		}
		// The short token is the word "short"; the error may say "shorter".
		if strings.Contains(strings.ReplaceAll(err.Error(), "shorter", ""), "short") {
			t.Errorf("error may leak the token value: %v", err)
		}
	}
	// One token value under two names, across the env list and the file.
	if _, err := MergeTokens(map[string]string{"a": aliceToken}, map[string]string{"b": aliceToken}); err == nil || strings.Contains(err.Error(), aliceToken) {
		t.Fatalf("MergeTokens accepted one token for two principals (or leaked it): %v", err)
	}
	if _, err := newEnv(t).srv.HTTPHandler(HTTPConfig{Tokens: map[string]string{"a": aliceToken, "b": aliceToken}}); err == nil {
		t.Fatal("HTTPHandler accepted one token for two principals")
	}
}

// An allowed origin written with a trailing slash or capitals is allowed
// by the 403 check and gets its CORS header too; "*" is refused at start.
func TestHTTPAllowedOriginGetsCORSHeader(t *testing.T) {
	e := newEnv(t)
	url := e.serveHTTP(t, HTTPConfig{AllowedOrigins: []string{"HTTP://localhost:6274/"}})
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`
	r := &raw{t: t, url: url, token: aliceToken}
	res := r.do(http.MethodPost, strings.NewReader(init), map[string]string{"Origin": "http://localhost:6274"})
	if res.status != 200 || res.header.Get("Access-Control-Allow-Origin") != "http://localhost:6274" {
		t.Fatalf("status %d, Access-Control-Allow-Origin %q", res.status, res.header.Get("Access-Control-Allow-Origin"))
	}
	if _, err := e.srv.HTTPHandler(HTTPConfig{Tokens: map[string]string{"a": aliceToken}, AllowedOrigins: []string{"*"}}); err == nil {
		t.Fatal("* accepted as an allowed origin")
	}
}

// stalled sends headers announcing a body, never the body, and returns
// everything the server wrote until it closed the connection — or fails if
// the connection is still open after limit.
func stalled(t *testing.T, url string, header string, limit time.Duration) string {
	t.Helper()
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), DefaultPath)
	c, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n%sContent-Length: 1000\r\n\r\n", DefaultPath, host, header)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(limit))
	got, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the connection is still open %s after announcing a body it never sent; got so far:\n%s", limit, got)
	}
	return string(got)
}

// A client that announces a body and never sends it cannot hold a
// connection: without a token it gets 401 with Connection: close before the
// body is read; with one, 408 once the body deadline passes. Either way the
// server closes the connection.
func TestHTTPStalledBodiesAreClosed(t *testing.T) {
	e := newEnv(t)
	url := e.serveHTTP(t, HTTPConfig{BodyTimeout: time.Second})
	got := stalled(t, url, "", 15*time.Second)
	if !strings.HasPrefix(got, "HTTP/1.1 401") || !strings.Contains(got, "Connection: close") {
		t.Fatalf("no token, stalled body: %q", got)
	}
	got = stalled(t, url, "Authorization: Bearer "+aliceToken+"\r\n", 15*time.Second)
	if !strings.HasPrefix(got, "HTTP/1.1 408") || !strings.Contains(got, "Connection: close") || !strings.Contains(got, "did not arrive within 1s") {
		t.Fatalf("token, stalled body: %q", got)
	}
	// Many at once: none outlives the deadline.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stalled(t, url, "", 15*time.Second)
		}()
	}
	wg.Wait()
	// The server still serves.
	r := &raw{t: t, url: url, token: aliceToken}
	r.initialize(map[string]any{})
	if res := r.rpc(2, "tools/list", nil); res.status != http.StatusOK {
		t.Fatalf("after the stalled clients: %d %s", res.status, res.body)
	}
}

// With OAuth on, the provider's 401 closes a stalled connection too.
func TestHTTPStalledBodiesAreClosedUnderOAuth(t *testing.T) {
	e := newEnv(t)
	idp := oauthtest.Start(t, "", "oidc")
	url := e.serveOAuth(t, idp, nil)
	for _, auth := range []string{"", "Authorization: Bearer not-a-jwt-at-all\r\n"} {
		got := stalled(t, url, auth, 15*time.Second)
		if !strings.HasPrefix(got, "HTTP/1.1 401") || !strings.Contains(got, "Connection: close") {
			t.Fatalf("OAuth, stalled body (%q): %q", auth, got)
		}
	}
	// A good token still gets a working, kept-alive exchange.
	r := &raw{t: t, url: url, token: mint(idp, url, "alice", nil)}
	r.initialize(map[string]any{})
	if res := r.rpc(2, "tools/list", nil); res.status != http.StatusOK || res.header.Get("Connection") == "close" {
		t.Fatalf("OAuth request after the stalled ones: %d %v", res.status, res.header)
	}
}

// Connections over the cap are answered 503 at once, not left waiting.
func TestHTTPConnectionCap(t *testing.T) {
	e := newEnv(t)
	url := e.serveHTTP(t, HTTPConfig{MaxConns: 2})
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), DefaultPath)
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	time.Sleep(100 * time.Millisecond) // let the server accept both
	c, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", DefaultPath, host)
	_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
	got, _ := io.ReadAll(c)
	if !strings.HasPrefix(string(got), "HTTP/1.1 503") || !strings.Contains(string(got), "Retry-After") {
		t.Fatalf("connection over the cap: %q", got)
	}
}

// A token may hold only so many sessions; the refusal says what to do, and
// other tokens are not affected.
func TestHTTPSessionsPerTokenCapped(t *testing.T) {
	e := newEnv(t)
	url := e.serveHTTP(t, HTTPConfig{MaxSessionsPerToken: 2})
	var alice []*raw
	for i := 0; i < 2; i++ {
		r := &raw{t: t, url: url, token: aliceToken}
		r.initialize(map[string]any{})
		alice = append(alice, r)
	}
	over := &raw{t: t, url: url, token: aliceToken}
	res := over.rpc(1, "initialize", map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "t", "version": "1"}})
	if res.status != http.StatusTooManyRequests || !strings.Contains(res.body, `"alice" already has 2 open sessions`) || !strings.Contains(res.body, "DELETE") {
		t.Fatalf("third session of one token: %d %s", res.status, res.body)
	}
	bob := &raw{t: t, url: url, token: bobToken}
	bob.initialize(map[string]any{})
	if res := alice[0].do(http.MethodDelete, nil, nil); res.status != http.StatusOK {
		t.Fatalf("end a session: %d %s", res.status, res.body)
	}
	again := &raw{t: t, url: url, token: aliceToken}
	again.initialize(map[string]any{})
}
