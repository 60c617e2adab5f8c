package policy

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func resetCall() Call {
	return Call{
		Principal:  Principal{ID: "slack:T1:U1", Name: "Bob", Surface: "slack"},
		Action:     "ResetUserStatus",
		Toolset:    "agents",
		Access:     AccessOf("ResetUserStatus"),
		Args:       map[string]any{"InstanceId": "ccc-prod", "RamIdList": []any{1001.0, 1002.0}},
		InstanceID: "ccc-prod",
	}
}

func TestTokenRoundTripAndReplay(t *testing.T) {
	clk := newClock()
	g := newGate(t, Config{Now: clk.Now})
	c := resetCall()
	tok, exp, err := issue(g, c)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(clk.Now().Add(DefaultTokenTTL)) {
		t.Errorf("expiry %v, want issue time + 5 min", exp)
	}
	for _, leak := range []string{"ccc-prod", "ResetUserStatus", "slack:T1:U1"} {
		if strings.Contains(tok, leak) {
			t.Errorf("token shows %q in clear text", leak)
		}
	}
	// The same arguments decoded another way still match: key order,
	// integral floats and nulls do not change the digest.
	same := c
	same.Args = map[string]any{"RamIdList": []any{json.Number("1001"), 1002}, "InstanceId": "ccc-prod", "Unset": nil}
	clk.Advance(4 * time.Minute)
	if err := redeem(g, tok, same, Principal{}); err != nil {
		t.Fatalf("first redeem: %v", err)
	}
	wantRefused(t, redeem(g, tok, c, Principal{}), RefusedReplay, "already settled")
}

func TestTokenRefusesOtherCalls(t *testing.T) {
	g := newGate(t, Config{})
	c := resetCall()
	tok, _, err := issue(g, c)
	if err != nil {
		t.Fatal(err)
	}
	other := c
	other.Principal = Principal{ID: "slack:T1:U2"}
	wantRefused(t, redeem(g, tok, other, Principal{}), RefusedPrincipal, "slack:T1:U1", "only the person who asked")

	other = c
	other.Action, other.Access = "RemoveUsers", AccessOf("RemoveUsers")
	wantRefused(t, redeem(g, tok, other, Principal{}), RefusedAction, "ResetUserStatus", "RemoveUsers")

	other = c
	other.InstanceID = "ccc-stage"
	other.Args = map[string]any{"InstanceId": "ccc-stage", "RamIdList": []any{1001.0, 1002.0}}
	wantRefused(t, redeem(g, tok, other, Principal{}), RefusedInstance, "ccc-prod", "ccc-stage")

	other = c
	other.Args = map[string]any{"InstanceId": "ccc-prod"} // no RamIdList: every agent
	wantRefused(t, redeem(g, tok, other, Principal{}), RefusedArguments, "arguments differ", "confirm again")

	other = c
	other.Args = map[string]any{"InstanceId": "ccc-prod", "RamIdList": []any{1001.0, 1003.0}}
	wantRefused(t, redeem(g, tok, other, Principal{}), RefusedArguments)

	// None of the refusals used the token up.
	if err := redeem(g, tok, c, Principal{}); err != nil {
		t.Errorf("the right call after refusals: %v", err)
	}
}

func TestTokenExpiry(t *testing.T) {
	clk := newClock()
	g := newGate(t, Config{Now: clk.Now, TokenTTL: 2 * time.Minute})
	c := resetCall()
	tok, exp, err := issue(g, c)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Minute)
	if !clk.Now().Equal(exp) {
		t.Fatalf("clock %v, expiry %v", clk.Now(), exp)
	}
	wantRefused(t, redeem(g, tok, c, Principal{}), RefusedExpired, "expired", "start the action again")
	// The stored request decides expiry, whichever gate reads it: one
	// with another lifetime sharing the store refuses it the same way.
	other := newGate(t, Config{Now: clk.Now, TokenTTL: time.Hour, Store: g.Store()})
	wantRefused(t, redeem(other, tok, c, Principal{}), RefusedExpired)
}

