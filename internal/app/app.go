// Package app wires the pieces both binaries share: configuration from flags
// and environment, the backend (the embedded simulator or the real CCC),
// the policy gate with its audit sink, and the tool registry.
package app

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	// --time-zone names an IANA zone; a machine (or container) without a
	// tz database still knows them all.
	_ "time/tzdata"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/store"
	"github.com/cccops/cccops/internal/tools"
)

// Backends.
const (
	BackendAuto   = "auto"   // the real CCC when credentials are configured, else the simulator
	BackendSim    = "sim"    // the embedded simulator (or CCC_SIM_ADDR)
	BackendAliyun = "aliyun" // the real CCC; credentials required
)

// Config is everything the shared wiring needs. Every field has an
// environment variable (see RegisterFlags) and a flag.
type Config struct {
	Backend        string
	SimAddr        string // use a simulator already running there (shared state), e.g. 127.0.0.1:9090
	SimSeed        int64
	Region         string
	Endpoint       string
	ConnectTimeout time.Duration
	ReadTimeout    time.Duration
	CallTimeout    time.Duration
	Instance       string // default InstanceId
	PolicyFile     string
	AuditPath      string // a file, "stderr", "stdout" or "" (off)
	TokenSecret    string // HMAC key of confirmation tokens
	TokenTTL       time.Duration
	Store          string        // memory, sqlite:PATH, postgres://…
	Approvals      string        // slack, off, or "" (auto: slack when the store is shared)
	ApprovalTTL    time.Duration // how long an approval in Slack stays open
	ReadOnly       bool
	RateLimit      int // calls per minute per principal; -1 → no limit; 0 (only in code) → DefaultRateLimit
	ExternalLimit  int // external-class calls per hour per principal; -1 → no limit; 0 (only in code) → DefaultExternalLimit
	Filter         tools.Filter
	StuckAfter     time.Duration // the registry's stuck threshold; 0 → tools.DefaultStuckAfter
	Logger         *slog.Logger
	Observe        func(policy.Record) // sees every gate record (metrics); see policy.Config

	ReadOnlySecrets bool // read-only mode lists and allows secret tools too

	TimeZone          string // the call center's zone for readable times and date-time arguments
	NoStructured      bool   // results carry only their text (MCP: no structuredContent)
	StructuredContent string // on or off (the flag; NoStructured follows it)

	// NoSweeper: this process does not sweep the store on a timer (a
	// Slack bot that posts approvals sweeps on its own, every round).
	NoSweeper bool
	// SweepEvery is how often the store is swept (default a minute).
	SweepEvery time.Duration
}

// DefaultCallTimeout bounds one tool call when --call-timeout is not given.
const DefaultCallTimeout = 30 * time.Second

// The gate's default limits, as the flags show them: calls per minute, and
// external calls per hour, per principal.
var (
	DefaultRateLimit     = policy.DefaultLimits().Overall.N
	DefaultExternalLimit = policy.DefaultLimits().Class[spec.AccessExternal].N
)

// envTag is the "[VAR]" at the end of a flag's usage that names the
// environment variable standing in for the flag.
var envTag = regexp.MustCompile(`\[([A-Z][A-Z0-9_]*)\]$`)

// ApplyEnv sets every flag whose usage ends in "[VAR]" from that
// environment variable when it is set, with the flag's own parser, so a
// value the flag would refuse ("CCC_READ_ONLY=yes", "CCC_RATE_LIMIT=abc")
// is refused from the environment too instead of being silently ignored.
// Call it after registering the flags and before Parse: flags on the
// command line win.
func ApplyEnv(fs *flag.FlagSet) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		m := envTag.FindStringSubmatch(f.Usage)
		if m == nil {
			return
		}
		v, ok := os.LookupEnv(m[1])
		if !ok || v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %v (see --%s in -h)", m[1], v, explain(f, err), f.Name))
		}
	})
	return errors.Join(errs...)
}

// explain turns the flag package's bare "parse error" for its own types
// into the values the flag accepts.
func explain(f *flag.Flag, err error) error {
	if !strings.Contains(err.Error(), "parse error") && !strings.Contains(err.Error(), "invalid syntax") {
		return err
	}
	if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
		return errors.New("use true or false")
	}
	if _, derr := time.ParseDuration(f.DefValue); derr == nil {
		return errors.New("use a duration with a unit, such as 30s, 2m or 1h")
	}
	if _, ierr := strconv.ParseInt(f.DefValue, 10, 64); ierr == nil {
		return errors.New("use a whole number")
	}
	return err
}

