package policy

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/store"
)

// Proof is what comes back with a call somebody has said yes to: the token
// Admit handed out with its Pending (a surface that hands state to its
// client, as MCP does), or the request's id alone (a surface that
// identifies the person who clicked itself, as Slack does). Either way the
// stored request decides; the token only proves the id came from us.
type Proof struct {
	Token    string
	ID       string
	Approver Principal // who said yes; zero: the requester themselves
}

// Admission is the gate's one answer about a call: a *Ticket (run it now,
// then call Done), a *Pending (nothing runs until a human says yes) or a
// *Refusal (nothing runs; its Message says why and what to do next).
type Admission interface{ admission() }

// Refusal codes beyond the RefusedXxx ones of a confirmation.
const (
	CodeDenied      = "denied"       // the policy denies it
	CodeRateLimited = "rate-limited" // the principal's budget is spent
	CodeUnavailable = "unavailable"  // the store cannot be reached; nothing ran
	CodeNoApprovals = "no-approvals" // a human must approve, and no surface here can ask one
	CodeChanged     = "changed"      // what the preview showed changed before the yes; nothing ran
)

// Refusal is a call that does not run. Message is the only text a person
// sees; the cause (a store error, say) is logged, never shown.
type Refusal struct {
	Code       string
	Message    string
	Decision   Decision
	RetryAfter time.Duration  // rate-limited: when to try again
	Request    *store.Request // the request a proof named, when there was one
	cause      error
}

func (r *Refusal) admission()    {}
func (r *Refusal) Error() string { return r.Message }
func (r *Refusal) Unwrap() error { return r.cause }

// Pending is a call that waits for a human's yes. Nothing ran.
type Pending struct {
	Request  *store.Request
	Token    string // the proof to hand back with the yes (surfaces that keep no state)
	Decision Decision
}

func (p *Pending) admission() {}

// InSlack reports whether the yes must come from an approver in Slack
// rather than from the surface that asked.
func (p *Pending) InSlack() bool { return p.Request.Kind == store.KindApproval }

// Ticket lets one call run. The gate has written "sending" to the audit
// (and the store, for a confirmed call) before it returns one, so a crash
// between here and Done leaves a record that the call may have run.
type Ticket struct {
	g        *Gate
	call     Call
	decision Decision
	req      *store.Request // nil when the call needed no yes
	approver string
	start    time.Time
	done     bool
}

func (t *Ticket) admission() {}

// Approver is who said yes, or "" for a call that needed nobody's.
func (t *Ticket) Approver() string { return t.approver }

// Request is the stored request this ticket settles, or nil.
func (t *Ticket) Request() *store.Request { return t.req }

// Outcome is what CCC answered to a ticket's call.
type Outcome struct {
	Err       error           // nil: success
	ErrorCode string          // CCC's code, on failure
	RequestID string          // CCC's RequestId
	Result    json.RawMessage // the shaped result, kept for the requester (redacted and, for secrets, dropped here)
	LatencyMS int64
}

// Approvers is what a stored request says about who may approve it.
type Approvers struct {
	Linked   string   `json:"linked,omitempty"`    // the requester's own human (a Slack user id)
	FourEyes bool     `json:"four_eyes,omitempty"` // someone else, holding an approver role
	Roles    []string `json:"roles,omitempty"`     // the approver roles of the policy file
	// Groups are the requester's groups when they asked, so the call is
	// decided the same way when an approver's click runs it elsewhere.
	Groups []string `json:"requester_groups,omitempty"`
	// Guard is what the preview depended on, checked again before the
	// call runs (Call.Recheck).
	Guard json.RawMessage `json:"guard,omitempty"`
}

// ApproversOf reads what a stored request says about who may approve it.
func ApproversOf(req *store.Request) Approvers {
	var a Approvers
	_ = json.Unmarshal(req.Approvers, &a)
	return a
}

// RequesterOf is the principal who asked for a stored request, as they
// were when they asked.
func (g *Gate) RequesterOf(req *store.Request) Principal {
	a := ApproversOf(req)
	return Principal{ID: req.Requester, Name: req.RequesterName, Surface: req.Surface, Groups: a.Groups, Slack: a.Linked}
}

