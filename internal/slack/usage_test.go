package slack

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/tools"
)

// TestToolHelpFollowsTheServedSchema: with a default instance, InstanceId
// is optional in /ccc help (as the registry serves it) and never "required"
// next to a note that it may be left out; the example names only what is
// required, with placeholders rather than the simulator's or made-up ids.
func TestToolHelpFollowsTheServedSchema(t *testing.T) {
	e := newEnv(t, envOpts{})
	ack, _, _ := e.command(uAlice, "help get_user")
	got := text(ack)
	for _, w := range []string{"/ccc get_user UserId=&lt;string&gt; [InstanceId=&lt;string&gt;]", "• UserId (string, required)",
		"• InstanceId (string, optional, default ccc-sim-shanghai)", "Example: /ccc get_user UserId=&lt;UserId&gt;"} {
		if !strings.Contains(got, w) {
			t.Errorf("help get_user lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, "InstanceId (string, required)") || strings.Contains(got, "Example: /ccc get_user InstanceId") {
		t.Errorf("InstanceId still required:\n%s", got)
	}
	// Every tool: a parameter is "required" in help exactly when the
	// served schema requires it, and the example sets exactly those.
	for _, tl := range e.reg.Tools() {
		u := e.bot.usage(tl, "/ccc")
		req := servedRequired(e.reg.InputSchema(tl))
		example := u[strings.LastIndex(u, "Example: "):]
		for _, p := range tl.Input().Props {
			line := fmt.Sprintf("• %s (%s, required)", p.Name, p.TypeText())
			if strings.Contains(u, line) != req[p.Name] {
				t.Errorf("%s: %s required=%v in the schema, help says:\n%s", tl.Name, p.Name, req[p.Name], u)
			}
			if strings.Contains(example, " "+p.Name+"=") != req[p.Name] {
				t.Errorf("%s: example %q and %s (required=%v)", tl.Name, example, p.Name, req[p.Name])
			}
		}
		if strings.Contains(example, "ccc-sim-") {
			t.Errorf("%s: the example names the simulator's instance: %s", tl.Name, example)
		}
	}
	// Without a default instance InstanceId is required again.
	client, err := ccc.New(ccc.Config{Endpoint: e.sim.URL, Credentials: ccc.Credentials{Mode: ccc.CredAccessKey, AccessKeyID: sim.DefaultAccessKeyID, AccessKeySecret: sim.DefaultAccessKeySecret}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	reg, err := tools.New(tools.Config{Client: client, Gate: e.gate})
	if err != nil {
		t.Fatal(err)
	}
	b := &Bot{reg: reg}
	tl, _ := reg.Lookup("get_user")
	if u := b.usage(tl, "/ccc"); !strings.Contains(u, "• InstanceId (string, required)") || !strings.Contains(u, "Example: /ccc get_user InstanceId=<InstanceId>") {
		t.Errorf("no default instance:\n%s", u)
	}
	// The call flow's example does not invent a contact id.
	ack, _, _ = e.command(uAlice, "help call")
	if got := text(ack); strings.Contains(got, "job-") || !strings.Contains(got, "/ccc calls") {
		t.Errorf("help call: %s", got)
	}
}

// TestMissingParameterNamesTheSlackHelp: a call the registry refuses for
// its arguments says which parameter and which /ccc help to read, in
// Slack's words, not "describe the tool".
func TestMissingParameterNamesTheSlackHelp(t *testing.T) {
	e := newEnv(t, envOpts{})
	_, msgs, _ := e.command(uAlice, "get_user")
	if len(msgs) != 1 || msgs[0].Msg["response_type"] != Ephemeral {
		t.Fatalf("%+v", msgs)
	}
	got := text(msgs[0].Msg)
	for _, w := range []string{"UserId", "Check `UserId`: `/ccc help get_user`", "Usage:", "[InstanceId=&lt;string&gt;]"} {
		if !strings.Contains(got, w) {
			t.Errorf("lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, "describe the tool") {
		t.Errorf("MCP words in Slack:\n%s", got)
	}
	if n := e.sim.Count("GetUser"); n != 0 {
		t.Errorf("GetUser reached CCC %d times", n)
	}
	// A value the bot itself refuses gets the same next step.
	ack, _, _ := e.command(uAlice, "list_users PageNumber=x PageSize=10")
	if got := text(ack); !strings.Contains(got, "Check `PageNumber`: `/ccc help list_users`") {
		t.Errorf("bad integer: %s", got)
	}
	// The registry's words carry no surface's next step; Slack adds its own.
	m := invalidArgs(&tools.Error{Kind: tools.KindInvalidArgs, Tool: "get_user", Param: "UserId",
		Message: "invalid arguments for get_user: UserId: is required. Nothing was sent"}, "")
	if got := text(toAny(t, m).(map[string]any)); strings.Contains(got, "describe the tool") || !strings.Contains(got, "/ccc help get_user") {
		t.Errorf("rendered: %s", got)
	}
}

// TestLongTablesRepeatTheirHeader: a table split over several sections
// starts each with its header row.
func TestLongTablesRepeatTheirHeader(t *testing.T) {
	var rows [][]string
	for i := 0; i < 400; i++ {
		rows = append(rows, []string{fmt.Sprintf("agent%03d", i), "Talking", "5h12m", "Billing,VIP"})
	}
	var b builder
	b.codeTable(table([]string{"login", "state", "for", "groups"}, rows))
	blocks := b.done()
	if len(blocks) < 3 {
		t.Fatalf("%d blocks: the table should need several", len(blocks))
	}
	seen := 0
	for _, bl := range toAny(t, blocks).([]any) {
		s := text(map[string]any{"blocks": []any{bl}})
		if !strings.HasPrefix(s, "```login     state") {
			if strings.Contains(s, "left out") {
				continue
			}
			t.Errorf("a section starts without the header: %.80q", s)
		}
		seen += strings.Count(s, "agent")
	}
	f := newFakeSlack(t)
	f.check("table", map[string]any{"blocks": toAny(t, blocks)})
	if seen == 0 {
		t.Error("no rows rendered")
	}
}

// TestBoardSaysTheStuckRuleOnce: the board gives each stuck agent its
// state, time and which rule flags it, states the rules once, and says
// which agents only a reset by name clears (a blanket reset leaves them).
func TestBoardSaysTheStuckRuleOnce(t *testing.T) {
	e := newEnv(t, envOpts{})
	_, msgs, _ := e.command(uAlice, "agents")
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	got := text(msgs[0].Msg)
	if n := strings.Count(got, esc(tools.StuckRule)); n != 1 {
		t.Errorf("the stuck rule appears %d times:\n%s", n, got)
	}
	for _, w := range []string{"*Mallory Zhao (mallory, ext 8001011)* — Talking for 5h12m (abnormal)",
		"*Rupert Liu (rupert, ext 8001015)* — Break for 7h (over the 2h threshold)",
		"• *abnormal*: " + esc(tools.StuckRule), "• *over the threshold*: any state but Ready or Offline held longer than 2h; a normal state, so only a reset that names the agent clears it",
		"Only a reset by name clears rupert", "blanket ResetUserStatus"} {
		if !strings.Contains(got, w) {
			t.Errorf("board lacks %q:\n%s", w, got)
		}
	}
	hint := got[strings.Index(got, "Only a reset by name clears"):]
	hint = hint[:strings.Index(hint, "\n")]
	for _, abnormal := range []string{"mallory", "trent", "sybil", "victor"} {
		if strings.Contains(hint, abnormal) {
			t.Errorf("%s is abnormal, yet listed as cleared only by name: %s", abnormal, hint)
		}
	}
}
