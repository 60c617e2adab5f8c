package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/store"
)

// Caller sends a typed request to CCC; *ccc.Client is one.
type Caller interface {
	Call(ctx context.Context, req ccc.Request) (json.RawMessage, error)
}

// Config builds a Registry.
type Config struct {
	Client Caller       // required
	Gate   *policy.Gate // required: the one gate
	// DefaultInstance fills InstanceId when a call leaves it out.
	DefaultInstance string
	// Timeout bounds each CCC call made by Invoke (default 30 s).
	Timeout time.Duration
	// StuckAfter: holding any state but Ready or Offline longer than this
	// counts as stuck (default DefaultStuckAfter); see stuck.go.
	StuckAfter time.Duration
	// Filter limits which tools are listed and callable.
	Filter Filter
	Logger *slog.Logger
	Now    func() time.Time
	// Results says how results are rendered: the zone of readable times,
	// and whether structured content is sent (see result.go).
	Results ResultOptions
}

// Registry holds the tools and runs them.
type Registry struct {
	cfg    Config
	all    []*Tool
	tools  []*Tool
	byName map[string]*Tool
	// readOnlyHidden are the tools a read-only gate keeps off the list.
	readOnlyHidden map[string]*Tool
	log            *slog.Logger
}

// New builds the registry.
func New(cfg Config) (*Registry, error) {
	if cfg.Client == nil || cfg.Gate == nil {
		return nil, errors.New("tools: a CCC client and a policy gate are both required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	all, err := Catalog()
	if err != nil {
		return nil, err
	}
	if err := cfg.Filter.Check(all); err != nil {
		return nil, err
	}
	r := &Registry{cfg: cfg, all: all, byName: map[string]*Tool{}, readOnlyHidden: map[string]*Tool{}, log: cfg.Logger}
	for _, t := range all {
		if !cfg.Filter.Allows(t) {
			continue
		}
		if !cfg.Gate.ReadOnlyAllows(t.Access) {
			// Not listed, but a call by name still reaches the gate, so
			// the refusal is decided and audited there.
			r.readOnlyHidden[strings.ToLower(t.Name)] = t
			r.readOnlyHidden[strings.ToLower(t.Action)] = t
			continue
		}
		r.tools = append(r.tools, t)
		r.byName[strings.ToLower(t.Name)] = t
		r.byName[strings.ToLower(t.Action)] = t
	}
	return r, nil
}

// Tools lists the enabled tools in the overview's order.
func (r *Registry) Tools() []*Tool { return r.tools }

// Gate returns the registry's policy gate.
func (r *Registry) Gate() *policy.Gate { return r.cfg.Gate }

// InputSchema is the tool's input schema as this registry serves it: with a
// default instance, InstanceId is optional (Invoke fills it in) and its
// description says which instance that is.
func (r *Registry) InputSchema(t *Tool) json.RawMessage {
	return t.withDefaultInstance(r.cfg.DefaultInstance) // catalog.go
}

// InstanceSettings reads an instance's own settings (GetInstance) as p: its
// scalar fields, by name.
func (r *Registry) InstanceSettings(ctx context.Context, p policy.Principal, instance string) (map[string]any, error) {
	data, err := r.readOK(ctx, p, "GetInstance", map[string]any{"InstanceId": instance})
	if err != nil {
		return nil, err
	}
	inner, _ := data["Instance"].(map[string]any)
	if inner == nil {
		inner = data
	}
	out := map[string]any{}
	for k, v := range inner {
		switch v.(type) {
		case map[string]any, []any:
			continue
		}
		out[k] = v
	}
	return out, nil
}

// DefaultInstance is the instance used when a call names none.
func (r *Registry) DefaultInstance() string { return r.cfg.DefaultInstance }

// Lookup finds an enabled tool by tool name or action name, ignoring case
// (and '-' for '_').
func (r *Registry) Lookup(name string) (*Tool, bool) {
	t, ok := r.byName[normName(name)]
	return t, ok
}

func normName(name string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(name), "-", "_"))
}

