package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/cccops/cccops/internal/tools"
)

// mcpTool turns a registry tool into its MCP definition: name, title,
// description, the input schema as raw JSON, annotations from the access
// table, and the output schema when asked for.
func (s *Server) mcpTool(t *tools.Tool) mcp.Tool {
	mt := mcp.NewToolWithRawSchema(t.Name, t.Description, s.inputSchema(t))
	// The title travels once, in annotations: clients fall back to
	// annotations.title when the top-level title is absent, and clients
	// older than 2025-06-18 know only that one. The registry's description
	// already says the risk and that a human must confirm.
	mt.Annotations = annotations(t.Title, t.Annotations)
	if s.opts.OutputSchemas && len(t.OutputSchema) > 0 {
		mt.RawOutputSchema = t.OutputSchema
	}
	mt.Execution = s.taskExecution(!t.Annotations.ReadOnly) // tasks.go
	return mt
}

// annotations states all four hints explicitly, so a client that does not
// apply MCP's defaults still reads them right.
func annotations(title string, a tools.Annotations) mcp.ToolAnnotation {
	return mcp.ToolAnnotation{
		Title:           title,
		ReadOnlyHint:    mcp.ToBoolPtr(a.ReadOnly),
		DestructiveHint: mcp.ToBoolPtr(a.Destructive),
		IdempotentHint:  mcp.ToBoolPtr(a.Idempotent),
		OpenWorldHint:   mcp.ToBoolPtr(a.OpenWorld),
	}
}

// inputSchema is the schema the registry publishes for this server.
func (s *Server) inputSchema(t *tools.Tool) json.RawMessage { return s.reg.InputSchema(t) }

// toolHandler runs one registry tool.
func (s *Server) toolHandler(name string) server.ToolHandlerFunc {
	return s.guard(name, func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return s.call(ctx, name, req.GetArguments(), req.Params.MultiRoundTripParams), nil
	})
}

// guard wraps every handler: a panic becomes an error result, a call that
// route sent here under another name is answered for the name it asked
// for, and arguments that are not a JSON object are refused in words. A
// call that runs as an MCP task fails its task where any other call
// answers an error result (tasks.go).
func (s *Server) guard(name string, h server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
		ctx = withCallMeta(ctx, req)
		defer func() { res, err = asTaskOutcome(ctx, res, err) }()
		defer s.recoverInto(name, &res, &err)
		if m, ok := req.Params.Arguments.(misrouted); ok {
			return s.unlisted(ctx, m, req.Params.MultiRoundTripParams), nil
		}
		if req.Params.Arguments != nil && req.GetArguments() == nil {
			return errorResult(fmt.Sprintf("The arguments of %s must be a JSON object of parameter names and values, for example {\"PageSize\": 20}. Nothing ran.", name), nil), nil
		}
		return h(ctx, req)
	}
}

// misrouted carries a tools/call whose name is not a listed tool. Only
// route makes one (a Go value no JSON decodes into), so a client cannot
// forge it.
type misrouted struct {
	name string
	args any
}

// route runs before mcp-go looks the tool up. A name the registry resolves
// (the action name, another case, '-' for '_') becomes the listed name, so
// tools/call accepts every spelling the README promises. Any other name is
// sent to a listed tool's handler wrapped in misrouted, so the client gets
// an isError result that suggests the nearest tools instead of a bare
// JSON-RPC "tool not found".
func (s *Server) route(_ context.Context, _ any, req *mcp.CallToolRequest) {
	name := req.Params.Name
	if len(s.names) == 0 || s.mcp.GetTool(name) != nil {
		return
	}
	if c, ok := s.canonical(name); ok {
		req.Params.Name = c
		return
	}
	req.Params.Arguments = misrouted{name: name, args: req.Params.Arguments}
	req.Params.Name = s.names[0]
}

// canonical is the listed name a spelling stands for.
func (s *Server) canonical(name string) (string, bool) {
	// The server's own tools (the gateway's three, get_approval) in any
	// case, then the registry's spellings.
	n := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(name), "-", "_"))
	for _, g := range s.names {
		if n == g {
			return g, true
		}
	}
	if s.opts.Gateway {
		return "", false
	}
	if t, ok := s.reg.Lookup(name); ok && s.mcp.GetTool(t.Name) != nil {
		return t.Name, true
	}
	return "", false
}

