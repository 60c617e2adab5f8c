package tools

// The one definition of a stuck agent. Every surface — the Slack board and
// status, the MCP overview and prompts, the preview of a reset — takes its
// list from agentRows' Stuck flag and its words from here, so they all
// name the same agents and say the same about each.

import (
	"context"
	"fmt"
	"time"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/policy"
)

// DefaultStuckAfter is the threshold past which holding any state but
// Ready or Offline counts as stuck, when Config.StuckAfter is not set.
const DefaultStuckAfter = 2 * time.Hour

// StuckRule says in words when CCC calls an agent abnormal: the agents a
// blanket ResetUserStatus (no RamIdList) clears.
var StuckRule = ccc.StuckRule

// StuckAfter is this registry's threshold: any state but Ready or Offline
// held longer than this counts as stuck.
func (r *Registry) StuckAfter() time.Duration {
	if r.cfg.StuckAfter > 0 {
		return r.cfg.StuckAfter
	}
	return DefaultStuckAfter
}

// ThresholdRule says in words the second way to be stuck, and that only a
// reset naming the agent clears it.
func (r *Registry) ThresholdRule() string {
	return fmt.Sprintf("any state but Ready or Offline held longer than %s; a normal state, so only a reset that names the agent clears it", FormatHeld(r.StuckAfter()))
}

// StuckDefinition is the whole definition, to say once:
// "abnormal: …; ResetUserStatus clears it — or over the threshold: …".
func (r *Registry) StuckDefinition() string {
	return "abnormal: " + StuckRule + " — or over the threshold: " + r.ThresholdRule()
}

// NamedResetOnly reports whether the agent is stuck in a way a blanket
// ResetUserStatus leaves alone: a normal state held past the threshold.
// Only a reset that names them (RamIdList) clears them.
func (a AgentRow) NamedResetOnly() bool { return a.Stuck && !a.Abnormal() }

// StuckLine is a stuck agent in one line of plain text: who, the state and
// for how long, why it counts as stuck and which reset clears it.
func StuckLine(a AgentRow) string {
	if a.Why == "" {
		return a.String()
	}
	return a.String() + ": " + a.Why
}

// Stuck lists the stuck agents of an instance, longest held first: the
// list every surface shows.
func (r *Registry) Stuck(ctx context.Context, p policy.Principal, instance string) ([]AgentRow, error) {
	return r.AgentBoard(ctx, p, instance, "stuck", "")
}

// stuckWhy says why an agent counts as stuck and which reset clears it:
// abnormal in CCC's sense (a busy state held an hour or more, which any
// reset clears), or any state but Ready and Offline held longer than the
// threshold (which only a reset naming the agent clears).
func stuckWhy(a AgentRow, stuckAfter time.Duration) string {
	if !a.HeldKnown {
		return ""
	}
	if ccc.Abnormal(a.State, a.Held) {
		return "abnormal; any reset clears it, a blanket one too"
	}
	if stuckAfter > 0 && a.Held > stuckAfter && a.State != ccc.StateReady && a.State != ccc.StateOffline && a.State != "" && a.State != "Unknown" {
		return fmt.Sprintf("over the %s threshold; only a reset that names the agent clears it", FormatHeld(stuckAfter))
	}
	return ""
}
