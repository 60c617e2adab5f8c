package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

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

// ClearPreview is a preview made by Preview from args (as the gate stores
// it, masked), with its arguments line shown in full — phone numbers and
// e-mail addresses unmasked, credentials still left out — for the person
// who confirms the call in their own client and must see exactly whom it
// reaches. Logs, the audit and shared channels keep the masked preview.
func ClearPreview(preview string, args map[string]any) string {
	const label = "Arguments: "
	i := strings.LastIndex(preview, "\n"+label)
	switch {
	case i >= 0:
		i++
	case strings.HasPrefix(preview, label):
		i = 0
	default:
		return preview
	}
	clear := clearArgLines(args)
	if clear == "" {
		return preview
	}
	return preview[:i] + label + clear
}

// clearArgLines is argLines without masking: only what Redact drops
// (credentials) stays out, and nested objects stay masked.
func clearArgLines(args map[string]any) string {
	red := policy.Redact(args)
	clear := make(map[string]any, len(red))
	for k, v := range red {
		if _, nested := args[k].(map[string]any); nested {
			clear[k] = v
		} else {
			clear[k] = args[k]
		}
	}
	return argText(clear)
}

func argLines(args map[string]any) string { return argText(policy.Redact(args)) }

func argText(red map[string]any) string {
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

func (r *Registry) resetDetail(ctx context.Context, p policy.Principal, inst string, ids any) string {
	states, err := r.agentRows(ctx, p, inst)
	if err != nil {
		return "Current agent states could not be read (" + err.Error() + "); the reset would still apply to the agents named in the arguments."
	}
	var b strings.Builder
	list, _ := ids.([]any)
	if len(list) == 0 {
		var cleared, left []AgentRow
		for _, s := range states {
			switch {
			case s.Abnormal():
				cleared = append(cleared, s)
			case s.NamedResetOnly():
				left = append(left, s)
			}
		}
		if len(cleared) == 0 {
			b.WriteString("No RamIdList given: every agent in an abnormal state would be reset — right now there are none, so nothing would change.\n")
		} else {
			fmt.Fprintf(&b, "No RamIdList given: every agent in an abnormal state will be reset to a normal state — %d right now:\n", len(cleared))
			for _, s := range cleared {
				fmt.Fprintf(&b, "• %s\n", s)
			}
		}
		if len(left) > 0 {
			named := make([]string, 0, len(cleared)+len(left))
			for _, s := range append(append([]AgentRow(nil), cleared...), left...) {
				named = append(named, s.LoginName)
			}
			fmt.Fprintf(&b, "Not cleared by this blanket reset — %d more stuck, in a normal state held longer than %s, which only a reset that names them clears:\n", len(left), FormatHeld(r.StuckAfter()))
			for _, s := range left {
				fmt.Fprintf(&b, "• %s\n", s)
			}
			fmt.Fprintf(&b, "To clear every stuck agent, reset them by name instead (RamIdList with the RamIds of %s).\n", strings.Join(named, ", "))
		}
		return b.String()
	}
	byRam := map[string]AgentRow{}
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
		data, err := r.readOK(ctx, p, "GetUser", map[string]any{"InstanceId": inst, "UserId": uid})
		if err != nil {
			fmt.Fprintf(&b, "• UserId %s — could not be read (%v)\n", uid, err)
			continue
		}
		user, _ := data["User"].(map[string]any)
		detail, _ := user["Detail"].(map[string]any)
		fmt.Fprintf(&b, "• %s (%s, UserId %s)\n", str(detail, "DisplayName"), str(detail, "LoginName"), uid)
	}
	return b.String()
}

// shown is the preview of a call that waits for a yes, with what it
// depended on: for ResetUserStatus, the agents and the states shown, which
// recheckReset compares with the states when the yes comes.
func (r *Registry) shown(ctx context.Context, p policy.Principal, t *Tool, args map[string]any) policy.Shown {
	s := policy.Shown{Text: r.Preview(ctx, p, t, args)}
	if t.Action != "ResetUserStatus" {
		return s
	}
	inst, _ := args["InstanceId"].(string)
	rows, err := r.agentRows(ctx, p, inst)
	if err != nil {
		return s
	}
	list, _ := args["RamIdList"].([]any)
	want := map[string]bool{}
	for _, id := range list {
		want[fmt.Sprint(id)] = true
	}
	var guard []AgentRow
	for _, a := range rows {
		if (len(list) == 0 && a.Abnormal()) || want[a.RamID] {
			guard = append(guard, a)
		}
	}
	s.Guard, _ = json.Marshal(guard)
	return s
}

// recheckReset reads the agents shown in a reset's preview again and
// refuses the reset when any of them changed state since.
func (r *Registry) recheckReset(ctx context.Context, p policy.Principal, instance string, guard json.RawMessage) error {
	var shown []AgentRow
	if len(guard) == 0 || json.Unmarshal(guard, &shown) != nil {
		return nil // nothing was shown to compare with (the states could not be read at preview time)
	}
	_, changed, err := r.CheckUnchanged(ctx, p, instance, shown)
	if err != nil {
		return fmt.Errorf("the agents' states could not be read again, so nothing was reset: %s; run the reset again", errText(err))
	}
	if len(changed) == 0 {
		return nil
	}
	lines := make([]string, len(changed))
	for i, c := range changed {
		lines[i] = "• " + c.String()
	}
	return fmt.Errorf("the state changed since the preview, so nothing was reset:\n%s\nRun the reset again to see the current state", strings.Join(lines, "\n"))
}

// errText is an error's words for people.
func errText(err error) string {
	var te *Error
	if errors.As(err, &te) {
		return te.Message
	}
	return err.Error()
}