// Admit answers everything about one call, in one order: the policy's
// decision (deny ends it), the rate limit (charged for asks and direct
// runs, never for a yes), then either a new pending request (confirm
// without proof) or the proof checked against the stored request and
// settled with a compare-and-set (one run, across processes), and last the
// "sending" record. Every refusal is audited with its reason.
func (g *Gate) Admit(ctx context.Context, c Call, proof *Proof) Admission {
	if proof != nil && proof.Token == "" && proof.ID == "" {
		proof = nil
	}
	d := g.Decide(c)
	if d.Verdict == Deny {
		return g.refuse(c, d, CodeDenied, d.Reason, nil, nil)
	}
	if proof == nil || d.Verdict == Allow {
		if rl, err := g.take(ctx, c); err != nil {
			return g.refuse(c, d, CodeUnavailable, unavailable, nil, err)
		} else if rl != nil {
			r := g.refuse(c, d, CodeRateLimited, rl.Error(), nil, nil)
			r.RetryAfter = rl.RetryAfter
			return r
		}
	}
	if d.Verdict == Confirm && proof == nil {
		return g.open(ctx, c, d)
	}
	t := &Ticket{g: g, call: c, decision: d}
	if d.Verdict == Confirm {
		req, approver, ref := g.claim(ctx, c, d, proof)
		if ref != nil {
			return ref
		}
		t.req, t.approver = req, approver
	}
	if t.req != nil {
		req, err := g.store.Move(ctx, t.req.ID, []store.State{store.Approved}, store.Sending, store.Change{By: t.approver})
		if err != nil {
			return g.storeRefusal(c, d, t.req, err)
		}
		t.req = req
	}
	if t.req != nil || !AccessOf(c.Action).ReadOnly() {
		g.Record(Record{Surface: c.Principal.Surface, Principal: c.Principal.ID, Action: c.Action, Args: c.Args,
			Decision: d.Verdict, Approver: t.approver, Approval: t.reqID(), Result: ResultSending,
			Reason: "handed to CCC; if no outcome follows, the call may have run"})
	}
	t.start = g.now()
	return t
}

// Audit results of the request lifecycle.
const (
	ResultPending  = "pending"
	ResultApproved = "approved"
	ResultSending  = "sending"
	ResultOK       = "ok"
	ResultError    = "error"
	ResultRefused  = "refused"
	ResultExpired  = "expired"
)

const unavailable = "the gate's store cannot be reached, so nothing ran; try again in a moment, and tell the operator if it persists (see /readyz)"

func (t *Ticket) reqID() string {
	if t.req == nil {
		return ""
	}
	return t.req.ID
}

// Done records the outcome of the ticket's call: in the audit, and for a
// confirmed call in the store, where its requester can collect it.
func (t *Ticket) Done(ctx context.Context, o Outcome) {
	if t.done {
		return
	}
	t.done = true
	g, c := t.g, t.call
	rec := Record{Surface: c.Principal.Surface, Principal: c.Principal.ID, Action: c.Action, Args: c.Args,
		Decision: t.decision.Verdict, Approver: t.approver, Approval: t.reqID(), RequestID: o.RequestID, LatencyMS: o.LatencyMS}
	to := store.Done
	ch := store.Change{RequestID: o.RequestID, By: t.approver}
	if o.Err != nil {
		rec.Result, rec.ErrorCode = ResultError, o.ErrorCode
		to, ch.Error = store.Failed, MaskText(o.Err.Error())
	} else {
		rec.Result = ResultOK
		// Only a stored request keeps its result (for its requester); a
		// call that needed no yes pays nothing for it.
		switch {
		case t.req == nil:
		case AccessOf(c.Action) == spec.AccessSecret:
			ch.Result = json.RawMessage(`{"withheld":"the result holds credentials, so it is not kept; run the read again to see it"}`)
		case o.Result != nil:
			ch.Result = redactJSON(o.Result)
		}
	}
	if t.req != nil {
		if _, err := g.store.Move(context.WithoutCancel(ctx), t.req.ID, []store.State{store.Sending}, to, ch); err != nil {
			g.log.Error("the outcome of a confirmed call could not be stored; the audit has it", "approval", t.req.ID, "action", c.Action, "err", err)
		}
	}
	g.Record(rec)
}

