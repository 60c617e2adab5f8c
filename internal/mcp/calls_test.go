package mcp

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cccops/cccops/internal/app"
	"github.com/cccops/cccops/internal/tools"
)

// tools/call accepts every spelling a registry lookup accepts (the action
// name, another case, '-' for '_'), and an unknown name is an isError result
// that suggests the nearest tools — never mcp-go's bare -32602.
func TestToolsCallAcceptsEverySpellingAndSuggestsForUnknownNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, modern := range []bool{false, true} {
		t.Run(fmt.Sprintf("modern=%v", modern), func(t *testing.T) {
			c := e.inProcess(t, modern, nil)
			for _, name := range []string{"ListAgentStates", "LIST_AGENT_STATES", "list-agent-states", "List_Agent_States"} {
				before := e.sim.Count("ListAgentStates")
				res := callTool(t, c, name, map[string]any{"PageSize": 5})
				if res.IsError || !strings.Contains(text(res), "RequestId") {
					t.Fatalf("tools/call %s: %s", name, text(res))
				}
				if e.sim.Count("ListAgentStates") != before+1 {
					t.Fatalf("tools/call %s did not reach CCC once", name)
				}
			}
			res := callTool(t, c, "list_agent_state", map[string]any{})
			if !res.IsError || !strings.Contains(text(res), `unknown tool "list_agent_state"`) || !strings.Contains(text(res), "did you mean") {
				t.Fatalf("unknown name: want an isError result with suggestions, got %q", text(res))
			}
			// Arguments that are not an object are refused in words.
			var req mcp.CallToolRequest
			req.Params.Name = "list_agent_states"
			req.Params.Arguments = []any{1, 2}
			out, err := c.CallTool(t.Context(), req)
			if err != nil || !out.IsError || !strings.Contains(text(out), "JSON object") {
				t.Fatalf("array arguments: %v %+v", err, out)
			}
		})
	}
}

// In gateway mode the three gateway tools answer to any case, and an
// action's own name points to call_action with a JSON example.
func TestGatewayToolsCallSpellings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gateway())
	c := e.inProcess(t, false, nil)
	if res := callTool(t, c, "FIND_ACTIONS", map[string]any{"query": "agent states"}); res.IsError {
		t.Fatalf("FIND_ACTIONS: %s", text(res))
	}
	res := callTool(t, c, "ListAgentStates", map[string]any{"PageSize": 5})
	if !res.IsError || !strings.Contains(text(res), `call_action {"name":"list_agent_states","arguments":{"PageSize":5}}`) {
		t.Fatalf("an action name in gateway mode: %s", text(res))
	}
	if n := e.sim.Count("ListAgentStates"); n != 0 {
		t.Fatalf("the misdirected call reached CCC %d times", n)
	}
	res = callTool(t, c, "nonsense_tool", nil)
	if !res.IsError || !strings.Contains(text(res), "unknown tool") || !strings.Contains(text(res), "find_actions") {
		t.Fatalf("unknown name in gateway mode: %s", text(res))
	}
}

var dump = regexp.MustCompile(`&\{|Got:|Want:|Missing:|map\[|Go struct`)