func TestTokenTamperEveryByte(t *testing.T) {
	g := newGate(t, Config{})
	c := resetCall()
	tok, _, err := issue(g, c)
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(tok) {
		for _, flip := range []byte{0x01, 0x20, 0x80} {
			b := []byte(tok)
			b[i] ^= flip
			err := redeem(g, string(b), c, Principal{})
			var re *Refusal
			if !errors.As(err, &re) || (re.Code != RefusedMalformed && re.Code != RefusedSignature) {
				t.Fatalf("byte %d ^ %#x: got %v, want malformed or signature refusal", i, flip, err)
			}
		}
	}
	for _, mangled := range []string{"", "cct1.", tok + "=", tok + "\n", " " + tok, tok[:len(tok)-1], tok + "A",
		strings.Replace(tok, "cct1.", "cct2.", 1), tok[:strings.LastIndexByte(tok, '.')] + "." + strings.Repeat("A", 43)} {
		err := redeem(g, mangled, c, Principal{})
		if err == nil {
			t.Errorf("mangled token %q accepted", mangled)
		}
	}
	// Still valid after all those attempts.
	if err := redeem(g, tok, c, Principal{}); err != nil {
		t.Errorf("genuine token after tampering attempts: %v", err)
	}
	// Another server's secret.
	other := newGate(t, Config{Secret: []byte("another-secret-another-secret-32")})
	tok, _, _ = issue(g, c)
	wantRefused(t, redeem(other, tok, c, Principal{}), RefusedSignature, "signature")
}

func TestTokenForgedClaimsNeedTheSecret(t *testing.T) {
	// Re-signing altered claims with the right secret is the only way to
	// change them; with it, a token for another principal is refused as such.
	g := newGate(t, Config{})
	c := resetCall()
	tok, _, _ := issue(g, c)
	cl, rerr := g.parseToken(tok)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if cl.Principal != c.Principal.ID || cl.Action != c.Action || cl.Instance != "ccc-prod" || cl.Digest != Digest(c.Args) || !strings.HasPrefix(cl.Nonce, "cfm_") {
		t.Errorf("claims do not bind the call: %+v", cl)
	}
	cl.Principal = "slack:T1:U666"
	wantRefused(t, redeem(g, g.sign(cl), c, Principal{}), RefusedPrincipal)
}

const fourEyesPolicy = `
principals:
  bob: oncall
  carol: supervisor
  dave: oncall
roles:
  oncall:
    rules:
      - {name: publish, actions: [PublishContactFlowVersion], verdict: confirm, four_eyes: true}
      - {name: reset, actions: [ResetUserStatus], verdict: confirm}
  supervisor:
    approver: true
    rules:
      - {name: reads, access: [read], verdict: allow}
`

func TestFourEyes(t *testing.T) {
	g := newGate(t, Config{File: mustParse(t, fourEyesPolicy), Approvals: true})
	c := Call{Principal: Principal{ID: "bob"}, Action: "PublishContactFlowVersion",
		Args: map[string]any{"InstanceId": "ccc-prod", "ContactFlowVersionId": "v-42"}, InstanceID: "ccc-prod"}
	if d := g.Decide(c); d.Verdict != Confirm || !d.FourEyes {
		t.Fatalf("decision %+v", d)
	}
	tok, _, err := issue(g, c)
	if err != nil {
		t.Fatal(err)
	}
	wantRefused(t, redeem(g, tok, c, Principal{}), RefusedFourEyes, "someone other than bob")
	wantRefused(t, redeem(g, tok, c, Principal{ID: "bob"}), RefusedFourEyes, "someone other than bob")
	wantRefused(t, redeem(g, tok, c, Principal{ID: "dave"}), RefusedFourEyes, "dave holds no approver role")
	if err := redeem(g, tok, c, Principal{ID: "carol"}); err != nil {
		t.Fatalf("approver carol: %v", err)
	}
	wantRefused(t, redeem(g, tok, c, Principal{ID: "carol"}), RefusedReplay)

	// An approver asking for themselves still needs another approver.
	self := c
	self.Principal = Principal{ID: "carol"}
	if d := g.Decide(self); d.Verdict != Deny {
		t.Fatalf("carol has no rule to publish: %+v", d)
	}

	// No four eyes on reset: the requester's own yes is enough — and nobody
	// else's counts, not even an approver's.
	r := Call{Principal: Principal{ID: "bob"}, Action: "ResetUserStatus", Args: map[string]any{"InstanceId": "ccc-prod"}, InstanceID: "ccc-prod"}
	tok, _, _ = issue(g, r)
	wantRefused(t, redeem(g, tok, r, Principal{ID: "eve"}), RefusedPrincipal, "only bob")
	wantRefused(t, redeem(g, tok, r, Principal{ID: "carol"}), RefusedPrincipal, "only bob")
	if err := redeem(g, tok, r, Principal{ID: "bob"}); err != nil {
		t.Errorf("self-confirmed reset: %v", err)
	}
}

