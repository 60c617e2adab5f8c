package mcp

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/store"
	"github.com/cccops/cccops/internal/tools"
)

// confirmKey names the confirmation question in an elicitation exchange.
const confirmKey = "confirm"

// elicitSupport reports whether the client of this request can be asked a
// question, and whether it speaks the 2026-07-28 protocol (input requests
// returned in the result) rather than server-initiated elicitation/create.
// A client that declared no elicitation capability is never asked.
func elicitSupport(ctx context.Context) (can, modern bool) {
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		return info.ClientCapabilities != nil && info.ClientCapabilities.Elicitation != nil, true
	}
	if sess, ok := server.ClientSessionFromContext(ctx).(server.SessionWithClientInfo); ok {
		return sess.GetClientCapabilities().Elicitation != nil, false
	}
	return false, false
}

func (s *Server) confirmParams(p policy.Principal, pend *tools.Pending) mcp.ElicitationParams {
	msg := pend.Preview
	if pend.Reason != "" {
		msg += "\n\nWhy you are asked: " + pend.Reason
	}
	msg += fmt.Sprintf("\n\nRun this now as %s? Answer within %s, or nothing happens.", tools.PrincipalName(p), s.waitFor(pend).Round(time.Second))
	return mcp.ElicitationParams{
		Mode:    mcp.ElicitationModeForm,
		Message: msg,
		RequestedSchema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				"confirm": map[string]any{
					"type":        "boolean",
					"title":       "Run it",
					"description": "Tick to run exactly what is described above.",
				},
			},
			"required": []string{"confirm"},
		},
	}
}

// confirm carries a pending call to a human: as input requests for a
// 2026-07-28 client, as elicitation/create for an older one that declared
// elicitation, or as an error result when the client cannot ask.
func (s *Server) confirm(ctx context.Context, p policy.Principal, name string, args map[string]any, res *tools.Result) *mcp.CallToolResult {
	pend := res.Pending
	can, modern := elicitSupport(ctx)
	if !can { // the gate opened a confirmation for a client that cannot ask: end it
		s.recordNotRun(ctx, p, res.Tool, pend, store.Cancelled, "the client cannot ask for confirmation")
		return mcp.NewToolResultError(pend.Preview + "\n\nA human must confirm this action before it runs, and this client cannot ask for confirmation (it did not declare elicitation). Nothing ran.")
	}
	params := s.confirmParams(p, pend)
	if modern {
		state := s.seal(confirmState{Principal: p.ID, Tool: res.Tool.Name, Issued: s.now().Unix(), Token: pend.Token})
		return server.NewInputRequestBuilder(state).Elicit(confirmKey, params).ToolResult()
	}
	wait := s.waitFor(pend)
	ectx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	answer, err := s.mcp.RequestElicitation(ectx, mcp.ElicitationRequest{
		Request: mcp.Request{Method: string(mcp.MethodElicitationCreate)},
		Params:  params,
	})
	if err != nil {
		if errors.Is(ectx.Err(), context.DeadlineExceeded) {
			s.recordNotRun(ctx, p, res.Tool, pend, store.Cancelled, fmt.Sprintf("no answer within %s", wait.Round(time.Second)))
			return mcp.NewToolResultError(fmt.Sprintf("Nobody answered the confirmation within %s. Nothing ran. Call the tool again when the user is ready to confirm.", wait.Round(time.Second)))
		}
		s.recordNotRun(ctx, p, res.Tool, pend, store.Cancelled, "could not ask the user")
		s.log.Warn("elicitation failed", "tool", res.Tool.Name, "err", err)
		return mcp.NewToolResultError("Could not ask the user to confirm: the client did not answer the question. Nothing ran. Call the tool again when the user is ready to confirm.")
	}
	return s.settle(ctx, p, name, args, res.Tool, pend, answer)
}

// waitFor is how long a human has to answer: the server's wait, but never
// past the expiry of the gate's token, which would refuse a later yes.
func (s *Server) waitFor(pend *tools.Pending) time.Duration {
	w := s.wait
	if !pend.ExpiresAt.IsZero() {
		if left := pend.ExpiresAt.Sub(s.now()); left < w {
			w = max(left, 0)
		}
	}
	return w
}