// Every validation error is the registry's: the parameter named, what it
// expects in words. Driven through a real mcp-go client over every tool
// with missing, unknown and wrongly typed arguments.
func TestValidationErrorsAreWordsNotStructDumps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.inProcess(t, false, nil)
	wrong := func(p string, typ, items string) any {
		switch typ {
		case "integer", "boolean":
			return "not-a-" + typ
		case "array":
			if items == "integer" {
				return []any{"x"}
			}
			return []any{map[string]any{"nested": true}}
		}
		return 12345
	}
	calls := 0
	for _, tl := range e.app.Registry.Tools() {
		check := func(args map[string]any, must ...string) {
			t.Helper()
			calls++
			res := callTool(t, c, tl.Name, args)
			if !res.IsError {
				t.Fatalf("%s %v: ran, want an isError result", tl.Name, args)
			}
			msg := text(res)
			if dump.MatchString(msg) {
				t.Fatalf("%s %v: a struct dump reached the user: %s", tl.Name, args, msg)
			}
			for _, m := range must {
				if !strings.Contains(msg, m) {
					t.Fatalf("%s %v: %q does not name %q", tl.Name, args, msg, m)
				}
			}
		}
		check(map[string]any{"NoSuchParam": 1}, "NoSuchParam", "no such parameter")
		for _, p := range tl.Input().Props {
			// The other required parameters are valid, so the error is
			// about p.
			args := map[string]any{}
			for _, q := range tl.Input().Props {
				if q.Required {
					args[q.Name] = exampleValue(q)
				}
			}
			args[p.Name] = wrong(p.Name, p.Type, p.Items)
			check(args, p.Name)
		}
		var missing []string
		for _, p := range tl.Input().Props {
			if p.Required && p.Name != "InstanceId" {
				missing = append(missing, p.Name)
			}
		}
		if len(missing) > 0 {
			check(map[string]any{}, "required")
		}
	}
	if calls < 300 {
		t.Fatalf("only %d bad calls made; the test lost its coverage", calls)
	}
	for _, a := range []string{"ResetUserStatus", "DialEx", "RemoveUsers", "ListUsers"} {
		if n := e.sim.Count(a); n != 0 {
			t.Fatalf("%s reached CCC %d times with bad arguments", a, n)
		}
	}
}

// A rate-limited call gives the retry time once in its text, and
// retry_after_seconds in its structured content.
func TestRateLimitedCallSaysWhenOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *app.Config, _ *Options) { c.RateLimit = 1 })
	c := e.inProcess(t, false, nil)
	if res := callTool(t, c, "list_agent_states", nil); res.IsError {
		t.Fatalf("first call: %s", text(res))
	}
	res := callTool(t, c, "list_agent_states", nil)
	msg := text(res)
	if !res.IsError || strings.Count(msg, "try again in") != 1 || !strings.Contains(msg, "same token") {
		t.Fatalf("rate-limited text: %q", msg)
	}
	data, _ := res.StructuredContent.(map[string]any)
	secs, _ := data["retry_after_seconds"].(float64)
	if data["error"] != tools.KindRateLimited || secs < 1 || secs > 60 {
		t.Fatalf("structured content of a rate-limited call: %#v", res.StructuredContent)
	}
}

// --read-only lists no secret (credential-returning) tool, and a call to one
// by name is refused by the gate, audited, and never reaches CCC;
// --read-only-secrets brings them back.
func TestReadOnlyHidesAndRefusesSecretTools(t *testing.T) {
	t.Parallel()
	var secrets []*tools.Tool
	for _, tl := range catalog(t) {
		if tl.Access == "secret" {
			secrets = append(secrets, tl)
		}
	}
	if len(secrets) != 4 {
		t.Fatalf("catalog has %d secret tools, want 4", len(secrets))
	}
	e := newEnv(t, readOnly())
	c := e.inProcess(t, false, nil)
	listed := map[string]bool{}
	for _, mt := range listTools(t, c) {
		listed[mt.Name] = true
	}
	for _, tl := range secrets {
		if listed[tl.Name] {
			t.Errorf("read-only lists the secret tool %s", tl.Name)
		}
		res := callTool(t, c, tl.Name, map[string]any{})
		if !res.IsError {
			t.Errorf("read-only ran %s: %s", tl.Name, text(res))
		}
		if n := e.sim.Count(tl.Action); n != 0 {
			t.Errorf("%s reached CCC %d times in read-only mode", tl.Action, n)
		}
	}
	refused := map[string]bool{}
	for _, r := range e.auditRecords(t) {
		if r.Result == "refused" && strings.Contains(r.Reason, "read-only") {
			refused[r.Action] = true
		}
	}
	for _, tl := range secrets {
		if !refused[tl.Action] {
			t.Errorf("no audited read-only refusal of %s", tl.Action)
		}
	}

	e = newEnv(t, func(c *app.Config, _ *Options) { c.ReadOnly, c.ReadOnlySecrets = true, true })
	names := strings.Join(e.srv.ToolNames(), ",")
	for _, tl := range secrets {
		if !strings.Contains(","+names+",", ","+tl.Name+",") {
			t.Errorf("--read-only-secrets does not list %s", tl.Name)
		}
	}
}

