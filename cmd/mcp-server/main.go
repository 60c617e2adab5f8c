// Command mcp-server serves the 89 Alibaba Cloud Call Center actions as MCP
// tools, over stdio (default) or streamable HTTP, with every risky action
// waiting for a human's confirmation in the client.
//
//	go run ./cmd/mcp-server                      # stdio, embedded simulator
//	CCC_MCP_TOKENS=me=$(openssl rand -hex 32) go run ./cmd/mcp-server --transport http
//	go run ./cmd/mcp-server --transport http --auth oauth --oauth-issuer kc=https://sso.example.com/realms/ops --public-url https://mcp.example.com/mcp
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cccops/cccops/internal/app"
	"github.com/cccops/cccops/internal/mcp"
	"github.com/cccops/cccops/internal/oauth"
	"github.com/cccops/cccops/internal/ops"
)

// startGCPercent is GOGC while the server starts. A start allocates about
// 3.5 MB (package initializers, then the tool list), just over what the
// default GOGC lets a heap grow to before its first collection, which
// would then run in the middle of the start. The start runs without it;
// when the first tools/list has been answered (or after startPhase) the
// default comes back and what the start left behind is collected and
// handed back to the OS, so an idle server holds only what it uses.
const (
	startGCPercent = 400
	startPhase     = 10 * time.Second
)

// endStart is set by main and run once when the start is over.
var endStart func()

func main() {
	if os.Getenv("GOGC") == "" { // an operator's own GOGC is left alone
		prev := debug.SetGCPercent(startGCPercent)
		var once sync.Once
		endStart = func() {
			once.Do(func() {
				debug.SetGCPercent(prev)
				debug.FreeOSMemory()
			})
		}
		time.AfterFunc(startPhase, endStart)
	}
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mcp-server:", err)
		os.Exit(1)
	}
}