// resume handles the retry of a 2026-07-28 client: the answer comes back in
// InputResponses and the request state verbatim. The state is whatever the
// client sent, so it is checked (our MAC, the principal, the tool, the age)
// before the gate checks the token inside it.
func (s *Server) resume(ctx context.Context, p policy.Principal, name string, args map[string]any, rt mcp.MultiRoundTripParams) *mcp.CallToolResult {
	t, ok := s.reg.Lookup(name)
	if !ok {
		return renderError(&tools.Error{Kind: tools.KindUnknownTool, Message: fmt.Sprintf("unknown tool %q; find tools with find_actions or tools/list", name)})
	}
	st, err := s.open(rt.RequestState)
	if err != nil || st.Principal != p.ID || !strings.EqualFold(st.Tool, t.Name) {
		// The gate refuses the state as a proof, and audits that.
		_, _ = s.reg.Invoke(ctx, tools.Invocation{Principal: p, Tool: t.Name, Args: args, Confirmation: &tools.Confirmation{Token: "invalid-state"}})
		return mcp.NewToolResultError("The confirmation that came back with this call is missing, was altered, or belongs to another call. Nothing ran. Call the tool again without it to ask the user afresh.")
	}
	pend := &tools.Pending{Token: st.Token, Args: args}
	if age := s.now().Sub(time.Unix(st.Issued, 0)); age > s.wait {
		s.recordNotRun(ctx, p, t, pend, store.Cancelled, fmt.Sprintf("answer came after %s", age.Round(time.Second)))
		return mcp.NewToolResultError(fmt.Sprintf("The confirmation was answered after more than %s. Nothing ran. Call the tool again to ask afresh.", s.wait))
	}
	answer := server.ElicitationResponse(rt.InputResponses, confirmKey)
	if answer == nil {
		s.recordNotRun(ctx, p, t, pend, store.Cancelled, "no answer to the confirmation")
		return mcp.NewToolResultError("The retry carried no answer to the confirmation question. Nothing ran.")
	}
	return s.settle(ctx, p, name, args, t, pend, answer)
}

// settle acts on the human's answer: only an accept with the box ticked runs
// the call, with the token the gate issued and the same principal as
// approver; the gate checks the token against this exact call.
func (s *Server) settle(ctx context.Context, p policy.Principal, name string, args map[string]any, t *tools.Tool, pend *tools.Pending, answer *mcp.ElicitationResult) *mcp.CallToolResult {
	if answer == nil {
		return mcp.NewToolResultError("The client returned no answer to the confirmation. Nothing ran.")
	}
	switch answer.Action {
	case mcp.ElicitationResponseActionAccept:
		content, _ := answer.Content.(map[string]any)
		if yes, _ := content["confirm"].(bool); !yes {
			s.recordNotRun(ctx, p, t, pend, store.Declined, "the user did not tick the confirmation")
			return mcp.NewToolResultError("The user did not confirm. Nothing ran. Do not retry unless the user asks for it.")
		}
	case mcp.ElicitationResponseActionDecline:
		s.recordNotRun(ctx, p, t, pend, store.Declined, "the user declined")
		return mcp.NewToolResultError("The user declined. Nothing ran. Do not retry unless the user asks for it.")
	default:
		s.recordNotRun(ctx, p, t, pend, store.Cancelled, "the user cancelled")
		return mcp.NewToolResultError("The user cancelled the confirmation. Nothing ran.")
	}
	res, err := s.reg.Invoke(ctx, tools.Invocation{Principal: p, Tool: name, Args: args, Confirmation: &tools.Confirmation{Token: pend.Token, Approver: p}})
	if err != nil {
		return renderError(err)
	}
	if res.Status != tools.StatusOK {
		return mcp.NewToolResultError("The call still waits for a confirmation after the user's yes; nothing ran. Report this to the operator.")
	}
	return renderOK(res, "Confirmed by "+tools.PrincipalName(p)+"; done.")
}

// recordNotRun ends the request with the human's no (or silence), through
// the registry and the gate: audited, and stored so the same confirmation
// can never be accepted later.
func (s *Server) recordNotRun(ctx context.Context, p policy.Principal, t *tools.Tool, pend *tools.Pending, to store.State, reason string) {
	if err := s.reg.Withdraw(ctx, p, pend, to, reason+" (MCP confirmation)"); err != nil {
		s.log.Info("confirmation ended without running", "tool", t.Name, "note", err.Error())
	}
}

// confirmState is what the request state carries between the two rounds.
type confirmState struct {
	Principal string `json:"p"`
	Tool      string `json:"t"`
	Issued    int64  `json:"i"`
	Token     string `json:"k"`
}

func (s *Server) mac(b []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("cccops-mcp-state-v1\x00"))
	m.Write(b)
	return m.Sum(nil)
}

func (s *Server) seal(st confirmState) string {
	b, _ := json.Marshal(st)
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(s.mac(b))
}

func (s *Server) open(state string) (confirmState, error) {
	var st confirmState
	body, sig, ok := strings.Cut(state, ".")
	if !ok || len(state) > 8192 {
		return st, errors.New("malformed state")
	}
	b, err1 := base64.RawURLEncoding.DecodeString(body)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.mac(b)) {
		return st, errors.New("bad state signature")
	}
	if err := json.Unmarshal(b, &st); err != nil || st.Token == "" {
		return st, errors.New("malformed state")
	}
	return st, nil
}
