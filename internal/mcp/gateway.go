package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/cccops/cccops/internal/schema"
	"github.com/cccops/cccops/internal/tools"
)

// Gateway tool names.
const (
	FindActions    = "find_actions"
	DescribeAction = "describe_action"
	CallAction     = "call_action"
)

// The gateway tools' own input schemas; their arguments are validated with
// the same validator as the registry's, so errors read the same.
const (
	findSchema     = `{"type":"object","properties":{"query":{"type":"string","description":"Words describing what you want to do; empty lists the first actions."},"limit":{"type":"integer","minimum":1,"maximum":89,"description":"How many matches to return (default 10)."}},"additionalProperties":false}`
	describeSchema = `{"type":"object","properties":{"name":{"type":"string","description":"Tool name (list_agent_states) or CCC action name (ListAgentStates)."}},"required":["name"],"additionalProperties":false}`
	callSchema     = `{"type":"object","properties":{"name":{"type":"string","description":"Tool or CCC action name."},"arguments":{"type":"object","description":"The action's arguments, as described by describe_action."}},"required":["name"],"additionalProperties":false}`
)

func (s *Server) addGateway() error {
	add := func(t mcp.Tool, raw string, h server.ToolHandlerFunc) error {
		// Compiled on the first call (TestGatewaySchemasCompile compiles them).
		sch := schema.Lazy(json.RawMessage(raw))
		s.mcp.AddTool(t, s.guard(t.Name, func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if err := sch.Validate(orEmpty(req.GetArguments())); err != nil {
				return errorResult(fmt.Sprintf("invalid arguments for %s: %s. Nothing ran.", t.Name, err.Error()), nil), nil
			}
			return h(ctx, req)
		}))
		s.names = append(s.names, t.Name)
		return nil
	}
	find := mcp.NewToolWithRawSchema(FindActions,
		"Search the call center actions this server offers by free words (for example \"stuck agent\", \"call records\", \"phone number\"). "+
			"Returns the best matches with their name, title, toolset and risk class. Next: describe_action for one of them.",
		json.RawMessage(findSchema))
	find.Title = "Find call center actions"
	find.Annotations = annotations(find.Title, toolHints(true, false, true, false))

	desc := mcp.NewToolWithRawSchema(DescribeAction,
		"Describe one action found with find_actions: what it does, its risk class, its parameters and a call_action example. Next: call_action.",
		json.RawMessage(describeSchema))
	desc.Title = "Describe a call center action"
	desc.Annotations = annotations(desc.Title, toolHints(true, false, true, false))

	call := mcp.NewToolWithRawSchema(CallAction,
		"Run one action: {\"name\": \"list_agent_states\", \"arguments\": {\"PageSize\": 20}} (see describe_action for its parameters). Reads run at once; actions that add, change, remove, call or message anything wait for a human to confirm in the client, and nothing runs without that yes.",
		json.RawMessage(callSchema))
	call.Title = "Run a call center action"
	// The worst case of what it may run: the gate, not this hint, decides.
	ro := s.reg.Gate().ReadOnly()
	call.Annotations = annotations(call.Title, toolHints(ro, !ro, false, !ro))
	call.Execution = s.taskExecution(!ro) // tasks.go

	s.names = nil
	for _, g := range []struct {
		t   mcp.Tool
		raw string
		h   server.ToolHandlerFunc
	}{{find, findSchema, s.gatewayFind}, {desc, describeSchema, s.gatewayDescribe}, {call, callSchema, s.gatewayCall}} {
		if err := add(g.t, g.raw, g.h); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) gatewayFind(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	hits := s.reg.Find(req.GetString("query", ""), req.GetInt("limit", 10))
	rows := make([]map[string]any, 0, len(hits))
	var b strings.Builder
	for _, t := range hits {
		rows = append(rows, map[string]any{"name": t.Name, "action": t.Action, "title": t.Title, "toolset": t.Toolset, "access": string(t.Access)})
		fmt.Fprintf(&b, "%s — %s [%s, %s]\n", t.Name, t.Title, t.Toolset, t.Access)
	}
	if len(hits) == 0 {
		b.WriteString("No action matches; try other words, or an empty query to list some.")
	} else {
		b.WriteString("Next: describe_action with one of these names.")
	}
	return &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(b.String())}, StructuredContent: map[string]any{"actions": rows}}, nil
}

