package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cccops/cccops/internal/app"
	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

func catalog(t *testing.T) []*tools.Tool {
	t.Helper()
	all, err := tools.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func TestInitializeAndListAll89(t *testing.T) {
	e := newEnv(t)
	for _, modern := range []bool{false, true} {
		t.Run(fmt.Sprintf("modern=%v", modern), func(t *testing.T) {
			c := e.inProcess(t, modern, nil)
			if got := listTools(t, c); len(got) != 89 {
				t.Fatalf("tools/list gave %d tools, want 89", len(got))
			}
		})
	}
}

func TestInstructionsSayWhereToStartAndTheBackend(t *testing.T) {
	e := newEnv(t)
	c, err := client.NewInProcessClientWithOptions(e.srv.MCP(), client.WithLegacyProtocolOnly())
	if err != nil {
		t.Fatal(err)
	}
	res := initClient(t, c)
	for _, want := range []string{"list_instances_of_user", "agents", "human", "test simulator", sim.DefaultInstanceID} {
		if !strings.Contains(res.Instructions, want) {
			t.Errorf("instructions do not mention %q:\n%s", want, res.Instructions)
		}
	}
}

// Every tool carries a title (in annotations, where every client generation
// finds it) and all four hints, and the hints agree with
// the access table; every published input schema compiles (mcp-go skips
// validation silently for one that does not).
func TestAnnotationsAndSchemasOnEveryTool(t *testing.T) {
	e := newEnv(t)
	c := e.inProcess(t, false, nil)
	byName := map[string]*tools.Tool{}
	for _, tl := range catalog(t) {
		byName[tl.Name] = tl
	}
	for _, mt := range listTools(t, c) {
		tl := byName[mt.Name]
		if tl == nil {
			t.Errorf("%s is not a registry tool", mt.Name)
			continue
		}
		a := mt.Annotations
		if a.ReadOnlyHint == nil || a.DestructiveHint == nil || a.IdempotentHint == nil || a.OpenWorldHint == nil || a.Title == "" {
			t.Errorf("%s: incomplete annotations %+v / title %q", mt.Name, a, mt.Title)
			continue
		}
		ro := tl.Access.ReadOnly()
		if *a.ReadOnlyHint != ro {
			t.Errorf("%s (%s): readOnlyHint %v", mt.Name, tl.Access, *a.ReadOnlyHint)
		}
		if *a.DestructiveHint != (tl.Access == "destructive") {
			t.Errorf("%s (%s): destructiveHint %v", mt.Name, tl.Access, *a.DestructiveHint)
		}
		if *a.OpenWorldHint != (tl.Access == "external") {
			t.Errorf("%s (%s): openWorldHint %v; only external actions reach people outside", mt.Name, tl.Access, *a.OpenWorldHint)
		}
		if *a.IdempotentHint != (ro || tl.Access == "destructive") {
			t.Errorf("%s (%s): idempotentHint %v", mt.Name, tl.Access, *a.IdempotentHint)
		}
		if len(mt.OutputSchema.Properties) > 0 || len(mt.RawOutputSchema) > 0 {
			t.Errorf("%s: output schema published without --output-schemas", mt.Name)
		}
		raw, _ := json.Marshal(mt.InputSchema)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Errorf("%s: schema is not JSON: %v", mt.Name, err)
			continue
		}
		comp := jsonschema.NewCompiler()
		if err := comp.AddResource("mem://"+mt.Name, doc); err != nil {
			t.Fatal(err)
		}
		if _, err := comp.Compile("mem://" + mt.Name); err != nil {
			t.Errorf("%s: input schema does not compile: %v", mt.Name, err)
		}
		// With a default instance, a model may leave InstanceId out.
		for _, r := range mt.InputSchema.Required {
			if r == "InstanceId" {
				t.Errorf("%s: InstanceId required although the server has a default instance", mt.Name)
			}
		}
	}
}

func TestOutputSchemasOnlyWhenAsked(t *testing.T) {
	e := newEnv(t, func(_ *app.Config, o *Options) { o.OutputSchemas = true })
	c := e.inProcess(t, false, nil)
	with := 0
	for _, mt := range listTools(t, c) {
		if len(mt.OutputSchema.Properties) > 0 || mt.OutputSchema.Type != "" {
			with++
		}
	}
	if with == 0 {
		t.Fatal("--output-schemas published no output schema")
	}
}