// unlisted answers a tools/call of a name this server does not list. The
// registry words the answer (and audits a call to a tool read-only mode
// hides); in gateway mode an action's own name is pointed to call_action.
func (s *Server) unlisted(ctx context.Context, m misrouted, rt mcp.MultiRoundTripParams) *mcp.CallToolResult {
	args, ok := m.args.(map[string]any)
	if m.args != nil && !ok {
		args = nil
	}
	if !s.opts.Gateway {
		return s.call(ctx, m.name, args, rt)
	}
	if t, ok := s.reg.Lookup(m.name); ok {
		return errorResult(fmt.Sprintf("This server runs in gateway mode: it lists only %s, %s and %s. Nothing ran. Run %s through %s: %s %s (see %s for its parameters).",
			FindActions, DescribeAction, CallAction, t.Name, CallAction, CallAction, callExample(t.Name, args), DescribeAction), nil)
	}
	_, err := s.reg.Invoke(ctx, tools.Invocation{Principal: s.principal(ctx), Tool: m.name, Args: args})
	msg := "unknown tool"
	if err != nil {
		msg = s.userText(err)
	}
	return errorResult(msg+". This server runs in gateway mode: search with "+FindActions+", then run an action with "+CallAction+".", nil)
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// recoverInto turns a panic in a handler into an error result, so one bad
// call never takes the server or the session down.
func (s *Server) recoverInto(name string, res **mcp.CallToolResult, err *error) {
	if r := recover(); r != nil {
		s.log.Error("panic in tool handler", "tool", name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*res = mcp.NewToolResultError("internal error in the server while handling " + name +
			". It may or may not have reached CCC: check the current state with a read tool before trying again, and report this to the operator.")
		*err = nil
	}
}

// call is the one path of every tool call on this surface, the gateway's
// call_action included: first call, or the retry that carries a human's
// answer.
func (s *Server) call(ctx context.Context, name string, args map[string]any, rt mcp.MultiRoundTripParams) *mcp.CallToolResult {
	if args == nil {
		args = map[string]any{}
	}
	p := s.principal(ctx)
	if len(rt.InputResponses) > 0 || rt.RequestState != "" {
		return s.resume(ctx, p, name, args, rt)
	}
	can, _ := elicitSupport(ctx)
	can = can && !inTask(ctx) // a task cannot ask the client; its yes comes from Slack
	res, err := s.reg.Invoke(ctx, tools.Invocation{Principal: p, Tool: name, Args: args, CanAsk: can})
	if err != nil {
		return s.renderError(err)
	}
	if res.Status == tools.StatusPending {
		if res.Pending.InSlack {
			return s.pendingApproval(ctx, res)
		}
		return s.confirm(ctx, p, name, args, res)
	}
	return renderOK(res, "")
}

// renderOK is the structured result plus its compact text.
func renderOK(res *tools.Result, prefix string) *mcp.CallToolResult {
	text := res.Text
	if prefix != "" {
		text = prefix + "\n" + text
	}
	out := &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(text)}}
	if len(res.JSON) > 0 && !res.NoStructured {
		// Sent as the bytes the registry already encoded: no second
		// encoding, and no maps built only to be encoded again.
		out.StructuredContent = json.RawMessage(res.JSON)
		out.RawStructuredContent = res.JSON
	}
	return out
}

// errorResult is an isError result; data, when given, is its structured
// content (for example retry_after_seconds).
func errorResult(msg string, data map[string]any) *mcp.CallToolResult {
	res := mcp.NewToolResultError(msg)
	if data != nil {
		res.StructuredContent = data
	}
	return res
}

// userText is what a person sees of an error: the registry's own words
// (tools.Error.Message). Any other error is a library's, which may be a
// struct dump or carry internals: it goes to the log, and the user gets a
// sentence.
func (s *Server) userText(err error) string {
	var te *tools.Error
	if errors.As(err, &te) && te.Message != "" {
		return te.Message
	}
	s.log.Warn("unexpected error from the registry", "error", err)
	return "the call failed inside the server; it may or may not have reached CCC — check the current state with a read tool, and report this to the operator if it repeats"
}

// renderError turns a registry error into an isError result with a message
// the model can act on. A tool failure is never a protocol error. The
// registry's message is used as it is: no prefix of ours is added.
func (s *Server) renderError(err error) *mcp.CallToolResult {
	var te *tools.Error
	if !errors.As(err, &te) {
		return errorResult(s.userText(err)+".", nil)
	}
	msg := te.Message
	var data map[string]any
	switch te.Kind {
	case tools.KindRateLimited:
		data = map[string]any{"error": te.Kind}
		if te.Retry > 0 {
			wait := te.Retry.Round(time.Second)
			if wait < time.Second {
				wait = time.Second
			}
			// The gate's message already gives the time; say it once.
			if !strings.Contains(msg, "try again") {
				msg += fmt.Sprintf("; try again in %s", wait)
			}
			data["retry_after_seconds"] = int64(math.Ceil(te.Retry.Seconds()))
		}
		msg += ". The limit is per caller: every client that uses the same token shares it."
		data["message"] = msg
	case tools.KindDenied:
		msg += " Nothing ran."
	case tools.KindRefused:
		msg += " Nothing ran; call the tool again to ask for a fresh confirmation."
	}
	return errorResult(msg, data)
}