type listFlag struct{ dst *[]string }

func (l listFlag) String() string {
	if l.dst == nil {
		return ""
	}
	return strings.Join(*l.dst, ",")
}

func (l listFlag) Type() string { return "list" }

func (l listFlag) Set(s string) error {
	*l.dst = nil
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l.dst = append(*l.dst, p)
		}
	}
	return nil
}

// SplitList splits a comma-separated list, dropping blanks.
func SplitList(s string) []string {
	var out []string
	_ = listFlag{&out}.Set(s)
	return out
}

// RegisterFlags binds the shared flags. Each names its environment variable
// at the end of its usage; ApplyEnv reads them.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Backend, "backend", BackendAuto, "backend: auto (real CCC when credentials are set, else simulator), sim, aliyun [CCC_BACKEND]")
	fs.StringVar(&c.SimAddr, "sim-addr", "", "use a simulator already running at host:port (e.g. from cmd/ccc-sim) instead of an embedded one [CCC_SIM_ADDR]")
	fs.Int64Var(&c.SimSeed, "sim-seed", 1, "seed of the embedded simulator's data [CCC_SIM_SEED]")
	fs.StringVar(&c.Region, "region", ccc.DefaultRegion, "CCC region [CCC_REGION]")
	fs.StringVar(&c.Endpoint, "endpoint", "", "CCC endpoint override, host[:port] (HTTPS) or http://127.0.0.1:port [CCC_ENDPOINT]")
	PositiveDurationVar(fs, &c.ConnectTimeout, "connect-timeout", ccc.DefaultConnectTimeout, "connect timeout of each CCC request [CCC_CONNECT_TIMEOUT]")
	PositiveDurationVar(fs, &c.ReadTimeout, "read-timeout", ccc.DefaultReadTimeout, "read timeout of each CCC request [CCC_READ_TIMEOUT]")
	PositiveDurationVar(fs, &c.CallTimeout, "call-timeout", DefaultCallTimeout, "bound on one tool call, retries included [CCC_CALL_TIMEOUT]")
	fs.StringVar(&c.Instance, "instance", "", "default InstanceId when a call names none (simulator: "+sim.DefaultInstanceID+") [CCC_INSTANCE_ID]")
	fs.StringVar(&c.PolicyFile, "policy", "", "policy file (YAML); empty: read/secret allowed, everything else confirmed [CCC_POLICY_FILE]")
	fs.StringVar(&c.AuditPath, "audit", "stderr", "audit log: a file path (appended, fsync per record), stderr, stdout, or off [CCC_AUDIT_FILE]")
	fs.StringVar(&c.TokenSecret, "token-secret", "", "HMAC key of confirmation tokens, at least 16 bytes (32 random bytes recommended: openssl rand -hex 32); empty: random per process; prefer the env var [CCC_TOKEN_SECRET]")
	PositiveDurationVar(fs, &c.TokenTTL, "confirm-ttl", policy.DefaultTokenTTL, "how long a confirmation stays valid [CCC_CONFIRM_TTL]")
	fs.StringVar(&c.Store, "store", "memory", "where confirmations, approvals, single-use keys and rate-limit buckets live: memory (this process), sqlite:PATH (processes on one host), postgres://user@host:5432/db (replicas) [CCC_STORE]")
	fs.StringVar(&c.Approvals, "approvals", "", "approvals in Slack for calls a client cannot confirm and for four eyes: slack or off (default: slack when --store is sqlite or postgres, else off) [CCC_APPROVALS]")
	PositiveDurationVar(fs, &c.ApprovalTTL, "approval-ttl", policy.DefaultApprovalTTL, "how long an approval request in Slack stays open [CCC_APPROVAL_TTL]")
	BoolVar(fs, &c.ReadOnly, "read-only", false, "list and allow only read-class tools (no credential-returning ones) [CCC_READ_ONLY]")
	BoolVar(fs, &c.ReadOnlySecrets, "read-only-secrets", false, "with --read-only, list and allow the 4 credential-returning (secret) tools too [CCC_READ_ONLY_SECRETS]")
	LimitVar(fs, &c.RateLimit, "rate-limit", DefaultRateLimit, "calls per minute each principal may make; -1: no limit [CCC_RATE_LIMIT]")
	LimitVar(fs, &c.ExternalLimit, "external-rate-limit", DefaultExternalLimit, "external calls (real calls, SMS) per hour each principal may make; -1: no limit [CCC_EXTERNAL_RATE_LIMIT]")
	PositiveDurationVar(fs, &c.StuckAfter, "stuck-after", tools.DefaultStuckAfter, "flag agents holding a normal state other than Ready/Offline longer than this (CCC's abnormal states are always stuck); both binaries must agree [CCC_STUCK_AFTER]")
	fs.StringVar(&c.TimeZone, "time-zone", "Asia/Shanghai", "the call center's time zone (IANA name): results show times in it, and date-time arguments such as 2006-01-02 15:04:05 are read in it [CCC_TIME_ZONE]")
	fs.Var(listFlag{&c.Filter.Toolsets}, "toolsets", "comma-separated toolsets to enable (default all) [CCC_TOOLSETS]")
	fs.Var(listFlag{&c.Filter.Include}, "tools", "comma-separated tools to enable, by tool or action name [CCC_TOOLS]")
	fs.Var(listFlag{&c.Filter.Exclude}, "exclude-tools", "comma-separated tools to disable [CCC_EXCLUDE_TOOLS]")
}

