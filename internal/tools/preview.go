package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/policy"
)

// Preview says in plain words what a call would do: the action, the
// instance, the arguments (phone numbers masked), the risk, and for the
// actions where it matters, who is affected right now — for ResetUserStatus
// the agents and their current states. Reading that state is best effort: a
// failure is said in the preview, never hidden.
func (r *Registry) Preview(ctx context.Context, p policy.Principal, t *Tool, args map[string]any) string {
	var b strings.Builder
	inst, _ := args["InstanceId"].(string)
	fmt.Fprintf(&b, "%s (%s)", t.Title, t.Name)
	if inst != "" {
		fmt.Fprintf(&b, " on instance %s", inst)
	}
	b.WriteString(".\n")
	b.WriteString(riskSentence(t.Access))
	b.WriteString("\n")
	if detail := r.detail(ctx, p, t, args); detail != "" {
		b.WriteString(detail)
		if !strings.HasSuffix(detail, "\n") {
			b.WriteString("\n")
		}
	}
	if shown := argLines(args); shown != "" {
		b.WriteString("Arguments: ")
		b.WriteString(shown)
	}
	return strings.TrimRight(b.String(), "\n")
}

func riskSentence(a spec.Access) string {
	switch a {
	case spec.AccessWrite:
		return "Risk: adds new configuration to the call center."
	case spec.AccessDestructive:
		return "Risk: changes or removes existing configuration or live agent state; it cannot be undone by this tool."
	case spec.AccessExternal:
		return "Risk: reaches real people outside (a call or a message) and may cost money."
	case spec.AccessSecret:
		return "Risk: returns credentials; keep the result private."
	}
	return "Risk: read only."
}

func argLines(args map[string]any) string {
	red := policy.Redact(args)
	keys := make([]string, 0, len(red))
	for k := range red {
		if k != "InstanceId" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v, _ := json.Marshal(red[k])
		s := string(v)
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		parts = append(parts, k+"="+s)
	}
	return strings.Join(parts, " ")
}

// detail adds who is affected, for the actions where a reader needs it.
func (r *Registry) detail(ctx context.Context, p policy.Principal, t *Tool, args map[string]any) string {
	inst, _ := args["InstanceId"].(string)
	switch t.Action {
	case "ResetUserStatus":
		return r.resetDetail(ctx, p, inst, args["RamIdList"])
	case "RemoveUsers":
		return r.usersDetail(ctx, p, inst, args["UserId"], "Agents that will be removed")
	case "RemoveUsersFromSkillGroup":
		g, _ := args["SkillGroupId"].(string)
		return fmt.Sprintf("From skill group %s.\n", g) + r.usersDetail(ctx, p, inst, args["UserId"], "Agents that will leave the group")
	case "StartBack2BackCall", "DialEx", "CallOnlinePrivacyNumber":
		return "This places a real telephone call."
	case "SendPredefinedShortMessage", "LaunchShortMessageAppraise":
		return "This sends a real SMS."
	}
	return ""
}

// AgentState is one agent's current state as ListAgentStates reports it.
type AgentState struct {
	RamID, LoginName, Name, Extension, State string
	Held                                     time.Duration
	HeldKnown                                bool
}

// Abnormal reports whether ResetUserStatus would treat the agent as stuck.
func (a AgentState) Abnormal() bool { return a.HeldKnown && ccc.Abnormal(a.State, a.Held) }

// String is "Alice Wang (alice, ext 8001, RamId 1001) — Talking for 5h12m".
func (a AgentState) String() string {
	held := ""
	if a.HeldKnown {
		held = " for " + a.Held.Round(time.Minute).String()
		held = strings.TrimSuffix(held, "0s")
	}
	return fmt.Sprintf("%s (%s, ext %s, RamId %s) — %s%s", a.Name, a.LoginName, a.Extension, a.RamID, a.State, held)
}

