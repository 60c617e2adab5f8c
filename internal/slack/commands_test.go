package slack

import (
	"strings"
	"testing"
)

func TestHelpForEveryTool(t *testing.T) {
	e := newEnv(t, envOpts{})
	all := e.reg.Tools()
	if len(all) != 89 {
		t.Fatalf("%d tools, want 89", len(all))
	}
	overview, _, _ := e.command(uAlice, "help")
	ov := text(overview)
	for _, tl := range all {
		if !strings.Contains(ov, "`"+tl.Name+"`") {
			t.Errorf("help overview misses %s", tl.Name)
		}
		for _, name := range []string{tl.Name, tl.Action} {
			ack, msgs, _ := e.command(uAlice, "help "+name)
			if len(msgs) != 0 {
				t.Fatalf("help went to the response_url")
			}
			got := text(ack)
			firstLine := strings.SplitN(e.bot.usage(tl, "/ccc"), "\n", 2)[0]
			if !strings.Contains(got, escCode(firstLine)) || !strings.Contains(got, "Example: /ccc "+tl.Name) {
				t.Fatalf("help %s lacks the usage line or the example:\n%s", name, got)
			}
			if ack["response_type"] != Ephemeral {
				t.Errorf("help %s is not ephemeral", name)
			}
			e.slack.check("help "+name, ack)
		}
	}
	for _, flow := range []string{"agents", "reset", "calls", "call"} {
		ack, _, _ := e.command(uAlice, "help "+flow)
		if !strings.Contains(text(ack), "/ccc "+flow) {
			t.Errorf("help %s: %s", flow, text(ack))
		}
	}
	ack, _, _ := e.command(uAlice, "help list_skil_groups")
	if got := text(ack); !strings.Contains(got, "did you mean") || !strings.Contains(got, "list_skill_groups") {
		t.Errorf("a typo gave %q", got)
	}
	if n := len(e.sim.Counts()); n != 0 {
		t.Errorf("help called CCC: %v", e.sim.Counts())
	}
}

func TestGenericReadAction(t *testing.T) {
	e := newEnv(t, envOpts{})
	ack, msgs, _ := e.command(uAlice, "ListSkillGroups")
	if !strings.Contains(text(ack), "Working on") {
		t.Errorf("ack %q", text(ack))
	}
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0].Msg
	if m["response_type"] != Ephemeral || !strings.Contains(text(m), "SkillGroupName") || !strings.Contains(text(m), "Billing") {
		t.Errorf("result: %s", msgs[0].Raw)
	}
	if e.sim.Count("ListSkillGroups") != 1 {
		t.Errorf("ListSkillGroups called %d times", e.sim.Count("ListSkillGroups"))
	}
	// Key=Value coercion: lists, integers, quoted values.
	_, msgs, _ = e.command(uAlice, `list_users PageNumber=1 PageSize=3`)
	if len(msgs) != 1 || !strings.Contains(text(msgs[0].Msg), "LoginName") || !strings.Contains(text(msgs[0].Msg), "Next page") {
		t.Errorf("list_users: %+v", msgs)
	}
}

func TestGenericErrorsNameTheProblem(t *testing.T) {
	e := newEnv(t, envOpts{})
	ack, msgs, _ := e.command(uAlice, "list_call_detail_records PageNumber=abc PageSize=10")
	got := text(ack)
	if !strings.Contains(got, "PageNumber") || !strings.Contains(got, "Usage") || len(msgs) != 0 {
		t.Errorf("bad integer: %q", got)
	}
	ack, _, _ = e.command(uAlice, "list_call_detail_records Bogus=1 PageNumber=1 PageSize=1")
	if got := text(ack); !strings.Contains(got, "Bogus") {
		t.Errorf("unknown parameter: %q", got)
	}
	ack, _, _ = e.command(uAlice, "frobnicate_agents")
	if got := text(ack); !strings.Contains(got, "unknown command") || !strings.Contains(got, "/ccc help") {
		t.Errorf("unknown tool: %q", got)
	}
	// Missing required parameter: caught by the registry, in the background.
	_, msgs, _ = e.command(uAlice, "get_user")
	if len(msgs) != 1 || !strings.Contains(text(msgs[0].Msg), "UserId") || msgs[0].Msg["response_type"] != Ephemeral {
		t.Errorf("missing UserId: %+v", msgs)
	}
	ack, _, _ = e.command(uAlice, `list_users "PageNumber=1`)
	if !strings.Contains(text(ack), "quote") {
		t.Errorf("unclosed quote: %q", text(ack))
	}
	if n := e.sim.Count("ListCallDetailRecords") + e.sim.Count("GetUser"); n != 0 {
		t.Errorf("invalid calls reached CCC %d times", n)
	}
}

func TestSecretResultIsEphemeral(t *testing.T) {
	e := newEnv(t, envOpts{})
	_, msgs, _ := e.command(uAlice, "get_turn_credentials UserName=alice")
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	if msgs[0].Msg["response_type"] != Ephemeral || !strings.Contains(text(msgs[0].Msg), "only to you") {
		t.Errorf("secret result: %s", msgs[0].Raw)
	}
}

func TestSplitWords(t *testing.T) {
	got, err := splitWords(`reset “Alice Li”, bob  Criteria='a b' x=&lt;1&gt;`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"reset", "Alice Li,", "bob", "Criteria=a b", "x=<1>"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q", got)
	}
}

func TestRenderLimits(t *testing.T) {
	var b builder
	long := strings.Repeat("0123456789\n", 2000) // 22,000 characters
	b.code(long)
	for i := 0; i < 80; i++ {
		b.section(strings.Repeat("x", 5000))
	}
	blocks := b.done()
	if len(blocks) > MaxBlocks {
		t.Fatalf("%d blocks", len(blocks))
	}
	f := newFakeSlack(t)
	f.check("test", map[string]any{"blocks": toAny(t, blocks)})
	if len(f.violations) != 0 {
		t.Fatalf("violations: %v", f.violations)
	}
	f.violations = nil
	if !strings.Contains(text(map[string]any{"blocks": toAny(t, blocks)}), "left out") {
		t.Error("dropped blocks are not announced")
	}
}
