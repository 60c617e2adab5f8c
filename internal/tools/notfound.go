package tools

import (
	"strings"

	"github.com/cccops/cccops/internal/ccc/docs"
)

// notFoundHint says where a valid value comes from when CCC answered that
// the object a parameter names does not exist (codes NotExists.<Param> and
// NotFound.<Param>): the parameter's description as the tool's schema
// gives it, which names the tools that list such ids, e.g.
// "UserId: Agent user ID (not the RAM ID or the login name). Find it with
// list_users or find_users." It is "" — and the generic hint stands — when the code
// names no parameter, the description names no tool, or a tool it names
// is not served here (a filtered server must not send the model to a tool
// it cannot call).
func (r *Registry) notFoundHint(t *Tool, code string) string {
	dot := strings.IndexByte(code, '.')
	if dot < 0 {
		return ""
	}
	switch strings.ToLower(code[:dot]) {
	case "notexists", "notexist", "notfound":
	default:
		return ""
	}
	param := code[dot+1:]
	desc := ""
	if p, ok := t.Input().Prop(param); ok {
		param, desc = p.Name, p.Description
	} else if p, ok := t.Input().Prop(param + "List"); ok {
		// Some actions take a list of the ids CCC names one of.
		param, desc = p.Name, p.Description
	} else {
		desc = docs.ParamDescription(t.Action, param)
	}
	named := 0
	words := strings.FieldsFunc(desc, func(c rune) bool { return (c < 'a' || c > 'z') && c != '_' })
	for _, w := range words {
		if !strings.Contains(w, "_") || !r.isTool(w) {
			continue
		}
		if _, ok := r.Lookup(w); !ok {
			return ""
		}
		named++
	}
	if named == 0 {
		return ""
	}
	return param + ": " + desc
}

// isTool says whether name is a tool of the catalog, served here or not.
func (r *Registry) isTool(name string) bool {
	for _, t := range r.all {
		if t.Name == name {
			return true
		}
	}
	return false
}