// The person confirming in their own client sees the numbers in full; the
// audit and the result the model reads keep them masked.
func TestConfirmationFormShowsFullNumbersAuditStaysMasked(t *testing.T) {
	t.Parallel()
	const callee, caller = "13912349000", "13800001111"
	e := newEnv(t)
	h := decline()
	c := e.inProcess(t, false, h)
	res := callTool(t, c, "start_back2_back_call", map[string]any{"Callee": callee, "Caller": caller})
	if !res.IsError || e.sim.Count("StartBack2BackCall") != 0 {
		t.Fatalf("declined call: %s", text(res))
	}
	asked := h.asked()
	if len(asked) != 1 || !strings.Contains(asked[0], callee) || !strings.Contains(asked[0], caller) {
		t.Fatalf("the confirmation form does not show the full numbers: %q", asked)
	}
	if strings.Contains(text(res), callee) {
		t.Fatalf("the result the model reads shows the full number: %s", text(res))
	}
	raw, err := os.ReadFile(e.audit)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), callee) || strings.Contains(string(raw), caller) {
		t.Fatalf("the audit holds a full number: %s", raw)
	}
	if !strings.Contains(string(raw), "9000") {
		t.Fatalf("the audit lost the masked number: %s", raw)
	}
}

// internal/mcp adds no prefix of its own to the registry's message, and a
// library error never reaches the user as its own text.
func TestErrorsKeepTheRegistryWordsAndHideLibraryText(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const msg = "confirmation refused: the token expired; ask again"
	out := text(e.srv.renderError(&tools.Error{Kind: tools.KindRefused, Message: msg}))
	if !strings.HasPrefix(out, msg) || strings.Count(out, "confirmation refused") != 1 {
		t.Fatalf("refusal rendered as %q", out)
	}
	lib := fmt.Errorf("wrapped: %w", errors.New(`&{Got:string Want:[integer]} at 0xc000123`))
	out = text(e.srv.renderError(lib))
	if dump.MatchString(out) || strings.Contains(out, "0xc000") || !strings.Contains(out, "operator") {
		t.Fatalf("library error rendered as %q", out)
	}
}

// describe_action's text alone is enough to call the action: every
// parameter with its type and whether it is required (InstanceId optional
// with a default instance), and a call_action example in the JSON
// call_action takes, which passes validation.
func TestDescribeActionTextIsACorrectCallAction(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gateway())
	c := e.inProcess(t, false, nil)
	example := regexp.MustCompile(`(?m)^\{"name":.*\}$`)
	for _, tl := range e.app.Registry.Tools() {
		res := callTool(t, c, DescribeAction, map[string]any{"name": tl.Action})
		body := text(res)
		if res.IsError {
			t.Fatalf("describe %s: %s", tl.Name, body)
		}
		if strings.Contains(body, "name="+tl.Name) || strings.Count(body, tl.Name) > 3 {
			t.Fatalf("describe %s repeats the name or uses Key=Value:\n%s", tl.Name, body)
		}
		for _, p := range tl.Input().Props {
			if !strings.Contains(body, "- "+p.Name+" (") {
				t.Fatalf("describe %s does not list %s:\n%s", tl.Name, p.Name, body)
			}
		}
		if tl.HasParam("InstanceId") && !strings.Contains(body, "InstanceId (string, optional)") {
			t.Fatalf("describe %s calls InstanceId required though a default instance exists:\n%s", tl.Name, body)
		}
		line := example.FindString(body)
		var ex struct {
			Name      string         `json:"name"`
			Arguments map[string]any `json:"arguments"`
		}
		if err := json.Unmarshal([]byte(line), &ex); err != nil || ex.Name != tl.Name || ex.Arguments == nil {
			t.Fatalf("describe %s: example %q is not call_action JSON (%v):\n%s", tl.Name, line, err, body)
		}
		if _, ok := res.StructuredContent.(map[string]any)["inputSchema"]; !ok {
			t.Fatalf("describe %s lost its structured schema", tl.Name)
		}
		if tl.Access != "read" {
			continue
		}
		// The example validates: running it fails, if at all, in CCC
		// (placeholders name nothing), never on the arguments.
		out := callTool(t, c, CallAction, map[string]any{"name": ex.Name, "arguments": ex.Arguments})
		if out.IsError && strings.Contains(text(out), "invalid arguments") {
			t.Fatalf("the example of %s does not validate: %s\n%s", tl.Name, text(out), line)
		}
	}
}

