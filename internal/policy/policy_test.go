package policy

import (
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc/spec"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newGate(t testing.TB, cfg Config) *Gate {
	t.Helper()
	if cfg.Secret == nil {
		cfg.Secret = testSecret
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	g, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g
}

func mustParse(t testing.TB, y string) *File {
	t.Helper()
	f, err := ParseFile([]byte(y))
	if err != nil {
		t.Fatalf("ParseFile: %v", err)
	}
	return f
}

func call(who, action, instance string) Call {
	args := map[string]any{}
	if instance != "" {
		args["InstanceId"] = instance
	}
	return Call{
		Principal:  Principal{ID: who, Surface: "test"},
		Action:     action,
		Access:     AccessOf(action),
		Args:       args,
		InstanceID: instance,
	}
}

func TestAccessTableMatchesSpecProposal(t *testing.T) {
	s := spec.MustSpec()
	if len(s.Actions) != 89 || len(accessTable) != 89 {
		t.Fatalf("spec has %d actions, table %d; both must hold all 89", len(s.Actions), len(accessTable))
	}
	// Every deliberate departure from the spec's proposal goes here, with
	// the reason in access.go. None today.
	departures := map[string]spec.Access{}
	for _, a := range s.Actions {
		got, ok := accessTable[a.Name]
		if !ok {
			t.Errorf("%s is missing from the access table", a.Name)
			continue
		}
		want := a.Access
		if d, ok := departures[a.Name]; ok {
			want = d
		}
		if got != want {
			t.Errorf("%s: table says %s, spec proposes %s, and no departure is recorded", a.Name, got, a.Access)
		}
	}
	counts := map[spec.Access]int{}
	for _, v := range accessTable {
		counts[v]++
	}
	want := map[spec.Access]int{read: 54, secret: 4, write: 10, destructive: 15, external: 6}
	for c, n := range want {
		if counts[c] != n || len(ActionsOf(c)) != n {
			t.Errorf("class %s: %d actions, want %d", c, counts[c], n)
		}
	}
	if AccessOf("NoSuchAction") != "" {
		t.Error("an unknown action must have no class")
	}
}

func TestDefaultsForAll89Actions(t *testing.T) {
	g := newGate(t, Config{})
	counts := map[spec.Access]int{}
	for _, a := range spec.MustSpec().Actions {
		d := g.Decide(call("local", a.Name, "ccc-1"))
		access := AccessOf(a.Name)
		counts[access]++
		want := Confirm
		if access == read || access == secret {
			want = Allow
		}
		if d.Verdict != want || d.Rule != "default:"+string(access) || d.FourEyes {
			t.Errorf("%s (%s): got %+v, want %s by default:%s", a.Name, access, d, want, access)
		}
		if d.Reason == "" {
			t.Errorf("%s: empty reason", a.Name)
		}
	}
	if counts[read] != 54 || counts[secret] != 4 || counts[write] != 10 || counts[destructive] != 15 || counts[external] != 6 {
		t.Errorf("class counts %v", counts)
	}
}

func TestDecideRefusesWhatItCannotTrust(t *testing.T) {
	g := newGate(t, Config{})
	if d := g.Decide(call("local", "DropEverything", "")); d.Verdict != Deny || d.Rule != "unknown-action" {
		t.Errorf("unknown action: %+v", d)
	}
	c := call("local", "RemoveUsers", "ccc-1")
	c.Access = read // a registry bug must not turn a destructive action into a read
	if d := g.Decide(c); d.Verdict != Deny || d.Rule != "access-mismatch" {
		t.Errorf("mislabelled access: %+v", d)
	}
	c = call("", "ListUsers", "ccc-1")
	if d := g.Decide(c); d.Verdict != Deny || !strings.Contains(d.Reason, "principal") {
		t.Errorf("no principal: %+v", d)
	}
	c = call("local", "RemoveUsers", "ccc-1")
	c.Access = "" // left empty: the table decides
	if d := g.Decide(c); d.Verdict != Confirm {
		t.Errorf("empty access should use the table: %+v", d)
	}
}

func TestReadOnlyConfig(t *testing.T) {
	g := newGate(t, Config{ReadOnly: true})
	n := map[Verdict]int{}
	for _, a := range spec.MustSpec().Actions {
		d := g.Decide(call("local", a.Name, "ccc-1"))
		n[d.Verdict]++
		if AccessOf(a.Name) != spec.AccessRead {
			if d.Verdict != Deny || d.Rule != "config:read-only" || !strings.Contains(d.Reason, "read-only") {
				t.Errorf("%s in read-only mode: %+v", a.Name, d)
			}
		}
	}
	if n[Allow] != 54 || n[Deny] != 35 {
		t.Errorf("read-only verdicts %v, want 54 allow (reads) and 35 deny", n)
	}
	// Secret actions only when asked for.
	g = newGate(t, Config{ReadOnly: true, ReadOnlySecrets: true})
	if d := g.Decide(call("local", "GetTURNCredentials", "ccc-1")); d.Verdict != Allow {
		t.Errorf("read-only with secrets refused a secret action: %+v", d)
	}
	// Read-only wins over a file that would allow everything.
	f := mustParse(t, "default_role: all\nroles:\n  all:\n    rules:\n      - actions: ['*']\n        verdict: allow\n")
	g = newGate(t, Config{ReadOnly: true, File: f})
	if d := g.Decide(call("x", "DialEx", "ccc-1")); d.Verdict != Deny {
		t.Errorf("read-only with permissive file: %+v", d)
	}
}

const matchPolicy = `
version: 1
principals:
  alice: [ops]
roles:
  ops:
    rules:
      - name: lists
        actions: ["list*"]          # case-insensitive glob
        verdict: allow
      - name: agents-changes
        toolsets: [agents]
        access: [destructive]
        verdict: confirm
      - name: one-char
        actions: ["GetUse?"]
        verdict: allow
      - name: secrets
        access: [secret]
        verdict: deny
      - name: rest
        actions: ["*"]
        verdict: confirm
`

func TestRuleMatching(t *testing.T) {
	g := newGate(t, Config{File: mustParse(t, matchPolicy)})
	for _, tc := range []struct {
		action string
		want   Verdict
		rule   string
	}{
		{"ListUsers", Allow, "ops/lists"},
		{"ListRealTimeAgent", Allow, "ops/lists"},
		{"ResetUserStatus", Confirm, "ops/agents-changes"},  // toolset agents, destructive
		{"RemoveUsers", Confirm, "ops/agents-changes"},      //
		{"CreateUser", Confirm, "ops/rest"},                 // agents but write: falls through
		{"DeleteSkillGroup", Confirm, "ops/rest"},           // destructive but skillgroups
		{"GetUser", Allow, "ops/one-char"},                  // '?' matches one character
		{"GetUserByExtension", Confirm, "ops/rest"},         // '?' is not '*'
		{"RefreshToken", Deny, "ops/secrets"},               // class
		{"GetTURNCredentials", Deny, "ops/secrets"},         //
		{"SendPredefinedShortMessage", Confirm, "ops/rest"}, //
		{"ListInstancesOfUser", Allow, "ops/lists"},         //
	} {
		d := g.Decide(call("alice", tc.action, "ccc-1"))
		if d.Verdict != tc.want || d.Rule != tc.rule {
			t.Errorf("%s: got %s by %s, want %s by %s", tc.action, d.Verdict, d.Rule, tc.want, tc.rule)
		}
		if !strings.Contains(d.Reason, tc.rule) {
			t.Errorf("%s: reason %q does not name the rule", tc.action, d.Reason)
		}
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		p, n string
		want bool
	}{
		{"*", "", true}, {"*", "ListUsers", true}, {"", "", true}, {"", "a", false},
		{"List*", "ListUsers", true}, {"list*", "LISTUSERS", true}, {"*Users", "RemoveUsers", true},
		{"*User*", "GetUserByExtension", true}, {"?", "", false}, {"??", "ab", true},
		{"a*b*c", "aXXbYYc", true}, {"a*b*c", "aXXbYY", false}, {"*a*a*a*a*a*b", strings.Repeat("a", 200), false},
		{"Get*", "ListGet", false}, {"ListUsers", "ListUser", false},
	} {
		if got := globMatch(tc.p, tc.n); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.p, tc.n, got, tc.want)
		}
	}
}