// redactJSON masks phone numbers and drops credentials in a result kept
// in the store.
func redactJSON(raw json.RawMessage) json.RawMessage {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return json.RawMessage(`{"withheld":"the result could not be redacted, so it is not kept"}`)
	}
	out, err := json.Marshal(Redact(m))
	if err != nil {
		return json.RawMessage(`{"withheld":"the result could not be redacted, so it is not kept"}`)
	}
	return out
}

// newRequestID draws a request id: a kind prefix and 128 random bits.
func newRequestID(kind string) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	prefix := "cfm_"
	if kind == store.KindApproval {
		prefix = "apr_"
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// open stores a new request for a call that needs a yes and says who may
// give it: the requester's own surface when it can ask them, else (or
// under four eyes, or when the rule wants the yes from Slack) an approver
// in Slack.
func (g *Gate) open(ctx context.Context, c Call, d Decision) Admission {
	kind := store.KindConfirm
	if !c.CanAsk || d.FourEyes || (d.ApproveIn == ApproveInSlack && c.Principal.Surface != "slack") {
		kind = store.KindApproval
	}
	// A Slack requester's approval can be shown to approvers in Slack by
	// the bot that took the command; any other needs the approvals set up.
	if kind == store.KindApproval && !g.approvals && c.Principal.Surface != "slack" {
		msg := "A human must confirm this action, and this client cannot ask for confirmation (it did not declare elicitation). Nothing ran. Tell the user what would happen: they can run it from a client that supports confirmation prompts, or through the Slack bot."
		switch {
		case d.FourEyes:
			msg = "This action needs the approval of a second person with an approver role, and approvals in Slack are not set up on this server; nothing ran. Ask an approver to run it through the Slack bot, or ask the operator to enable approvals (--approvals slack with a shared --store)."
		case d.ApproveIn == ApproveInSlack:
			msg = "The policy wants this action approved in Slack, and approvals in Slack are not set up on this server; nothing ran. Ask the operator to enable approvals (--approvals slack with a shared --store)."
		}
		if c.Preview != nil {
			if p := c.Preview(ctx).Text; p != "" {
				msg = MaskText(p) + "\n\n" + msg
			}
		}
		return g.refuse(c, d, CodeNoApprovals, msg, nil, nil)
	}
	ttl := g.ttl
	if kind == store.KindApproval {
		ttl = g.approvalTTL
	}
	args, err := json.Marshal(c.Args)
	if err != nil {
		return g.refuse(c, d, RefusedMalformed, "the arguments cannot be stored as JSON; nothing ran", nil, err)
	}
	var shown Shown
	if c.Preview != nil {
		shown = c.Preview(ctx)
	}
	preview := shown.Text
	apv := Approvers{FourEyes: d.FourEyes, Linked: g.LinkedSlack(c.Principal), Groups: c.Principal.Groups, Guard: shown.Guard}
	if g.file != nil {
		apv.Roles = g.file.approverRoles()
	}
	apvJSON, _ := json.Marshal(apv)
	now, err := g.store.Now(ctx)
	if err != nil {
		return g.refuse(c, d, CodeUnavailable, unavailable, nil, err)
	}
	req := &store.Request{
		ID: newRequestID(kind), Kind: kind, State: store.Pending,
		Requester: c.Principal.ID, RequesterName: c.Principal.Name, Surface: c.Principal.Surface,
		Action: c.Action, Tool: c.Tool, Instance: c.InstanceID, Digest: Digest(c.Args), Args: args,
		Preview: MaskText(preview), FourEyes: d.FourEyes, Rule: d.Rule, Approvers: apvJSON, Meta: c.Meta,
		ExpiresAt: now.Add(ttl),
	}
	if err := g.store.Create(ctx, req); err != nil {
		return g.refuse(c, d, CodeUnavailable, unavailable, nil, err)
	}
	stored, err := g.store.Get(ctx, req.ID)
	if err == nil {
		req = stored
	}
	g.Record(Record{Surface: c.Principal.Surface, Principal: c.Principal.ID, Action: c.Action, Args: c.Args,
		Decision: d.Verdict, Approval: req.ID, Result: ResultPending, Reason: d.Reason})
	tok := g.sign(claims{Principal: c.Principal.ID, Action: c.Action, Digest: req.Digest, Instance: c.InstanceID,
		Issued: req.CreatedAt.UnixMilli(), Expires: req.ExpiresAt.UnixMilli(), Nonce: req.ID})
	return &Pending{Request: req, Token: tok, Decision: d}
}

// claim checks a proof against the stored request and the call, then
// settles the request as approved — once, whichever process gets there
// first.
func (g *Gate) claim(ctx context.Context, c Call, d Decision, proof *Proof) (*store.Request, string, *Refusal) {
	id := proof.ID
	if proof.Token != "" {
		cl, rerr := g.parseToken(proof.Token)
		if rerr != nil {
			return nil, "", g.refuse(c, d, rerr.Code, rerr.Reason, nil, nil)
		}
		if id != "" && id != cl.Nonce {
			return nil, "", g.refuse(c, d, RefusedMalformed, "the confirmation names another request; start the action again", nil, nil)
		}
		// The token binds the call as well as the request (checked again
		// against the stored request below).
		switch {
		case cl.Principal != c.Principal.ID:
			return nil, "", g.refuse(c, d, RefusedPrincipal, fmt.Sprintf("this confirmation belongs to a request by %s, not %s; only the person who asked can continue it — ask for your own confirmation", cl.Principal, c.Principal.ID), nil, nil)
		case cl.Action != c.Action:
			return nil, "", g.refuse(c, d, RefusedAction, fmt.Sprintf("this confirmation is for %s, not %s; request a confirmation for %s", cl.Action, c.Action, c.Action), nil, nil)
		case cl.Instance != c.InstanceID:
			return nil, "", g.refuse(c, d, RefusedInstance, fmt.Sprintf("this confirmation is for instance %q, not %q; request a new confirmation for the instance you mean", cl.Instance, c.InstanceID), nil, nil)
		case cl.Digest != Digest(c.Args):
			return nil, "", g.refuse(c, d, RefusedArguments, "the arguments differ from the ones that were confirmed; nothing was run — review the new arguments and confirm again", nil, nil)
		}
		id = cl.Nonce
	}
	req, err := g.store.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", g.refuse(c, d, RefusedMalformed, "this confirmation is not known to this server (it may be older than the store's retention, or from another deployment); nothing ran — start the action again", nil, nil)
	}
	if err != nil {
		return nil, "", g.refuse(c, d, CodeUnavailable, unavailable, nil, err)
	}
	approver := proof.Approver
	if approver.ID == "" {
		approver = c.Principal
	}
	if ref := g.check(req, c, d, approver); ref != nil {
		return nil, "", ref
	}
	moved, err := g.store.Move(ctx, req.ID, []store.State{store.Pending}, store.Approved,
		store.Change{By: approver.ID, Approver: approver.ID, Reason: "approved by " + approver.ID})
	if err != nil {
		return nil, "", g.storeRefusal(c, d, req, err)
	}
	g.Record(Record{Surface: approver.Surface, Principal: c.Principal.ID, Action: c.Action, Args: c.Args,
		Decision: d.Verdict, Approver: approver.ID, Approval: req.ID, Result: ResultApproved, Reason: "approved by " + approver.ID})
	if c.Recheck != nil {
		if err := c.Recheck(ctx, ApproversOf(moved).Guard); err != nil {
			why := err.Error()
			if ended, merr := g.store.Move(ctx, req.ID, []store.State{store.Approved}, store.Cancelled,
				store.Change{By: approver.ID, Reason: MaskText(why)}); merr == nil {
				moved = ended
			}
			return nil, "", g.refuse(c, d, CodeChanged, why, moved, nil)
		}
	}
	return moved, approver.ID, nil
}

// check answers whether approver's yes settles req for call c: the same
// requester, action, instance and arguments; still open; and the right
// person saying yes.
func (g *Gate) check(req *store.Request, c Call, d Decision, approver Principal) *Refusal {
	ref := func(code, format string, a ...any) *Refusal {
		return g.refuse(c, d, code, fmt.Sprintf(format, a...), req, nil)
	}
	switch {
	case req.State == store.Expired:
		return ref(RefusedExpired, "the request expired at %s; nothing ran — start the action again to get a new confirmation", req.ExpiresAt.UTC().Format(time.RFC3339))
	case req.State != store.Pending:
		return ref(RefusedReplay, "this request is already settled (%s); each yes runs its call once — start the action again if it must run again", req.State)
	case req.Requester != c.Principal.ID:
		return ref(RefusedPrincipal, "this confirmation belongs to a request by %s, not %s; only the person who asked can continue it — ask for your own confirmation", req.Requester, c.Principal.ID)
	case req.Action != c.Action:
		return ref(RefusedAction, "this confirmation is for %s, not %s; request a confirmation for %s", req.Action, c.Action, c.Action)
	case req.Instance != c.InstanceID:
		return ref(RefusedInstance, "this confirmation is for instance %q, not %q; request a new confirmation for the instance you mean", req.Instance, c.InstanceID)
	case req.Digest != Digest(c.Args):
		return ref(RefusedArguments, "the arguments differ from the ones that were confirmed; nothing was run — review the new arguments and confirm again")
	}
	if why := g.mayApprove(req, d, approver); why != "" {
		code := RefusedPrincipal
		if d.FourEyes || req.FourEyes {
			code = RefusedFourEyes
		}
		return ref(code, "%s", why)
	}
	return nil
}

// MayApprove says why approver may not settle req, or "" when they may.
// Surfaces ask it before they act on a click, to answer privately.
func (g *Gate) MayApprove(req *store.Request, approver Principal) string {
	return g.mayApprove(req, Decision{FourEyes: req.FourEyes, Rule: req.Rule}, approver)
}

func (g *Gate) mayApprove(req *store.Request, d Decision, approver Principal) string {
	fourEyes := d.FourEyes || req.FourEyes
	isRequester := approver.ID == req.Requester
	// The link as it stood when the request was made (the policy file's, or
	// the requester's identity's).
	linked := ApproversOf(req).Linked
	isLinked := linked != "" && slackUserOf(approver.ID) == linked
	switch {
	case fourEyes && (isRequester || isLinked):
		return fmt.Sprintf("rule %s needs four eyes: someone other than %s and their own human, holding an approver role, must approve", d.Rule, req.Requester)
	case fourEyes && !g.IsApprover(approver):
		return fmt.Sprintf("rule %s needs an approver, and %s holds no approver role; ask someone who does", d.Rule, approver.ID)
	case fourEyes:
		return ""
	case req.Kind == store.KindConfirm && !isRequester:
		return fmt.Sprintf("only %s, who asked, can confirm this call; %s cannot confirm it for them", req.Requester, approver.ID)
	case req.Kind == store.KindConfirm:
		return ""
	case isLinked || (g.IsApprover(approver) && !isRequester):
		return ""
	case linked != "":
		return fmt.Sprintf("only %s's own human (Slack user %s) or someone holding an approver role may approve this; %s may not", req.Requester, linked, approver.ID)
	}
	return fmt.Sprintf("only someone holding an approver role may approve this request by %s; %s holds none", req.Requester, approver.ID)
}

// slackUserOf is the bare Slack user id of a "slack:T:U" principal.
func slackUserOf(id string) string {
	if !strings.HasPrefix(id, slackPrefix) {
		return ""
	}
	return id[strings.LastIndexByte(id, ':')+1:]
}

// storeRefusal turns a failed Move into a refusal: someone else settled
// the request first, it expired (audited here, the one place that saw
// it), or the store failed.
func (g *Gate) storeRefusal(c Call, d Decision, req *store.Request, err error) *Refusal {
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		cur := ce.Current
		if cur.State == store.Expired {
			g.recordEnd(cur, Principal{}, ResultExpired, store.ExpiredReason)
			return g.refuse(c, d, RefusedExpired, fmt.Sprintf("the request expired at %s; nothing ran — start the action again to get a new confirmation", cur.ExpiresAt.UTC().Format(time.RFC3339)), cur, nil)
		}
		return g.refuse(c, d, RefusedReplay, fmt.Sprintf("this request is already settled (%s); each yes runs its call once — start the action again if it must run again", cur.State), cur, nil)
	}
	return g.refuse(c, d, CodeUnavailable, unavailable, req, err)
}