type options struct {
	app           app.Config
	transport     string
	addr          string
	gateway       bool
	outputSchemas bool
	origins       string
	sessionIdle   time.Duration
	headerTimeout time.Duration
	bodyTimeout   time.Duration
	maxConns      int
	maxSessions   int
	tokensFile    string
	listTools     bool
	logLevel      string
	auth          string
	oauthIssuer   string
	oauthAudience string
	groupsClaim   string
	slackClaim    string
	publicURL     string
	opsAddr       string
	approvalWait  time.Duration
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	var o options
	fs := flag.NewFlagSet("mcp-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o.app.RegisterFlags(fs)
	fs.StringVar(&o.transport, "transport", "stdio", "stdio or http [CCC_MCP_TRANSPORT]")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "HTTP listen address; the endpoint is /mcp [CCC_MCP_ADDR]")
	fs.BoolVar(&o.gateway, "gateway", false, "list 3 tools (find_actions, describe_action, call_action) instead of 89 [CCC_MCP_GATEWAY]")
	fs.BoolVar(&o.outputSchemas, "output-schemas", false, "publish each tool's output schema [CCC_MCP_OUTPUT_SCHEMAS]")
	fs.StringVar(&o.app.StructuredContent, "structured-content", "on", "on: results carry structuredContent beside their text; off: text only, for clients that ignore structured content (the data is not paid for twice) [CCC_MCP_STRUCTURED_CONTENT]")
	fs.StringVar(&o.origins, "allowed-origins", "", "comma-separated browser origins allowed to call over HTTP; any other Origin gets 403 [CCC_MCP_ALLOWED_ORIGINS]")
	fs.DurationVar(&o.sessionIdle, "session-idle", mcp.DefaultSessionIdle, "end HTTP sessions idle this long [CCC_MCP_SESSION_IDLE]")
	fs.DurationVar(&o.headerTimeout, "header-timeout", mcp.DefaultHeaderTimeout, "HTTP: time a client has to send a request's headers [CCC_MCP_HEADER_TIMEOUT]")
	fs.DurationVar(&o.bodyTimeout, "body-timeout", mcp.DefaultBodyTimeout, "HTTP: time a client has to send a request's body after its headers; then 408 and the connection is closed [CCC_MCP_BODY_TIMEOUT]")
	fs.IntVar(&o.maxConns, "max-conns", mcp.DefaultMaxConns, "HTTP: most open connections; more are answered 503 at once [CCC_MCP_MAX_CONNS]")
	fs.IntVar(&o.maxSessions, "max-sessions-per-token", mcp.DefaultMaxSessionsPerToken, "HTTP: most open sessions of one bearer token; more are refused with 429 [CCC_MCP_MAX_SESSIONS_PER_TOKEN]")
	fs.StringVar(&o.tokensFile, "tokens-file", "", "file of bearer tokens, one name=token per line; adds to CCC_MCP_TOKENS [CCC_MCP_TOKENS_FILE]")
	fs.BoolVar(&o.listTools, "list-tools", false, "print the names of the tools this configuration lists, then exit")
	fs.StringVar(&o.logLevel, "log-level", "info", "stderr log level: debug, info, warn, error [CCC_LOG_LEVEL]")
	fs.StringVar(&o.auth, "auth", "tokens", "how HTTP clients authenticate: tokens (static bearer tokens), oauth (access tokens from --oauth-issuer), or both [CCC_MCP_AUTH]")
	fs.StringVar(&o.oauthIssuer, "oauth-issuer", "", "trusted OAuth/OIDC issuer URL(s), comma-separated, each optionally alias=https://…; principals are oauth:<alias>:<sub> [CCC_OAUTH_ISSUER]")
	fs.StringVar(&o.oauthAudience, "oauth-audience", "", "audience access tokens must carry; default: this server's resource URL [CCC_OAUTH_AUDIENCE]")
	fs.StringVar(&o.slackClaim, "oauth-slack-claim", "", "access-token claim holding the person's Slack user id (U…), linking their assistant's requests to them for approvals in Slack; the policy file's link wins [CCC_OAUTH_SLACK_CLAIM]")
	fs.StringVar(&o.groupsClaim, "oauth-groups-claim", oauth.DefaultGroupsClaim, "access-token claim whose values are the policy's groups (a dotted path such as realm_access.roles reaches into an object) [CCC_OAUTH_GROUPS_CLAIM]")
	fs.StringVar(&o.opsAddr, "ops-addr", "", "serve /healthz, /readyz and /metrics on this address instead (HTTP mode: default on --addr; stdio: only when set); /metrics wants CCC_METRICS_TOKEN or a loopback client [CCC_OPS_ADDR]")
	fs.StringVar(&o.publicURL, "public-url", "", "the URL clients reach the MCP endpoint at, when a proxy is in front, e.g. https://mcp.example.com/mcp [CCC_MCP_PUBLIC_URL]")
	fs.DurationVar(&o.approvalWait, "approval-wait", 0, "how long a call that becomes an approval in Slack waits for a quick yes before it answers pending, with progress notifications; 0 answers pending at once [CCC_APPROVAL_WAIT]")
	if err := app.ApplyEnv(fs); err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q; flags start with --", fs.Args())
	}
	switch o.app.StructuredContent {
	case "on":
	case "off":
		o.app.NoStructured = true
		if o.outputSchemas {
			return nil, errors.New("--structured-content off with --output-schemas: a tool that publishes an output schema must return structured content; drop one of them")
		}
	default:
		return nil, fmt.Errorf("--structured-content %q: use on or off", o.app.StructuredContent)
	}
	switch o.transport {
	case "stdio", "http":
	default:
		return nil, fmt.Errorf("unknown --transport %q: use stdio or http", o.transport)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"session-idle", o.sessionIdle}, {"header-timeout", o.headerTimeout}, {"body-timeout", o.bodyTimeout}} {
		if d.v <= 0 {
			return nil, fmt.Errorf("--%s %s: give a positive duration such as 30s or 5m", d.name, d.v)
		}
	}
	if o.approvalWait < 0 {
		return nil, fmt.Errorf("--approval-wait %s: give 0 (answer pending at once) or a positive duration such as 30s", o.approvalWait)
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"max-conns", o.maxConns}, {"max-sessions-per-token", o.maxSessions}} {
		if n.v <= 0 {
			return nil, fmt.Errorf("--%s %d: give a positive number", n.name, n.v)
		}
	}
	switch o.auth {
	case "tokens":
		if o.oauthIssuer != "" || o.oauthAudience != "" {
			return nil, errors.New("--oauth-issuer/--oauth-audience are set but --auth is tokens: use --auth oauth (or both, to keep static tokens too)")
		}
	case "oauth", "both":
	default:
		return nil, fmt.Errorf("unknown --auth %q: use tokens, oauth or both", o.auth)
	}
	return &o, nil
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	o.app.Logger = logger
	if o.transport == "stdio" && !o.listTools && strings.EqualFold(o.app.AuditPath, "stdout") {
		return errors.New("--audit stdout is not possible with the stdio transport: stdout carries the protocol; use stderr or a file")
	}

	var tokens map[string]string
	var issuers []oauth.Issuer
	if o.transport == "http" && !o.listTools && o.auth != "tokens" {
		if issuers, err = checkOAuth(o); err != nil {
			return err
		}
	}
	if o.transport == "http" && !o.listTools && o.auth != "oauth" {
		tokens, err = loadTokens(o.tokensFile)
		if err != nil {
			return err
		}
		if len(tokens) == 0 && o.auth == "both" {
			return errors.New("--auth both needs static tokens as well: set CCC_MCP_TOKENS=name=token or --tokens-file, or use --auth oauth")
		}
		if len(tokens) == 0 {
			host, _, _ := net.SplitHostPort(o.addr)
			where := "even on a loopback address"
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				where = "and " + o.addr + " is reachable from other machines"
			}
			return fmt.Errorf("HTTP mode needs bearer tokens (%s): set CCC_MCP_TOKENS=name=token (make one with: openssl rand -hex 32) or --tokens-file", where)
		}
	}

	// The operations endpoints (and the metrics they publish) exist in HTTP
	// mode and when --ops-addr asks for them; over stdio without it nobody
	// can reach them, so nothing is counted or set up for them.
	serveOps := o.transport == "http" || o.opsAddr != ""
	var metrics *ops.Metrics
	if serveOps {
		metrics = ops.NewMetrics()
		o.app.Observe = metrics.Observe
	}
	a, err := app.Open(o.app)
	if err != nil {
		return err
	}
	defer a.Close()
	srv, err := mcp.New(mcp.Options{Registry: a.Registry, Backend: a.Backend, Gateway: o.gateway, OutputSchemas: o.outputSchemas, ApprovalWait: o.approvalWait, Logger: logger})
	if err != nil {
		return err
	}
	if o.listTools {
		for _, n := range srv.ToolNames() {
			fmt.Fprintln(stdout, n)
		}
		return nil
	}
	fmt.Fprintf(stderr, "cccops mcp-server: %d tools over %s; backend: %s\n", len(srv.ToolNames()), o.transport, a.Backend)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var opsHandler http.Handler
	if serveOps {
		if opsHandler, err = ops.Setup(metrics, a.Store, a.Client.Endpoint(), os.Getenv(ops.MetricsTokenEnv), logger); err != nil {
			return err
		}
	}
	if o.opsAddr != "" {
		osrv, err := ops.Start(o.opsAddr, opsHandler, logger)
		if err != nil {
			return fmt.Errorf("--ops-addr (CCC_OPS_ADDR): %w", err)
		}
		defer shutdownOps(osrv)
		fmt.Fprintf(stderr, "cccops mcp-server: operations endpoints on http://%s (/healthz, /readyz, /metrics)\n", osrv.Addr())
		warnOpenMetrics(logger, osrv.Addr())
		opsHandler = nil // not on the MCP listener as well
	} else if o.transport == "http" {
		warnOpenMetrics(logger, o.addr)
	}
	if o.transport == "stdio" {
		if endStart != nil {
			srv.OnFirstList(endStart)
		}
		err := srv.ServeStdio(ctx, stdin, stdout, log.New(stderr, "mcp-server: ", log.LstdFlags))
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, io.EOF) {
			return err
		}
		return nil
	}
	if endStart != nil {
		endStart()
	}
	return serveHTTP(ctx, srv, o, tokens, issuers, opsHandler, stderr, logger)
}