func TestFilteredCounts(t *testing.T) {
	all := catalog(t)
	count := func(keep func(*tools.Tool) bool) int {
		n := 0
		for _, tl := range all {
			if keep(tl) {
				n++
			}
		}
		return n
	}
	agents := count(func(tl *tools.Tool) bool { return tl.Toolset == "agents" })
	agentsReports := count(func(tl *tools.Tool) bool { return tl.Toolset == "agents" || tl.Toolset == "reports" })
	reads := count(func(tl *tools.Tool) bool { return tl.Access.ReadOnly() })
	cases := []struct {
		name string
		opt  envOpt
		want int
	}{
		{"toolsets=agents", filter(tools.Filter{Toolsets: []string{"agents"}}), agents},
		{"toolsets=agents,reports", filter(tools.Filter{Toolsets: []string{"agents", "reports"}}), agentsReports},
		{"tools=list_users,ResetUserStatus", filter(tools.Filter{Include: []string{"list_users", "ResetUserStatus"}}), 2},
		{"exclude-tools=reset_user_status,dial_ex", filter(tools.Filter{Exclude: []string{"reset_user_status", "dial_ex"}}), 87},
		{"read-only", readOnly(), reads},
		{"gateway", gateway(), 3},
	}
	if agents == 0 || agents == 89 || reads == 0 || reads == 89 {
		t.Fatalf("catalog counts make this test meaningless: agents %d, reads %d", agents, reads)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opt)
			got := listTools(t, e.inProcess(t, false, nil))
			if len(got) != tc.want {
				t.Fatalf("listed %d tools, want %d", len(got), tc.want)
			}
			if len(e.srv.ToolNames()) != tc.want {
				t.Fatalf("ToolNames has %d, want %d", len(e.srv.ToolNames()), tc.want)
			}
		})
	}
}

func TestReadOnlyRefusesRiskyEvenByName(t *testing.T) {
	e := newEnv(t, readOnly(), gateway())
	c := e.inProcess(t, false, accept())
	res := callTool(t, c, CallAction, map[string]any{"name": "reset_user_status", "arguments": resetArgs(t, e.sim)})
	if !res.IsError {
		t.Fatalf("read-only server ran reset_user_status: %s", text(res))
	}
	if n := e.sim.Count("ResetUserStatus"); n != 0 {
		t.Fatalf("ResetUserStatus reached the simulator %d times", n)
	}
}

func TestReadCallOnTheSimulator(t *testing.T) {
	e := newEnv(t)
	for _, modern := range []bool{false, true} {
		t.Run(fmt.Sprintf("modern=%v", modern), func(t *testing.T) {
			c := e.inProcess(t, modern, nil)
			before := e.sim.Count("ListAgentStates")
			res := callTool(t, c, "list_agent_states", map[string]any{})
			if res.IsError {
				t.Fatalf("read failed: %s", text(res))
			}
			if e.sim.Count("ListAgentStates") <= before {
				t.Fatal("the call did not reach the simulator")
			}
			if !strings.Contains(text(res), "mallory") {
				t.Fatalf("agent list does not name mallory: %.300s", text(res))
			}
			if res.StructuredContent == nil {
				t.Fatal("no structured content")
			}
		})
	}
}

func TestToolFailureIsAnErrorResultNotAProtocolError(t *testing.T) {
	e := newEnv(t)
	c := e.inProcess(t, false, nil)
	res := callTool(t, c, "get_user", map[string]any{"InstanceId": "ccc-does-not-exist", "UserId": "nobody"})
	if !res.IsError || text(res) == "" {
		t.Fatalf("want an isError result with a message, got %+v", res)
	}
	res = callTool(t, c, "list_agent_states", map[string]any{"PageSize": 1000})
	if !res.IsError || !strings.Contains(text(res), "PageSize") {
		t.Fatalf("out-of-range argument: want an isError result naming PageSize, got %q", text(res))
	}
}

func agentStateText(t *testing.T, c interface {
	CallTool(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error)
}, login string) string {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = "list_agent_states"
	req.Params.Arguments = map[string]any{"PageSize": 100}
	res, err := c.CallTool(context.Background(), req)
	if err != nil || res.IsError {
		t.Fatalf("list_agent_states: %v %s", err, text(res))
	}
	raw, _ := json.Marshal(res.StructuredContent)
	var data struct {
		Data struct {
			List []map[string]any `json:"List"`
		} `json:"Data"`
	}
	_ = json.Unmarshal(raw, &data)
	for _, row := range data.Data.List {
		if row["LoginName"] == login {
			return fmt.Sprint(row["State"])
		}
	}
	t.Fatalf("list_agent_states did not list %s: %.400s", login, raw)
	return ""
}