// Invocation is one request to run a tool.
type Invocation struct {
	Principal policy.Principal
	Tool      string         // tool or action name
	Args      map[string]any // JSON-decoded arguments
	// CanAsk says the surface can ask the principal to confirm (Slack
	// buttons; an MCP client that declared elicitation). When it cannot,
	// a call that needs a yes waits for an approver in Slack.
	CanAsk bool
	// Meta is the surface's own data kept with a request that waits.
	Meta json.RawMessage
	// Confirmation carries a human's yes for a call the gate asked to confirm.
	Confirmation *Confirmation
}

// Confirmation is the proof that a human approved exactly this call: the
// token handed out with the Pending result, or the request's id where the
// surface itself identifies who said yes.
type Confirmation struct {
	Token    string
	ID       string
	Approver policy.Principal // zero: the requester confirmed it themselves
}

// Status of a Result.
type Status string

const (
	StatusOK      Status = "ok"      // the call ran
	StatusPending Status = "pending" // a human must confirm; nothing ran
)

// Result is what a tool returns.
type Result struct {
	Tool      *Tool
	Status    Status
	data      map[string]any  // Data(), decoded from JSON on first use
	JSON      json.RawMessage // the shaped structured content, minified (ok)
	Text      string          // compact text rendering (ok) or the preview (pending)
	RequestID string
	NextPage  string   // hint when more rows exist
	Pending   *Pending // when Status is pending
	// Secret is true for secret-class results: never post them in a channel.
	Secret bool
	// NoStructured is set when the operator turned structured content off:
	// surfaces send only Text (which holds everything).
	NoStructured bool
	// Approver is who said yes, for a confirmed call.
	Approver string
}

// Pending is a call waiting for a human's yes.
type Pending struct {
	ID        string // the stored request
	Token     string // the proof to hand back with the yes
	Preview   string // what will change, where, for whom (masked)
	ExpiresAt time.Time
	FourEyes  bool
	InSlack   bool   // the yes must come from an approver in Slack
	Reason    string // why the gate asks
	Args      map[string]any
}

// Error kinds.
const (
	KindUnknownTool = "unknown_tool"
	KindInvalidArgs = "invalid_arguments"
	KindDenied      = "denied"
	KindRefused     = "confirmation_refused"
	KindRateLimited = "rate_limited"
	KindUnavailable = "unavailable"
	KindNeedsHuman  = "needs_human" // a human must say yes, and nobody can be asked here
	KindChanged     = "changed"     // what the preview showed changed before the yes; nothing ran
	KindCCC         = "ccc_error"
)

// Error is a failed invocation, in words a person or a model can act on.
// Message is the only text people see; the cause, if any, is for logs.
type Error struct {
	Kind    string
	Tool    string
	Param   string // the bad parameter, for invalid_arguments
	Message string
	CCC     *ccc.Error      // for ccc_error
	Refusal *policy.Refusal // for denied, confirmation_refused, rate_limited, unavailable
	Retry   time.Duration   // for rate_limited
}

func (e *Error) Error() string { return e.Message }

// Unwrap gives the cause to errors.Is/As and to logs.
func (e *Error) Unwrap() error {
	if e.CCC != nil {
		return e.CCC
	}
	if e.Refusal != nil {
		return e.Refusal
	}
	return nil
}

