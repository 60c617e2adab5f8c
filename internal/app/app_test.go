package app

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

func TestOpenDefaultsToTheEmbeddedSimulator(t *testing.T) {
	for _, k := range []string{"CCC_BEARER_TOKEN", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ECS_METADATA", "ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_CREDENTIALS_URI"} {
		t.Setenv(k, "")
	}
	var cfg Config
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse([]string{"--audit", "off", "--rate-limit", "2"}); err != nil {
		t.Fatal(err)
	}
	cfg.Logger = Discard()
	a, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Sim == nil || !strings.Contains(a.Backend, "embedded CCC simulator") {
		t.Fatalf("backend %q", a.Backend)
	}
	p := policy.Principal{ID: "t", Surface: "test"}
	for i := 0; i < 2; i++ {
		if _, err := a.Registry.Invoke(context.Background(), tools.Invocation{Principal: p, Tool: "list_real_time_agent"}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = a.Registry.Invoke(context.Background(), tools.Invocation{Principal: p, Tool: "list_real_time_agent"})
	var te *tools.Error
	if !errors.As(err, &te) || te.Kind != tools.KindRateLimited {
		t.Fatalf("third call with --rate-limit 2: %v", err)
	}
}

func TestAliyunBackendNeedsCredentials(t *testing.T) {
	for _, k := range []string{"CCC_BEARER_TOKEN", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ECS_METADATA", "ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_CREDENTIALS_URI"} {
		t.Setenv(k, "")
	}
	_, err := Open(Config{Backend: BackendAliyun, Logger: Discard()})
	if err == nil || !strings.Contains(err.Error(), "ALIBABA_CLOUD_ACCESS_KEY_ID") {
		t.Fatalf("got %v", err)
	}
	if _, err := Open(Config{Backend: "cloud", Logger: Discard()}); err == nil {
		t.Fatal("unknown backend accepted")
	}
}

// TestApplyEnvIsStrict: an environment variable is parsed by its flag, so a
// bad value is an error naming the variable, not a silent default; a flag on
// the command line wins over the environment.
func TestApplyEnvIsStrict(t *testing.T) {
	newFS := func() (*flag.FlagSet, *Config) {
		var cfg Config
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		cfg.RegisterFlags(fs)
		return fs, &cfg
	}
	for name, val := range map[string]string{"CCC_READ_ONLY": "yes", "CCC_RATE_LIMIT": "abc", "CCC_SIM_SEED": "x", "CCC_CALL_TIMEOUT": "10"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, val)
			fs, _ := newFS()
			err := ApplyEnv(fs)
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("%s=%s: %v", name, val, err)
			}
		})
	}
	t.Setenv("CCC_READ_ONLY", "true")
	t.Setenv("CCC_TOOLSETS", "agents, reports")
	t.Setenv("CCC_CALL_TIMEOUT", "5s")
	fs, cfg := newFS()
	if err := ApplyEnv(fs); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"--call-timeout", "7s"}); err != nil {
		t.Fatal(err)
	}
	if !cfg.ReadOnly || strings.Join(cfg.Filter.Toolsets, "|") != "agents|reports" || cfg.CallTimeout.String() != "7s" {
		t.Fatalf("config %+v", cfg)
	}
}

// clearCredentials empties every credential variable for the test.
func clearCredentials(t *testing.T) {
	for _, k := range []string{"CCC_BEARER_TOKEN", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
		"ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_ROLE_SESSION_NAME", "ALIBABA_CLOUD_ECS_METADATA", "ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_CREDENTIALS_URI"} {
		t.Setenv(k, "")
	}
}

