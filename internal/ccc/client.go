package ccc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"

	"github.com/cccops/cccops/internal/ccc/spec"
)

// Defaults of Config.
const (
	DefaultRegion         = "cn-shanghai"
	DefaultConnectTimeout = 3 * time.Second
	DefaultReadTimeout    = 10 * time.Second
	DefaultMaxAttempts    = 3
	DefaultBaseBackoff    = 200 * time.Millisecond
)

// Credential modes.
const (
	CredAccessKey  = "access_key"   // AccessKeyID + AccessKeySecret
	CredSTS        = "sts"          // AccessKeyID + AccessKeySecret + SecurityToken
	CredRAMRoleARN = "ram_role_arn" // AccessKeyID + AccessKeySecret + RoleArn (+ RoleSessionName)
	CredECSRAMRole = "ecs_ram_role" // RoleName of the instance's RAM role
	CredBearer     = "bearer"       // BearerToken (CCC's BEARERTOKEN signature type)
	CredDefault    = "default"      // the SDK's default chain (ALIBABA_CLOUD_* environment variables, profile, ECS)
)

// Credentials says how to authenticate to CCC. Never log it.
type Credentials struct {
	Mode            string
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
	RoleArn         string
	RoleSessionName string
	RoleName        string
	BearerToken     string
}

// String hides everything but the mode, so a stray %v cannot leak a secret.
func (c Credentials) String() string { return "ccc.Credentials{Mode:" + c.Mode + "}" }

// GoString hides secrets from %#v too.
func (c Credentials) GoString() string { return c.String() }

func (c Credentials) secrets() []string {
	return []string{c.AccessKeySecret, c.SecurityToken, c.BearerToken}
}

// CredentialsFromEnv reads credentials from the environment: CCC_BEARER_TOKEN
// for bearer mode, else ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET (with
// ALIBABA_CLOUD_SECURITY_TOKEN for STS, ALIBABA_CLOUD_ROLE_ARN for a role),
// else ALIBABA_CLOUD_ECS_METADATA for an ECS RAM role. ok is false when none
// is set — the caller then runs on the simulator.
func CredentialsFromEnv() (c Credentials, ok bool) {
	get := os.Getenv
	switch {
	case get("CCC_BEARER_TOKEN") != "":
		return Credentials{Mode: CredBearer, BearerToken: get("CCC_BEARER_TOKEN")}, true
	case get("ALIBABA_CLOUD_ACCESS_KEY_ID") != "" && get("ALIBABA_CLOUD_ACCESS_KEY_SECRET") != "":
		c = Credentials{Mode: CredAccessKey, AccessKeyID: get("ALIBABA_CLOUD_ACCESS_KEY_ID"), AccessKeySecret: get("ALIBABA_CLOUD_ACCESS_KEY_SECRET")}
		if t := get("ALIBABA_CLOUD_SECURITY_TOKEN"); t != "" {
			c.Mode, c.SecurityToken = CredSTS, t
		}
		if r := get("ALIBABA_CLOUD_ROLE_ARN"); r != "" {
			c.Mode, c.RoleArn, c.RoleSessionName = CredRAMRoleARN, r, get("ALIBABA_CLOUD_ROLE_SESSION_NAME")
		}
		return c, true
	case get("ALIBABA_CLOUD_ECS_METADATA") != "":
		return Credentials{Mode: CredECSRAMRole, RoleName: get("ALIBABA_CLOUD_ECS_METADATA")}, true
	case get("ALIBABA_CLOUD_CREDENTIALS_FILE") != "" || get("ALIBABA_CLOUD_CREDENTIALS_URI") != "":
		return Credentials{Mode: CredDefault}, true
	}
	return Credentials{}, false
}

// Config configures a Client.
type Config struct {
	Region string // default cn-shanghai
	// Endpoint overrides the service host: "host:port" (HTTPS) or
	// "http://host:port" (plain HTTP, allowed for loopback hosts only, e.g.
	// the simulator). Empty → https://ccc.<region>.aliyuncs.com.
	Endpoint       string
	Credentials    Credentials
	ConnectTimeout time.Duration // default 3 s
	ReadTimeout    time.Duration // default 10 s
	MaxAttempts    int           // attempts for retryable actions; default 3, 1 disables retry
	BaseBackoff    time.Duration // first backoff cap; doubles each attempt; full jitter; default 200 ms
	// Retryable says whether an action may be sent again after a retryable
	// failure. Default: read and secret classes of the spec only — never a
	// write, destructive or external action.
	Retryable func(action string) bool
	Logger    *slog.Logger
}