// App is the wired product.
type App struct {
	Registry *tools.Registry
	Gate     *policy.Gate
	Client   *ccc.Client
	Sim      *sim.Server // the embedded simulator, when this process runs one
	Store    store.Store // the gate's store
	// Backend says in words what the tools talk to, without secrets.
	Backend string
	closers []func() error
}

// Close stops what Open started.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	return errors.Join(errs...)
}

// Open builds the backend, the gate and the registry.
func Open(cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if cfg.TokenSecret == "" {
		cfg.TokenSecret = os.Getenv("CCC_TOKEN_SECRET")
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	backend, creds, err := cfg.chooseBackend()
	if err != nil {
		return nil, err
	}
	a := &App{}
	fail := func(err error) (*App, error) {
		_ = a.Close()
		return nil, err
	}
	// The call center's zone: the registry's times are in it, and so is the
	// embedded simulator's day, as a real instance's is.
	var zone *time.Location
	if cfg.TimeZone != "" {
		loc, err := time.LoadLocation(cfg.TimeZone)
		if err != nil {
			return fail(fmt.Errorf("--time-zone / CCC_TIME_ZONE %q is not a time zone this machine knows: use an IANA name such as Asia/Shanghai or UTC", cfg.TimeZone))
		}
		zone = loc
	}
	ccfg := ccc.Config{Region: cfg.Region, ConnectTimeout: cfg.ConnectTimeout, ReadTimeout: cfg.ReadTimeout, Logger: cfg.Logger,
		// Retry only what the reviewed access table calls read-only: one
		// table decides how risky an action is, for the gate and the client.
		Retryable: func(action string) bool { return policy.AccessOf(action).ReadOnly() }}
	if backend == BackendAliyun {
		ccfg.Credentials, ccfg.Endpoint = creds, cfg.Endpoint
		if cfg.Instance == "" {
			cfg.Logger.Warn("no default instance (CCC_INSTANCE_ID); every call must name InstanceId")
		}
	} else {
		addr := cfg.SimAddr
		if addr == "" {
			srv, err := sim.Start("127.0.0.1:0", sim.Options{Seed: cfg.SimSeed, Logger: cfg.Logger, Zone: zone})
			if err != nil {
				return fail(fmt.Errorf("start the embedded simulator: %w", err))
			}
			a.Sim = srv
			a.closers = append(a.closers, srv.Close)
			addr = srv.Addr
		}
		ccfg.Endpoint = "http://" + addr
		ccfg.Credentials = ccc.Credentials{Mode: ccc.CredAccessKey, AccessKeyID: sim.DefaultAccessKeyID, AccessKeySecret: sim.DefaultAccessKeySecret}
		if cfg.Instance == "" {
			cfg.Instance = sim.DefaultInstanceID
		}
	}
	client, err := ccc.New(ccfg)
	if err != nil {
		return fail(err)
	}
	a.Client = client
	a.closers = append(a.closers, func() error { client.Close(); return nil })
	if backend == BackendAliyun {
		a.Backend = "Alibaba Cloud CCC at " + client.Endpoint() + " (" + creds.Mode + " credentials)"
	} else if a.Sim != nil {
		a.Backend = "the embedded CCC simulator at " + client.Endpoint() + " (simulated data; no real calls)"
	} else {
		a.Backend = "a CCC simulator at " + client.Endpoint() + " (simulated data; no real calls)"
	}

	st, err := store.Open(cfg.Store, store.Options{})
	if err != nil {
		return fail(fmt.Errorf("open the store (--store / CCC_STORE): %w", err))
	}
	a.Store = st
	a.closers = append(a.closers, st.Close)
	approvals := st.Name() != "memory"
	switch strings.ToLower(strings.TrimSpace(cfg.Approvals)) {
	case "":
	case "slack", "on":
		approvals = true
	case "off":
		approvals = false
	default:
		return fail(fmt.Errorf("--approvals / CCC_APPROVALS %q: use slack or off", cfg.Approvals))
	}
	if cfg.ApprovalTTL < 0 {
		return fail(fmt.Errorf("--approval-ttl / CCC_APPROVAL_TTL %v: use a positive duration such as 15m", cfg.ApprovalTTL))
	}
	pcfg := policy.Config{TokenTTL: cfg.TokenTTL, ReadOnly: cfg.ReadOnly, ReadOnlySecrets: cfg.ReadOnlySecrets, Logger: cfg.Logger, Limits: limits(cfg.RateLimit, cfg.ExternalLimit),
		Store: st, Approvals: approvals, ApprovalTTL: cfg.ApprovalTTL, Observe: cfg.Observe}
	if cfg.TokenSecret != "" {
		pcfg.Secret = []byte(cfg.TokenSecret)
	} else {
		pcfg.Secret = make([]byte, 32)
		if _, err := rand.Read(pcfg.Secret); err != nil {
			return fail(fmt.Errorf("draw a random confirmation secret: %w", err))
		}
		cfg.Logger.Warn(NoTokenSecretWarning)
	}
	if cfg.PolicyFile != "" {
		f, err := policy.LoadFile(cfg.PolicyFile)
		if err != nil {
			return fail(err)
		}
		pcfg.File = f
	}
	switch strings.ToLower(cfg.AuditPath) {
	case "", "off", "none":
	case "stderr", "-":
		pcfg.Audit = os.Stderr
	case "stdout":
		pcfg.Audit = os.Stdout
	default:
		af, err := policy.NewAuditFile(cfg.AuditPath)
		if err != nil {
			return fail(fmt.Errorf("open audit file: %w", err))
		}
		pcfg.Audit = af
		a.closers = append(a.closers, af.Close)
	}
	gate, err := policy.New(pcfg)
	if err != nil {
		return fail(err)
	}
	a.Gate = gate
	// A confirmed call handed to CCC with no outcome: a process died
	// between sending and the answer. Nothing runs it again; say so.
	if open, err := gate.Unsettled(context.Background()); err == nil {
		for _, r := range open {
			cfg.Logger.Warn("a confirmed call was handed to CCC and has no recorded outcome: it may have run; check its state before running it again",
				"approval", r.ID, "action", r.Action, "instance", r.Instance, "requester", r.Requester, "approver", r.Approver, "since", r.UpdatedAt.UTC().Format(time.RFC3339))
		}
	}
	results := tools.ResultOptions{NoStructured: cfg.NoStructured, Zone: zone}
	reg, err := tools.New(tools.Config{Client: client, Gate: gate, DefaultInstance: cfg.Instance, Timeout: cfg.CallTimeout, Filter: cfg.Filter, StuckAfter: cfg.StuckAfter, Logger: cfg.Logger, Results: results})
	if err != nil {
		return fail(err)
	}
	a.Registry = reg
	if !cfg.NoSweeper {
		a.startSweeper(cfg.SweepEvery, cfg.Logger)
	}
	return a, nil
}

// DefaultSweepEvery is how often a process sweeps the store by default.
const DefaultSweepEvery = time.Minute

// startSweeper expires requests nobody answered (audited by the gate) and
// forgets ended requests past retention, used single-use keys and full
// buckets, until Close. A Slack bot posting approvals sweeps on its own,
// more often, so it can update the messages of what expired.
func (a *App) startSweeper(every time.Duration, log *slog.Logger) {
	if every <= 0 {
		every = DefaultSweepEvery
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := a.Gate.Sweep(ctx); err != nil && ctx.Err() == nil {
					log.Warn("sweeping the store failed; trying again at the next round", "err", err)
				}
			}
		}
	}()
	// Closers run in reverse: the sweeper stops before the store closes.
	a.closers = append(a.closers, func() error { cancel(); <-done; return nil })
}

