package app

import (
	"context"
	"errors"
	"flag"
	"strings"
	"testing"

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