func TestInstanceConstraint(t *testing.T) {
	f := mustParse(t, `
principals: {bob: oncall}
roles:
  oncall:
    rules:
      - name: reset
        actions: [ResetUserStatus]
        verdict: confirm
        instances: [ccc-prod, ccc-stage]
`)
	g := newGate(t, Config{File: f})
	if d := g.Decide(call("bob", "ResetUserStatus", "ccc-prod")); d.Verdict != Confirm {
		t.Errorf("allowed instance: %+v", d)
	}
	d := g.Decide(call("bob", "ResetUserStatus", "ccc-other"))
	if d.Verdict != Deny || d.Rule != "oncall/reset" || !strings.Contains(d.Reason, "ccc-other") || !strings.Contains(d.Reason, "ccc-prod, ccc-stage") {
		t.Errorf("other instance: %+v", d)
	}
	if d := g.Decide(call("bob", "ResetUserStatus", "")); d.Verdict != Deny || !strings.Contains(d.Reason, "none given") {
		t.Errorf("no instance: %+v", d)
	}
}

func TestReadOnlyRule(t *testing.T) {
	f := mustParse(t, `
principals: {bot: reporter}
roles:
  reporter:
    rules:
      - name: agents
        toolsets: [agents]
        verdict: allow
        read_only: true
`)
	g := newGate(t, Config{File: f})
	if d := g.Decide(call("bot", "ListUsers", "i")); d.Verdict != Allow {
		t.Errorf("read in read-only rule: %+v", d)
	}
	d := g.Decide(call("bot", "ResetUserStatus", "i"))
	if d.Verdict != Deny || !strings.Contains(d.Reason, "read-only") {
		t.Errorf("destructive under read-only rule: %+v", d)
	}
	if d := g.Decide(call("bot", "GetInstance", "i")); d.Verdict != Deny || d.Rule != "no-rule" {
		t.Errorf("action no rule covers: %+v", d)
	}
}