// MinTokenSecret is the shortest confirmation secret accepted, in bytes;
// 32 random bytes are recommended. The README states the same numbers.
const MinTokenSecret = 16

// NoTokenSecretWarning is logged when no confirmation secret is set.
const NoTokenSecretWarning = "CCC_TOKEN_SECRET is not set: confirmations use a random secret of this process, so they do not survive a restart or work across replicas; set CCC_TOKEN_SECRET to at least 16 bytes (32 random bytes recommended: openssl rand -hex 32)"

// check refuses values the product cannot honour. Flags refuse them
// already (see flags.go); this covers a Config built in code, where a zero
// still means the default.
func (c *Config) check() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--connect-timeout (CCC_CONNECT_TIMEOUT)", c.ConnectTimeout}, {"--read-timeout (CCC_READ_TIMEOUT)", c.ReadTimeout},
		{"--call-timeout (CCC_CALL_TIMEOUT)", c.CallTimeout}, {"--confirm-ttl (CCC_CONFIRM_TTL)", c.TokenTTL}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s is %v: use a positive duration with a unit, such as 30s, 2m or 1h", d.name, d.v))
		}
	}
	for _, l := range []struct {
		name string
		v    int
	}{{"--rate-limit (CCC_RATE_LIMIT)", c.RateLimit}, {"--external-rate-limit (CCC_EXTERNAL_RATE_LIMIT)", c.ExternalLimit}} {
		if l.v < -1 {
			errs = append(errs, fmt.Errorf("%s is %d: use a positive whole number, or -1 for no limit", l.name, l.v))
		}
	}
	if n := len(c.TokenSecret); n > 0 && n < MinTokenSecret {
		errs = append(errs, fmt.Errorf("the confirmation secret (CCC_TOKEN_SECRET or --token-secret) is %d bytes: it needs at least %d (32 random bytes recommended: openssl rand -hex 32)", n, MinTokenSecret))
	}
	return errors.Join(errs...)
}