// The destructive headline flow: the human is shown who is affected,
// accepts, the reset runs once, and the simulator shows her normal.
func TestResetConfirmedThroughElicitation(t *testing.T) {
	for _, modern := range []bool{false, true} {
		t.Run(fmt.Sprintf("modern=%v", modern), func(t *testing.T) {
			e := newEnv(t)
			if !mallory(t, e.sim).Abnormal {
				t.Fatal("mallory should start stuck")
			}
			h := accept()
			c := e.inProcess(t, modern, h)
			if st := agentStateText(t, c, "mallory"); st != "Talking" {
				t.Fatalf("mallory starts in %q, want Talking", st)
			}
			res := callTool(t, c, "reset_user_status", resetArgs(t, e.sim))
			if res.IsError {
				t.Fatalf("confirmed reset failed: %s", text(res))
			}
			asked := h.asked()
			if len(asked) != 1 || !strings.Contains(asked[0], "mallory") {
				t.Fatalf("the human should be asked once, with mallory named; asked %q", asked)
			}
			if n := e.sim.Count("ResetUserStatus"); n != 1 {
				t.Fatalf("ResetUserStatus ran %d times, want 1", n)
			}
			if mallory(t, e.sim).Abnormal {
				t.Fatal("mallory is still stuck in the simulator")
			}
			if st := agentStateText(t, c, "mallory"); st == "Talking" {
				t.Fatalf("list_agent_states still shows mallory %s", st)
			}
			var approved bool
			for _, r := range e.auditRecords(t) {
				if r.Action == "ResetUserStatus" && r.Result == "ok" && r.Approver == "local" {
					approved = true
				}
			}
			if !approved {
				t.Fatal("no audit record of the approved reset")
			}
		})
	}
}

func TestResetNotRunWhenTheHumanSaysNo(t *testing.T) {
	cases := map[string]*elicitor{
		"decline":   decline(),
		"cancel":    {action: mcp.ElicitationResponseActionCancel},
		"unticked":  {action: mcp.ElicitationResponseActionAccept, confirm: false},
		"no-answer": {block: true},
	}
	for name, h := range cases {
		for _, modern := range []bool{false, true} {
			if name == "no-answer" && modern {
				continue // a 2026-07-28 client answers in its own time; covered by the state's age check
			}
			t.Run(fmt.Sprintf("%s/modern=%v", name, modern), func(t *testing.T) {
				e := newEnv(t, confirmWait(200*time.Millisecond))
				c := e.inProcess(t, modern, h)
				res := callTool(t, c, "reset_user_status", resetArgs(t, e.sim))
				if !res.IsError || !strings.Contains(text(res), "Nothing ran") {
					t.Fatalf("want an isError result saying nothing ran, got %q", text(res))
				}
				if n := e.sim.Count("ResetUserStatus"); n != 0 {
					t.Fatalf("ResetUserStatus reached the simulator %d times", n)
				}
				if !mallory(t, e.sim).Abnormal {
					t.Fatal("mallory was reset")
				}
				// The audit closes the pending line with the human's answer,
				// joined by the argument digest.
				var pending, ended *policy.Record
				for _, r := range e.auditRecords(t) {
					if r.Action == "ResetUserStatus" {
						r := r
						if r.Result == "pending" {
							pending = &r
						} else if r.Result == "refused" || r.Result == "expired" {
							ended = &r
						}
					}
				}
				if pending == nil || ended == nil || ended.ArgsDigest != pending.ArgsDigest {
					t.Fatalf("audit: pending %+v, ended %+v", pending, ended)
				}
			})
		}
	}
}

// A client that never declared elicitation is never asked: it gets the
// preview and the statement that a human must confirm.
func TestResetWithoutElicitationSupport(t *testing.T) {
	for _, modern := range []bool{false, true} {
		t.Run(fmt.Sprintf("modern=%v", modern), func(t *testing.T) {
			e := newEnv(t)
			c := e.inProcess(t, modern, nil)
			res := callTool(t, c, "reset_user_status", resetArgs(t, e.sim))
			msg := text(res)
			if !res.IsError || !strings.Contains(msg, "A human must confirm") || !strings.Contains(msg, "Nothing ran") || !strings.Contains(msg, "mallory") {
				t.Fatalf("want an isError result with the preview and the need for a human, got %q", msg)
			}
			if n := e.sim.Count("ResetUserStatus"); n != 0 {
				t.Fatalf("ResetUserStatus reached the simulator %d times", n)
			}
		})
	}
}