// refuse audits a refusal and returns it.
func (g *Gate) refuse(c Call, d Decision, code, msg string, req *store.Request, cause error) *Refusal {
	if cause != nil {
		g.log.Error("the gate refused a call because its store failed", "action", c.Action, "principal", c.Principal.ID, "err", cause)
	}
	rec := Record{Surface: c.Principal.Surface, Principal: c.Principal.ID, Action: c.Action, Args: c.Args,
		Decision: d.Verdict, Result: ResultRefused, Reason: msg, ErrorCode: code}
	if code == CodeRateLimited {
		rec.Result = "rate-limited"
	}
	if code == RefusedExpired {
		rec.Result = ResultExpired
	}
	if req != nil {
		rec.Approval = req.ID
	}
	g.Record(rec)
	return &Refusal{Code: code, Message: msg, Decision: d, Request: req, cause: cause}
}

// recordEnd audits how a request ended without running.
func (g *Gate) recordEnd(req *store.Request, by Principal, result, reason string) {
	var args map[string]any
	_ = json.Unmarshal(req.Args, &args)
	g.Record(Record{Surface: by.Surface, Principal: req.Requester, Action: req.Action, Args: args, ArgsDigest: req.Digest,
		Decision: Confirm, Approver: by.ID, Approval: req.ID, Result: result, Reason: reason})
}

