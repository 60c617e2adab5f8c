package tools_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

// seededStuck are the simulator's stuck agents: four abnormal (a busy
// state for hours, which a blanket ResetUserStatus clears) and rupert, on
// Break for 7h — a normal state held too long, which only a named reset
// clears.
var seededStuck = []string{"mallory", "trent", "sybil", "victor", "rupert"}

func TestStuckIsOneListSayingWhoOnlyANamedResetClears(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	ctx := context.Background()
	rows, err := e.reg.Stuck(ctx, alice, "")
	if err != nil {
		t.Fatal(err)
	}
	var logins []string
	for _, a := range rows {
		logins = append(logins, a.LoginName)
		if !a.Stuck || a.Why == "" {
			t.Errorf("%s listed stuck without a reason: %+v", a.LoginName, a)
		}
		if named := a.LoginName == "rupert"; a.NamedResetOnly() != named || a.Abnormal() == named {
			t.Errorf("%s: named-reset-only %v, abnormal %v", a.LoginName, a.NamedResetOnly(), a.Abnormal())
		}
		if !strings.Contains(tools.StuckLine(a), a.Why) || !strings.Contains(tools.StuckLine(a), "RamId "+a.RamID) {
			t.Errorf("line %q", tools.StuckLine(a))
		}
	}
	if !sameSet(logins, seededStuck) {
		t.Fatalf("stuck %v, want %v", logins, seededStuck)
	}
	if rupert := rows[slices.IndexFunc(rows, func(a tools.AgentRow) bool { return a.LoginName == "rupert" })]; !strings.Contains(rupert.Why, "only a reset that names the agent clears it") {
		t.Errorf("rupert's reason %q", rupert.Why)
	}
	if def := e.reg.StuckDefinition(); !strings.Contains(def, tools.StuckRule) || !strings.Contains(def, "longer than 2h") || !strings.Contains(def, "only a reset that names the agent") {
		t.Errorf("definition %q", def)
	}
	// The board and the status name the same agents, in the same order.
	board, err := e.reg.AgentBoard(ctx, alice, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	var flagged []string
	for _, a := range board {
		if a.Stuck {
			flagged = append(flagged, a.LoginName)
		}
	}
	st, err := e.reg.InstanceStatus(ctx, alice, "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(flagged, logins) || !slices.Equal(st.StuckLogins(), logins) {
		t.Errorf("board %v, status %v, stuck %v", flagged, st.StuckLogins(), logins)
	}
}

// TestBlanketResetPreviewSaysWhomItLeaves: a reset with no RamIdList
// clears the abnormal agents only; its preview lists them, lists rupert as
// stuck but not cleared, and says how to clear him — and running it does
// exactly that.
func TestBlanketResetPreviewSaysWhomItLeaves(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	ctx := context.Background()
	res, err := e.reg.Invoke(ctx, tools.Invocation{CanAsk: true, Principal: alice, Tool: "reset_user_status", Args: map[string]any{}})
	if err != nil || res.Status != tools.StatusPending {
		t.Fatalf("want pending, got %v %v", res, err)
	}
	preview := res.Pending.Preview
	cleared, left, ok := strings.Cut(preview, "Not cleared by this blanket reset")
	if !ok {
		t.Fatalf("the preview does not say whom a blanket reset leaves:\n%s", preview)
	}
	for _, login := range seededStuck[:4] {
		if !strings.Contains(cleared, "("+login+",") || strings.Contains(left, "("+login+",") {
			t.Errorf("%s should be listed as cleared:\n%s", login, preview)
		}
	}
	rupert, _ := e.sim.Agent(sim.DefaultInstanceID, "rupert")
	if strings.Contains(cleared, "(rupert,") || !strings.Contains(left, "(rupert,") || !strings.Contains(left, "only a reset that names them clears") {
		t.Errorf("rupert should be listed as left, with how to clear him:\n%s", preview)
	}
	_, howTo, _ := strings.Cut(left, "reset them by name instead (RamIdList with the RamIds of ")
	howTo, _, _ = strings.Cut(howTo, ")")
	if !sameSet(strings.Split(howTo, ", "), seededStuck) {
		t.Errorf("the preview does not say how to clear all five (%q):\n%s", howTo, preview)
	}

	if _, err := e.reg.Invoke(ctx, tools.Invocation{CanAsk: true, Principal: alice, Tool: "reset_user_status", Args: map[string]any{},
		Confirmation: &tools.Confirmation{Token: res.Pending.Token}}); err != nil {
		t.Fatal(err)
	}
	for _, login := range seededStuck[:4] {
		if a, _ := e.sim.Agent(sim.DefaultInstanceID, login); a.Abnormal {
			t.Errorf("%s is still abnormal after the blanket reset", login)
		}
	}
	if now, _ := e.sim.Agent(sim.DefaultInstanceID, "rupert"); now.State != rupert.State || !now.Since.Equal(rupert.Since) {
		t.Errorf("the blanket reset changed rupert: %+v → %+v", rupert, now)
	}
	rows, err := e.reg.Stuck(ctx, alice, "")
	if err != nil || len(rows) != 1 || rows[0].LoginName != "rupert" {
		t.Fatalf("after the blanket reset, stuck %v (%v); want rupert alone", rows, err)
	}
}

func TestStuckThresholdIsTheRegistrysOwn(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	reg, err := tools.New(tools.Config{Client: clientFor(t, e.sim), Gate: e.gate, DefaultInstance: sim.DefaultInstanceID, StuckAfter: 8 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if e.reg.StuckAfter() != tools.DefaultStuckAfter || reg.StuckAfter() != 8*time.Hour {
		t.Fatalf("thresholds %v, %v", e.reg.StuckAfter(), reg.StuckAfter())
	}
	rows, err := reg.Stuck(context.Background(), alice, "")
	if err != nil {
		t.Fatal(err)
	}
	var logins []string
	for _, a := range rows {
		logins = append(logins, a.LoginName)
	}
	// A 7-hour Break is under an 8-hour threshold; the abnormal four stay.
	if !sameSet(logins, seededStuck[:4]) {
		t.Errorf("with an 8h threshold, stuck %v", logins)
	}
	res, err := reg.Invoke(context.Background(), tools.Invocation{CanAsk: true, Principal: alice, Tool: "reset_user_status", Args: map[string]any{}})
	if err != nil || strings.Contains(res.Text, "Not cleared") {
		t.Errorf("with nobody left over, the preview still lists someone: %v\n%s", err, res.Text)
	}
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