func answer(action mcp.ElicitationResponseAction, yes bool) mcp.InputResponses {
	r := mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: action, Content: map[string]any{"confirm": yes}}}
	return mcp.InputResponses{confirmKey: mcp.NewElicitationInputResponse(r)}
}

// The request state comes back from the client and is attacker-controlled:
// forged, re-signed for someone else, replayed for other arguments, or
// replayed after use, it runs nothing.
func TestForgedOrReplayedRequestStateRefused(t *testing.T) {
	e := newEnv(t)
	ctx := WithPrincipal(context.Background(), policy.Principal{ID: "mcp:alice", Name: "alice", Surface: "mcp"})
	args := resetArgs(t, e.sim)
	yes := answer(mcp.ElicitationResponseActionAccept, true)

	// A genuine pending call, so there is a real token to misuse.
	res, err := e.app.Registry.Invoke(ctx, tools.Invocation{Principal: e.srv.principal(ctx), Tool: "reset_user_status", Args: args, CanAsk: true})
	if err != nil || res.Status != tools.StatusPending {
		t.Fatalf("want a pending call, got %v %v", res, err)
	}
	token := res.Pending.Token
	now := e.srv.now().Unix()
	trent, _ := e.sim.Agent(sim.DefaultInstanceID, "trent")
	otherArgs := map[string]any{"RamIdList": []any{json.Number(trent.RamID)}}

	cases := []struct {
		name  string
		state string
		args  map[string]any
		ctx   context.Context
	}{
		{"garbage", "forged-state", args, ctx},
		{"raw token without our seal", token, args, ctx},
		{"bad signature", e.srv.seal(confirmState{Principal: "mcp:alice", Tool: "reset_user_status", Issued: now, Token: token})[:40] + ".AAAA", args, ctx},
		{"another caller's state", e.srv.seal(confirmState{Principal: "mcp:alice", Tool: "reset_user_status", Issued: now, Token: token}), args,
			WithPrincipal(context.Background(), policy.Principal{ID: "mcp:mallory", Surface: "mcp"})},
		{"other arguments", e.srv.seal(confirmState{Principal: "mcp:alice", Tool: "reset_user_status", Issued: now, Token: token}), otherArgs, ctx},
		{"other tool", e.srv.seal(confirmState{Principal: "mcp:alice", Tool: "remove_users", Issued: now, Token: token}), args, ctx},
		{"forged token inside a genuine seal", e.srv.seal(confirmState{Principal: "mcp:alice", Tool: "reset_user_status", Issued: now, Token: "v1.forged.token"}), args, ctx},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := e.srv.call(tc.ctx, "reset_user_status", tc.args, mcp.MultiRoundTripParams{InputResponses: yes, RequestState: tc.state})
			if !out.IsError {
				t.Fatalf("accepted: %s", text(out))
			}
			if n := e.sim.Count("ResetUserStatus"); n != 0 {
				t.Fatalf("ResetUserStatus reached the simulator %d times", n)
			}
		})
	}

	// The genuine state works once, and never again.
	good := e.srv.seal(confirmState{Principal: "mcp:alice", Tool: "reset_user_status", Issued: now, Token: token})
	out := e.srv.call(ctx, "reset_user_status", args, mcp.MultiRoundTripParams{InputResponses: yes, RequestState: good})
	if out.IsError || e.sim.Count("ResetUserStatus") != 1 {
		t.Fatalf("the genuine confirmation did not run once: %s", text(out))
	}
	out = e.srv.call(ctx, "reset_user_status", args, mcp.MultiRoundTripParams{InputResponses: yes, RequestState: good})
	if !out.IsError || e.sim.Count("ResetUserStatus") != 1 {
		t.Fatalf("a replayed confirmation ran again: %s", text(out))
	}

	// An answer that comes too late ends its request: the same state
	// never runs afterwards, even within the token's life.
	res, err = e.app.Registry.Invoke(ctx, tools.Invocation{Principal: e.srv.principal(ctx), Tool: "reset_user_status", Args: args, CanAsk: true})
	if err != nil || res.Status != tools.StatusPending {
		t.Fatalf("want a pending call, got %v %v", res, err)
	}
	old := e.srv.seal(confirmState{Principal: "mcp:alice", Tool: "reset_user_status", Issued: now - 3600, Token: res.Pending.Token})
	if out := e.srv.call(ctx, "reset_user_status", args, mcp.MultiRoundTripParams{InputResponses: yes, RequestState: old}); !out.IsError {
		t.Fatalf("a late answer was accepted: %s", text(out))
	}
	fresh := e.srv.seal(confirmState{Principal: "mcp:alice", Tool: "reset_user_status", Issued: now, Token: res.Pending.Token})
	if out := e.srv.call(ctx, "reset_user_status", args, mcp.MultiRoundTripParams{InputResponses: yes, RequestState: fresh}); !out.IsError || e.sim.Count("ResetUserStatus") != 1 {
		t.Fatalf("a confirmation ended by a late answer ran: %s", text(out))
	}
}

