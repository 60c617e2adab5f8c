package slack

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestPolicyByUserGroup: a policy file that grants a role to a Slack user
// group applies to its members, read from usergroups.list; a user outside
// the group is refused.
func TestPolicyByUserGroup(t *testing.T) {
	e := newEnv(t, envOpts{policyYAML: `version: 1
groups:
  cc-oncall: [oncall]
roles:
  oncall:
    rules:
      - access: [read]
        verdict: allow
`})
	calls := 0
	e.slack.handle("/api/usergroups.list", func(w http.ResponseWriter, r *http.Request) {
		if !e.slack.authed(w, r) {
			return
		}
		calls++
		e.slack.apiOK(w, map[string]any{"usergroups": []map[string]any{
			{"id": "S1", "handle": "cc-oncall", "name": "Call center on-call", "users": []string{uAlice.id}},
		}})
	})
	_, msgs, _ := e.command(uAlice, "get_instance")
	if len(msgs) == 0 || strings.Contains(strings.ToLower(text(msgs[len(msgs)-1].Msg)), "not allowed") {
		t.Fatalf("alice (in @cc-oncall) was refused: %+v", msgs)
	}
	_, msgs, _ = e.command(uEve, "get_instance")
	if len(msgs) == 0 || !strings.Contains(strings.ToLower(text(msgs[len(msgs)-1].Msg)), "not allowed") {
		t.Fatalf("eve (in no group) was not refused: %+v", msgs)
	}
	if calls != 1 {
		t.Fatalf("usergroups.list read %d times; the membership is cached", calls)
	}
}

// A failed read of the groups keeps the membership read before.
func TestGroupsSurviveAFailedRefresh(t *testing.T) {
	e := newEnv(t, envOpts{})
	var fail atomic.Bool
	e.slack.handle("/api/usergroups.list", func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		e.slack.apiOK(w, map[string]any{"usergroups": []map[string]any{{"id": "S1", "handle": "cc-oncall", "users": []string{uAlice.id}}}})
	})
	ctx := context.Background()
	if p := e.bot.withGroups(ctx, principal(uAlice.team, uAlice.id, uAlice.name), uAlice.id); len(p.Groups) != 1 {
		t.Fatalf("groups %v", p.Groups)
	}
	fail.Store(true)
	e.clock.Add(groupTTL + time.Second)
	if p := e.bot.withGroups(ctx, principal(uAlice.team, uAlice.id, uAlice.name), uAlice.id); len(p.Groups) != 1 || p.Groups[0] != "cc-oncall" {
		t.Fatalf("after a failed refresh alice lost her groups: %v", p.Groups)
	}
}