// chooseBackend decides what the tools talk to, and refuses settings that
// contradict each other instead of letting one win in silence: credentials
// of the real service next to a simulator address would otherwise send a
// user who meant to share a simulator to the real call center.
func (c *Config) chooseBackend() (string, ccc.Credentials, error) {
	if err := ccc.CheckCredentialEnv(); err != nil {
		return "", ccc.Credentials{}, err
	}
	creds, haveCreds := ccc.CredentialsFromEnv()
	set := ccc.CredentialVarsSet()
	unset := "env -u " + strings.Join(set, " -u ")
	backend := c.Backend
	switch backend {
	case "", BackendAuto:
		backend = BackendSim
		if haveCreds {
			backend = BackendAliyun
		}
		if haveCreds && c.SimAddr != "" {
			return "", creds, fmt.Errorf("CCC_SIM_ADDR (--sim-addr) asks for the simulator at %s, but credentials of the real CCC are set (%s), which would select the real service: to use the simulator, unset them for this process (%s …); to use the real CCC, unset CCC_SIM_ADDR",
				c.SimAddr, strings.Join(set, ", "), unset)
		}
	case BackendSim:
		if haveCreds {
			return "", creds, fmt.Errorf("--backend sim (CCC_BACKEND) asks for the simulator, but credentials of the real CCC are set (%s): unset them for this process (%s …), or use --backend aliyun for the real CCC",
				strings.Join(set, ", "), unset)
		}
	case BackendAliyun:
		if c.SimAddr != "" {
			return "", creds, fmt.Errorf("--backend aliyun (CCC_BACKEND) asks for the real CCC, but CCC_SIM_ADDR (--sim-addr) names a simulator at %s: unset CCC_SIM_ADDR, or use --backend sim", c.SimAddr)
		}
		if !haveCreds {
			return "", creds, errors.New("backend aliyun needs credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (or CCC_BEARER_TOKEN, ALIBABA_CLOUD_ECS_METADATA)")
		}
	default:
		return "", creds, fmt.Errorf("unknown backend %q: use auto, sim or aliyun", c.Backend)
	}
	if backend == BackendSim && c.Endpoint != "" {
		return "", creds, fmt.Errorf("CCC_ENDPOINT (--endpoint) %q is for the real CCC, and this process runs on the simulator: unset CCC_ENDPOINT (use CCC_SIM_ADDR for a simulator elsewhere), or set credentials and --backend aliyun", c.Endpoint)
	}
	return backend, creds, nil
}

// limits turns the two knobs into the gate's buckets; zero keeps a default.
func limits(perMinute, externalPerHour int) policy.Limits {
	l := policy.DefaultLimits()
	if perMinute != 0 {
		l.Overall = policy.Rate{N: perMinute, Per: time.Minute}
	}
	if externalPerHour != 0 {
		l.Class[spec.AccessExternal] = policy.Rate{N: externalPerHour, Per: time.Hour}
	}
	return l
}

// Discard is a logger that drops everything, for tests.
func Discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