func TestGatewayFindDescribeCall(t *testing.T) {
	e := newEnv(t, gateway())
	h := accept()
	c := e.inProcess(t, false, h)
	res := callTool(t, c, FindActions, map[string]any{"query": "reset stuck agent"})
	if res.IsError || !strings.Contains(text(res), "reset_user_status") {
		t.Fatalf("find_actions did not find reset_user_status: %s", text(res))
	}
	res = callTool(t, c, DescribeAction, map[string]any{"name": "ResetUserStatus"})
	if res.IsError || !strings.Contains(text(res), "RamIdList") {
		t.Fatalf("describe_action lacks the parameters: %s", text(res))
	}
	res = callTool(t, c, DescribeAction, map[string]any{"name": "reset_usr_status"})
	if !res.IsError {
		t.Fatal("describe_action of an unknown name should fail")
	}
	res = callTool(t, c, CallAction, map[string]any{"name": "list_agent_states", "arguments": map[string]any{}})
	if res.IsError || !strings.Contains(text(res), "mallory") {
		t.Fatalf("call_action read failed: %s", text(res))
	}
	res = callTool(t, c, CallAction, map[string]any{"name": "reset_user_status", "arguments": resetArgs(t, e.sim)})
	if res.IsError || len(h.asked()) != 1 || e.sim.Count("ResetUserStatus") != 1 || mallory(t, e.sim).Abnormal {
		t.Fatalf("call_action reset with confirmation: %s (asked %d, ran %d)", text(res), len(h.asked()), e.sim.Count("ResetUserStatus"))
	}
}

func TestPanicBecomesAnErrorResult(t *testing.T) {
	e := newEnv(t)
	e.srv.MCP().AddTool(mcp.NewTool("boom"), e.srv.guard("boom", func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		panic("kaboom")
	}))
	c := e.inProcess(t, false, nil)
	res := callTool(t, c, "boom", nil)
	if !res.IsError || !strings.Contains(text(res), "internal error") {
		t.Fatalf("want an isError result, got %q", text(res))
	}
	if res := callTool(t, c, "list_agent_states", nil); res.IsError {
		t.Fatalf("the server is broken after a panic: %s", text(res))
	}
}

func TestPromptsAndOverviewResource(t *testing.T) {
	e := newEnv(t)
	c := e.inProcess(t, false, nil)
	ctx := context.Background()
	pl, err := c.ListPrompts(ctx, mcp.ListPromptsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, p := range pl.Prompts {
		names[p.Name] = true
	}
	for _, n := range []string{PromptTriage, PromptReset, PromptInvestigate} {
		if !names[n] {
			t.Errorf("prompt %s missing", n)
		}
	}
	var gp mcp.GetPromptRequest
	gp.Params.Name = PromptTriage
	got, err := c.GetPrompt(ctx, gp)
	if err != nil {
		t.Fatal(err)
	}
	body := got.Messages[0].Content.(mcp.TextContent).Text
	for _, want := range []string{"list_agent_states", "reset_user_status", "mallory", "trent"} {
		if !strings.Contains(body, want) {
			t.Errorf("triage prompt lacks %q:\n%s", want, body)
		}
	}
	gp.Params.Name = PromptInvestigate
	gp.Params.Arguments = map[string]string{"phone_number": "+8613800001234"}
	got, err = c.GetPrompt(ctx, gp)
	if err != nil {
		t.Fatal(err)
	}
	body = got.Messages[0].Content.(mcp.TextContent).Text
	if !strings.Contains(body, "list_call_detail_records") || !strings.Contains(body, "1234") {
		t.Errorf("investigate prompt: %s", body)
	}
	var rr mcp.ReadResourceRequest
	rr.Params.URI = overviewURI(sim.DefaultInstanceID)
	rd, err := c.ReadResource(ctx, rr)
	if err != nil {
		t.Fatal(err)
	}
	ov := rd.Contents[0].(mcp.TextResourceContents).Text
	if !strings.Contains(ov, "mallory") || !strings.Contains(ov, "Agents") {
		t.Errorf("overview lacks the agents: %s", ov)
	}
}
