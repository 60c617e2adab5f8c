// Package app wires the pieces both binaries share: configuration from flags
// and environment, the backend (the embedded simulator or the real CCC),
// the policy gate with its audit sink, and the tool registry.
package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"time"

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
	RateLimit      int // calls per minute per principal; 0 → 600, negative → no limit
	ExternalLimit  int // external-class calls per hour per principal; 0 → 10, negative → no limit
	Filter         tools.Filter
	Logger         *slog.Logger
}

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
			errs = append(errs, fmt.Errorf("%s=%q: %v (see --%s in -h)", m[1], v, err, f.Name))
		}
	})
	return errors.Join(errs...)
}

type listFlag struct{ dst *[]string }

func (l listFlag) String() string {
	if l.dst == nil {
		return ""
	}
	return strings.Join(*l.dst, ",")
}

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
	fs.DurationVar(&c.ConnectTimeout, "connect-timeout", ccc.DefaultConnectTimeout, "connect timeout of each CCC request [CCC_CONNECT_TIMEOUT]")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", ccc.DefaultReadTimeout, "read timeout of each CCC request [CCC_READ_TIMEOUT]")
	fs.DurationVar(&c.CallTimeout, "call-timeout", 30*time.Second, "bound on one tool call, retries included [CCC_CALL_TIMEOUT]")
	fs.StringVar(&c.Instance, "instance", "", "default InstanceId when a call names none (simulator: "+sim.DefaultInstanceID+") [CCC_INSTANCE_ID]")
	fs.StringVar(&c.PolicyFile, "policy", "", "policy file (YAML); empty: read/secret allowed, everything else confirmed [CCC_POLICY_FILE]")
	fs.StringVar(&c.AuditPath, "audit", "stderr", "audit log: a file path (appended, fsync per record), stderr, stdout, or off [CCC_AUDIT_FILE]")
	fs.StringVar(&c.TokenSecret, "token-secret", "", "HMAC key of confirmation tokens, at least 16 bytes (32 random bytes recommended); prefer the env var [CCC_TOKEN_SECRET]")
	fs.DurationVar(&c.TokenTTL, "confirm-ttl", policy.DefaultTokenTTL, "how long a confirmation stays valid [CCC_CONFIRM_TTL]")
	fs.StringVar(&c.Store, "store", "memory", "where confirmations, approvals, single-use keys and rate-limit buckets live: memory (this process), sqlite:PATH (processes on one host), postgres://user@host:5432/db (replicas) [CCC_STORE]")
	fs.StringVar(&c.Approvals, "approvals", "", "approvals in Slack for calls a client cannot confirm and for four eyes: slack or off (default: slack when --store is sqlite or postgres, else off) [CCC_APPROVALS]")
	fs.DurationVar(&c.ApprovalTTL, "approval-ttl", policy.DefaultApprovalTTL, "how long an approval request in Slack stays open [CCC_APPROVAL_TTL]")
	fs.BoolVar(&c.ReadOnly, "read-only", false, "list and allow only read-class tools [CCC_READ_ONLY]")
	fs.IntVar(&c.RateLimit, "rate-limit", 0, "calls per minute each principal may make (0: 600; -1: no limit) [CCC_RATE_LIMIT]")
	fs.IntVar(&c.ExternalLimit, "external-rate-limit", 0, "external calls (real calls, SMS) per hour each principal may make (0: 10; -1: no limit) [CCC_EXTERNAL_RATE_LIMIT]")
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
	a := &App{}
	fail := func(err error) (*App, error) {
		_ = a.Close()
		return nil, err
	}
	creds, haveCreds := ccc.CredentialsFromEnv()
	backend := cfg.Backend
	switch backend {
	case "", BackendAuto:
		backend = BackendSim
		if haveCreds {
			backend = BackendAliyun
		}
	case BackendSim, BackendAliyun:
	default:
		return nil, fmt.Errorf("unknown backend %q: use auto, sim or aliyun", cfg.Backend)
	}
	ccfg := ccc.Config{Region: cfg.Region, ConnectTimeout: cfg.ConnectTimeout, ReadTimeout: cfg.ReadTimeout, Logger: cfg.Logger,
		// Retry only what the reviewed access table calls read-only: one
		// table decides how risky an action is, for the gate and the client.
		Retryable: func(action string) bool { return policy.AccessOf(action).ReadOnly() }}
	if backend == BackendAliyun {
		if !haveCreds {
			return nil, errors.New("backend aliyun needs credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (or CCC_BEARER_TOKEN, ALIBABA_CLOUD_ECS_METADATA)")
		}
		ccfg.Credentials, ccfg.Endpoint = creds, cfg.Endpoint
		if cfg.Instance == "" {
			cfg.Logger.Warn("no default instance (CCC_INSTANCE_ID); every call must name InstanceId")
		}
	} else {
		addr := cfg.SimAddr
		if addr == "" {
			srv, err := sim.Start("127.0.0.1:0", sim.Options{Seed: cfg.SimSeed, Logger: cfg.Logger})
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
	pcfg := policy.Config{TokenTTL: cfg.TokenTTL, ReadOnly: cfg.ReadOnly, Logger: cfg.Logger, Limits: limits(cfg.RateLimit, cfg.ExternalLimit),
		Store: st, Approvals: approvals, ApprovalTTL: cfg.ApprovalTTL}
	if cfg.TokenSecret != "" {
		pcfg.Secret = []byte(cfg.TokenSecret)
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
	reg, err := tools.New(tools.Config{Client: client, Gate: gate, DefaultInstance: cfg.Instance, Timeout: cfg.CallTimeout, Filter: cfg.Filter, Logger: cfg.Logger})
	if err != nil {
		return fail(err)
	}
	a.Registry = reg
	return a, nil
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
