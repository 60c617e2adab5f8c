package policy

import (
	"fmt"
	"slices"

	"github.com/cccops/cccops/internal/ccc/spec"
)

// The OAuth scopes that narrow what a token may do (see Principal.Scopes).
// ccc:read covers read-class actions only; ccc:write covers every class
// (and implies ccc:read). Neither skips a rule or a confirmation: a scope
// only ever takes permissions away.
const (
	ScopeRead  = "ccc:read"
	ScopeWrite = "ccc:write"
)

// ScopeFor is the scope an action of this access class needs.
func ScopeFor(access spec.Access) string {
	if access == read {
		return ScopeRead
	}
	return ScopeWrite
}

// scopeRefusal denies a call the principal's token scopes do not cover. A
// principal with nil Scopes (static tokens, Slack, stdio) is not narrowed.
func scopeRefusal(p Principal, action string, access spec.Access) (Decision, bool) {
	if p.Scopes == nil || slices.Contains(p.Scopes, ScopeWrite) {
		return Decision{}, false
	}
	need := ScopeFor(access)
	if slices.Contains(p.Scopes, need) {
		return Decision{}, false
	}
	return Decision{Verdict: Deny, Rule: "scope:" + need,
		Reason: fmt.Sprintf("%s is a %s action and the access token does not carry the %s scope; reconnect and grant %s (the identity provider must allow it for you)", action, access, need, need)}, true
}
