// Package policy is the one gate every CCC call passes through: it decides
// whether a principal may run an action (allow, confirm or deny), proves a
// human's confirmation with a signed, single-use, expiring token, limits how
// fast each principal may call, and writes an audit record of every
// decision and outcome with phone numbers masked and secrets removed.
//
// The tool registry calls the gate from its single invoke path; the MCP and
// Slack adapters only carry its answers to people. The policy file format is
// described in README.md.
package policy

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/store"
)

// Principal is whoever asks for a call.
type Principal struct {
	ID      string   // stable: "slack:T123:U456", "mcp:<token-name>", "local"
	Name    string   // display name
	Surface string   // "mcp", "slack", "stdio", "test"
	Groups  []string // e.g. Slack user-group handles; roles can be granted by group
	// Scopes of the OAuth access token (ScopeRead, ScopeWrite) narrow the
	// classes this principal may run; nil: not narrowed (static tokens, Slack).
	Scopes []string
	// Slack is the Slack user id of this principal's human, when its
	// identity says so (an OAuth claim); the policy file's link wins.
	Slack string
}

// SlackPrincipal is the principal of a Slack user: id "slack:<team>:<user>",
// the form a policy file names them by (or by the bare user id).
func SlackPrincipal(teamID, userID, name string) Principal {
	return Principal{ID: slackPrefix + teamID + ":" + userID, Name: name, Surface: "slack"}
}

const slackPrefix = "slack:"

// Verdict is the gate's answer.
type Verdict string

// The three verdicts.
const (
	Allow   Verdict = "allow"   // run it
	Confirm Verdict = "confirm" // run it only after a human's yes (a redeemed token)
	Deny    Verdict = "deny"    // never run it
)

// Call is one request to run a CCC action.
type Call struct {
	Principal  Principal
	Action     string         // CCC action name, e.g. "ResetUserStatus"
	Toolset    string         // spec category, e.g. "agents"
	Access     spec.Access    // from AccessOf(Action); the gate checks it agrees
	Args       map[string]any // decoded JSON arguments (what will be sent)
	InstanceID string         // Args["InstanceId"] if any
	Tool       string         // the tool's name, for people ("reset_user_status")

	// CanAsk says the requester's surface can ask them to confirm (Slack
	// buttons, an MCP client that declared elicitation). When it cannot,
	// a call that needs a yes waits for an approver in Slack.
	CanAsk bool
	// Preview describes what the call will do, for the person who says
	// yes, and what that description depended on; Admit calls it only
	// when it opens a request.
	Preview func(ctx context.Context) Shown
	// Recheck, when set, is run after a yes settles the request and
	// before the call is sent, with the Guard the preview returned: an
	// error (what changed since the preview) refuses the call.
	Recheck func(ctx context.Context, guard json.RawMessage) error
	// Meta is the surface's own data, kept with an opened request.
	Meta json.RawMessage
}

// Decision is the gate's answer with its reasons.
type Decision struct {
	Verdict  Verdict
	Reason   string // human text: which rule, which constraint, what to do next
	Rule     string // rule that matched ("default:<class>" when no file)
	FourEyes bool   // approver must differ from requester and hold an approver role
	// ApproveIn is where the yes must come from: ApproveInSlack, or ""
	// for the requester's own surface when it can ask them.
	ApproveIn string
}

// Shown is what a preview showed: the text people read, and what it
// depended on (for example the agents' states), to check again before the
// call runs.
type Shown struct {
	Text  string
	Guard json.RawMessage
}

// ApproveInSlack is the rule setting that sends every yes to Slack.
const ApproveInSlack = "slack"

// Config sets up a Gate. Every field is optional.
type Config struct {
	File     *File         // nil → defaults: read, secret → allow; write, destructive, external → confirm
	Secret   []byte        // HMAC key for confirmation tokens; empty → random per process (with a warning)
	TokenTTL time.Duration // how long a confirmation stays valid; default 5 minutes
	// ApprovalTTL is how long an approval in Slack stays open; default 15
	// minutes.
	ApprovalTTL time.Duration
	// Approvals says a Slack bot sharing the store posts approval
	// requests: calls whose client cannot ask, or under four eyes, wait
	// for an approver there. Off: such calls are refused.
	Approvals bool
	// Store keeps requests, single-use keys and rate-limit buckets; nil:
	// a memory store of this process.
	Store    store.Store
	ReadOnly bool      // only read actions; the rest are denied
	Audit    io.Writer // where Record writes JSON lines; nil → discarded
	Now      func() time.Time
	Logger   *slog.Logger
	Limits   Limits // per-principal token buckets; zero → DefaultLimits
	// Observe, when set, is called with every record (metrics), whether
	// auditing is on or off; Args is always nil and Reason is not masked
	// yet (never log it). It must be quick and safe for concurrent use.
	Observe func(Record)

	// ReadOnlySecrets lets secret (credential-returning) actions through in
	// read-only mode as well.
	ReadOnlySecrets bool
}

// DefaultTokenTTL is how long a confirmation token stays valid by default.
const DefaultTokenTTL = 5 * time.Minute