// warnOpenMetrics says how a remote scraper gets in when the ops
// endpoints listen beyond loopback without a metrics token.
func warnOpenMetrics(logger *slog.Logger, addr string) {
	if os.Getenv(ops.MetricsTokenEnv) == "" && !ops.Loopback(addr) {
		logger.Info("/metrics answers only clients on this machine; set " + ops.MetricsTokenEnv + " (a bearer token) for a remote scraper")
	}
}

func shutdownOps(s *ops.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.Shutdown(ctx)
}

// checkOAuth validates the OAuth settings before anything starts.
func checkOAuth(o *options) ([]oauth.Issuer, error) {
	if o.auth == "oauth" && (os.Getenv("CCC_MCP_TOKENS") != "" || o.tokensFile != "") {
		return nil, errors.New("static tokens are configured but --auth oauth ignores them: use --auth both to accept both, or remove CCC_MCP_TOKENS/--tokens-file")
	}
	issuers, err := oauth.ParseIssuers(o.oauthIssuer)
	if err != nil {
		return nil, fmt.Errorf("--oauth-issuer: %w", err)
	}
	if len(issuers) == 0 {
		return nil, fmt.Errorf("--auth %s needs --oauth-issuer (CCC_OAUTH_ISSUER): the issuer URL of your identity provider, e.g. https://sso.example.com/realms/ops", o.auth)
	}
	if o.publicURL == "" {
		if host, _, _ := net.SplitHostPort(o.addr); !oauth.Loopback(host) {
			return nil, fmt.Errorf("--auth %s on %s needs --public-url (CCC_MCP_PUBLIC_URL): the https URL clients reach, which tokens are minted for", o.auth, o.addr)
		}
	} else if _, err := resourceURL(o.publicURL, nil); err != nil {
		return nil, err
	}
	return issuers, nil
}