// Filters that leave nothing refuse to build a server, with the reason.
func TestNoServerWithoutTools(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opt  envOpt
		want string
	}{
		{filter(tools.Filter{Toolsets: []string{"agents"}, Include: []string{"list_agent_states"}}), "list_agent_states is in toolset reports"},
		{func(c *app.Config, _ *Options) { c.ReadOnly, c.Filter.Include = true, []string{"reset_user_status"} }, "read-only"},
	} {
		err := tryEnv(t, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want a refusal naming %q, got %v", tc.want, err)
		}
	}
}

// Prompts, their descriptions, the instructions and the overview name only
// tools the server lists.
func TestPromptsAndInstructionsNameOnlyListedTools(t *testing.T) {
	t.Parallel()
	all := catalog(t)
	for _, tc := range []struct {
		name string
		opt  envOpt
	}{
		{"toolsets=reports", filter(tools.Filter{Toolsets: []string{"reports"}})},
		{"toolsets=agents", filter(tools.Filter{Toolsets: []string{"agents"}})},
		{"read-only", readOnly()},
		{"tools=list_call_detail_records", filter(tools.Filter{Include: []string{"list_call_detail_records"}})},
		{"all", func(*app.Config, *Options) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opt)
			c := e.inProcess(t, false, nil)
			listed := map[string]bool{}
			for _, n := range e.srv.ToolNames() {
				listed[n] = true
			}
			ctx := t.Context()
			var texts []string
			init, err := c.Initialize(ctx, mcp.InitializeRequest{})
			if err != nil {
				t.Fatal(err)
			}
			texts = append(texts, init.Instructions)
			pl, err := c.ListPrompts(ctx, mcp.ListPromptsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pl.Prompts {
				texts = append(texts, p.Description)
				for _, a := range p.Arguments {
					texts = append(texts, a.Description)
				}
				var gp mcp.GetPromptRequest
				gp.Params.Name = p.Name
				gp.Params.Arguments = map[string]string{"agent": "mallory", "phone_number": "+8613800001234"}
				got, err := c.GetPrompt(ctx, gp)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range got.Messages {
					texts = append(texts, m.Content.(mcp.TextContent).Text)
				}
			}
			var rr mcp.ReadResourceRequest
			rr.Params.URI = overviewURI("ccc-sim-shanghai")
			if rd, err := c.ReadResource(ctx, rr); err == nil {
				texts = append(texts, rd.Contents[0].(mcp.TextResourceContents).Text)
			}
			joined := strings.Join(texts, "\n")
			for _, tl := range all {
				if !listed[tl.Name] && regexp.MustCompile(`\b`+tl.Name+`\b`).MatchString(joined) {
					t.Errorf("%s is not listed but named:\n%s", tl.Name, joined)
				}
			}
			if tc.name == "toolsets=reports" && !strings.Contains(joined, "cannot reset") {
				t.Errorf("the triage prompt does not say this server cannot reset:\n%s", joined)
			}
		})
	}
}

// tryEnv is newEnv that returns the error of building the server.
func tryEnv(t *testing.T, opts ...envOpt) error {
	t.Helper()
	cfg := app.Config{Backend: app.BackendSim, AuditPath: "off", TokenSecret: testSecret, Logger: app.Discard()}
	o := Options{Logger: app.Discard()}
	for _, f := range opts {
		f(&cfg, &o)
	}
	a, err := app.Open(cfg)
	if err != nil {
		return err
	}
	t.Cleanup(func() { a.Close() })
	o.Registry = a.Registry
	_, err = New(o)
	return err
}
