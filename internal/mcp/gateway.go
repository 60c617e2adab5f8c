package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cccops/cccops/internal/tools"
	"github.com/mark3labs/mcp-go/mcp"
)

// Gateway tool names.
const (
	FindActions    = "find_actions"
	DescribeAction = "describe_action"
	CallAction     = "call_action"
)

func (s *Server) addGateway() {
	find := mcp.NewToolWithRawSchema(FindActions,
		"Search the call center actions this server offers by free words (for example \"stuck agent\", \"call records\", \"phone number\"). "+
			"Returns the best matches with their name, title, toolset and risk class. Next: describe_action for one of them.",
		json.RawMessage(`{"type":"object","properties":{"query":{"type":"string","description":"Words describing what you want to do; empty lists the first actions."},"limit":{"type":"integer","minimum":1,"maximum":89,"description":"How many matches to return (default 10)."}},"additionalProperties":false}`))
	find.Title = "Find call center actions"
	find.Annotations = annotations(find.Title, toolHints(true, false, true, false))
	s.mcp.AddTool(find, s.guard(FindActions, s.gatewayFind))

	desc := mcp.NewToolWithRawSchema(DescribeAction,
		"Describe one action found with find_actions: what it does, its risk class, and the JSON Schema of its arguments. Next: call_action.",
		json.RawMessage(`{"type":"object","properties":{"name":{"type":"string","description":"Tool name (list_agent_states) or CCC action name (ListAgentStates)."}},"required":["name"],"additionalProperties":false}`))
	desc.Title = "Describe a call center action"
	desc.Annotations = annotations(desc.Title, toolHints(true, false, true, false))
	s.mcp.AddTool(desc, s.guard(DescribeAction, s.gatewayDescribe))

	call := mcp.NewToolWithRawSchema(CallAction,
		"Run one action with arguments that match its schema (see describe_action). Reads run at once; actions that add, change, remove, call or message anything wait for a human to confirm in the client, and nothing runs without that yes.",
		json.RawMessage(`{"type":"object","properties":{"name":{"type":"string","description":"Tool or CCC action name."},"arguments":{"type":"object","description":"The action's arguments, as described by describe_action."}},"required":["name"],"additionalProperties":false}`))
	call.Title = "Run a call center action"
	// The worst case of what it may run: the gate, not this hint, decides.
	call.Annotations = annotations(call.Title, toolHints(s.reg.Gate().ReadOnly(), !s.reg.Gate().ReadOnly(), false, !s.reg.Gate().ReadOnly()))
	s.mcp.AddTool(call, s.guard(CallAction, s.gatewayCall))
	s.names = []string{FindActions, DescribeAction, CallAction}
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
	var schema any
	_ = json.Unmarshal(s.inputSchema(t), &schema)
	data := map[string]any{
		"name": t.Name, "action": t.Action, "title": t.Title, "toolset": t.Toolset, "access": string(t.Access),
		"description": t.Description, "inputSchema": schema,
		"annotations": map[string]bool{"readOnlyHint": t.Annotations.ReadOnly, "destructiveHint": t.Annotations.Destructive, "idempotentHint": t.Annotations.Idempotent, "openWorldHint": t.Annotations.OpenWorld},
	}
	if s.opts.OutputSchemas && len(t.OutputSchema) > 0 {
		var out any
		_ = json.Unmarshal(t.OutputSchema, &out)
		data["outputSchema"] = out
	}
	text := t.Name + " (" + t.Action + "): " + t.Title + "\n" + t.Description + "\n\n" + t.Usage(CallAction+" name="+t.Name)
	return &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(text)}, StructuredContent: data}, nil
}

func (s *Server) gatewayCall(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	name := req.GetString("name", "")
	args, _ := req.GetArguments()["arguments"].(map[string]any)
	return s.call(ctx, name, args, req.Params.MultiRoundTripParams), nil
}

func toolHints(ro, destructive, idempotent, open bool) tools.Annotations {
	return tools.Annotations{ReadOnly: ro, Destructive: destructive, Idempotent: idempotent, OpenWorld: open}
}
