package policy

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc/spec"
)

func newTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

func wantLimited(t *testing.T, err error, after time.Duration, bucket string) {
	t.Helper()
	var rl *RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("got %v, want *RateLimitError", err)
	}
	if rl.RetryAfter != after || !strings.HasPrefix(rl.Limit, bucket) || !strings.Contains(rl.Error(), "try again in") {
		t.Errorf("got %v (retry after %v, bucket %q), want retry after %v on %s", rl, rl.RetryAfter, rl.Limit, after, bucket)
	}
}

func TestRateLimitDrainsAndRefills(t *testing.T) {
	clk := newClock()
	g := newGate(t, Config{Now: clk.Now, Limits: Limits{Overall: Rate{N: 3, Per: time.Minute}}})
	c := call("alice", "ListUsers", "i")
	for i := range 3 {
		if err := limit(g, c); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	wantLimited(t, limit(g, c), 20*time.Second, "overall")
	// Another principal has its own bucket.
	if err := limit(g, call("bob", "ListUsers", "i")); err != nil {
		t.Errorf("bob limited by alice's calls: %v", err)
	}
	clk.Advance(10 * time.Second) // half a token
	wantLimited(t, limit(g, c), 10*time.Second, "overall")
	clk.Advance(10 * time.Second)
	if err := limit(g, c); err != nil {
		t.Errorf("after one token's refill: %v", err)
	}
	clk.Advance(time.Hour) // refills to the cap, not beyond
	for range 3 {
		if err := limit(g, c); err != nil {
			t.Fatal(err)
		}
	}
	if limit(g, c) == nil {
		t.Error("bucket held more than its capacity")
	}
}

func TestRateLimitExternalIsStricterByDefault(t *testing.T) {
	clk := newClock()
	g := newGate(t, Config{Now: clk.Now})
	ext := call("alice", "DialEx", "i")
	for i := range 10 {
		if err := limit(g, ext); err != nil {
			t.Fatalf("external call %d: %v", i+1, err)
		}
	}
	wantLimited(t, limit(g, ext), 6*time.Minute, "external")
	// The refused external call did not cost an overall token: 590 reads
	// are left of the default 600 per minute.
	for i := range 590 {
		if err := limit(g, call("alice", "ListUsers", "i")); err != nil {
			t.Fatalf("read %d: %v", i+1, err)
		}
	}
	wantLimited(t, limit(g, call("alice", "ListUsers", "i")), 100*time.Millisecond, "overall")
	clk.Advance(6 * time.Minute)
	if err := limit(g, ext); err != nil {
		t.Errorf("external after refill: %v", err)
	}
}

func TestRateLimitConfig(t *testing.T) {
	clk := newClock()
	g := newGate(t, Config{Now: clk.Now, Limits: Limits{
		Overall: Rate{N: -1},
		Class:   map[spec.Access]Rate{destructive: {N: 1, Per: time.Hour}, external: {N: 0, Per: time.Hour}},
	}})
	for range 1000 {
		if err := limit(g, call("a", "ListUsers", "i")); err != nil {
			t.Fatal("unlimited overall bucket refused a call")
		}
	}
	if err := limit(g, call("a", "RemoveUsers", "i")); err != nil {
		t.Fatal(err)
	}
	wantLimited(t, limit(g, call("a", "DeleteSkillGroup", "i")), time.Hour, "destructive")
	wantLimited(t, limit(g, call("a", "DialEx", "i")), time.Hour, "external")

	if _, err := New(Config{Logger: quiet, Limits: Limits{Overall: Rate{N: 5}}}); err == nil {
		t.Error("a rate without a period must be refused")
	}
	if _, err := New(Config{Logger: quiet, Limits: Limits{Class: map[spec.Access]Rate{"bogus": {N: 1, Per: time.Second}}}}); err == nil {
		t.Error("a rate for an unknown class must be refused")
	}
}

func BenchmarkDecideWithFile(b *testing.B) {
	f, err := LoadFile("../../examples/policy.yaml")
	if err != nil {
		b.Fatal(err)
	}
	g := newGate(b, Config{File: f})
	c := call("slack:T1:U01BOBONC1", "ResetUserStatus", "ccc-prod-sh")
	for b.Loop() {
		g.Decide(c)
	}
}

func BenchmarkAskAndConfirm(b *testing.B) {
	g := newGate(b, Config{})
	c := resetCall()
	for b.Loop() {
		tok, _, _ := issue(g, c)
		if err := redeem(g, tok, c, Principal{}); err != nil {
			b.Fatal(err)
		}
	}
}

// limit charges c's buckets as Admit does and returns the refusal, if any.
func limit(g *Gate, c Call) error {
	rl, err := g.take(context.Background(), c)
	if err != nil {
		return err
	}
	if rl != nil {
		return rl
	}
	return nil
}
