package slack

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/cccops/cccops/internal/schema"
	"github.com/cccops/cccops/internal/tools"
)

// usage is a tool's usage as this bot serves it: the required list comes
// from the registry's served schema (Registry.InputSchema), so a parameter
// the registry fills in — InstanceId, with a default instance — is
// optional here too, and says its default. The example names only what is
// required, with placeholders for values that only the user's call center
// knows (an id, a name) instead of made-up ones.
func (b *Bot) usage(t *tools.Tool, command string) string {
	required := servedRequired(b.reg.InputSchema(t))
	props := append([]schema.Prop(nil), t.Input().Props...)
	sort.SliceStable(props, func(i, j int) bool { return required[props[i].Name] && !required[props[j].Name] })
	defaults := map[string]string{}
	if t.HasParam("InstanceId") && b.reg.DefaultInstance() != "" && !required["InstanceId"] {
		defaults["InstanceId"] = b.reg.DefaultInstance()
	}

	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s", command, t.Name)
	for _, p := range props {
		if required[p.Name] {
			fmt.Fprintf(&sb, " %s=<%s>", p.Name, p.Type)
		} else {
			fmt.Fprintf(&sb, " [%s=<%s>]", p.Name, p.Type)
		}
	}
	fmt.Fprintf(&sb, "\n%s — %s\nRisk: %s.\n", t.Title, t.Description, t.Access)
	if len(props) == 0 {
		sb.WriteString("Takes no parameters.\n")
	}
	for _, p := range props {
		how := "optional"
		if required[p.Name] {
			how = "required"
		}
		if d, ok := defaults[p.Name]; ok {
			how = "optional, default " + d
		}
		fmt.Fprintf(&sb, "• %s (%s, %s): %s\n", p.Name, p.TypeText(), how, p.Description)
	}
	fmt.Fprintf(&sb, "Example: %s %s", command, t.Name)
	for _, p := range props {
		if required[p.Name] {
			fmt.Fprintf(&sb, " %s=%s", p.Name, exampleValue(p))
		}
	}
	return sb.String()
}

// servedRequired reads the "required" list of a JSON Schema.
func servedRequired(raw json.RawMessage) map[string]bool {
	var s struct {
		Required []string `json:"required"`
	}
	_ = json.Unmarshal(raw, &s)
	out := make(map[string]bool, len(s.Required))
	for _, r := range s.Required {
		out[r] = true
	}
	return out
}

// exampleValue is a value of the parameter's type for an example line: a
// real one where the schema gives it (an enum, a minimum, the relative
// time forms the bot accepts), else a placeholder naming the parameter.
func exampleValue(p schema.Prop) string {
	switch {
	case len(p.Enum) > 0:
		return fmt.Sprint(p.Enum[0])
	case schema.IsTimeParam(p.Name) && p.Type == "integer":
		return "1h"
	case schema.IsTimeParam(p.Name):
		return "today"
	}
	switch p.Type {
	case "integer":
		if p.Minimum != nil {
			return fmt.Sprint(int64(*p.Minimum))
		}
		return "1"
	case "boolean":
		return "true"
	case "array":
		return "<" + p.Name + ">,<…>"
	}
	return "<" + p.Name + ">"
}

// invalidArgs renders the registry's invalid-arguments error for Slack: the
// problem, then the next step in this surface's words — the parameter to
// fix and the help command that lists the tool's parameters.
func invalidArgs(te *tools.Error, usage string) *Message {
	problem := te.Message
	fix := "`/ccc help` shows the grammar."
	switch {
	case te.Tool != "" && te.Param != "":
		fix = fmt.Sprintf("Check `%s`: `/ccc help %s` lists what each parameter takes.", te.Param, te.Tool)
	case te.Tool != "":
		fix = fmt.Sprintf("`/ccc help %s` lists what each parameter takes.", te.Tool)
	}
	if usage != "" {
		fix += "\nUsage:\n```" + escCode(usage) + "```"
	}
	return errorMessage(problem, fix)
}