// TestConflictingBackendSettingsAreRefused: a simulator address next to
// real credentials (the README's "share a simulator" with keys in the
// shell) used to reach the real CCC; now every contradiction is an error
// that names what to unset, and never the secret's value.
func TestConflictingBackendSettingsAreRefused(t *testing.T) {
	const keySecret = "real-looking-access-key-secret"
	cases := []struct {
		name string
		env  map[string]string
		cfg  Config
		want []string
	}{
		{"simulator address with an AccessKey pair", map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI-x", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": keySecret},
			Config{SimAddr: "127.0.0.1:9090"}, []string{"CCC_SIM_ADDR", "ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env -u ALIBABA_CLOUD_ACCESS_KEY_ID -u ALIBABA_CLOUD_ACCESS_KEY_SECRET", "unset CCC_SIM_ADDR"}},
		{"simulator address with a bearer token", map[string]string{"CCC_BEARER_TOKEN": keySecret},
			Config{Backend: BackendAuto, SimAddr: "127.0.0.1:9090"}, []string{"CCC_SIM_ADDR", "CCC_BEARER_TOKEN", "env -u CCC_BEARER_TOKEN"}},
		{"--backend sim with credentials", map[string]string{"ALIBABA_CLOUD_ECS_METADATA": "role"},
			Config{Backend: BackendSim}, []string{"--backend sim", "ALIBABA_CLOUD_ECS_METADATA", "env -u ALIBABA_CLOUD_ECS_METADATA", "--backend aliyun"}},
		{"--backend aliyun with a simulator address", map[string]string{"CCC_BEARER_TOKEN": keySecret},
			Config{Backend: BackendAliyun, SimAddr: "127.0.0.1:9090"}, []string{"--backend aliyun", "unset CCC_SIM_ADDR"}},
		{"a key id without its secret", map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI-x"},
			Config{}, []string{"ALIBABA_CLOUD_ACCESS_KEY_ID is set without ALIBABA_CLOUD_ACCESS_KEY_SECRET", "unset the id"}},
		{"a secret without its key id", map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_SECRET": keySecret},
			Config{Backend: BackendSim}, []string{"ALIBABA_CLOUD_ACCESS_KEY_SECRET is set without ALIBABA_CLOUD_ACCESS_KEY_ID"}},
		{"an STS token without the pair", map[string]string{"ALIBABA_CLOUD_SECURITY_TOKEN": keySecret},
			Config{}, []string{"ALIBABA_CLOUD_SECURITY_TOKEN is used only with", "unset ALIBABA_CLOUD_SECURITY_TOKEN"}},
		{"a session name without a role", map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI-x", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": keySecret, "ALIBABA_CLOUD_ROLE_SESSION_NAME": "s"},
			Config{}, []string{"ALIBABA_CLOUD_ROLE_SESSION_NAME is set without ALIBABA_CLOUD_ROLE_ARN"}},
		{"two kinds of credentials", map[string]string{"CCC_BEARER_TOKEN": keySecret, "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI-x", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": keySecret},
			Config{}, []string{"CCC_BEARER_TOKEN and ALIBABA_CLOUD_ACCESS_KEY_*", "unset all but one"}},
		{"an endpoint on the simulator", nil,
			Config{Endpoint: "ccc.cn-shanghai.aliyuncs.com"}, []string{"CCC_ENDPOINT", "simulator", "unset CCC_ENDPOINT"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clearCredentials(t)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			c.cfg.Logger, c.cfg.AuditPath = Discard(), "off"
			a, err := Open(c.cfg)
			if err == nil {
				a.Close()
				t.Fatalf("started on %s", a.Backend)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), keySecret) {
				t.Errorf("error shows a secret: %v", err)
			}
		})
	}
	// The same simulator address without credentials is accepted.
	clearCredentials(t)
	a, err := Open(Config{Backend: BackendSim, Logger: Discard(), AuditPath: "off"})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
}

func newFlags() (*flag.FlagSet, *Config) {
	var cfg Config
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.RegisterFlags(fs)
	return fs, &cfg
}

