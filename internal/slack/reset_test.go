package slack

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc/sim"
)

// wantExact checks the private message that shows the requester exactly
// what will run, unmasked.
func wantExact(t testing.TB, m map[string]any, words ...string) {
	t.Helper()
	if m["response_type"] != Ephemeral || m["replace_original"] != false {
		t.Errorf("the exact arguments went out as %v (replace %v), want ephemeral beside the preview", m["response_type"], m["replace_original"])
	}
	got := text(m)
	for _, w := range append([]string{"exactly what will run, unmasked"}, words...) {
		if !strings.Contains(got, w) {
			t.Errorf("exact-arguments message lacks %q:\n%s", w, got)
		}
	}
}

// preview runs /ccc reset and returns the preview message and the opaque id.
func (e *env) preview(u user, who string) (map[string]any, string) {
	e.t.Helper()
	_, msgs, _ := e.command(u, "reset "+who)
	if len(msgs) != 2 {
		e.t.Fatalf("reset %s: %d messages, want the preview and the exact arguments", who, len(msgs))
	}
	m := msgs[0].Msg
	wantExact(e.t, msgs[1].Msg, "reset_user_status", "RamIdList")
	bs := buttons(m)
	confirm, cancel := bs["ccc_confirm"], bs["ccc_cancel"]
	if confirm == nil || cancel == nil {
		e.t.Fatalf("no Confirm/Cancel buttons: %s", msgs[0].Raw)
	}
	id, _ := confirm["value"].(string)
	if id == "" || cancel["value"] != id {
		e.t.Fatalf("buttons carry %v and %v", confirm["value"], cancel["value"])
	}
	return m, id
}