// Invoke runs one tool call through the one path: decode and validate, then
// the gate's one answer (refusal, pending, or a ticket to run), CCC, the
// outcome back to the gate, shaping.
func (r *Registry) Invoke(ctx context.Context, inv Invocation) (*Result, error) {
	t, ok := r.Lookup(inv.Tool)
	if !ok {
		if h, hidden := r.readOnlyHidden[normName(inv.Tool)]; hidden {
			// The gate refuses it (read-only) and the audit says so.
			inst, _ := inv.Args["InstanceId"].(string)
			r.cfg.Gate.Admit(ctx, policy.Call{Principal: inv.Principal, Action: h.Action, Tool: h.Name, Toolset: h.Toolset, Access: h.Access, Args: inv.Args, InstanceID: inst}, nil)
		}
		return nil, &Error{Kind: KindUnknownTool, Tool: inv.Tool, Message: r.unknownTool(inv.Tool)}
	}
	in, fields, err := r.TakeFields(t, inv.Args)
	if err != nil {
		return nil, err
	}
	args, req, err := r.prepare(t, in)
	if err != nil {
		return nil, err
	}
	call := policy.Call{
		Principal: inv.Principal, Action: t.Action, Tool: t.Name, Toolset: t.Toolset, Access: t.Access, Args: args,
		CanAsk: inv.CanAsk, Meta: inv.Meta,
		Preview: func(ctx context.Context) policy.Shown { return r.shown(ctx, inv.Principal, t, args) },
	}
	if t.Action == "ResetUserStatus" {
		call.Recheck = func(ctx context.Context, guard json.RawMessage) error {
			return r.recheckReset(ctx, inv.Principal, call.InstanceID, guard)
		}
	}
	if s, ok := args["InstanceId"].(string); ok {
		call.InstanceID = s
	}
	var proof *policy.Proof
	if c := inv.Confirmation; c != nil {
		proof = &policy.Proof{Token: c.Token, ID: c.ID, Approver: c.Approver}
	}
	switch a := r.cfg.Gate.Admit(ctx, call, proof).(type) {
	case *policy.Refusal:
		return nil, r.refusalError(t, inv.Principal, a)
	case *policy.Pending:
		return &Result{Tool: t, Status: StatusPending, Text: a.Request.Preview, Pending: &Pending{
			ID: a.Request.ID, Token: a.Token, Preview: a.Request.Preview, ExpiresAt: a.Request.ExpiresAt,
			FourEyes: a.Request.FourEyes, InSlack: a.InSlack(), Reason: a.Decision.Reason, Args: args,
		}}, nil
	case *policy.Ticket:
		return r.run(ctx, t, req, a, fields)
	}
	return nil, &Error{Kind: KindUnavailable, Tool: t.Name, Message: "the gate gave no answer; nothing ran"}
}

// run sends an admitted call to CCC and tells the gate the outcome.
func (r *Registry) run(ctx context.Context, t *Tool, req ccc.Request, ticket *policy.Ticket, fields [][]string) (*Result, error) {
	cctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	start := time.Now()
	body, err := r.cfg.Client.Call(cctx, req)
	latency := time.Since(start).Milliseconds()
	if err != nil {
		var ce *ccc.Error
		if !errors.As(err, &ce) {
			ce = &ccc.Error{Action: t.Action, Code: "Internal", Message: err.Error()}
		}
		msg := ce.Error()
		h := ce.Hint()
		if !ce.MayHaveRun {
			if nf := r.notFoundHint(t, ce); nf != "" {
				h = nf
			}
		}
		if h != "" {
			msg += "; " + h
		}
		ticket.Done(ctx, policy.Outcome{Err: errors.New(msg), ErrorCode: ce.Code, RequestID: ce.RequestID, LatencyMS: latency})
		return nil, &Error{Kind: KindCCC, Tool: t.Name, CCC: ce, Message: msg}
	}
	sh, err := r.shape(t, body, fields)
	if err != nil {
		ticket.Done(ctx, policy.Outcome{Err: err, ErrorCode: "InvalidResponse", LatencyMS: latency})
		return nil, &Error{Kind: KindCCC, Tool: t.Name, Message: err.Error()}
	}
	ticket.Done(ctx, policy.Outcome{RequestID: sh.RequestID, Result: sh.JSON, LatencyMS: latency})
	res := r.okResult(t, sh)
	res.Approver = ticket.Approver()
	return res, nil
}

// refusalError words a refusal for people, with one prefix.
func (r *Registry) refusalError(t *Tool, p policy.Principal, a *policy.Refusal) *Error {
	e := &Error{Tool: t.Name, Refusal: a, Message: a.Message}
	switch a.Code {
	case policy.CodeDenied:
		e.Kind = KindDenied
		e.Message = fmt.Sprintf("%s is not allowed for %s: %s", t.Name, PrincipalName(p), a.Message)
	case policy.CodeRateLimited:
		e.Kind, e.Retry = KindRateLimited, a.RetryAfter
	case policy.CodeUnavailable:
		e.Kind = KindUnavailable
	case policy.CodeNoApprovals:
		e.Kind = KindNeedsHuman
	case policy.CodeChanged:
		e.Kind = KindChanged
	default:
		e.Kind = KindRefused
		e.Message = "confirmation refused: " + a.Message
	}
	return e
}

