package tools

import (
	"fmt"
	"sort"
	"strings"
)

// Filter limits which tools a server lists and lets run. Empty fields allow
// everything.
type Filter struct {
	Toolsets []string // the 13 groups, e.g. agents, reports
	Include  []string // tool or action names; when set, only these
	Exclude  []string // tool or action names to leave out
}

func norm(s string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "-", "_"))
}

// Allows reports whether the filter lets a tool through.
func (f Filter) Allows(t *Tool) bool {
	match := func(list []string) bool {
		for _, n := range list {
			if n := norm(n); n == t.Name || n == strings.ToLower(t.Action) {
				return true
			}
		}
		return false
	}
	if len(f.Toolsets) > 0 {
		ok := false
		for _, ts := range f.Toolsets {
			if norm(ts) == t.Toolset {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	if len(f.Include) > 0 && !match(f.Include) {
		return false
	}
	return !match(f.Exclude)
}

// Check fails on a toolset or tool name that does not exist, listing the
// valid ones, so a typo in a flag is caught at start.
func (f Filter) Check(all []*Tool) error {
	sets := map[string]bool{}
	names := map[string]bool{}
	for _, t := range all {
		sets[t.Toolset] = true
		names[t.Name] = true
		names[strings.ToLower(t.Action)] = true
	}
	for _, ts := range f.Toolsets {
		if !sets[norm(ts)] {
			return fmt.Errorf("unknown toolset %q; toolsets: %s", ts, strings.Join(keys(sets), ", "))
		}
	}
	for _, list := range [][]string{f.Include, f.Exclude} {
		for _, n := range list {
			if !names[norm(n)] {
				return fmt.Errorf("unknown tool %q; tool names are the snake_case of the CCC action (list_real_time_agent) or the action itself (ListRealTimeAgent)", n)
			}
		}
	}
	return nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Toolsets lists the 13 groups in the overview's order.
func Toolsets(all []*Tool) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range all {
		if !seen[t.Toolset] {
			seen[t.Toolset] = true
			out = append(out, t.Toolset)
		}
	}
	return out
}