// Client sends typed requests to CCC through alibaba-cloud-sdk-go's
// CommonRequest. It is safe for concurrent use: the SDK client is not
// (it mutates its http.Client per request), so each call borrows its own
// sdk.Client from a pool; all of them share one connection pool.
type Client struct {
	cfg       Config
	scheme    string
	domain    string
	provider  credentials.CredentialsProvider
	transport *http.Transport
	pool      sync.Pool
	secrets   []string
	log       *slog.Logger
}

// New builds a Client.
func New(cfg Config) (*Client, error) {
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.BaseBackoff <= 0 {
		cfg.BaseBackoff = DefaultBaseBackoff
	}
	if cfg.Retryable == nil {
		cfg.Retryable = DefaultRetryable
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{cfg: cfg, log: cfg.Logger, secrets: cfg.Credentials.secrets()}
	var err error
	if c.scheme, c.domain, err = endpoint(cfg.Region, cfg.Endpoint); err != nil {
		return nil, err
	}
	p, err := providerFor(cfg.Credentials)
	if err != nil {
		return nil, err
	}
	c.provider = &lockedProvider{inner: p}
	c.transport = &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: cfg.ConnectTimeout,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	c.pool.New = func() any {
		sc := &sdk.Client{}
		conf := sdk.NewConfig().WithAutoRetry(false).WithScheme(c.scheme)
		if err := sc.InitWithOptions(cfg.Region, conf, c.provider); err != nil {
			return err
		}
		sc.SetConnectTimeout(cfg.ConnectTimeout)
		sc.SetReadTimeout(cfg.ReadTimeout)
		return sc
	}
	// Build one now so that a bad configuration fails at start, not at the first call.
	first := c.pool.Get()
	if err, ok := first.(error); ok {
		return nil, fmt.Errorf("ccc: %s", scrub(err.Error(), c.secrets))
	}
	c.pool.Put(first)
	return c, nil
}

// DefaultRetryable allows retries for read and secret actions only.
func DefaultRetryable(action string) bool {
	a := spec.MustSpec().Action(action)
	return a != nil && a.Access.ReadOnly()
}

// Endpoint returns scheme://host the client talks to (no credentials in it).
func (c *Client) Endpoint() string { return strings.ToLower(c.scheme) + "://" + c.domain }

// Close releases idle connections.
func (c *Client) Close() { c.transport.CloseIdleConnections() }

func endpoint(region, ep string) (scheme, domain string, err error) {
	if ep == "" {
		return "HTTPS", "ccc." + region + ".aliyuncs.com", nil
	}
	scheme = "HTTPS"
	if i := strings.Index(ep, "://"); i >= 0 {
		u, perr := url.Parse(ep)
		if perr != nil || u.Host == "" {
			return "", "", fmt.Errorf("ccc: endpoint %q is not scheme://host[:port]", ep)
		}
		switch strings.ToLower(u.Scheme) {
		case "https":
		case "http":
			scheme = "HTTP"
			host := u.Hostname()
			ip := net.ParseIP(host)
			if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return "", "", fmt.Errorf("ccc: plain HTTP is allowed only for a loopback endpoint (the simulator); use https://%s", u.Host)
			}
		default:
			return "", "", fmt.Errorf("ccc: endpoint scheme %q: use http or https", u.Scheme)
		}
		return scheme, u.Host, nil
	}
	return scheme, ep, nil
}