func TestPrincipalsRolesAndDefaults(t *testing.T) {
	f := mustParse(t, `
principals:
  "slack:T1:U1": [ops]
  U2: ops
groups:
  "@CC-Leads": [lead]
roles:
  ops:
    rules:
      - {actions: [ListUsers], verdict: allow}
      - {actions: [RemoveUsers], verdict: deny}
  lead:
    approver: true
    rules:
      - {actions: [RemoveUsers], verdict: confirm}
`)
	g := newGate(t, Config{File: f})
	// Unknown principal and no default_role: denied, and told why.
	d := g.Decide(call("slack:T1:U9", "ListUsers", "i"))
	if d.Verdict != Deny || d.Rule != "no-role" || !strings.Contains(d.Reason, "default_role") {
		t.Errorf("unknown principal: %+v", d)
	}
	if d := g.Decide(call("slack:T1:U1", "ListUsers", "i")); d.Verdict != Allow {
		t.Errorf("by id: %+v", d)
	}
	if d := g.Decide(call("slack:T7:U2", "ListUsers", "i")); d.Verdict != Allow {
		t.Errorf("bare Slack user id in another workspace: %+v", d)
	}
	if d := g.Decide(call("mcp:U2", "ListUsers", "i")); d.Verdict != Deny {
		t.Errorf("a bare Slack id must not match a non-Slack principal: %+v", d)
	}
	// Roles grant: ops denies RemoveUsers, lead confirms it; lead wins.
	c := call("slack:T1:U1", "RemoveUsers", "i")
	if d := g.Decide(c); d.Verdict != Deny {
		t.Errorf("ops alone: %+v", d)
	}
	c.Principal.Groups = []string{"cc-leads"}
	if d := g.Decide(c); d.Verdict != Confirm || d.Rule != "lead#1" {
		t.Errorf("ops + lead via group: %+v", d)
	}
	if got := g.Roles(c.Principal); strings.Join(got, ",") != "lead,ops" {
		t.Errorf("Roles = %v", got)
	}
	if !g.IsApprover(c.Principal) || g.IsApprover(Principal{ID: "slack:T1:U1"}) {
		t.Error("approver flag not resolved through the group")
	}

	f = mustParse(t, "default_role: ops\nroles:\n  ops:\n    rules:\n      - {actions: [ListUsers], verdict: allow}\n")
	g = newGate(t, Config{File: f})
	if d := g.Decide(call("anyone", "ListUsers", "i")); d.Verdict != Allow {
		t.Errorf("default role: %+v", d)
	}
}

