package policy

import (
	"strings"
	"testing"
)

// Token scopes only take permissions away: a read-only token cannot run a
// write even where the policy allows it, and a write scope never skips a
// confirmation the rules ask for.
func TestTokenScopesNarrowTheDecision(t *testing.T) {
	open := mustParse(t, `
default_role: all
roles:
  all:
    rules:
      - {access: [read, secret, write, external], verdict: allow}
      - {access: [destructive], verdict: confirm}
`)
	for _, withFile := range []bool{false, true} {
		cfg := Config{}
		if withFile {
			cfg.File = open
		}
		g := newGate(t, cfg)
		rows := []struct {
			scopes []string
			action string
			want   Verdict
			rule   string
		}{
			{nil, "ListAgentStates", Allow, ""},
			{nil, "ResetUserStatus", Confirm, ""},
			{[]string{ScopeRead}, "ListAgentStates", Allow, ""},
			{[]string{ScopeRead}, "GetTURNCredentials", Deny, "scope:ccc:write"},
			{[]string{ScopeRead}, "ResetUserStatus", Deny, "scope:ccc:write"},
			{[]string{ScopeRead}, "StartBack2BackCall", Deny, "scope:ccc:write"},
			{[]string{ScopeWrite}, "ListAgentStates", Allow, ""},
			{[]string{ScopeRead, ScopeWrite}, "ResetUserStatus", Confirm, ""},
			{[]string{}, "ListAgentStates", Deny, "scope:ccc:read"},
			{[]string{"openid", "email"}, "ListAgentStates", Deny, "scope:ccc:read"},
		}
		for _, r := range rows {
			c := call("oauth:idp:alice", r.action, "")
			c.Principal.Scopes = r.scopes
			d := g.Decide(c)
			if d.Verdict != r.want || (r.rule != "" && d.Rule != r.rule) {
				t.Errorf("file=%v scopes %v %s: %s (%s), want %s %s", withFile, r.scopes, r.action, d.Verdict, d.Rule, r.want, r.rule)
			}
			if r.rule != "" && !strings.Contains(d.Reason, "grant "+strings.TrimPrefix(r.rule, "scope:")) {
				t.Errorf("refusal does not say which scope to grant: %s", d.Reason)
			}
		}
	}
}
