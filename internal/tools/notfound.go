package tools

import (
	"strings"

	"github.com/cccops/cccops/internal/ccc"
)

// notFoundHint says where a valid value comes from when CCC answered that
// the object a parameter names does not exist (ccc.Error.NotFoundParam):
// the parameter's description as the tool's schema gives it, which names
// the tools that list such ids, e.g. "UserId: Agent user ID (not the RAM ID
// or the login name). Find it with list_users or find_users." It is "" —
// and ccc.Error.Hint stands — when the code names no parameter of this
// tool, the description names no tool, or a tool it names is not served
// here (a filtered server must not send the model to a tool it cannot
// call).
func (r *Registry) notFoundHint(t *Tool, ce *ccc.Error) string {
	param := ce.NotFoundParam()
	if param == "" {
		return ""
	}
	p, ok := t.Input().Prop(param)
	if !ok {
		// Some actions take a list of the ids CCC names one of.
		if p, ok = t.Input().Prop(param + "List"); !ok {
			return ""
		}
	}
	named := toolsNamedIn(p.Description, r.all)
	if len(named) == 0 {
		return ""
	}
	for _, name := range named {
		if _, ok := r.Lookup(name); !ok {
			return ""
		}
	}
	return p.Name + ": " + p.Description
}

// toolsNamedIn lists the tools of all that a text names, in order.
func toolsNamedIn(text string, all []*Tool) []string {
	var named []string
	for _, w := range snakeWords(text) {
		for _, t := range all {
			if t.Name == w {
				named = append(named, w)
				break
			}
		}
	}
	return named
}

// snakeWords lists the words of a text that look like tool names:
// lower-case letters joined by underscores.
func snakeWords(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(text, func(c rune) bool { return (c < 'a' || c > 'z') && c != '_' }) {
		if strings.Contains(strings.Trim(w, "_"), "_") {
			out = append(out, w)
		}
	}
	return out
}