// TestBadValuesAreRefusedWithTheAcceptedValues: nothing is silently
// replaced by a default; each refusal says what is accepted, from the
// environment and from the command line alike.
func TestBadValuesAreRefusedWithTheAcceptedValues(t *testing.T) {
	cases := []struct{ env, val, want string }{
		{"CCC_CALL_TIMEOUT", "-1s", `CCC_CALL_TIMEOUT="-1s": use a positive duration with a unit, such as 30s`},
		{"CCC_CALL_TIMEOUT", "0", `CCC_CALL_TIMEOUT="0": use a positive duration`},
		{"CCC_CONNECT_TIMEOUT", "0s", `CCC_CONNECT_TIMEOUT="0s": use a positive duration`},
		{"CCC_CONFIRM_TTL", "-5m", `CCC_CONFIRM_TTL="-5m": use a positive duration`},
		{"CCC_RATE_LIMIT", "-5", `CCC_RATE_LIMIT="-5": use a positive whole number, or -1 for no limit`},
		{"CCC_RATE_LIMIT", "0", `CCC_RATE_LIMIT="0": use a positive whole number, or -1 for no limit`},
		{"CCC_EXTERNAL_RATE_LIMIT", "many", `CCC_EXTERNAL_RATE_LIMIT="many": use a positive whole number, or -1`},
		{"CCC_READ_ONLY", "yes", `CCC_READ_ONLY="yes": use true or false`},
		{"CCC_SIM_SEED", "x", `CCC_SIM_SEED="x": use a whole number`},
	}
	for _, c := range cases {
		t.Run(c.env+"="+c.val, func(t *testing.T) {
			t.Setenv(c.env, c.val)
			fs, _ := newFlags()
			err := ApplyEnv(fs)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
	for _, args := range [][]string{{"--call-timeout", "0"}, {"--call-timeout=-1s"}, {"--rate-limit", "-5"}, {"--read-only=yes"}, {"--external-rate-limit", "0"}} {
		fs, _ := newFlags()
		err := fs.Parse(args)
		if err == nil || !(strings.Contains(err.Error(), "use a positive") || strings.Contains(err.Error(), "use true or false")) {
			t.Errorf("%v: %v", args, err)
		}
	}
	// The accepted forms: -1 is no limit, a bare --read-only is true.
	fs, cfg := newFlags()
	if err := fs.Parse([]string{"--rate-limit", "-1", "--external-rate-limit", "3", "--read-only", "--call-timeout", "2m"}); err != nil {
		t.Fatal(err)
	}
	if cfg.RateLimit != -1 || cfg.ExternalLimit != 3 || !cfg.ReadOnly || cfg.CallTimeout.String() != "2m0s" {
		t.Fatalf("config %+v", cfg)
	}
	l := limits(cfg.RateLimit, cfg.ExternalLimit)
	if l.Overall.N != -1 || l.Class["external"].N != 3 {
		t.Errorf("limits %+v", l)
	}
	// Defaults are the real numbers.
	fs, cfg = newFlags()
	_ = fs.Parse(nil)
	if cfg.RateLimit != 600 || cfg.ExternalLimit != 10 || cfg.CallTimeout.String() != "30s" || cfg.TokenTTL.String() != "5m0s" {
		t.Errorf("defaults %+v", cfg)
	}
	// A Config built in code gets the same refusals.
	clearCredentials(t)
	for _, c := range []Config{{CallTimeout: -time.Second}, {RateLimit: -5}, {TokenSecret: "short"}} {
		c.Logger, c.AuditPath = Discard(), "off"
		if a, err := Open(c); err == nil {
			a.Close()
			t.Errorf("%+v accepted", c)
		}
	}
}

// TestHelpShowsRealDefaultsAndEnvironmentOnlySettings: -h gives the
// numbers that apply and names the settings that have no flag.
func TestHelpShowsRealDefaultsAndEnvironmentOnlySettings(t *testing.T) {
	fs, _ := newFlags()
	var out strings.Builder
	fs.SetOutput(&out)
	SetUsage(fs, "Usage of t:", []EnvVar{{"SOME_SECRET", "a secret of this binary"}})
	if err := fs.Parse([]string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	h := out.String()
	for _, w := range []string{
		"-rate-limit limit", "(default 600)", "-external-rate-limit limit", "(default 10)", "-call-timeout duration", "(default 30s)",
		"-confirm-ttl duration", "(default 5m0s)", "-read-only\n", "[CCC_READ_ONLY]", "-toolsets list", `(default "stderr")`,
		"Environment only", "SOME_SECRET", "a secret of this binary",
		"CCC_BEARER_TOKEN", "ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_ECS_METADATA",
		"at least 16 bytes (32 random bytes recommended",
	} {
		if !strings.Contains(h, w) {
			t.Errorf("-h lacks %q:\n%s", w, h)
		}
	}
	for _, bad := range []string{"(0: 600)", "(0: 10)", " value\n"} {
		if strings.Contains(h, bad) {
			t.Errorf("-h shows %q:\n%s", bad, h)
		}
	}
}

// TestTokenSecretWordsMatchTheREADME: the warning without a secret and
// the refusal of a short one state the README's minimum and
// recommendation.
func TestTokenSecretWordsMatchTheREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "at least 16 bytes, 32 random bytes recommended") {
		t.Fatal("the README no longer states the minimum this test compares with")
	}
	clearCredentials(t)
	t.Setenv("CCC_TOKEN_SECRET", "")
	var logs strings.Builder
	a, err := Open(Config{Logger: slog.New(slog.NewTextHandler(&logs, nil)), AuditPath: "off"})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	if !strings.Contains(logs.String(), "at least 16 bytes (32 random bytes recommended") || strings.Contains(logs.String(), "at least 32") {
		t.Errorf("warning: %s", logs.String())
	}
	t.Setenv("CCC_TOKEN_SECRET", "fifteen-bytes!!")
	_, err = Open(Config{Logger: Discard(), AuditPath: "off"})
	if err == nil || !strings.Contains(err.Error(), "is 15 bytes: it needs at least 16 (32 random bytes recommended") || strings.Contains(err.Error(), "fifteen") {
		t.Errorf("short secret: %v", err)
	}
}

func TestPlainHTTPOnAReachableAddressIsWarned(t *testing.T) {
	for addr, exposed := range map[string]bool{
		"127.0.0.1:3000": false, "localhost:3000": false, "[::1]:3000": false, "127.0.0.2:80": false,
		"0.0.0.0:3000": true, ":3000": true, "[::]:3000": true, "10.0.0.5:3000": true, "bot.example.com:443": true,
	} {
		w := PlainHTTPWarning(addr, "the Slack bot (SLACK_ADDR)")
		if (w != "") != exposed {
			t.Errorf("%s: warning %q, want exposed=%v", addr, w, exposed)
		}
		if exposed && (!strings.Contains(w, addr) || !strings.Contains(w, "TLS reverse proxy") || !strings.Contains(w, "SLACK_ADDR")) {
			t.Errorf("%s: %q", addr, w)
		}
	}
}

// A process sweeps its store: a confirmation nobody answered is expired and
// audited without anyone touching it again, and a process that says it
// sweeps on its own (a bot posting approvals) does not.
func TestTheStoreIsSwept(t *testing.T) {
	for _, k := range []string{"CCC_BEARER_TOKEN", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ECS_METADATA", "ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_CREDENTIALS_URI"} {
		t.Setenv(k, "")
	}
	for _, noSweeper := range []bool{false, true} {
		audit := filepath.Join(t.TempDir(), "audit.jsonl")
		a, err := Open(Config{Backend: BackendSim, Logger: Discard(), AuditPath: audit, TokenTTL: 50 * time.Millisecond,
			SweepEvery: 20 * time.Millisecond, NoSweeper: noSweeper})
		if err != nil {
			t.Fatal(err)
		}
		res, err := a.Registry.Invoke(context.Background(), tools.Invocation{Principal: policy.Principal{ID: "t", Surface: "test"},
			Tool: "modify_skill_group", CanAsk: true, Args: map[string]any{"SkillGroupId": "sg-1", "Name": "x"}})
		if err != nil || res.Status != tools.StatusPending {
			t.Fatalf("want a pending confirmation: %v %v", res, err)
		}
		expired := func() bool {
			b, _ := os.ReadFile(audit)
			return strings.Contains(string(b), `"result":"expired"`)
		}
		deadline := time.Now().Add(10 * time.Second)
		for !expired() && time.Now().Before(deadline) && !noSweeper {
			time.Sleep(20 * time.Millisecond)
		}
		if noSweeper {
			time.Sleep(300 * time.Millisecond)
		}
		if got := expired(); got == noSweeper {
			t.Errorf("NoSweeper=%v: expired in the audit = %v", noSweeper, got)
		}
		a.Close()
	}
}
