package slack

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/store"
	"github.com/cccops/cccops/internal/tools"
)

const approvalsPolicy = `
principals:
  "mcp:alice-laptop": {roles: [oncall], slack: U1ALICE}
  U1ALICE: oncall
  U2BOB: [oncall, lead]
roles:
  oncall:
    rules:
      - {name: reads, access: [read], verdict: allow}
      - {name: reset, actions: [ResetUserStatus], verdict: confirm}
  lead:
    approver: true
    rules:
      - {name: reads, access: [read], verdict: allow}
`

var assistant = policy.Principal{ID: "mcp:alice-laptop", Name: "alice-laptop", Surface: "mcp"}

func approvalsEnv(t *testing.T, policyYAML string) *env {
	return newEnv(t, envOpts{policyYAML: policyYAML, approvals: true, mutate: func(c *Config) {
		c.ApprovalsChannel = "CAPPROVE"
		c.ApprovalPoll = time.Hour // the test drives the rounds itself
	}})
}

// askFromAssistant is an MCP client without elicitation asking to reset
// mallory: the gate opens an approval in Slack.
func (e *env) askFromAssistant(t *testing.T) *tools.Pending {
	t.Helper()
	mallory := e.agent("mallory")
	res, err := e.reg.Invoke(context.Background(), tools.Invocation{Principal: assistant, Tool: "reset_user_status",
		Args: map[string]any{"RamIdList": []any{json.Number(mallory.RamID)}}, CanAsk: false})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != tools.StatusPending || !res.Pending.InSlack || !strings.HasPrefix(res.Pending.ID, "apr_") {
		t.Fatalf("want an approval in Slack, got %+v", res.Pending)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 0 {
		t.Fatalf("asking ran ResetUserStatus %d times", n)
	}
	return res.Pending
}

func (e *env) posts() []map[string]string {
	e.slack.mu.Lock()
	defer e.slack.mu.Unlock()
	var out []map[string]string
	for _, p := range e.slack.posts {
		out = append(out, map[string]string{"channel": p.Get("channel"), "text": p.Get("text"), "blocks": p.Get("blocks")})
	}
	return out
}

func TestAssistantRequestApprovedInSlackByItsHuman(t *testing.T) {
	e := approvalsEnv(t, approvalsPolicy)
	mallory := e.agent("mallory")
	pend := e.askFromAssistant(t)

	// Any number of rounds (and replicas) post it once.
	e.bot.approvalsOnce(context.Background())
	e.bot.approvalsOnce(context.Background())
	posts := e.posts()
	if len(posts) != 1 || posts[0]["channel"] != "CAPPROVE" {
		t.Fatalf("approval posts: %+v", posts)
	}
	for _, want := range []string{"Approval needed: reset_user_status", "mcp:alice-laptop", "over mcp", "ccc_confirm", "ccc_deny", "ccc_details", pend.ID} {
		if !strings.Contains(posts[0]["text"]+posts[0]["blocks"], want) {
			t.Errorf("approval message lacks %q: %s", want, posts[0]["blocks"])
		}
	}
	if strings.Contains(posts[0]["blocks"], mallory.RamID) {
		t.Errorf("the channel message shows the full RamId %s", mallory.RamID)
	}

	// Eve may not approve, nor see the details: private refusals, still open.
	out := e.click(uEve, "ccc_confirm", pend.ID)
	if len(out) != 1 || out[0].Msg["response_type"] != Ephemeral || out[0].Msg["replace_original"] != false || !strings.Contains(text(out[0].Msg), "stays open") {
		t.Fatalf("eve's approve: %+v", out)
	}
	out = e.click(uEve, "ccc_details", pend.ID)
	if len(out) != 1 || strings.Contains(text(out[0].Msg), mallory.RamID) {
		t.Fatalf("eve saw the details: %+v", out)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 0 {
		t.Fatalf("eve's clicks ran ResetUserStatus %d times", n)
	}
	// Alice, the assistant's human, sees exactly what will run, privately.
	out = e.click(uAlice, "ccc_details", pend.ID)
	if len(out) != 1 || out[0].Msg["response_type"] != Ephemeral || !strings.Contains(text(out[0].Msg), mallory.RamID) {
		t.Fatalf("alice's details: %+v", out)
	}
	// …and approves: it runs once, and the message becomes the outcome.
	out = e.click(uAlice, "ccc_confirm", pend.ID)
	if len(out) != 1 || out[0].Msg["replace_original"] != true || !strings.Contains(text(out[0].Msg), "Confirmed by <@U1ALICE>") {
		t.Fatalf("alice's approve: %+v", out)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 1 {
		t.Fatalf("ResetUserStatus ran %d times, want once", n)
	}
	// A second click settles nothing.
	out = e.click(uBob, "ccc_confirm", pend.ID)
	if len(out) != 1 || !strings.Contains(text(out[0].Msg), "already settled") || e.sim.Count("ResetUserStatus") != 1 {
		t.Fatalf("a late click: %+v", out)
	}

	// The requester collects the result; nobody else can.
	req, err := e.gate.Request(context.Background(), pend.ID, assistant)
	if err != nil || req.State != store.Done || req.Approver != "slack:T1:U1ALICE" || len(req.Result) == 0 || req.RequestID == "" {
		t.Fatalf("the requester's view: %+v %v", req, err)
	}
	if _, err := e.gate.Request(context.Background(), pend.ID, policy.Principal{ID: "mcp:mallory"}); err == nil {
		t.Fatal("another principal read the result")
	}
	var got []string
	for _, r := range e.audit.results("ResetUserStatus") {
		if r.Approval == pend.ID {
			got = append(got, r.Result)
		}
	}
	if strings.Join(got, ",") != "pending,refused,approved,sending,ok" {
		t.Errorf("audit of the approval: %v, want pending,refused (eve),approved,sending,ok", got)
	}
}

func TestAssistantRequestDeniedOrExpiredRunsNothing(t *testing.T) {
	e := approvalsEnv(t, approvalsPolicy)
	pend := e.askFromAssistant(t)
	e.bot.approvalsOnce(context.Background())
	out := e.click(uBob, "ccc_deny", pend.ID)
	if len(out) != 1 || !strings.Contains(text(out[0].Msg), "denied") {
		t.Fatalf("bob's deny: %+v", out)
	}
	req, _ := e.gate.Request(context.Background(), pend.ID, assistant)
	if req.State != store.Denied || e.sim.Count("ResetUserStatus") != 0 {
		t.Fatalf("after deny: %s, %d runs", req.State, e.sim.Count("ResetUserStatus"))
	}
	if out := e.click(uAlice, "ccc_confirm", pend.ID); len(out) != 1 || e.sim.Count("ResetUserStatus") != 0 {
		t.Fatalf("approve after deny: %+v", out)
	}

	// Expiry: nobody answers for 15 minutes; the message says so.
	pend = e.askFromAssistant(t)
	e.bot.approvalsOnce(context.Background())
	e.clock.Add(policy.DefaultApprovalTTL + time.Second)
	e.bot.approvalsOnce(context.Background())
	e.slack.mu.Lock()
	updates := append([]map[string][]string(nil), func() (o []map[string][]string) {
		for _, u := range e.slack.updates {
			o = append(o, u)
		}
		return
	}()...)
	e.slack.mu.Unlock()
	if len(updates) != 1 || !strings.Contains(strings.Join(updates[0]["text"], ""), "Expired") {
		t.Fatalf("expiry updates: %+v", updates)
	}
	req, _ = e.gate.Request(context.Background(), pend.ID, assistant)
	if req.State != store.Expired || e.sim.Count("ResetUserStatus") != 0 {
		t.Fatalf("after expiry: %s, %d runs", req.State, e.sim.Count("ResetUserStatus"))
	}
	e.clock.Add(-policy.DefaultApprovalTTL) // keep Slack signatures inside their window
	if out := e.click(uAlice, "ccc_confirm", pend.ID); len(out) != 1 || !strings.Contains(text(out[0].Msg), "expired") || e.sim.Count("ResetUserStatus") != 0 {
		t.Fatalf("approve after expiry: %+v", out)
	}
}

func TestFourEyesApprovalRefusesTheRequestersHuman(t *testing.T) {
	e := approvalsEnv(t, strings.Replace(approvalsPolicy, "verdict: confirm}", "verdict: confirm, four_eyes: true}", 1))
	pend := e.askFromAssistant(t)
	if !pend.FourEyes {
		t.Fatal("the rule's four eyes did not reach the request")
	}
	e.bot.approvalsOnce(context.Background())
	out := e.click(uAlice, "ccc_confirm", pend.ID)
	if len(out) != 1 || !strings.Contains(text(out[0].Msg), "four eyes") || e.sim.Count("ResetUserStatus") != 0 {
		t.Fatalf("the linked human's own click: %+v", out)
	}
	out = e.click(uBob, "ccc_confirm", pend.ID)
	if len(out) != 1 || e.sim.Count("ResetUserStatus") != 1 {
		t.Fatalf("the approver's click: %+v (runs %d)", out, e.sim.Count("ResetUserStatus"))
	}
}

func TestSlackFourEyesGoesToTheApprovalsChannel(t *testing.T) {
	e := approvalsEnv(t, strings.Replace(approvalsPolicy, "verdict: confirm}", "verdict: confirm, four_eyes: true}", 1))
	_, msgs, _ := e.command(uAlice, "reset mallory")
	if len(msgs) != 1 || !strings.Contains(text(msgs[0].Msg), "<#CAPPROVE>") || msgs[0].Msg["response_type"] != Ephemeral {
		t.Fatalf("the requester's answer: %+v", msgs)
	}
	posts := e.posts()
	if len(posts) != 1 || posts[0]["channel"] != "CAPPROVE" || !strings.Contains(posts[0]["blocks"], "U1ALICE") {
		t.Fatalf("approval posts: %+v", posts)
	}
	e.bot.approvalsOnce(context.Background())
	if n := len(e.posts()); n != 1 {
		t.Fatalf("posted %d times, want once", n)
	}
}