func TestResetFlowConfirm(t *testing.T) {
	e := newEnv(t, envOpts{})
	mallory, trent := e.agent("mallory"), e.agent("trent")
	m, id := e.preview(uAlice, "mallory, "+trent.Extension)
	got := text(m)
	for _, want := range []string{"Reset 2 agent(s)?", "mallory", "trent", "Talking", "Ringing", "Only <@U1ALICE> can confirm"} {
		if !strings.Contains(got, want) {
			t.Errorf("preview lacks %q:\n%s", want, got)
		}
	}
	if m["response_type"] != InChannel {
		t.Errorf("preview is %v, want in_channel", m["response_type"])
	}
	confirm := buttons(m)["ccc_confirm"]
	if confirm["style"] != "danger" || confirm["confirm"] == nil {
		t.Errorf("Confirm button lacks danger style or the confirm dialog: %v", confirm)
	}
	// The button carries only the opaque id: no token, no arguments.
	if len(id) != 26 || !strings.HasPrefix(id, "cfm_") || strings.Contains(id, ".") || strings.Contains(id, mallory.RamID) {
		t.Errorf("button value %q is not a bare opaque id", id)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 0 {
		t.Fatalf("the preview ran ResetUserStatus %d times", n)
	}

	out := e.click(uAlice, "ccc_confirm", id)
	if len(out) != 1 {
		t.Fatalf("%d messages after the click", len(out))
	}
	res := out[0].Msg
	if res["replace_original"] != true || len(buttons(res)) != 0 {
		t.Errorf("the outcome does not replace the buttons: %s", out[0].Raw)
	}
	if got := text(res); !strings.Contains(got, "Reset by <@U1ALICE>") || !strings.Contains(got, "Ready") || !strings.Contains(got, "Talking") {
		t.Errorf("outcome: %s", got)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 1 {
		t.Errorf("ResetUserStatus ran %d times, want 1", n)
	}
	for _, login := range []string{"mallory", "trent"} {
		if a := e.agent(login); a.State != sim.StateReady {
			t.Errorf("%s is %s after the reset", login, a.State)
		}
	}
	if a := e.agent("sybil"); a.State != sim.StateDialing {
		t.Errorf("sybil was not asked for but is now %s", a.State)
	}
	// A second click is told the request is settled, and nothing runs again.
	again := e.click(uAlice, "ccc_confirm", id)
	if len(again) != 1 || !strings.Contains(text(again[0].Msg), "already settled") || again[0].Msg["replace_original"] != false {
		t.Errorf("second click: %+v", again)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 1 {
		t.Errorf("ResetUserStatus ran %d times after a second click", n)
	}
}

func TestResetCancel(t *testing.T) {
	e := newEnv(t, envOpts{})
	_, id := e.preview(uAlice, "mallory")
	out := e.click(uAlice, "ccc_cancel", id)
	if len(out) != 1 || !strings.Contains(text(out[0].Msg), "cancelled") || out[0].Msg["replace_original"] != true {
		t.Fatalf("cancel: %+v", out)
	}
	out = e.click(uAlice, "ccc_confirm", id)
	if len(out) != 1 || !strings.Contains(text(out[0].Msg), "already settled") {
		t.Fatalf("confirm after cancel: %+v", out)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 0 {
		t.Errorf("ResetUserStatus ran %d times", n)
	}
	if a := e.agent("mallory"); a.State != sim.StateTalking {
		t.Errorf("mallory is %s", a.State)
	}
	// The audit closes the pending record: same arguments, cancelled.
	recs := e.audit.results("ResetUserStatus")
	if len(recs) != 2 || recs[0].Result != "pending" || recs[1].Result != "refused" || recs[1].ArgsDigest != recs[0].ArgsDigest || !strings.Contains(recs[1].Reason, "cancelled") {
		t.Fatalf("audit of a cancelled reset: %+v", recs)
	}
}

func TestResetOtherUsersClickIsRefused(t *testing.T) {
	e := newEnv(t, envOpts{})
	_, id := e.preview(uAlice, "mallory")
	for _, action := range []string{"ccc_confirm", "ccc_cancel"} {
		out := e.click(uEve, action, id)
		if len(out) != 1 || out[0].Msg["replace_original"] != false || out[0].Msg["response_type"] != Ephemeral || !strings.Contains(text(out[0].Msg), "Only <@U1ALICE>") {
			t.Fatalf("eve's %s: %+v", action, out)
		}
	}
	if n := e.sim.Count("ResetUserStatus"); n != 0 {
		t.Fatalf("eve's click ran ResetUserStatus %d times", n)
	}
	// The refused clicks did not settle it: the requester still can.
	out := e.click(uAlice, "ccc_confirm", id)
	if len(out) != 1 || !strings.Contains(text(out[0].Msg), "Reset by") {
		t.Fatalf("requester's click: %+v", out)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 1 {
		t.Errorf("ResetUserStatus ran %d times", n)
	}
}

func TestResetDoubleClickSettlesOnce(t *testing.T) {
	e := newEnv(t, envOpts{})
	_, id := e.preview(uAlice, "mallory,trent")
	before := len(e.slack.messages())
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _ := e.signedPost("/slack/interactions", url.Values{"payload": {e.clickPayload(uAlice, "ccc_confirm", id)}})
			if status != http.StatusOK {
				t.Errorf("click status %d", status)
			}
		}()
	}
	wg.Wait()
	e.bot.Wait()
	out := e.slack.messages()[before:]
	done, settled := 0, 0
	for _, m := range out {
		switch got := text(m.Msg); {
		case strings.Contains(got, "Reset by"):
			done++
		case strings.Contains(got, "already settled"):
			settled++
		default:
			t.Errorf("unexpected message %s", got)
		}
	}
	if done != 1 || settled != 3 {
		t.Errorf("%d outcomes and %d 'settled' replies, want 1 and 3", done, settled)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 1 {
		t.Errorf("ResetUserStatus ran %d times, want 1", n)
	}
}

func TestResetRefusedWhenStateChanged(t *testing.T) {
	e := newEnv(t, envOpts{})
	_, id := e.preview(uAlice, "mallory,trent")
	e.directReset(e.agent("mallory").RamID) // someone fixed mallory meanwhile
	e.sim.ResetCounts()
	out := e.click(uAlice, "ccc_confirm", id)
	if len(out) != 1 {
		t.Fatalf("%d messages", len(out))
	}
	got := text(out[0].Msg)
	if !strings.Contains(got, "changed since the preview") || !strings.Contains(got, "Mallory") || !strings.Contains(got, "/ccc reset mallory,trent") || out[0].Msg["replace_original"] != true {
		t.Errorf("refusal: %s", got)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 0 {
		t.Errorf("ResetUserStatus ran %d times after the state changed", n)
	}
	if a := e.agent("trent"); a.State != sim.StateRinging {
		t.Errorf("trent was reset anyway: %s", a.State)
	}
}

func TestResetExpired(t *testing.T) {
	e := newEnv(t, envOpts{})
	_, id := e.preview(uAlice, "mallory")
	e.clock.Add(6 * time.Minute) // the default confirmation lives 5 minutes
	out := e.click(uAlice, "ccc_confirm", id)
	if len(out) != 1 {
		t.Fatalf("%d messages", len(out))
	}
	if got := text(out[0].Msg); !strings.Contains(got, "expired") || !strings.Contains(got, "/ccc reset mallory") || out[0].Msg["replace_original"] != true {
		t.Errorf("expired click: %s", got)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 0 {
		t.Errorf("ResetUserStatus ran %d times", n)
	}
	out = e.click(uAlice, "ccc_confirm", "not-an-id-we-issued")
	if len(out) != 1 || !strings.Contains(text(out[0].Msg), "unknown") {
		t.Errorf("unknown id: %+v", out)
	}
}

func TestResetFourEyes(t *testing.T) {
	e := newEnv(t, envOpts{policyYAML: `
four_eyes: [destructive]
default_role: viewer
principals:
  "slack:T1:U1ALICE": [oncall]
  "slack:T1:U2BOB": [lead]
roles:
  viewer:
    rules:
      - access: [read]
        verdict: allow
  oncall:
    rules:
      - access: [read]
        verdict: allow
      - actions: [ResetUserStatus]
        verdict: confirm
  lead:
    approver: true
    rules:
      - access: [read]
        verdict: allow
      - actions: [ResetUserStatus]
        verdict: confirm
`})
	m, id := e.preview(uAlice, "mallory")
	if !strings.Contains(text(m), "Four eyes") {
		t.Errorf("preview does not say four eyes: %s", text(m))
	}
	out := e.click(uAlice, "ccc_confirm", id)
	if len(out) != 1 || !strings.Contains(text(out[0].Msg), "four eyes") || out[0].Msg["replace_original"] != false {
		t.Fatalf("requester's own confirm: %+v", out)
	}
	out = e.click(uEve, "ccc_confirm", id)
	if len(out) != 1 || !strings.Contains(text(out[0].Msg), "approver") {
		t.Fatalf("a non-approver's confirm: %+v", out)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 0 {
		t.Fatalf("ResetUserStatus ran %d times before an approver", n)
	}
	out = e.click(uBob, "ccc_confirm", id)
	if len(out) != 1 || !strings.Contains(text(out[0].Msg), "Reset by <@U2BOB>, asked by <@U1ALICE>") {
		t.Fatalf("approver's confirm: %+v", out)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 1 {
		t.Errorf("ResetUserStatus ran %d times", n)
	}
	if a := e.agent("mallory"); a.State != sim.StateReady {
		t.Errorf("mallory is %s", a.State)
	}
}

func TestResetUnknownAgent(t *testing.T) {
	e := newEnv(t, envOpts{})
	_, msgs, _ := e.command(uAlice, "reset alcie")
	if len(msgs) != 1 || msgs[0].Msg["response_type"] != Ephemeral {
		t.Fatalf("%+v", msgs)
	}
	if got := text(msgs[0].Msg); !strings.Contains(got, "did you mean alice") || !strings.Contains(got, "/ccc agents") {
		t.Errorf("error: %s", got)
	}
	ack, _, _ := e.command(uAlice, "reset")
	if !strings.Contains(text(ack), "name the agents") {
		t.Errorf("empty reset: %s", text(ack))
	}
	if n := e.sim.Count("ResetUserStatus"); n != 0 {
		t.Errorf("ResetUserStatus ran %d times", n)
	}
}

func TestGenericDestructiveActionUsesButtons(t *testing.T) {
	e := newEnv(t, envOpts{})
	mallory := e.agent("mallory")
	_, msgs, _ := e.command(uAlice, "reset_user_status RamIdList="+mallory.RamID)
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want the preview and the exact arguments", len(msgs))
	}
	wantExact(t, msgs[1].Msg, "reset_user_status", mallory.RamID)
	bs := buttons(msgs[0].Msg)
	id, _ := bs["ccc_confirm"]["value"].(string)
	if id == "" || e.sim.Count("ResetUserStatus") != 0 {
		t.Fatalf("no pending confirmation: %s", msgs[0].Raw)
	}
	out := e.click(uAlice, "ccc_confirm", id)
	if len(out) != 1 || !strings.Contains(text(out[0].Msg), "Confirmed by <@U1ALICE>") {
		t.Fatalf("%+v", out)
	}
	if e.sim.Count("ResetUserStatus") != 1 || e.agent("mallory").State != sim.StateReady {
		t.Errorf("reset did not run once")
	}
}