// AgentStates reads every agent's current state on an instance, as p: RAM
// id, name, extension and state from ListRealTimeAgent, joined by extension
// with login name and time in state from ListAgentStates (whose AgentId is
// not documented to be the RAM id ResetUserStatus takes). Both reads go
// through Invoke, so the gate decides and the audit records them like any
// other call.
func (r *Registry) AgentStates(ctx context.Context, p policy.Principal, instance string) ([]AgentState, error) {
	var rt struct {
		Data []struct{ RamId, DisplayName, Dn, State string }
	}
	if err := r.invokeInto(ctx, p, "ListRealTimeAgent", map[string]any{"InstanceId": instance}, &rt); err != nil {
		return nil, err
	}
	type extra struct {
		login string
		held  time.Duration
		known bool
	}
	byDn := map[string]extra{}
	seen := 0
	for page := int64(1); page <= 50; page++ {
		var resp struct {
			Data struct {
				List       []struct{ Dn, LoginName, StateDuration string }
				TotalCount int
			}
		}
		args := map[string]any{"InstanceId": instance, "PageNumber": page, "PageSize": int64(100)}
		if err := r.invokeInto(ctx, p, "ListAgentStates", args, &resp); err != nil {
			return nil, err
		}
		for _, a := range resp.Data.List {
			d, ok := ccc.ParseStateDuration(a.StateDuration)
			byDn[a.Dn] = extra{a.LoginName, d, ok}
		}
		seen += len(resp.Data.List)
		if seen >= resp.Data.TotalCount || len(resp.Data.List) == 0 {
			break
		}
	}
	out := make([]AgentState, 0, len(rt.Data))
	for _, u := range rt.Data {
		x := byDn[u.Dn]
		out = append(out, AgentState{RamID: u.RamId, Name: u.DisplayName, Extension: u.Dn, State: u.State, LoginName: x.login, Held: x.held, HeldKnown: x.known})
	}
	return out, nil
}

// invokeInto runs a read tool as p and decodes its shaped result into out.
func (r *Registry) invokeInto(ctx context.Context, p policy.Principal, tool string, args map[string]any, out any) error {
	res, err := r.Invoke(ctx, Invocation{Principal: p, Tool: tool, Args: args})
	if err != nil {
		return err
	}
	if res.Status != StatusOK {
		return fmt.Errorf("%s needs a confirmation under this policy; it cannot be read for a preview", tool)
	}
	b, err := json.Marshal(res.Data)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func (r *Registry) resetDetail(ctx context.Context, p policy.Principal, inst string, ids any) string {
	states, err := r.AgentStates(ctx, p, inst)
	if err != nil {
		return "Current agent states could not be read (" + err.Error() + "); the reset would still apply to the agents named in the arguments."
	}
	var b strings.Builder
	list, _ := ids.([]any)
	if len(list) == 0 {
		var stuck []AgentState
		for _, s := range states {
			if s.Abnormal() {
				stuck = append(stuck, s)
			}
		}
		if len(stuck) == 0 {
			return "No RamIdList given: every agent in an abnormal state would be reset — right now there are none, so nothing would change."
		}
		fmt.Fprintf(&b, "No RamIdList given: every agent in an abnormal state will be reset to a normal state — %d right now:\n", len(stuck))
		for _, s := range stuck {
			fmt.Fprintf(&b, "• %s\n", s)
		}
		return b.String()
	}
	byRam := map[string]AgentState{}
	for _, s := range states {
		byRam[s.RamID] = s
	}
	fmt.Fprintf(&b, "Agents that will be reset (%d):\n", len(list))
	for _, id := range list {
		key := fmt.Sprint(id)
		if s, ok := byRam[key]; ok {
			fmt.Fprintf(&b, "• %s\n", s)
		} else {
			fmt.Fprintf(&b, "• RamId %s — not found on this instance\n", key)
		}
	}
	return b.String()
}

func (r *Registry) usersDetail(ctx context.Context, p policy.Principal, inst string, ids any, heading string) string {
	list, _ := ids.([]any)
	if len(list) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%d):\n", heading, len(list))
	for i, id := range list {
		if i == 20 {
			fmt.Fprintf(&b, "• … and %d more\n", len(list)-20)
			break
		}
		uid := fmt.Sprint(id)
		var resp struct {
			User struct {
				RamId  string
				Detail struct{ DisplayName, LoginName string }
			}
		}
		if err := r.invokeInto(ctx, p, "GetUser", map[string]any{"InstanceId": inst, "UserId": uid}, &resp); err != nil {
			fmt.Fprintf(&b, "• UserId %s — could not be read (%v)\n", uid, err)
			continue
		}
		fmt.Fprintf(&b, "• %s (%s, UserId %s)\n", resp.User.Detail.DisplayName, resp.User.Detail.LoginName, uid)
	}
	return b.String()
}