func providerFor(c Credentials) (credentials.CredentialsProvider, error) {
	need := func(fields ...string) error {
		for i := 0; i < len(fields); i += 2 {
			if fields[i+1] == "" {
				return fmt.Errorf("ccc: credential mode %q needs %s", c.Mode, fields[i])
			}
		}
		return nil
	}
	switch c.Mode {
	case CredAccessKey:
		if err := need("AccessKeyID", c.AccessKeyID, "AccessKeySecret", c.AccessKeySecret); err != nil {
			return nil, err
		}
		return credentials.NewStaticAKCredentialsProvider(c.AccessKeyID, c.AccessKeySecret), nil
	case CredSTS:
		if err := need("AccessKeyID", c.AccessKeyID, "AccessKeySecret", c.AccessKeySecret, "SecurityToken", c.SecurityToken); err != nil {
			return nil, err
		}
		return credentials.NewStaticSTSCredentialsProvider(c.AccessKeyID, c.AccessKeySecret, c.SecurityToken), nil
	case CredRAMRoleARN:
		if err := need("AccessKeyID", c.AccessKeyID, "AccessKeySecret", c.AccessKeySecret, "RoleArn", c.RoleArn); err != nil {
			return nil, err
		}
		name := c.RoleSessionName
		if name == "" {
			name = "cccops"
		}
		var base credentials.CredentialsProvider = credentials.NewStaticAKCredentialsProvider(c.AccessKeyID, c.AccessKeySecret)
		if c.SecurityToken != "" { // STS keys assuming a role need their token too
			base = credentials.NewStaticSTSCredentialsProvider(c.AccessKeyID, c.AccessKeySecret, c.SecurityToken)
		}
		p, err := credentials.NewRAMRoleARNCredentialsProvider(base, c.RoleArn, name, 3600, "", "", "")
		if err != nil {
			return nil, fmt.Errorf("ccc: RAM role: %s", scrub(err.Error(), c.secrets()))
		}
		return p, nil
	case CredECSRAMRole:
		if err := need("RoleName", c.RoleName); err != nil {
			return nil, err
		}
		return credentials.NewECSRAMRoleCredentialsProvider(c.RoleName), nil
	case CredBearer:
		if err := need("BearerToken", c.BearerToken); err != nil {
			return nil, err
		}
		return credentials.NewBearerTokenCredentialsProvider(c.BearerToken), nil
	case CredDefault, "":
		return credentials.NewDefaultCredentialsProvider(), nil
	}
	return nil, fmt.Errorf("ccc: unknown credential mode %q (use %s, %s, %s, %s, %s or %s)", c.Mode,
		CredAccessKey, CredSTS, CredRAMRoleARN, CredECSRAMRole, CredBearer, CredDefault)
}

// lockedProvider serializes a credentials provider: the RAM-role and
// default-chain providers cache credentials in unguarded fields.
type lockedProvider struct {
	mu    sync.Mutex
	inner credentials.CredentialsProvider
}

func (p *lockedProvider) GetCredentials() (*credentials.Credentials, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inner.GetCredentials()
}

func (p *lockedProvider) GetProviderName() string { return p.inner.GetProviderName() }

// ctxTransport binds one call's context to the HTTP request, so that
// cancelling the context aborts the call at once.
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(r.WithContext(t.ctx))
}

// onShallowStack sends the SDK's request from a goroutine of its own and
// waits for it. The SDK makes each request's SignatureNonce from the id of
// the goroutine that sends it, which it reads by formatting that goroutine's
// whole stack (utils.getGID calls runtime.Stack): its cost grows with every
// frame above the call — about 1 µs a frame at p50 (BenchmarkSDKStackDepth
// in internal/bench) — so the same request cost more under the registry than
// alone, and more again under an MCP handler (about 20 frames deeper). A new
// goroutine's stack is one frame deep wherever Call was called from. The
// caller waits for the answer, so nothing outlives the call, and a panic in
// the SDK is raised again in the caller.
func onShallowStack(sc *sdk.Client, r *requests.CommonRequest) (*responses.CommonResponse, error) {
	type outcome struct {
		resp     *responses.CommonResponse
		err      error
		panicked any
	}
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		defer func() {
			o.panicked = recover()
			done <- o
		}()
		o.resp, o.err = sc.ProcessCommonRequest(r)
	}()
	o := <-done
	if o.panicked != nil {
		panic(o.panicked)
	}
	return o.resp, o.err
}

// mayBeFailure is a cheap scan for a "Success": false anywhere in a body; only
// then is the body decoded to read the envelope (decoding every answer cost
// most of the client's own time on large lists). A body that does not start
// like a JSON object is decoded too, so it is reported as invalid.
func mayBeFailure(body []byte) bool {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return true
	}
	for rest := body; ; {
		i := bytes.Index(rest, successKey)
		if i < 0 {
			return false
		}
		rest = bytes.TrimLeft(rest[i+len(successKey):], " \t\r\n")
		if len(rest) > 0 && rest[0] == ':' {
			if bytes.HasPrefix(bytes.TrimLeft(rest[1:], " \t\r\n"), []byte("false")) {
				return true
			}
		}
	}
}

