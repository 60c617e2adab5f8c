// Package docs holds our own English text for the CCC API: a title and a
// description for every action, a description for every parameter (a shared
// glossary plus per-action overrides), and the closed sets (enums) and bounds
// the API documents. The request-struct generator (internal/ccc/gen) bakes the
// parameter text, enums and bounds into struct tags; the tool registry reads
// the action text.
package docs

// ActionDoc is what a person or a model reads about one action.
type ActionDoc struct {
	// Title is a short human title, e.g. "List real-time agent states".
	Title string
	// Description says what it does, when to use it, what it returns and its
	// risk, in one to three sentences.
	Description string
}

// Bound is an inclusive integer range; nil ends are open.
type Bound struct {
	Min *int64
	Max *int64
}

func i64(v int64) *int64 { return &v }

// ParamDescription returns the description of a parameter of an action: the
// per-action override if there is one, else the glossary entry.
func ParamDescription(action, param string) string {
	if m, ok := Overrides()[action]; ok {
		if d, ok := m[param]; ok {
			return d
		}
	}
	return Glossary()[param]
}

// ParamEnum returns the closed set of values of a parameter, if the API has
// one: the per-action entry "Action.Param" first, then "*.Param".
func ParamEnum(action, param string) []string {
	if e, ok := Enums()[action+"."+param]; ok {
		return e
	}
	return Enums()["*."+param]
}

// ParamBound returns the integer bounds of a parameter, per action first.
func ParamBound(action, param string) (Bound, bool) {
	if b, ok := Bounds()[action+"."+param]; ok {
		return b, true
	}
	b, ok := Bounds()["*."+param]
	return b, ok
}

// DefaultMaxItems caps every list parameter the CCC reference gives no
// maximum for. Ours, not CCC's: no action needs more in one call (batches
// of 100 are the documented page size), and an unbounded list let one call
// carry 160,000 RAM IDs (issue 14).
const DefaultMaxItems = 100

// MaxItems are list lengths the reference documents, "Action.Param" or
// "*.Param"; every other list parameter takes DefaultMaxItems.
var MaxItems = map[string]int{}

// ParamMaxItems returns the most items a list parameter takes.
func ParamMaxItems(action, param string) int {
	if n, ok := MaxItems[action+"."+param]; ok {
		return n
	}
	if n, ok := MaxItems["*."+param]; ok {
		return n
	}
	return DefaultMaxItems
}

// EnumMeaning says what the values of an enum mean, for descriptions.
func EnumMeaning(action, param string) string {
	if m, ok := EnumMeanings()[action+"."+param]; ok {
		return m
	}
	return EnumMeanings()["*."+param]
}