func (s *Server) gatewayDescribe(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	name := req.GetString("name", "")
	t, ok := s.reg.Lookup(name)
	if !ok {
		msg := fmt.Sprintf("No action named %q on this server.", name)
		if hits := s.reg.Find(strings.NewReplacer("_", " ", "-", " ").Replace(name), 3); len(hits) > 0 {
			names := make([]string, len(hits))
			for i, h := range hits {
				names[i] = h.Name
			}
			msg += " Did you mean " + strings.Join(names, ", ") + "?"
		}
		return mcp.NewToolResultError(msg + " Search with find_actions."), nil
	}
	served := s.inputSchema(t)
	var doc any
	_ = json.Unmarshal(served, &doc)
	data := map[string]any{
		"name": t.Name, "action": t.Action, "title": t.Title, "toolset": t.Toolset, "access": string(t.Access),
		"description": t.Description, "inputSchema": doc,
		"annotations": map[string]bool{"readOnlyHint": t.Annotations.ReadOnly, "destructiveHint": t.Annotations.Destructive, "idempotentHint": t.Annotations.Idempotent, "openWorldHint": t.Annotations.OpenWorld},
	}
	if s.opts.OutputSchemas && len(t.OutputSchema) > 0 {
		var out any
		_ = json.Unmarshal(t.OutputSchema, &out)
		data["outputSchema"] = out
	}
	text, err := s.describeText(t, served)
	if err != nil {
		s.log.Warn("served schema does not compile", "tool", t.Name, "error", err)
		return errorResult("The parameters of "+t.Name+" could not be described; report this to the operator.", nil), nil
	}
	return &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(text)}, StructuredContent: data}, nil
}

// describeText is the whole description in text, for clients that never
// show structured content to the model: what the action does, its risk,
// every parameter (from the schema this server serves, so InstanceId is
// optional when a default instance exists), and a call_action example in
// the JSON call_action takes.
func (s *Server) describeText(t *tools.Tool, served json.RawMessage) (string, error) {
	sch, err := schema.Compile(served)
	if err != nil {
		return "", err
	}
	props := append([]schema.Prop(nil), sch.Props...)
	sort.SliceStable(props, func(i, j int) bool { return props[i].Required && !props[j].Required })
	var b strings.Builder
	fmt.Fprintf(&b, "%s (CCC action %s): %s\n%s\n", t.Name, t.Action, t.Title, t.Description)
	fmt.Fprintf(&b, "Risk: %s. %s\n\n", t.Access, riskWords(t, s.reg.Gate().ReadOnly()))
	if len(props) == 0 {
		b.WriteString("Parameters: none.\n")
	} else {
		b.WriteString("Parameters (names are case-sensitive):\n")
		for _, p := range props {
			req := "optional"
			if p.Required {
				req = "required"
			}
			desc := strings.TrimSpace(p.Description)
			if desc != "" {
				desc = ": " + desc
			}
			fmt.Fprintf(&b, "- %s (%s, %s)%s\n", p.Name, p.TypeText(), req, desc)
		}
	}
	args := map[string]any{}
	for _, p := range props {
		if p.Required {
			args[p.Name] = exampleValue(p)
		}
	}
	if len(args) == 0 {
		// No required parameter: show one that narrows the call, so the
		// example is not "everything" by accident.
		for _, p := range sch.Props {
			if p.Name != "InstanceId" && p.Name != "PageNumber" && p.Name != "PageSize" {
				args[p.Name] = exampleValue(p)
				break
			}
		}
	}
	fmt.Fprintf(&b, "\nCall it with %s (replace the <…> values):\n%s", CallAction, callExample(t.Name, args))
	return b.String(), nil
}

// callExample is call_action's arguments as one line of JSON, name first,
// with <…> placeholders left readable.
func callExample(name string, args map[string]any) string {
	enc := func(v any) string {
		var buf bytes.Buffer
		e := json.NewEncoder(&buf)
		e.SetEscapeHTML(false)
		_ = e.Encode(v)
		return strings.TrimSpace(buf.String())
	}
	return `{"name":` + enc(name) + `,"arguments":` + enc(orEmpty(args)) + `}`
}

func riskWords(t *tools.Tool, readOnly bool) string {
	switch {
	case t.Access == "read":
		return "It only reads and runs at once."
	case readOnly:
		return "This server is read-only, so it is refused here."
	case t.Access == "secret":
		return "It returns credentials: keep the result private."
	}
	return "A human must confirm it in the client before it runs (unless the server's policy says otherwise)."
}

// exampleValue is a placeholder of the parameter's type: an allowed value
// of an enum, the minimum of a bounded integer, else <Name>.
func exampleValue(p schema.Prop) any {
	if p.Time && p.Type != "array" {
		// Times take relative forms: an hour ago until now.
		if strings.Contains(p.Name, "Stop") || strings.Contains(p.Name, "End") {
			return "now"
		}
		return "1h"
	}
	one := func(typ string) any {
		if len(p.Enum) > 0 {
			return p.Enum[0]
		}
		switch typ {
		case "integer", "number":
			if p.Name == "PageSize" && (p.Maximum == nil || *p.Maximum >= 20) {
				return 20
			}
			if p.Minimum != nil {
				return int64(*p.Minimum)
			}
			return 1
		case "boolean":
			return true
		}
		return "<" + p.Name + ">"
	}
	if p.Type == "array" {
		return []any{one(p.Items)}
	}
	return one(p.Type)
}

func (s *Server) gatewayCall(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	name := req.GetString("name", "")
	args, _ := req.GetArguments()["arguments"].(map[string]any)
	return s.call(ctx, name, args, req.Params.MultiRoundTripParams), nil
}

func toolHints(ro, destructive, idempotent, open bool) tools.Annotations {
	return tools.Annotations{ReadOnly: ro, Destructive: destructive, Idempotent: idempotent, OpenWorld: open}
}