func TestClassFourEyes(t *testing.T) {
	f := mustParse(t, `
default_role: r
four_eyes: [external]
roles:
  r:
    rules:
      - {name: calls, actions: [DialEx], verdict: allow}
      - {name: sms, actions: [SendPredefinedShortMessage], verdict: deny}
      - {name: ivr, actions: [PublishContactFlowVersion], verdict: confirm, four_eyes: true}
      - {name: rm, actions: [RemoveUsers], verdict: confirm}
`)
	g := newGate(t, Config{File: f})
	for _, tc := range []struct {
		action string
		v      Verdict
		four   bool
	}{
		{"DialEx", Confirm, true}, // allow upgraded by class-wide four eyes
		{"SendPredefinedShortMessage", Deny, false},
		{"PublishContactFlowVersion", Confirm, true},
		{"RemoveUsers", Confirm, false},
	} {
		d := g.Decide(call("p", tc.action, "i"))
		if d.Verdict != tc.v || d.FourEyes != tc.four {
			t.Errorf("%s: %+v, want %s four-eyes=%v", tc.action, d, tc.v, tc.four)
		}
	}
}

func TestParseFileErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"empty", "", "empty"},
		{"unknown key", "roles:\n  a:\n    rulez: []\n", "rulez"},
		{"no roles", "version: 1\n", "roles: none defined"},
		{"bad version", "version: 2\nroles: {a: {rules: []}}\n", "version"},
		{"bad verdict", "roles:\n  a:\n    rules:\n      - {actions: ['*'], verdict: maybe}\n", "maybe"},
		{"no verdict", "roles:\n  a:\n    rules:\n      - {actions: ['*']}\n", "verdict missing"},
		{"no selector", "roles:\n  a:\n    rules:\n      - {verdict: allow}\n", "selects nothing"},
		{"typo action", "roles:\n  a:\n    rules:\n      - {actions: [ResetUserStatuss], verdict: allow}\n", "ResetUserStatuss"},
		{"glob matching nothing", "roles:\n  a:\n    rules:\n      - {actions: ['Drop*'], verdict: allow}\n", "Drop*"},
		{"bad toolset", "roles:\n  a:\n    rules:\n      - {toolsets: [agent], verdict: allow}\n", "agent"},
		{"bad class", "roles:\n  a:\n    rules:\n      - {access: [dangerous], verdict: allow}\n", "dangerous"},
		{"four eyes on allow", "roles:\n  a:\n    rules:\n      - {access: [read], verdict: allow, four_eyes: true}\n", "four_eyes needs"},
		{"unknown role", "principals: {x: [b]}\nroles: {a: {rules: []}}\n", `role "b"`},
		{"unknown group role", "groups: {g: b}\nroles: {a: {rules: []}}\n", `role "b"`},
		{"unknown default", "default_role: b\nroles: {a: {rules: []}}\n", "default_role"},
		{"bad four_eyes", "four_eyes: [risky]\nroles: {a: {rules: []}}\n", "risky"},
		{"two documents", "roles: {a: {rules: []}}\n---\nroles: {b: {rules: []}}\n", "more than one"},
		{"duplicate rule name", "roles:\n  a:\n    rules:\n      - {name: x, access: [read], verdict: allow}\n      - {name: x, access: [write], verdict: deny}\n", "used twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFile([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestExamplePolicyFile(t *testing.T) {
	f, err := LoadFile("../../examples/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g := newGate(t, Config{File: f})
	slack := func(id string, groups ...string) Principal {
		return Principal{ID: id, Surface: "slack", Groups: groups}
	}
	for _, tc := range []struct {
		who      Principal
		action   string
		instance string
		want     Verdict
		four     bool
	}{
		// Anyone: reads, but no recordings or transcripts, and no changes.
		{slack("slack:T024BE7LD:U0STRANGER"), "ListRealTimeAgent", "ccc-prod-sh", Allow, false},
		{slack("slack:T024BE7LD:U0STRANGER"), "DownloadRecording", "ccc-prod-sh", Deny, false},
		{slack("slack:T024BE7LD:U0STRANGER"), "GetConversationDetailByContactId", "ccc-prod-sh", Deny, false},
		{slack("slack:T024BE7LD:U0STRANGER"), "RefreshToken", "ccc-prod-sh", Deny, false},
		{slack("slack:T024BE7LD:U0STRANGER"), "ResetUserStatus", "ccc-prod-sh", Deny, false},
		// On-call, named and by group.
		{slack("slack:T999:U01BOBONC1"), "ResetUserStatus", "ccc-prod-sh", Confirm, false},
		{slack("slack:T024BE7LD:U0CAROL", "cc-oncall"), "ResetUserStatus", "ccc-lab", Deny, false},
		{slack("slack:T024BE7LD:U0CAROL", "cc-oncall"), "RemoveUsersFromSkillGroup", "ccc-lab", Confirm, false},
		{slack("slack:T024BE7LD:U0CAROL", "cc-oncall"), "PublishContactFlowVersion", "ccc-prod-sh", Confirm, true},
		{slack("slack:T024BE7LD:U0CAROL", "cc-oncall"), "StartBack2BackCall", "ccc-prod-sh", Confirm, true},
		{slack("slack:T024BE7LD:U0CAROL", "cc-oncall"), "DialEx", "ccc-prod-sh", Deny, false},
		{slack("slack:T024BE7LD:U0CAROL", "cc-oncall"), "RemovePhoneNumber", "ccc-prod-sh", Deny, false},
		// Supervisor: trunks off limits; texts need four eyes.
		{slack("slack:T024BE7LD:U01ALICE01"), "DisableTrunkProviders", "", Deny, false},
		{slack("slack:T024BE7LD:U01ALICE01"), "RemovePhoneNumber", "ccc-prod-sh", Confirm, false},
		{slack("slack:T024BE7LD:U01ALICE01"), "SendPredefinedShortMessage", "ccc-prod-sh", Confirm, true},
		// Bots.
		{Principal{ID: "mcp:wallboard"}, "ListSkillGroupSummaryReportsSinceMidnight", "ccc-prod-sh", Allow, false},
		{Principal{ID: "mcp:wallboard"}, "ListRealTimeAgent", "ccc-staging", Deny, false},
		{Principal{ID: "mcp:wallboard"}, "ListUsers", "ccc-prod-sh", Deny, false},
		{Principal{ID: "mcp:nightly-report"}, "ListCallDetailRecords", "ccc-prod-sh", Allow, false},
		{Principal{ID: "mcp:nightly-report"}, "GetInstance", "ccc-prod-sh", Deny, false},
		{Principal{ID: "local"}, "DisableTrunkProviders", "", Confirm, false},
	} {
		c := call(tc.who.ID, tc.action, tc.instance)
		c.Principal = tc.who
		d := g.Decide(c)
		if d.Verdict != tc.want || d.FourEyes != tc.four {
			t.Errorf("%s %s on %q: got %s (four-eyes %v) by %s — %s; want %s (four-eyes %v)",
				tc.who.ID, tc.action, tc.instance, d.Verdict, d.FourEyes, d.Rule, d.Reason, tc.want, tc.four)
		}
	}
	if !g.IsApprover(slack("slack:T024BE7LD:U01ALICE01")) || g.IsApprover(slack("slack:T1:U01BOBONC1")) {
		t.Error("approver roles in the example are not as documented")
	}
}

func TestNewValidatesConfig(t *testing.T) {
	if _, err := New(Config{Secret: []byte("short"), Logger: quiet}); err == nil {
		t.Error("a 5-byte secret must be refused")
	}
	if _, err := New(Config{TokenTTL: -time.Second, Logger: quiet}); err == nil {
		t.Error("a negative TTL must be refused")
	}
	var logged strings.Builder
	g, err := New(Config{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logged.String(), "random") || len(g.secret) != 32 {
		t.Errorf("random secret without a warning: %q", logged.String())
	}
}

// TestREADMEExampleParses keeps the documented format honest.
func TestREADMEExampleParses(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	start := strings.Index(s, "```yaml\n")
	if start < 0 {
		t.Fatal("README has no yaml example")
	}
	s = s[start+len("```yaml\n"):]
	f := mustParse(t, s[:strings.Index(s, "```")])
	g := newGate(t, Config{File: f})
	if d := g.Decide(call("slack:T024BE7LD:U01ALICE01", "ModifyPrimaryTrunksOfSkillGroup", "ccc-prod-sh")); d.Verdict != Deny {
		t.Errorf("README example: %+v", d)
	}
	if d := g.Decide(call("slack:T024BE7LD:U01ALICE01", "RemoveUsers", "ccc-prod-sh")); d.Verdict != Confirm || !d.FourEyes {
		t.Errorf("README example: %+v", d)
	}
}
