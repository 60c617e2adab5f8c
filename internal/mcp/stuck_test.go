package mcp

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cccops/cccops/internal/ccc/sim"
)

// stuckLogin finds the login name in a stuck agent's line:
// "Rupert Liu (rupert, ext 8001015, RamId …) — Break for 7h: …".
var stuckLogin = regexp.MustCompile(`\(([a-z]+), ext `)

// stuckIn reads the stuck agents a text lists (its "- " or "• " lines
// naming an agent) and, for each, whether the line says only a reset that
// names them clears it.
func stuckIn(text string) (logins []string, namedOnly map[string]bool) {
	namedOnly = map[string]bool{}
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(l, "- ") && !strings.HasPrefix(l, "• ") {
			continue
		}
		m := stuckLogin.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		logins = append(logins, m[1])
		namedOnly[m[1]] = strings.Contains(l, "only a reset that names the agent clears it")
	}
	return logins, namedOnly
}

// TestEverySurfaceNamesTheSameStuckAgents: the overview resource and the
// triage prompt list the registry's stuck agents — the simulator's five —
// and mark rupert (Break for 7h) as cleared only by a reset that names him;
// the preview of a blanket reset lists the four it clears and rupert as
// left, and the definition the prompt gives is the registry's.
func TestEverySurfaceNamesTheSameStuckAgents(t *testing.T) {
	e := newEnv(t)
	h := decline()
	c := e.inProcess(t, false, h)
	ctx := context.Background()
	rows, err := e.app.Registry.Stuck(ctx, e.srv.principal(ctx), sim.DefaultInstanceID)
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

	var rr mcp.ReadResourceRequest
	rr.Params.URI = overviewURI(sim.DefaultInstanceID)
	rd, err := c.ReadResource(ctx, rr)
	if err != nil {
		t.Fatal(err)
	}
	ov := rd.Contents[0].(mcp.TextResourceContents).Text
	_, stuckPart, _ := strings.Cut(ov, "## Stuck (5)")
	var gp mcp.GetPromptRequest
	gp.Params.Name = PromptTriage
	got, err := c.GetPrompt(ctx, gp)
	if err != nil {
		t.Fatal(err)
	}
	triage := got.Messages[0].Content.(mcp.TextContent).Text
	def := e.app.Registry.StuckDefinition()
	for name, text := range map[string]string{"overview": stuckPart, "triage prompt": triage} {
		logins, named := stuckIn(text)
		if !slices.Equal(logins, want) {
			t.Errorf("%s lists %v, the registry %v:\n%s", name, logins, want, text)
		}
		for _, l := range logins {
			if named[l] != (l == "rupert") {
				t.Errorf("%s: %s marked as cleared only by a named reset: %v", name, l, named[l])
			}
		}
		if !strings.Contains(text, def) {
			t.Errorf("%s does not give the definition %q:\n%s", name, def, text)
		}
	}

	res := callTool(t, c, "reset_user_status", map[string]any{})
	if !res.IsError || e.sim.Count("ResetUserStatus") != 0 || len(h.asked()) != 1 {
		t.Fatalf("a declined blanket reset: %s (ran %d, asked %d)", text(res), e.sim.Count("ResetUserStatus"), len(h.asked()))
	}
	cleared, left, ok := strings.Cut(h.asked()[0], "Not cleared by this blanket reset")
	if !ok {
		t.Fatalf("the blanket reset preview does not say whom it leaves:\n%s", h.asked()[0])
	}
	c1, _ := stuckIn(cleared)
	c2, _ := stuckIn(left)
	if !slices.Equal(slices.Sorted(slices.Values(append(c1, c2...))), slices.Sorted(slices.Values(want))) || !slices.Equal(c2, []string{"rupert"}) {
		t.Errorf("the preview clears %v and leaves %v; the stuck list is %v:\n%s", c1, c2, want, h.asked()[0])
	}
}
