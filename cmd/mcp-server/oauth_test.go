package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"

	"github.com/cccops/cccops/internal/oauth/oauthtest"
)

func TestOAuthFlagRefusals(t *testing.T) {
	idp := "idp=http://127.0.0.1:9"
	cases := []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"--auth", "ldap"}, "use tokens, oauth or both"},
		{[]string{"CCC_MCP_AUTH=oauth"}, nil, "needs --oauth-issuer"},
		{[]string{"CCC_OAUTH_ISSUER=" + idp}, nil, "--auth is tokens"},
		{nil, []string{"--auth", "oauth", "--oauth-issuer", "http://sso.example.com"}, "plain HTTP"},
		{nil, []string{"--auth", "oauth", "--oauth-issuer", idp, "--addr", "0.0.0.0:0"}, "needs --public-url"},
		{nil, []string{"--auth", "oauth", "--oauth-issuer", idp, "--public-url", "http://mcp.example.com/mcp"}, "plain HTTP"},
		{[]string{"CCC_MCP_TOKENS=ci=ci-token-0123456789abcdef"}, []string{"--auth", "oauth", "--oauth-issuer", idp}, "--auth both"},
		{nil, []string{"--auth", "both", "--oauth-issuer", idp}, "needs static tokens"},
	}
	for _, tc := range cases {
		_, errOut, code := runBin(t, childEnv(tc.env...), append([]string{"--backend", "sim", "--transport", "http", "--addr", "127.0.0.1:0"}, tc.args...)...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v %v: exit %d, want an error saying %q:\n%s", tc.env, tc.args, code, tc.want, errOut)
		}
	}
}

// The binary with --auth oauth (from the environment): a person's token
// from the provider lists the tools and reads, audited under their
// principal, with the role its roles claim (CCC_OAUTH_GROUPS_CLAIM) gives
// (the policy has no default role); no token gets the RFC 9728 challenge; the log never holds the token.
func TestOAuthSubprocess(t *testing.T) {
	idp := oauthtest.Start(t, "/realms/ops", "oidc")
	dir := t.TempDir()
	audit, pol := filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(pol, []byte("groups:\n  ccc-viewers: viewer\nroles:\n  viewer:\n    rules:\n      - {access: [read], verdict: allow}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary(t), "--backend", "sim", "--transport", "http", "--addr", "127.0.0.1:0", "--audit", audit, "--policy", pol)
	cmd.Env = childEnv("CCC_MCP_AUTH=oauth", "CCC_OAUTH_ISSUER=kc="+idp.URL, "CCC_OAUTH_GROUPS_CLAIM=roles")
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); pw.Close() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	}()
	var log syncBuf
	re := regexp.MustCompile(`listening on (http://\S+/mcp) \(auth: oauth; resource: (\S+);`)
	found := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			log.Write([]byte(sc.Text() + "\n"))
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m
			}
		}
	}()
	var url, resource string
	select {
	case m := <-found:
		url, resource = m[1], m[2]
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not listen:\n%s", log.String())
	}
	if resource != url {
		t.Fatalf("resource %s, want the listener's URL %s", resource, url)
	}
	c := idp.Claims("alice", resource, time.Now())
	c["roles"] = []any{"ccc-viewers"}
	token := idp.Mint(idp.Keys()[1], c) // ES256
	tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	if err != nil {
		t.Fatal(err)
	}
	mc := client.NewClient(tr)
	startClient(t, mc)
	if res := call(t, mc, "list_agent_states", nil); res.IsError || !strings.Contains(resultText(res), "mallory") {
		t.Fatalf("read as alice: %s", resultText(res))
	}
	noTok, err := http.Post(url, "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	noTok.Body.Close()
	if ch := noTok.Header.Get("WWW-Authenticate"); noTok.StatusCode != 401 || !strings.Contains(ch, `resource_metadata="`+strings.TrimSuffix(url, "/mcp")+`/.well-known/oauth-protected-resource/mcp"`) {
		t.Fatalf("no token: %d %q", noTok.StatusCode, ch)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("no exit within 30 s of SIGTERM")
	}
	b, err := os.ReadFile(audit)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"principal":"oauth:kc:alice"`) {
		t.Fatalf("audit has no record by oauth:kc:alice:\n%s", b)
	}
	if strings.Contains(log.String()+string(b), token) || strings.Contains(log.String()+string(b), strings.Split(token, ".")[2]) {
		t.Fatal("the token reached the log or the audit")
	}
}