// Withdrawal is how a pending request ends without running.
type Withdrawal struct {
	Token  string // the request, by token (MCP) …
	ID     string // … or by id (Slack)
	By     Principal
	To     store.State // store.Declined, store.Denied or store.Cancelled
	Reason string      // a line for the audit and the request
}

// Withdraw ends a pending request without running it: declined by its
// requester, denied by an approver, or cancelled by either. It is audited
// and stored, so the same request can never be approved afterwards.
func (g *Gate) Withdraw(ctx context.Context, w Withdrawal) (*store.Request, error) {
	id := w.ID
	if w.Token != "" {
		cl, rerr := g.parseToken(w.Token)
		if rerr != nil {
			return nil, &Refusal{Code: rerr.Code, Message: rerr.Reason}
		}
		id = cl.Nonce
	}
	req, err := g.store.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Refusal{Code: RefusedMalformed, Message: "this request is not known to this server; nothing ran"}
	}
	if err != nil {
		return nil, &Refusal{Code: CodeUnavailable, Message: unavailable, cause: err}
	}
	refused := func(msg string) (*store.Request, error) {
		g.recordEnd(req, w.By, ResultRefused, "refused to "+w.By.ID+": "+msg)
		return req, &Refusal{Code: RefusedPrincipal, Request: req, Message: msg}
	}
	switch w.To {
	case store.Declined, store.Cancelled:
		if w.By.ID != req.Requester && g.MayApprove(req, w.By) != "" {
			return refused(fmt.Sprintf("only %s, who asked, or someone who may approve it can cancel this request", req.Requester))
		}
	case store.Denied:
		if why := g.MayApprove(req, w.By); why != "" && w.By.ID != req.Requester {
			return refused(strings.Replace(why, "approve", "deny", 1))
		}
	default:
		return req, fmt.Errorf("policy: a request cannot be withdrawn to %q", w.To)
	}
	moved, err := g.store.Move(ctx, id, []store.State{store.Pending}, w.To, store.Change{By: w.By.ID, Reason: w.Reason})
	if err != nil {
		var ce *store.ConflictError
		if errors.As(err, &ce) {
			if ce.Current.State == store.Expired {
				g.recordEnd(ce.Current, Principal{}, ResultExpired, store.ExpiredReason)
			}
			return ce.Current, &Refusal{Code: RefusedReplay, Request: ce.Current, Message: fmt.Sprintf("this request is already settled (%s)", ce.Current.State)}
		}
		return req, &Refusal{Code: CodeUnavailable, Message: unavailable, cause: err}
	}
	result := string(w.To)
	if w.To == store.Declined || w.To == store.Denied || w.To == store.Cancelled {
		result = ResultRefused
	}
	g.recordEnd(moved, w.By, result, w.Reason+" ("+string(w.To)+")")
	return moved, nil
}

