package tools_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

func TestAgentBoardFlagsStuckAgentsFirst(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	ctx := context.Background()
	rows, err := e.reg.AgentBoard(ctx, alice, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(e.sim.Agents(sim.DefaultInstanceID)) {
		t.Fatalf("board has %d rows, the instance %d agents", len(rows), len(e.sim.Agents(sim.DefaultInstanceID)))
	}
	stuck := map[string]tools.AgentRow{}
	seenNormal := false
	for _, r := range rows {
		if r.Stuck {
			if seenNormal {
				t.Fatalf("stuck agent %s listed after a normal one", r.LoginName)
			}
			stuck[r.LoginName] = r
		} else {
			seenNormal = true
		}
		if r.RamID == "" || r.Extension == "" || r.State == "" || !r.HeldKnown {
			t.Fatalf("incomplete row %+v", r)
		}
	}
	for _, login := range []string{"mallory", "trent", "sybil", "victor", "rupert"} {
		if _, ok := stuck[login]; !ok {
			t.Errorf("%s is not flagged stuck; flagged: %v", login, keys(stuck))
		}
	}
	if len(stuck) != 5 {
		t.Errorf("flagged %v, want exactly the five seeded stuck agents", keys(stuck))
	}
	if !strings.Contains(stuck["mallory"].Why, "abnormal") || !strings.Contains(stuck["rupert"].Why, "threshold") {
		t.Errorf("reasons: mallory %q, rupert %q", stuck["mallory"].Why, stuck["rupert"].Why)
	}
	m, _ := e.sim.Agent(sim.DefaultInstanceID, "mallory")
	if stuck["mallory"].RamID != m.RamID || stuck["mallory"].State != "Talking" {
		t.Errorf("mallory row %+v, simulator %+v", stuck["mallory"], m)
	}
	// Every read went through the gate and is audited for the principal.
	var actions []string
	for _, r := range e.audit.records(t) {
		if r.Principal != alice.ID {
			t.Errorf("audit record for %q", r.Principal)
		}
		actions = append(actions, r.Action)
	}
	joined := strings.Join(actions, ",")
	if !strings.Contains(joined, "ListUsers") || !strings.Contains(joined, "ListAgentStates") {
		t.Errorf("audited actions %v", actions)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestAgentBoardFilters(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	ctx := context.Background()
	rows, err := e.reg.AgentBoard(ctx, alice, "", "talking", "")
	if err != nil || len(rows) == 0 {
		t.Fatalf("rows %d, err %v", len(rows), err)
	}
	for _, r := range rows {
		if r.State != "Talking" {
			t.Errorf("state filter let %s (%s) through", r.LoginName, r.State)
		}
	}
	rows, err = e.reg.AgentBoard(ctx, alice, "", "", "billing")
	if err != nil || len(rows) == 0 {
		t.Fatalf("rows %d, err %v", len(rows), err)
	}
	for _, r := range rows {
		if !strings.Contains(strings.Join(r.Groups, ","), "Billing") {
			t.Errorf("group filter let %s (%v) through", r.LoginName, r.Groups)
		}
	}
	_, err = e.reg.AgentBoard(ctx, alice, "", "", "nosuchgroup")
	var te *tools.Error
	if !errors.As(err, &te) || te.Param != "group" || !strings.Contains(te.Message, "Billing") {
		t.Errorf("unknown group: %v", err)
	}
	_, err = e.reg.AgentBoard(ctx, alice, "", "sleeping", "")
	if !errors.As(err, &te) || te.Param != "state" || !strings.Contains(te.Message, "Talking") {
		t.Errorf("unknown state: %v", err)
	}
}

func TestAgentBoardHonoursPolicy(t *testing.T) {
	f, err := policy.ParseFile([]byte(`
default_role: nostates
roles:
  nostates:
    rules:
      - actions: [ListAgentStates]
        verdict: deny
      - access: [read]
        verdict: allow
`))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, policy.Config{File: f}, tools.Filter{})
	_, err = e.reg.AgentBoard(context.Background(), alice, "", "", "")
	var te *tools.Error
	if !errors.As(err, &te) || te.Kind != tools.KindDenied {
		t.Fatalf("want a denial, got %v", err)
	}
	if n := e.sim.Count("ListAgentStates"); n != 0 {
		t.Errorf("a denied read reached CCC %d times", n)
	}
}

func TestResolveAgents(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	ctx := context.Background()
	bob, _ := e.sim.Agent(sim.DefaultInstanceID, "bob")
	carol, _ := e.sim.Agent(sim.DefaultInstanceID, "carol")
	rows, err := e.reg.ResolveAgents(ctx, alice, "", []string{"Alice, " + bob.Extension, "carol li" /* wrong */})
	var re *tools.ResolveError
	if !errors.As(err, &re) || len(re.Unresolved) != 1 || re.Unresolved[0] != "carol li" {
		t.Fatalf("want carol li unresolved, got %v (%v)", err, rows)
	}
	rows, err = e.reg.ResolveAgents(ctx, alice, "", []string{"ALICE," + bob.Extension + ",Carol Xu,alice," + carol.RamID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.LoginName)
	}
	if strings.Join(got, ",") != "alice,bob,carol" {
		t.Errorf("resolved %v, want alice,bob,carol once each, in order", got)
	}
	_, err = e.reg.ResolveAgents(ctx, alice, "", []string{"alcie"})
	if !errors.As(err, &re) || !strings.Contains(strings.Join(re.Suggestions["alcie"], ","), "alice") {
		t.Fatalf("want a suggestion of alice, got %v", err)
	}
	if !strings.Contains(err.Error(), "did you mean") {
		t.Errorf("message %q", err)
	}
	_, err = e.reg.ResolveAgents(ctx, alice, "", []string{" , "})
	var te *tools.Error
	if !errors.As(err, &te) || te.Kind != tools.KindInvalidArgs {
		t.Errorf("empty list: %v", err)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 0 {
		t.Errorf("resolving changed something: %d resets", n)
	}
}

func TestCheckUnchangedSeesAStateChange(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	ctx := context.Background()
	shown, err := e.reg.ResolveAgents(ctx, alice, "", []string{"mallory", "trent"})
	if err != nil {
		t.Fatal(err)
	}
	_, changed, err := e.reg.CheckUnchanged(ctx, alice, sim.DefaultInstanceID, shown)
	if err != nil || len(changed) != 0 {
		t.Fatalf("nothing changed yet, got %v, %v", changed, err)
	}
	// Someone else resets mallory behind our back.
	client := clientFor(t, e.sim)
	if _, err := client.Call(ctx, &ccc.ResetUserStatusRequest{InstanceId: ccc.Ptr(sim.DefaultInstanceID), RamIdList: []int64{mustInt(t, shown[0].RamID)}}); err != nil {
		t.Fatal(err)
	}
	current, changed, err := e.reg.CheckUnchanged(ctx, alice, sim.DefaultInstanceID, shown)
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 1 || changed[0].Before.LoginName != "mallory" || changed[0].Now.State != "Ready" {
		t.Fatalf("changes %+v", changed)
	}
	if !strings.Contains(changed[0].String(), "was Talking") || len(current) != 2 {
		t.Errorf("change %q, current %d", changed[0], len(current))
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCallLog(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	ctx := context.Background()
	// Whole milliseconds, as the window travels to CCC: a call that starts
	// in since's millisecond is in the log, and must not look early.
	since := time.Now().Add(-3 * time.Hour).Truncate(time.Millisecond)
	log, err := e.reg.CallLog(ctx, alice, "", since, "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log.Rows) < 21 {
		t.Fatalf("only %d calls in 3h; the flow tests need more than 20", len(log.Rows))
	}
	for i, r := range log.Rows {
		if r.Start.Before(since) {
			t.Fatalf("row %d started %v, before %v", i, r.Start, since)
		}
		if i > 0 && r.Start.After(log.Rows[i-1].Start) {
			t.Fatalf("rows not newest first at %d", i)
		}
		if r.ContactID == "" || r.Caller == "" || r.Callee == "" {
			t.Fatalf("incomplete row %+v", r)
		}
	}
	// By agent: pick the agent of the newest answered call.
	var agentName string
	for _, r := range log.Rows {
		if r.Agent != "" {
			agentName = r.Agent
			break
		}
	}
	byAgent, err := e.reg.CallLog(ctx, alice, "", since, agentName, "", 0)
	if err != nil || len(byAgent.Rows) == 0 {
		t.Fatalf("by agent %q: %d rows, %v", agentName, len(byAgent.Rows), err)
	}
	for _, r := range byAgent.Rows {
		if r.Agent != agentName {
			t.Errorf("agent filter let %q through", r.Agent)
		}
	}
	// By the last four digits of a number.
	last4 := log.Rows[0].Caller[len(log.Rows[0].Caller)-4:]
	byNum, err := e.reg.CallLog(ctx, alice, "", since, "", last4, 5)
	if err != nil || len(byNum.Rows) == 0 || len(byNum.Rows) > 5 {
		t.Fatalf("by number: %d rows, %v", len(byNum.Rows), err)
	}
	for _, r := range byNum.Rows {
		if !strings.HasSuffix(r.Caller, last4) && !strings.HasSuffix(r.Callee, last4) {
			t.Errorf("number filter let %s→%s through", r.Caller, r.Callee)
		}
	}
	_, err = e.reg.CallLog(ctx, alice, "", since, "nobody-here", "", 0)
	var re *tools.ResolveError
	if !errors.As(err, &re) {
		t.Errorf("unknown agent: %v", err)
	}
	_, err = e.reg.CallLog(ctx, alice, "", time.Now().Add(time.Hour), "", "", 0)
	var te *tools.Error
	if !errors.As(err, &te) || te.Param != "since" {
		t.Errorf("future since: %v", err)
	}
}

func TestCallDetail(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	ctx := context.Background()
	log, err := e.reg.CallLog(ctx, alice, "", time.Now().Add(-6*time.Hour), "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for _, r := range log.Rows {
		if r.Recorded && r.Agent != "" && r.Disposition == "Success" {
			id = r.ContactID
			break
		}
	}
	if id == "" {
		t.Fatal("no answered, recorded call in 6h")
	}
	st, err := e.reg.CallDetail(ctx, alice, "", id)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Events) < 2 || st.Caller == "" || st.Events[len(st.Events)-1].Event != "Released" {
		t.Errorf("events %+v", st.Events)
	}
	if len(st.Recordings) == 0 || !strings.HasPrefix(st.Recordings[0].URL, "https://") {
		t.Errorf("recordings %+v", st.Recordings)
	}
	if len(st.Transcript) == 0 || st.Transcript[0].Role != "Agent" || st.Transcript[0].Words == "" {
		t.Errorf("transcript %+v", st.Transcript)
	}
	if len(st.Notes) != 0 {
		t.Errorf("notes %v", st.Notes)
	}
	_, err = e.reg.CallDetail(ctx, alice, "", "no-such-contact")
	var te *tools.Error
	if !errors.As(err, &te) || te.Kind != tools.KindCCC || !strings.Contains(te.Message, "/ccc calls") {
		t.Errorf("unknown contact: %v", err)
	}
}

func TestResetArgsAreWhatResetUserStatusTakes(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	rows, err := e.reg.ResolveAgents(context.Background(), alice, "", []string{"mallory"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.reg.Invoke(context.Background(), tools.Invocation{CanAsk: true, Principal: alice, Tool: "ResetUserStatus", Args: tools.ResetArgs(sim.DefaultInstanceID, rows)})
	if err != nil || res.Status != tools.StatusPending {
		t.Fatalf("want pending, got %v %v", res, err)
	}
	res, err = e.reg.Invoke(context.Background(), tools.Invocation{CanAsk: true, Principal: alice, Tool: "ResetUserStatus", Args: tools.ResetArgs(sim.DefaultInstanceID, rows),
		Confirmation: &tools.Confirmation{Token: res.Pending.Token}})
	if err != nil || res.Status != tools.StatusOK {
		t.Fatalf("confirmed reset: %v %v", res, err)
	}
	if m, _ := e.sim.Agent(sim.DefaultInstanceID, "mallory"); m.State != sim.StateReady {
		t.Errorf("mallory is %s after the reset", m.State)
	}
}
