package slack

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// stuckLine is a stuck agent's line on the board and in the status:
// ":rotating_light: *Rupert Liu (rupert, ext 8001015)* — Break for 7h …".
var stuckLine = regexp.MustCompile(`(?m)^:rotating_light: \*[^(*]+\(([a-z]+), ext [^)]+\)\* — (.*)$`)

// TestBoardAndStatusNameTheRegistrysStuckAgents: /ccc agents and /ccc
// status list the registry's stuck agents — the simulator's five — and
// both say that only a reset naming rupert clears him.
func TestBoardAndStatusNameTheRegistrysStuckAgents(t *testing.T) {
	e := newEnv(t, envOpts{now: afternoon})
	rows, err := e.reg.Stuck(context.Background(), principal(uAlice.team, uAlice.id, uAlice.name), "")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, a := range rows {
		want = append(want, a.LoginName)
	}
	if five := []string{"mallory", "rupert", "sybil", "trent", "victor"}; !slices.Equal(slices.Sorted(slices.Values(want)), five) {
		t.Fatalf("the registry's stuck agents are %v, want %v", want, five)
	}
	for _, cmd := range []string{"agents", "status"} {
		_, msgs, _ := e.command(uAlice, cmd)
		if len(msgs) != 1 {
			t.Fatalf("%s: %d messages", cmd, len(msgs))
		}
		got := text(msgs[0].Msg)
		var listed []string
		for _, m := range stuckLine.FindAllStringSubmatch(got, -1) {
			listed = append(listed, m[1])
			if named := strings.Contains(m[2], "over the 2h threshold"); named != (m[1] == "rupert") {
				t.Errorf("%s: %s's line %q", cmd, m[1], m[2])
			}
		}
		if !slices.Equal(listed, want) {
			t.Errorf("/ccc %s lists %v, the registry %v:\n%s", cmd, listed, want, got)
		}
		if !strings.Contains(got, "/ccc reset "+strings.Join(want, ",")) {
			t.Errorf("/ccc %s does not offer the reset of all five:\n%s", cmd, got)
		}
		if !strings.Contains(got, "only a reset that names the agent clears it") && !strings.Contains(got, "Only a reset by name clears rupert") {
			t.Errorf("/ccc %s does not say only a named reset clears rupert:\n%s", cmd, got)
		}
	}
}