// Request returns a stored request to its requester — and only to them:
// the result it holds is theirs.
func (g *Gate) Request(ctx context.Context, id string, p Principal) (*store.Request, error) {
	req, err := g.store.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && req.Requester != p.ID) {
		return nil, &Refusal{Code: RefusedMalformed, Message: fmt.Sprintf("no request %q of %s is known here (it may be older than the store's retention, or another principal's)", id, p.ID)}
	}
	if err != nil {
		return nil, &Refusal{Code: CodeUnavailable, Message: unavailable, cause: err}
	}
	return req, nil
}

// Lookup returns a stored request for a surface that shows it to people
// who may act on it (Slack approvers): it carries no result. A request
// found expired is stored and audited so at this moment.
func (g *Gate) Lookup(ctx context.Context, id string) (*store.Request, error) {
	req, err := g.store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if req.State == store.Expired && req.UpdatedAt.Before(req.ExpiresAt) {
		// Seen expired, not stored so yet: store it, once.
		if moved, err := g.store.Move(ctx, id, []store.State{store.Pending, store.Approved}, store.Expired,
			store.Change{Reason: store.ExpiredReason}); err == nil {
			g.recordEnd(moved, Principal{}, ResultExpired, store.ExpiredReason)
			req = moved
		}
	}
	req.Result = nil
	return req, nil
}

