package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cccops/cccops/internal/store"
	"github.com/cccops/cccops/internal/tools"
)

// getApprovalTool is the one tool that is not a CCC action: it reads the
// state (and, once it ran, the result) of a call that waits for an
// approver in Slack.
const getApprovalTool = "get_approval"

func (s *Server) addApprovalTool() {
	t := mcp.NewTool(getApprovalTool,
		mcp.WithDescription("State of a call that waits for a human's approval in Slack, and its result once the approved call ran. Only the principal that asked can read it. States: pending, approved, sending, done, failed, denied, declined, cancelled, expired."),
		mcp.WithString("approval_id", mcp.Required(), mcp.Description("The approval_id the pending call returned (apr_…).")),
	)
	t.Annotations = annotations("Get approval", tools.Annotations{ReadOnly: true, Idempotent: true})
	s.mcp.AddTool(t, s.guard(getApprovalTool, func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		id, _ := req.GetArguments()["approval_id"].(string)
		return s.getApproval(ctx, strings.TrimSpace(id)), nil
	}))
	s.names = append(s.names, getApprovalTool)
}

// pendingApproval is the answer to a call that now waits for an approver
// in Slack (tasks.go): a task-augmented call waits in its task; with
// --approval-wait the call first waits for a quick yes; else, or when the
// wait ends with no answer, the pending result.
func (s *Server) pendingApproval(ctx context.Context, res *tools.Result) *mcp.CallToolResult {
	m := callMetaFrom(ctx)
	if m.task != nil {
		return s.awaitTask(ctx, res, m.task)
	}
	if s.opts.ApprovalWait > 0 {
		if out := s.awaitQuick(ctx, res, m.progress); out != nil {
			return out
		}
	}
	return s.pendingResult(res)
}

func approverWords(pend *tools.Pending) string {
	if pend.FourEyes {
		return "a second person holding an approver role (four eyes)"
	}
	return "an approver"
}

// pendingResult is text no model can take for success, and the
// approval's id and state to poll with get_approval.
func (s *Server) pendingResult(res *tools.Result) *mcp.CallToolResult {
	pend := res.Pending
	text := fmt.Sprintf("NOT RUN YET. %s waits for %s to approve it in Slack, until %s. Nothing has run. "+
		"Tell the user what will happen and that it waits for approval; check later with get_approval approval_id=%q. Do not call %s again for the same change.\n\nWhat will run: %s",
		res.Tool.Name, approverWords(pend), pend.ExpiresAt.UTC().Format(time.RFC3339), pend.ID, res.Tool.Name, pend.Preview)
	out := &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(text)}}
	out.StructuredContent = map[string]any{
		"approval_id": pend.ID, "state": string(store.Pending), "ran": false,
		"expires_at": pend.ExpiresAt.UTC().Format(time.RFC3339), "tool": res.Tool.Name, "four_eyes": pend.FourEyes,
	}
	return out
}

// getApproval renders a stored request for its requester.
func (s *Server) getApproval(ctx context.Context, id string) *mcp.CallToolResult {
	if id == "" {
		return mcp.NewToolResultError("approval_id is required: pass the approval_id that the pending call returned (it starts with apr_).")
	}
	p := s.principal(ctx)
	req, err := s.reg.Gate().Request(ctx, id, p)
	if err != nil {
		return mcp.NewToolResultError(err.Error())
	}
	out := s.renderRequest(req)
	out.IsError = req.State == store.Failed
	return out
}

// renderRequest is a stored request in words and structured content, its
// result included once the approved call ran. Only its requester may see
// it.
func (s *Server) renderRequest(req *store.Request) *mcp.CallToolResult {
	sc := map[string]any{"approval_id": req.ID, "state": string(req.State), "tool": req.Tool,
		"expires_at": req.ExpiresAt.UTC().Format(time.RFC3339), "ran": req.State == store.Done || req.State == store.Failed || req.State == store.Sending}
	var line string
	switch req.State {
	case store.Pending:
		line = fmt.Sprintf("Still waiting for approval in Slack, until %s. Nothing has run.", req.ExpiresAt.UTC().Format(time.RFC3339))
	case store.Approved, store.Sending:
		line = fmt.Sprintf("Approved by %s and handed to CCC; no outcome is recorded yet. If this lasts, the process that ran it may have stopped: the call may have run — check the state with a read tool; nothing runs it again by itself.", req.Approver)
	case store.Done:
		line = fmt.Sprintf("Approved by %s and run. CCC RequestId %s.", req.Approver, req.RequestID)
	case store.Failed:
		line = fmt.Sprintf("Approved by %s, but CCC answered an error: %s", req.Approver, req.Error)
	case store.Denied:
		line = fmt.Sprintf("Denied by %s. Nothing ran. Do not retry unless the user asks for it.", req.By)
	case store.Declined, store.Cancelled:
		line = fmt.Sprintf("Cancelled (%s). Nothing ran.", req.Reason)
	case store.Expired:
		line = "Expired: nobody approved it in time. Nothing ran. Ask the user before requesting it again."
	}
	if req.Approver != "" {
		sc["approved_by"] = req.Approver
	}
	if req.RequestID != "" {
		sc["request_id"] = req.RequestID
	}
	text := req.Tool + " (" + req.ID + "): " + line
	if len(req.Result) > 0 {
		var v any
		if json.Unmarshal(req.Result, &v) == nil {
			sc["result"] = v
		}
		text += "\nResult (phone numbers masked): " + string(req.Result)
	}
	return &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(text)}, StructuredContent: sc}
}
