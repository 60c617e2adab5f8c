package tools

// The status flow: one on-call view of an instance — today's figures since
// midnight, agents by state, stuck agents (the agent board's one
// definition) and the busiest skill groups. Every read goes through Invoke.

import (
	"context"
	"sort"
	"time"

	"github.com/cccops/cccops/internal/policy"
)

// GroupStatus is one skill group today, and now.
type GroupStatus struct {
	ID, Name string
	Figures
	// Now, from ListSkillGroupStates (zero when it could not be read).
	LoggedIn, Ready, Waiting int
}

// StateCount is how many agents are in a state.
type StateCount struct {
	State string
	Count int
}

// OnCallStatus is the on-call view of an instance.
type OnCallStatus struct {
	Instance string
	Since    time.Time // midnight
	At       time.Time // when CCC computed the figures
	Today    Figures
	Agents   int
	States   []StateCount // in KnownStates order, then Unknown
	Stuck    []AgentRow   // the agent board's stuck rows, longest held first
	Groups   []GroupStatus
	// Notes say which optional parts could not be read, and why.
	Notes []string
}

// StuckLogins are the login names of the stuck agents, for a reset command.
func (s *OnCallStatus) StuckLogins() []string {
	out := make([]string, 0, len(s.Stuck))
	for _, a := range s.Stuck {
		out = append(out, a.LoginName)
	}
	return out
}

// InstanceStatus reads today's figures since midnight
// (GetInstanceSummaryReportSinceMidnight), the skill groups' figures
// (ListSkillGroupSummaryReportsSinceMidnight) and states now
// (ListSkillGroupStates, best effort), and the agent board (stuck as
// AgentBoard flags them). Groups are sorted busiest first.
func (r *Registry) InstanceStatus(ctx context.Context, p policy.Principal, instance string) (*OnCallStatus, error) {
	if instance == "" {
		instance = r.cfg.DefaultInstance
	}
	// Midnight and the report's time are the call center's (CCC answers
	// its Timestamp in that zone), whatever the zone of this machine.
	now := r.cfg.Now().In(r.Zone())
	st := &OnCallStatus{Instance: instance, Since: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location()), At: now}
	data, err := r.readOK(ctx, p, "GetInstanceSummaryReportSinceMidnight", map[string]any{"InstanceId": instance})
	if err != nil {
		return nil, err
	}
	sum, _ := data["InstanceSummaryReport"].(map[string]any)
	st.Today = figures(sum)
	if ts, err := time.ParseInLocation(reportTimeLayout, str(sum, "Timestamp"), now.Location()); err == nil {
		st.At = ts
	}

	groups, _, err := r.listPages(ctx, p, "ListSkillGroupSummaryReportsSinceMidnight", map[string]any{"InstanceId": instance}, "PagedSkillGroupSummaryReport", "List")
	if err != nil {
		return nil, err
	}
	byID := map[string]int{}
	for _, g := range groups {
		gs := GroupStatus{ID: str(g, "SkillGroupId"), Name: str(g, "SkillGroupName"), Figures: figures(g)}
		byID[gs.ID] = len(st.Groups)
		st.Groups = append(st.Groups, gs)
	}
	if states, _, err := r.listPages(ctx, p, "ListSkillGroupStates", map[string]any{"InstanceId": instance}, "Data", "List"); err != nil {
		st.Notes = append(st.Notes, "skill group states now could not be read: "+err.Error())
	} else {
		for _, s := range states {
			i, ok := byID[str(s, "SkillGroupId")]
			if !ok {
				continue
			}
			g := &st.Groups[i]
			g.LoggedIn, g.Ready, g.Waiting = int(fnum(s, "LoggedInAgents")), int(fnum(s, "ReadyAgents")), int(fnum(s, "WaitingCalls"))
		}
	}
	sort.SliceStable(st.Groups, func(i, j int) bool {
		a, b := st.Groups[i], st.Groups[j]
		if a.Waiting != b.Waiting {
			return a.Waiting > b.Waiting
		}
		return a.Offered > b.Offered
	})

	rows, err := r.AgentBoard(ctx, p, instance, "", "")
	if err != nil {
		return nil, err
	}
	st.Agents = len(rows)
	counts := map[string]int{}
	for _, a := range rows {
		counts[a.State]++
		if a.Stuck {
			st.Stuck = append(st.Stuck, a)
		}
	}
	for _, s := range append(KnownStates(), "Unknown") {
		if counts[s] > 0 {
			st.States = append(st.States, StateCount{s, counts[s]})
		}
	}
	return st, nil
}