func TestIssueAndRedeemFollowPolicyChanges(t *testing.T) {
	g := newGate(t, Config{File: mustParse(t, fourEyesPolicy)})
	c := Call{Principal: Principal{ID: "carol"}, Action: "RemoveUsers", Args: map[string]any{"InstanceId": "i"}, InstanceID: "i"}
	_, _, err := issue(g, c)
	wantRefused(t, err, RefusedDenied, "no rule")

	// A token issued while writes were allowed is refused once the server
	// turns read-only (same secret, new gate).
	open := newGate(t, Config{})
	ro := newGate(t, Config{ReadOnly: true})
	tok, _, err := issue(open, resetCall())
	if err != nil {
		t.Fatal(err)
	}
	wantRefused(t, redeem(ro, tok, resetCall(), Principal{}), RefusedDenied, "read-only")
}

func TestRedeemConcurrentlyOnlyOnce(t *testing.T) {
	g := newGate(t, Config{})
	c := resetCall()
	tok, _, _ := issue(g, c)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if redeem(g, tok, c, Principal{}) == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Errorf("%d concurrent redeems succeeded, want exactly 1", ok)
	}
}

func TestDigest(t *testing.T) {
	a := Digest(map[string]any{"B": 1, "A": []any{"x", 2.5}, "C": map[string]any{"z": true, "y": nil}})
	b := Digest(map[string]any{"A": []any{"x", json.Number("2.50")}, "C": map[string]any{"z": true}, "B": 1.0})
	if a != b || len(a) != 64 {
		t.Errorf("equal arguments digest differently: %s vs %s", a, b)
	}
	if Digest(nil) != Digest(map[string]any{}) {
		t.Error("nil and empty arguments differ")
	}
	distinct := []map[string]any{
		{"A": "1"}, {"A": 1}, {"A": true}, {"A": []any{1}}, {"A": []any{1, 2}}, {"A": []any{2, 1}},
		{"B": 1}, {"A": "<&>"}, {"A": 1, "B": 2}, {"A": "x", "B": "y"}, {"A": "x,B", "": "y"},
		{"A": map[string]any{"B": 1}}, {"A": 9007199254740993}, {"A": 9007199254740992},
	}
	// Arguments JSON cannot encode get a digest no real arguments have.
	bad := Digest(map[string]any{"A": make(chan int)})
	if bad == Digest(nil) || len(bad) != 64 {
		t.Errorf("unencodable arguments digest %q", bad)
	}
	seen := map[string]int{}
	for i, m := range distinct {
		d := Digest(m)
		if j, dup := seen[d]; dup {
			t.Errorf("arguments %v and %v share a digest", distinct[j], m)
		}
		seen[d] = i
	}
}

func TestInstanceLabelMustMatchArguments(t *testing.T) {
	g := newGate(t, Config{})
	c := resetCall()
	c.InstanceID = "ccc-test"
	if d := g.Decide(c); d.Verdict != Deny || d.Rule != "instance-mismatch" {
		t.Fatalf("decision %+v", d)
	}
}

// A principal whose identity names its human in Slack (an OAuth claim),
// with no link in the policy file: that human may approve its requests;
// another user without an approver role may not.
func TestIdentityLinkLetsTheHumanApprove(t *testing.T) {
	g := newGate(t, Config{File: mustParse(t, fourEyesPolicy+"\n"), Approvals: true})
	c := Call{Principal: Principal{ID: "bob", Surface: "mcp", Slack: "U9BOB"}, Action: "ResetUserStatus",
		Args: map[string]any{"InstanceId": "ccc-prod"}, InstanceID: "ccc-prod"}
	p, ok := g.Admit(context.Background(), c, nil).(*Pending)
	if !ok || !p.InSlack() || ApproversOf(p.Request).Linked != "U9BOB" {
		t.Fatalf("want an approval linked to U9BOB, got %+v", p)
	}
	wantRefused(t, redeemID(g, p.Request.ID, c, Principal{ID: "slack:T1:U7EVE"}), RefusedPrincipal, "U9BOB")
	if err := redeemID(g, p.Request.ID, c, Principal{ID: "slack:T1:U9BOB", Surface: "slack"}); err != nil {
		t.Fatalf("the linked human's yes: %v", err)
	}
}