// DefaultApprovalTTL is how long an approval in Slack stays open by default.
const DefaultApprovalTTL = 15 * time.Minute

// Gate is safe for concurrent use.
type Gate struct {
	file        *File
	secret      []byte
	ttl         time.Duration
	approvalTTL time.Duration
	approvals   bool
	readOnly    bool
	roSecret    bool
	now         func() time.Time
	log         *slog.Logger
	store       store.Store
	observe     func(Record)

	auditMu sync.Mutex
	audit   io.Writer

	limits Limits
}

// New builds a gate.
func New(cfg Config) (*Gate, error) {
	g := &Gate{
		file:        cfg.File,
		ttl:         cfg.TokenTTL,
		approvalTTL: cfg.ApprovalTTL,
		approvals:   cfg.Approvals,
		readOnly:    cfg.ReadOnly,
		roSecret:    cfg.ReadOnlySecrets,
		now:         cfg.Now,
		log:         cfg.Logger,
		audit:       cfg.Audit,
		store:       cfg.Store,
		observe:     cfg.Observe,
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.audit == nil {
		g.audit = io.Discard
	}
	if g.ttl < 0 {
		return nil, fmt.Errorf("policy: token TTL %v is negative; use a positive duration or 0 for the default of %v", cfg.TokenTTL, DefaultTokenTTL)
	}
	if g.ttl == 0 {
		g.ttl = DefaultTokenTTL
	}
	if g.approvalTTL < 0 {
		return nil, fmt.Errorf("policy: approval TTL %v is negative; use a positive duration or 0 for the default of %v", cfg.ApprovalTTL, DefaultApprovalTTL)
	}
	if g.approvalTTL == 0 {
		g.approvalTTL = DefaultApprovalTTL
	}
	if g.store == nil {
		g.store = store.NewMemory(store.Options{Now: g.now})
	}
	if len(cfg.Secret) == 0 {
		g.secret = make([]byte, 32)
		if _, err := rand.Read(g.secret); err != nil {
			return nil, fmt.Errorf("policy: cannot draw a random token secret: %w", err)
		}
		g.log.Warn("no confirmation secret configured (CCC_TOKEN_SECRET): using a random one for this process; confirmations will not survive a restart or work across replicas — set a secret of at least 16 bytes (32 random bytes recommended)")
	} else {
		if len(cfg.Secret) < 16 {
			return nil, errors.New("policy: the confirmation secret is shorter than 16 bytes; use at least 32 random bytes")
		}
		g.secret = slices.Clone(cfg.Secret)
	}
	lim, err := cfg.Limits.withDefaults()
	if err != nil {
		return nil, err
	}
	g.limits = lim
	return g, nil
}

// Roles returns the roles the policy file gives a principal (sorted), or nil
// when the gate runs without a file.
func (g *Gate) Roles(p Principal) []string {
	if g.file == nil {
		return nil
	}
	return g.file.rolesOf(p)
}

// IsApprover reports whether p holds a role marked approver.
func (g *Gate) IsApprover(p Principal) bool {
	if g.file == nil || p.ID == "" {
		return false
	}
	for _, r := range g.file.rolesOf(p) {
		if role := g.file.Roles[r]; role != nil && role.Approver {
			return true
		}
	}
	return false
}

// LinkedSlack is the Slack user id of a principal's human: the policy
// file's link, else what its identity says (Principal.Slack), or "".
func (g *Gate) LinkedSlack(p Principal) string {
	if g.file != nil {
		if s := g.file.slackOf(p.ID); s != "" {
			return s
		}
	}
	return p.Slack
}

// ReadOnly reports whether the gate refuses everything but read-class
// actions.
func (g *Gate) ReadOnly() bool { return g.readOnly }

// ReadOnlyAllows reports whether read-only mode (if on) lets an access class
// through: read always, secret only with ReadOnlySecrets.
func (g *Gate) ReadOnlyAllows(a spec.Access) bool {
	return !g.readOnly || a == read || a == secret && g.roSecret
}

// Decide answers whether c may run. It never trusts c.Access or c.Toolset
// for the decision: both come from the reviewed table and the spec.
func (g *Gate) Decide(c Call) Decision {
	access := AccessOf(c.Action)
	if access == "" {
		return Decision{Verdict: Deny, Rule: "unknown-action",
			Reason: fmt.Sprintf("%q is not one of the 89 CCC 2017-07-05 actions; check the tool name", c.Action)}
	}
	if c.Access != "" && c.Access != access {
		return Decision{Verdict: Deny, Rule: "access-mismatch",
			Reason: fmt.Sprintf("the caller labelled %s as %q but the access table says %q; this is a bug in the caller — report it", c.Action, c.Access, access)}
	}
	if inst, _ := c.Args["InstanceId"].(string); inst != c.InstanceID {
		return Decision{Verdict: Deny, Rule: "instance-mismatch",
			Reason: fmt.Sprintf("the call names instance %q but its arguments say %q; this is a bug in the caller — report it", c.InstanceID, inst)}
	}
	if c.Principal.ID == "" {
		return Decision{Verdict: Deny, Rule: "no-principal",
			Reason: "the request carries no principal, so nobody could be held to it; the adapter must identify the caller"}
	}
	if d, refused := scopeRefusal(c.Principal, c.Action, access); refused {
		return d
	}
	if !g.ReadOnlyAllows(access) {
		return Decision{Verdict: Deny, Rule: "config:read-only",
			Reason: fmt.Sprintf("this server runs read-only, so %s (%s) is refused; an operator must restart it without read-only mode to change anything", c.Action, access)}
	}
	if g.file == nil {
		return defaultDecision(c.Action, access)
	}
	return g.file.decide(c, access)
}

func defaultDecision(action string, access spec.Access) Decision {
	d := Decision{Rule: "default:" + string(access)}
	switch access {
	case read:
		d.Verdict, d.Reason = Allow, fmt.Sprintf("%s only reads; reads are allowed when no policy file is loaded", action)
	case secret:
		d.Verdict, d.Reason = Allow, fmt.Sprintf("%s returns credentials: allowed, but show the result only to the requester, never in a shared channel", action)
	default:
		d.Verdict, d.Reason = Confirm, fmt.Sprintf("%s is a %s action; without a policy file every %s action needs a human to confirm it", action, access, access)
	}
	return d
}

// ruleMatches reports whether the rule's selectors pick the action.
func (r *Rule) matches(action, toolset string, access spec.Access) bool {
	if len(r.Actions) > 0 && !slices.ContainsFunc(r.Actions, func(g string) bool { return globMatch(g, action) }) {
		return false
	}
	if len(r.Toolsets) > 0 && !slices.Contains(r.Toolsets, toolset) {
		return false
	}
	if len(r.Access) > 0 && !slices.Contains(r.Access, access) {
		return false
	}
	return true
}

// apply turns a matched rule into a decision, enforcing its constraints.
func (r *Rule) apply(c Call, access spec.Access) Decision {
	if r.ReadOnly && !access.ReadOnly() {
		return Decision{Verdict: Deny, Rule: r.id,
			Reason: fmt.Sprintf("rule %s is read-only and %s is a %s action; ask someone whose role may change things", r.id, c.Action, access)}
	}
	if len(r.Instances) > 0 && !slices.Contains(r.Instances, c.InstanceID) {
		inst := c.InstanceID
		if inst == "" {
			inst = "(none given)"
		}
		return Decision{Verdict: Deny, Rule: r.id,
			Reason: fmt.Sprintf("rule %s only covers instances %s, not %s; use one of those or ask an administrator to extend the rule", r.id, strings.Join(r.Instances, ", "), inst)}
	}
	d := Decision{Verdict: r.Verdict, Rule: r.id, FourEyes: r.FourEyes, ApproveIn: r.ApproveIn}
	switch r.Verdict {
	case Allow:
		d.Reason = fmt.Sprintf("rule %s allows %s", r.id, c.Action)
	case Confirm:
		d.Reason = fmt.Sprintf("rule %s: %s (%s) runs only after a human confirms it", r.id, c.Action, access)
	default:
		d.Reason = fmt.Sprintf("rule %s denies %s; ask an administrator if you need it", r.id, c.Action)
	}
	return d
}

var verdictRank = map[Verdict]int{Deny: 0, Confirm: 1, Allow: 2}

func (f *File) decide(c Call, access spec.Access) Decision {
	toolset := ""
	if a := spec.MustSpec().Action(c.Action); a != nil {
		toolset = a.Category
	}
	roles := f.rolesOf(c.Principal)
	if len(roles) == 0 {
		return Decision{Verdict: Deny, Rule: "no-role",
			Reason: fmt.Sprintf("%s has no role in the policy file and the file sets no default_role; an administrator must add them under principals or groups", c.Principal.ID)}
	}
	// Roles grant: each role answers with its first matching rule, and the
	// most permissive answer wins (allow over confirm over deny; between two
	// confirms, the one without four eyes).
	var best *Decision
	for _, name := range roles {
		role := f.Roles[name]
		if role == nil {
			continue
		}
		for _, r := range role.Rules {
			if !r.matches(c.Action, toolset, access) {
				continue
			}
			d := r.apply(c, access)
			if best == nil || verdictRank[d.Verdict] > verdictRank[best.Verdict] ||
				(d.Verdict == best.Verdict && best.FourEyes && !d.FourEyes) {
				best = &d
			}
			break
		}
	}
	if best == nil {
		return Decision{Verdict: Deny, Rule: "no-rule",
			Reason: fmt.Sprintf("no rule of role(s) %s covers %s (toolset %s, class %s); an administrator must add one", strings.Join(roles, ", "), c.Action, toolset, access)}
	}
	// Class-wide four eyes overrides any rule.
	if slices.Contains(f.FourEyes, access) && best.Verdict != Deny {
		if best.Verdict == Allow {
			best.Reason = fmt.Sprintf("%s; but every %s action needs a second person's approval under this policy", best.Reason, access)
		}
		best.Verdict, best.FourEyes = Confirm, true
	}
	if best.FourEyes {
		best.Reason += "; the approver must be someone else holding an approver role"
	}
	return *best
}
