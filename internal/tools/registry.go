package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/policy"
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

// Catalog builds the 89 tool definitions without a client or gate — for
// listings, snapshots and size measurements.
func Catalog() ([]*Tool, error) {
	s, err := spec.LoadSpec()
	if err != nil {
		return nil, err
	}
	out := make([]*Tool, 0, len(s.Actions))
	for _, a := range s.Actions {
		t, err := buildTool(a)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
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
		if cfg.Gate.ReadOnly() && !t.Access.ReadOnly() {
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
	if r.cfg.DefaultInstance == "" || !t.HasParam("InstanceId") {
		return t.InputSchema
	}
	var m map[string]any
	if err := json.Unmarshal(t.InputSchema, &m); err != nil {
		return t.InputSchema
	}
	if req, ok := m["required"].([]any); ok {
		kept := make([]any, 0, len(req))
		for _, x := range req {
			if x != "InstanceId" {
				kept = append(kept, x)
			}
		}
		if len(kept) == 0 {
			delete(m, "required")
		} else {
			m["required"] = kept
		}
	}
	if props, ok := m["properties"].(map[string]any); ok {
		if p, ok := props["InstanceId"].(map[string]any); ok {
			desc, _ := p["description"].(string)
			p["description"] = strings.TrimSpace(desc + " Defaults to " + r.cfg.DefaultInstance + ".")
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return t.InputSchema
	}
	return out
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

// Find ranks enabled tools by how well they match free words (name, title,
// description, toolset, access class); limit ≤ 0 means 10.
func (r *Registry) Find(query string, limit int) []*Tool {
	if limit <= 0 {
		limit = 10
	}
	words := strings.Fields(strings.ToLower(query))
	type scored struct {
		t *Tool
		s int
		i int
	}
	var hits []scored
	for i, t := range r.tools {
		hay := strings.ToLower(t.Name + " " + t.Action + " " + t.Title + " " + t.Description + " " + t.Toolset + " " + string(t.Access))
		name := strings.ToLower(t.Name + " " + t.Title + " " + t.Toolset)
		s := 0
		for _, w := range words {
			w = strings.TrimSuffix(w, "s")
			if strings.Contains(name, w) {
				s += 3
			} else if strings.Contains(hay, w) {
				s++
			}
		}
		if s > 0 || len(words) == 0 {
			hits = append(hits, scored{t, s, i})
		}
	}
	sort.SliceStable(hits, func(a, b int) bool { return hits[a].s > hits[b].s })
	out := make([]*Tool, 0, limit)
	for _, h := range hits {
		if len(out) == limit {
			break
		}
		out = append(out, h.t)
	}
	return out
}

// Invocation is one request to run a tool.
type Invocation struct {
	Principal policy.Principal
	Tool      string         // tool or action name
	Args      map[string]any // JSON-decoded arguments
	// Confirmation carries a human's yes for a call the gate asked to confirm.
	Confirmation *Confirmation
}

// Confirmation is the proof that a human approved exactly this call.
type Confirmation struct {
	Token    string
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
	Tool   *Tool
	Status Status
	data   map[string]any  // Data(), decoded from JSON on first use
	JSON   json.RawMessage // the shaped structured content, minified (ok)
	Text   string          // compact text rendering (ok) or the preview (pending)
	// NoStructured is set when the operator turned structured content off:
	// surfaces send only Text (which holds everything).
	NoStructured bool
	RequestID    string
	NextPage     string   // hint when more rows exist
	Pending      *Pending // when Status is pending
	// Secret is true for secret-class results: never post them in a channel.
	Secret bool
}

// Pending is a call waiting for a human's yes.
type Pending struct {
	Token     string
	Preview   string // what will change, where, for whom
	ExpiresAt time.Time
	FourEyes  bool
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
	KindCCC         = "ccc_error"
)

// Error is a failed invocation, in words a person or a model can act on.
type Error struct {
	Kind    string
	Tool    string
	Param   string // the bad parameter, for invalid_arguments
	Message string
	CCC     *ccc.Error // for ccc_error
	Refused *policy.RefusedError
	Retry   time.Duration // for rate_limited
}

func (e *Error) Error() string { return e.Message }

// Invoke runs one tool call through the one path: decode, validate, the
// gate's decision (deny, rate limit, confirm), CCC, audit, shaping.
func (r *Registry) Invoke(ctx context.Context, inv Invocation) (*Result, error) {
	t, ok := r.Lookup(inv.Tool)
	if !ok {
		if h, hidden := r.readOnlyHidden[normName(inv.Tool)]; hidden {
			// The gate refuses it (read-only) and the audit says so.
			d := r.cfg.Gate.Decide(policy.Call{Principal: inv.Principal, Action: h.Action, Toolset: h.Toolset, Access: h.Access, Args: inv.Args})
			r.cfg.Gate.Record(policy.Record{Surface: inv.Principal.Surface, Principal: inv.Principal.ID, Action: h.Action, Args: inv.Args,
				Decision: d.Verdict, Result: "refused", Reason: d.Reason})
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
		Principal: inv.Principal, Action: t.Action, Toolset: t.Toolset, Access: t.Access, Args: args,
	}
	if s, ok := args["InstanceId"].(string); ok {
		call.InstanceID = s
	}
	gate := r.cfg.Gate
	rec := policy.Record{Surface: inv.Principal.Surface, Principal: inv.Principal.ID, Action: t.Action, Args: args}

	d := gate.Decide(call)
	rec.Decision = d.Verdict
	if d.Verdict == policy.Deny {
		rec.Result, rec.Reason = "refused", d.Reason
		gate.Record(rec)
		return nil, &Error{Kind: KindDenied, Tool: t.Name, Message: fmt.Sprintf("%s is not allowed for %s: %s", t.Name, PrincipalName(inv.Principal), d.Reason)}
	}
	asking := d.Verdict == policy.Confirm && (inv.Confirmation == nil || inv.Confirmation.Token == "")
	// Asking for a confirmation is charged (its preview reads CCC); running
	// a confirmed call is not charged again. A call that runs at once is
	// charged here. Either way the limit comes before any work, so a refused
	// call spends nothing — not even a human's yes.
	if inv.Confirmation == nil || inv.Confirmation.Token == "" || d.Verdict != policy.Confirm {
		if err := gate.Limit(call); err != nil {
			rec.Result, rec.Reason = "rate-limited", err.Error()
			gate.Record(rec)
			var rl *policy.RateLimitError
			errors.As(err, &rl)
			e := &Error{Kind: KindRateLimited, Tool: t.Name, Message: err.Error()}
			if rl != nil {
				e.Retry = rl.RetryAfter
			}
			return nil, e
		}
	}
	if asking {
		return r.pend(ctx, t, call, d, rec)
	}

	if d.Verdict == policy.Confirm {
		if err := gate.Redeem(inv.Confirmation.Token, call, inv.Confirmation.Approver); err != nil {
			rec.Result, rec.Reason = policy.ResultOf(err), err.Error()
			rec.Approver = inv.Confirmation.Approver.ID
			var re *policy.RefusedError
			errors.As(err, &re)
			gate.Record(rec)
			return nil, &Error{Kind: KindRefused, Tool: t.Name, Refused: re, Message: "confirmation refused: " + err.Error()}
		}
		rec.Approver = inv.Confirmation.Approver.ID
		if rec.Approver == "" {
			rec.Approver = inv.Principal.ID
		}
	}
	cctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	start := time.Now()
	body, err := r.cfg.Client.Call(cctx, req)
	rec.LatencyMS = time.Since(start).Milliseconds()
	if err != nil {
		var ce *ccc.Error
		if !errors.As(err, &ce) {
			ce = &ccc.Error{Action: t.Action, Code: "Internal", Message: err.Error()}
		}
		rec.Result, rec.ErrorCode, rec.RequestID = "error", ce.Code, ce.RequestID
		gate.Record(rec)
		msg := ce.Error()
		if h := ce.Hint(); h != "" {
			msg += "; " + h
		}
		return nil, &Error{Kind: KindCCC, Tool: t.Name, CCC: ce, Message: msg}
	}
	sh, err := r.shape(t, body, fields)
	if err != nil {
		rec.Result, rec.ErrorCode = "error", "InvalidResponse"
		gate.Record(rec)
		return nil, &Error{Kind: KindCCC, Tool: t.Name, Message: err.Error()}
	}
	rec.Result, rec.RequestID = "ok", sh.RequestID
	gate.Record(rec)
	return r.okResult(t, sh), nil
}

// Abandon records that a call waiting for confirmation ended without
// running — declined, cancelled, expired, or refused because what it would
// touch changed since the preview. result is the audit result ("refused",
// "expired"). The arguments are canonicalized as Invoke does, so the record
// joins its "pending" record by argument digest.
func (r *Registry) Abandon(p policy.Principal, tool string, args map[string]any, result, reason string) {
	rec := policy.Record{Surface: p.Surface, Principal: p.ID, Action: tool, Args: args, Decision: policy.Confirm, Result: result, Reason: reason}
	if t, ok := r.Lookup(tool); ok {
		rec.Action = t.Action
		if in, _, err := r.TakeFields(t, args); err == nil {
			args = in
		}
		if canon, _, err := r.prepare(t, args); err == nil {
			rec.Args = canon
		}
	}
	r.cfg.Gate.Record(rec)
}

func (r *Registry) pend(ctx context.Context, t *Tool, call policy.Call, d policy.Decision, rec policy.Record) (*Result, error) {
	// The preview reads CCC first, so the token's lifetime is the human's.
	preview := r.Preview(ctx, call.Principal, t, call.Args)
	token, exp, err := r.cfg.Gate.Issue(call)
	if err != nil {
		return nil, &Error{Kind: KindDenied, Tool: t.Name, Message: "could not issue a confirmation: " + err.Error()}
	}
	rec.Result, rec.Reason = "pending", d.Reason
	r.cfg.Gate.Record(rec)
	return &Result{
		Tool: t, Status: StatusPending, Text: preview,
		Pending: &Pending{Token: token, Preview: preview, ExpiresAt: exp, FourEyes: d.FourEyes, Reason: d.Reason, Args: call.Args},
	}, nil
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
	if err := t.input.NormalizeTimes(args, r.cfg.Now(), r.Zone()); err != nil {
		return nil, nil, invalidArgs(t, err)
	}
	// One encoding serves validation, decoding into the typed request and
	// the canonical arguments.
	raw, err := json.Marshal(args)
	if err != nil {
		return nil, nil, &Error{Kind: KindInvalidArgs, Tool: t.Name, Message: fmt.Sprintf("invalid arguments for %s: %v", t.Name, err)}
	}
	if err := t.input.ValidateEncoded(args, raw); err != nil {
		return nil, nil, invalidArgs(t, err)
	}
	req, _ := ccc.NewRequest(t.Action)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(req); err != nil {
		return nil, nil, &Error{Kind: KindInvalidArgs, Tool: t.Name, Message: fmt.Sprintf("invalid arguments for %s: %v", t.Name, err)}
	}
	// The canonical arguments are the validated ones with numbers in one
	// form: the schema admits no null and no unknown key, so they hold
	// exactly what the typed request sends.
	var out map[string]any
	dec = json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	_ = dec.Decode(&out)
	return normalizeNumbers(out).(map[string]any), req, nil
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