// Withdraw ends a request waiting for a yes without running it: declined
// or cancelled by its requester, denied or cancelled by an approver, or
// refused because what it would touch changed since the preview. The gate
// audits it and the store keeps it, so the same request can never be
// approved afterwards.
func (r *Registry) Withdraw(ctx context.Context, by policy.Principal, p *Pending, to store.State, reason string) error {
	_, err := r.cfg.Gate.Withdraw(ctx, policy.Withdrawal{Token: p.Token, ID: p.ID, By: by, To: to, Reason: reason})
	return err
}

// prepare fills defaults, validates against the schema and decodes into the
// typed request. It returns the canonical arguments — exactly what will be
// sent — which the gate binds confirmations to.
func (r *Registry) prepare(t *Tool, in map[string]any) (map[string]any, ccc.Request, error) {
	args := make(map[string]any, len(in)+1)
	for k, v := range in {
		args[k] = v
	}
	if _, has := args["InstanceId"]; !has && r.cfg.DefaultInstance != "" && t.HasParam("InstanceId") {
		args["InstanceId"] = r.cfg.DefaultInstance
	}
	// Times in any accepted form become what CCC takes, so the gate and
	// the audit see the absolute times that are sent.
	if err := t.Input().NormalizeTimes(args, r.cfg.Now(), r.Zone()); err != nil {
		return nil, nil, invalidArgs(t, err)
	}
	// The canonical arguments — maps, lists, strings, bools and int64
	// numbers — are what the validator checks, what the typed request is
	// filled from and what the gate binds confirmations to. Values of
	// other Go types (a surface that built its arguments by hand) take a
	// JSON round trip to the same form.
	var out map[string]any
	if c, ok := canonical(args); ok {
		out = c.(map[string]any)
	} else {
		raw, err := json.Marshal(args)
		if err != nil {
			return nil, nil, &Error{Kind: KindInvalidArgs, Tool: t.Name, Message: fmt.Sprintf("invalid arguments for %s: %v", t.Name, err)}
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&out); err != nil {
			return nil, nil, &Error{Kind: KindInvalidArgs, Tool: t.Name, Message: fmt.Sprintf("invalid arguments for %s: %v", t.Name, err)}
		}
		out = normalizeNumbers(out).(map[string]any)
	}
	if err := t.Input().ValidateDecoded(args, out); err != nil {
		return nil, nil, invalidArgs(t, err)
	}
	req, _ := ccc.NewRequest(t.Action)
	if !fillRequest(req, out) {
		// Decoding words what does not fit (the schema admits no null and
		// no unknown key, so this is rare).
		req, _ = ccc.NewRequest(t.Action)
		raw, err := json.Marshal(out)
		if err == nil {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			err = dec.Decode(req)
		}
		if err != nil {
			return nil, nil, &Error{Kind: KindInvalidArgs, Tool: t.Name, Message: fmt.Sprintf("invalid arguments for %s: %v", t.Name, err)}
		}
	}
	return out, req, nil
}

// normalizeNumbers turns json.Number into int64 (the API has no floats), so
// canonical arguments digest the same whichever surface built them.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			x[k] = normalizeNumbers(val)
		}
		return x
	case []any:
		for i, val := range x {
			x[i] = normalizeNumbers(val)
		}
		return x
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

func (r *Registry) unknownTool(name string) string {
	msg := fmt.Sprintf("unknown tool %q", name)
	if hits := r.Find(strings.NewReplacer("_", " ", "-", " ").Replace(name), 3); len(hits) > 0 {
		names := make([]string, len(hits))
		for i, h := range hits {
			names[i] = h.Name
		}
		msg += "; did you mean " + strings.Join(names, ", ") + "?"
	}
	if len(r.tools) < len(r.all) {
		msg += " (some tools are disabled by this server's filters or read-only mode)"
	}
	return msg
}

// PrincipalName is how a principal is named to people: its name, else its id.
func PrincipalName(p policy.Principal) string {
	if p.Name != "" {
		return p.Name
	}
	if p.ID != "" {
		return p.ID
	}
	return "this caller"
}