// resourceURL is the MCP endpoint's URL as clients see it: --public-url
// (with /mcp added when it names only a host), else the listener's address.
func resourceURL(public string, ln net.Addr) (string, error) {
	if public == "" {
		return "http://" + ln.String() + mcp.DefaultPath, nil
	}
	u, err := url.Parse(public)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("--public-url %q is not an http(s) URL such as https://mcp.example.com/mcp", public)
	}
	if u.Scheme == "http" && !oauth.Loopback(u.Hostname()) {
		return "", fmt.Errorf("--public-url %s is plain HTTP; remote clients need HTTPS: put a TLS proxy in front and give its https URL", public)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = mcp.DefaultPath
	}
	return u.String(), nil
}

func loadTokens(file string) (map[string]string, error) {
	fromEnv, err := mcp.ParseTokens(os.Getenv("CCC_MCP_TOKENS"))
	if err != nil {
		return nil, fmt.Errorf("CCC_MCP_TOKENS: %w", err)
	}
	if file == "" {
		return fromEnv, nil
	}
	fromFile, err := mcp.LoadTokensFile(file)
	if err != nil {
		return nil, err
	}
	return mcp.MergeTokens(fromEnv, fromFile)
}

func serveHTTP(ctx context.Context, srv *mcp.Server, o *options, tokens map[string]string, issuers []oauth.Issuer, opsHandler http.Handler, stderr io.Writer, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.addr, err)
	}
	cfg := mcp.HTTPConfig{Tokens: tokens, AllowedOrigins: app.SplitList(o.origins), SessionIdle: o.sessionIdle,
		HeaderTimeout: o.headerTimeout, BodyTimeout: o.bodyTimeout, MaxConns: o.maxConns, MaxSessionsPerToken: o.maxSessions}
	var rs *oauth.Server
	if len(issuers) > 0 {
		resource, err := resourceURL(o.publicURL, ln.Addr())
		if err == nil {
			rs, err = oauth.New(oauth.Config{Issuers: issuers, Resource: resource, Audience: o.oauthAudience,
				GroupsClaim: o.groupsClaim, SlackClaim: o.slackClaim, EndpointPath: mcp.DefaultPath, Logger: logger})
		}
		if err != nil {
			ln.Close()
			return err
		}
		dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		if err := rs.Discover(dctx); err != nil {
			logger.Warn("OAuth: the identity provider could not be reached at start; it is tried again when a token arrives", "error", err)
		}
		cancel()
		cfg.OAuth = rs
	}
	h, err := srv.HTTPHandler(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	// The probes and /metrics sit beside the MCP endpoint, outside its
	// bearer and Origin checks (/metrics has its own protection).
	hs := h.Server(log.New(stderr, "mcp-server http: ", log.LstdFlags))
	if opsHandler != nil {
		mux := http.NewServeMux()
		ops.Mount(mux, opsHandler)
		mux.Handle("/", h)
		hs.Handler = mux
	}
	names := make([]string, 0, len(tokens))
	for n := range tokens {
		names = append(names, n)
	}
	switch {
	case rs == nil:
		fmt.Fprintf(stderr, "cccops mcp-server: listening on http://%s%s (tokens: %s)\n", ln.Addr(), mcp.DefaultPath, strings.Join(names, ", "))
	default:
		var iss []string
		for _, is := range rs.Issuers() {
			iss = append(iss, is.Alias+"="+is.URL)
		}
		fmt.Fprintf(stderr, "cccops mcp-server: listening on http://%s%s (auth: %s; resource: %s; issuers: %s; tokens: %s)\n",
			ln.Addr(), mcp.DefaultPath, o.auth, rs.Resource(), strings.Join(iss, ", "), strings.Join(names, ", "))
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(h.Listener(ln)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = h.Shutdown(sctx)
	if err := hs.Shutdown(sctx); err != nil {
		_ = hs.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(stderr, "cccops mcp-server: stopped")
	return nil
}
