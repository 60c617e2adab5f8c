package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"

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

// guard wraps a handler so that a panic becomes an error result.
func (s *Server) guard(name string, h server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
		defer s.recoverInto(name, &res, &err)
		return h(ctx, req)
	}
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
	res, err := s.reg.Invoke(ctx, tools.Invocation{Principal: p, Tool: name, Args: args, CanAsk: can})
	if err != nil {
		return renderError(err)
	}
	if res.Status == tools.StatusPending {
		if res.Pending.InSlack {
			return s.pendingApproval(res)
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
	if res.Data != nil {
		out.StructuredContent = res.Data
		// Sent as the bytes the registry already encoded: no second encoding.
		out.RawStructuredContent = res.JSON
	}
	return out
}

// renderError turns a registry error into an isError result with a message
// the model can act on. A tool failure is never a protocol error.
func renderError(err error) *mcp.CallToolResult {
	var te *tools.Error
	if !errors.As(err, &te) {
		return mcp.NewToolResultError("the call failed: " + err.Error())
	}
	msg := te.Message
	switch te.Kind {
	case tools.KindRateLimited:
		if te.Retry > 0 {
			msg += fmt.Sprintf(" (try again in %s)", te.Retry.Round(1e9))
		}
	case tools.KindDenied:
		msg += " Nothing ran."
	case tools.KindRefused:
		msg += " Nothing ran; call the tool again to ask for a fresh confirmation."
	}
	return mcp.NewToolResultError(msg)
}