var successKey = []byte(`"Success"`)

// Call sends one request and returns the JSON body of a successful answer.
// A retryable failure of a read action is retried with exponential backoff
// and full jitter while the context allows; other actions are sent once.
// Every failure is a *Error.
func (c *Client) Call(ctx context.Context, req Request) (json.RawMessage, error) {
	action := req.Action()
	params, err := Encode(req)
	if err != nil {
		return nil, err
	}
	attempts := 1
	if c.cfg.Retryable(action) {
		attempts = c.cfg.MaxAttempts
	}
	for i := 1; ; i++ {
		start := time.Now()
		body, cerr := c.once(ctx, action, params)
		if cerr == nil {
			c.log.Debug("ccc call", "action", action, "attempt", i, "ms", time.Since(start).Milliseconds())
			return body, nil
		}
		cerr.Attempts = i
		if !c.cfg.Retryable(action) && cerr.Retryable && !strings.HasPrefix(cerr.Code, "Throttling") {
			// Throttling is refused before any work; a timeout, a lost
			// connection or a 5xx is not: an action that is not safe to
			// repeat may have run, so nobody should be told to retry it.
			cerr.Retryable, cerr.MayHaveRun = false, true
		}
		c.log.Info("ccc call failed", "action", action, "attempt", i, "code", cerr.Code, "status", cerr.HTTPStatus, "request_id", cerr.RequestID)
		if !cerr.Retryable || i >= attempts || ctx.Err() != nil {
			return nil, cerr
		}
		backoff := c.cfg.BaseBackoff << (i - 1)
		sleep := time.Duration(rand.Int64N(int64(backoff) + 1))
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < sleep {
			return nil, cerr
		}
		t := time.NewTimer(sleep)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, cerr
		}
	}
}

func (c *Client) once(ctx context.Context, action string, p Params) (json.RawMessage, *Error) {
	if err := ctx.Err(); err != nil {
		return nil, toError(ctx, action, err, c.secrets)
	}
	got := c.pool.Get()
	sc, ok := got.(*sdk.Client)
	if !ok {
		return nil, &Error{Action: action, Code: "ClientInit", Message: scrub(fmt.Sprint(got), c.secrets)}
	}
	sc.SetTransport(ctxTransport{ctx: ctx, base: c.transport})
	defer func() {
		// A pooled client must not keep this call's context alive.
		sc.SetTransport(ctxTransport{ctx: context.Background(), base: c.transport})
		c.pool.Put(sc)
	}()

	r := requests.NewCommonRequest()
	r.Method = "POST"
	r.Scheme = c.scheme
	r.Domain = c.domain
	r.Product = Product
	r.Version = Version
	r.ApiName = action
	r.SetConnectTimeout(c.cfg.ConnectTimeout)
	r.SetReadTimeout(c.cfg.ReadTimeout)
	for k, v := range p.Query {
		r.QueryParams[k] = v
	}
	for k, v := range p.Body {
		r.FormParams[k] = v
	}
	resp, err := onShallowStack(sc, r)
	if err != nil {
		return nil, toError(ctx, action, err, c.secrets)
	}
	body := resp.GetHttpContentBytes()
	if !mayBeFailure(body) {
		return json.RawMessage(body), nil
	}
	var env struct {
		Success   *bool  `json:"Success"`
		Code      string `json:"Code"`
		Message   string `json:"Message"`
		RequestID string `json:"RequestId"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, &Error{Action: action, HTTPStatus: resp.GetHttpStatus(), Code: "InvalidResponse", Message: "CCC answered with a body that is not JSON"}
	}
	if env.Success != nil && !*env.Success {
		code := env.Code
		if code == "" {
			code = "Failed"
		}
		return nil, &Error{Action: action, HTTPStatus: resp.GetHttpStatus(), Code: code, Message: scrub(env.Message, c.secrets), RequestID: env.RequestID,
			Retryable: IsRetryableCode(resp.GetHttpStatus(), code)}
	}
	return json.RawMessage(body), nil
}