// Wait blocks until the request is no longer pending, approved or sending
// (or ctx ends) and returns it as then stored.
func (g *Gate) Wait(ctx context.Context, id string) (*store.Request, error) {
	return g.store.Wait(ctx, id, []store.State{store.Pending, store.Approved, store.Sending})
}

// Sweep expires requests nobody answered in time, audits each, and returns
// them so surfaces can update what they showed.
func (g *Gate) Sweep(ctx context.Context) ([]*store.Request, error) {
	expired, err := g.store.Sweep(ctx)
	for _, r := range expired {
		g.recordEnd(r, Principal{}, ResultExpired, store.ExpiredReason)
	}
	return expired, err
}

// Unsettled lists confirmed calls handed to CCC that have no outcome: a
// process died between sending and the answer, so each may have run.
// Nothing runs them again; people must check.
func (g *Gate) Unsettled(ctx context.Context) ([]*store.Request, error) {
	return g.store.List(ctx, store.Query{States: []store.State{store.Sending}})
}

// OpenApprovals lists approval requests still waiting, oldest first, for
// surfaces that post them to approvers.
func (g *Gate) OpenApprovals(ctx context.Context) ([]*store.Request, error) {
	return g.store.List(ctx, store.Query{States: []store.State{store.Pending}, Kind: store.KindApproval})
}

// Annotate stores a surface's own data on a request (for example the Slack
// message that shows it) without changing its state.
func (g *Gate) Annotate(ctx context.Context, id string, meta json.RawMessage) error {
	req, err := g.store.Get(ctx, id)
	if err != nil {
		return err
	}
	_, err = g.store.Move(ctx, id, []store.State{req.State}, req.State, store.Change{Meta: meta})
	return err
}

// Once records a single-use key (a Slack request signature, a posted
// message) until expires, and reports whether this is its first use — in
// every process sharing the store.
func (g *Gate) Once(ctx context.Context, kind, key string, expires time.Time) (bool, error) {
	return g.store.Once(ctx, kind, key, expires)
}

// Approvals reports whether approvals in Slack are set up: calls an MCP
// client cannot confirm wait for an approver there instead of failing.
func (g *Gate) Approvals() bool { return g.approvals }

// Store is the gate's store, for readiness checks.
func (g *Gate) Store() store.Store { return g.store }

// approverRoles lists the roles marked approver.
func (f *File) approverRoles() []string {
	var out []string
	for _, name := range sortedKeys(f.Roles) {
		if r := f.Roles[name]; r != nil && r.Approver {
			out = append(out, name)
		}
	}
	return slices.Clip(out)
}
