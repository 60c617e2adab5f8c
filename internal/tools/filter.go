package tools

import (
	"errors"
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
	if len(f.Toolsets) == 0 && len(f.Include) == 0 && len(f.Exclude) == 0 && len(all) > 0 {
		return nil // no filter allows every tool: the default start checks nothing
	}
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
	for _, t := range all {
		if f.Allows(t) {
			return nil
		}
	}
	return fmt.Errorf("these filters leave no tool to serve: %s", f.whyEmpty(all))
}

// whyEmpty says which filters cancel each other out, naming the toolset of
// each tool --tools asks for.
func (f Filter) whyEmpty(all []*Tool) string {
	find := func(n string) *Tool {
		for _, t := range all {
			if n := norm(n); n == t.Name || n == strings.ToLower(t.Action) {
				return t
			}
		}
		return nil
	}
	var why []string
	if len(f.Include) > 0 && len(f.Toolsets) > 0 {
		for _, n := range f.Include {
			if t := find(n); t != nil && !f.inToolsets(t) {
				why = append(why, fmt.Sprintf("%s is in toolset %s, which --toolsets %s leaves out", t.Name, t.Toolset, strings.Join(f.Toolsets, ",")))
			}
		}
	}
	excluded := 0
	for _, n := range f.Include {
		if t := find(n); t != nil && !(Filter{Exclude: f.Exclude}).Allows(t) {
			excluded++
		}
	}
	if excluded > 0 && excluded == len(f.Include) {
		why = append(why, "every tool --tools names is also in --exclude-tools")
	}
	if len(why) == 0 {
		why = append(why, "--exclude-tools removes every tool of --toolsets "+strings.Join(f.Toolsets, ","))
	}
	return strings.Join(why, "; ") + ". Change --toolsets, --tools or --exclude-tools (or CCC_TOOLSETS, CCC_TOOLS, CCC_EXCLUDE_TOOLS)"
}

func (f Filter) inToolsets(t *Tool) bool {
	for _, ts := range f.Toolsets {
		if norm(ts) == t.Toolset {
			return true
		}
	}
	return len(f.Toolsets) == 0
}

// CheckServes fails when the registry lists no tool at all — filters that
// cancel out, or read-only mode hiding every tool the filters leave — with
// the reason and what to change, so a server never starts empty.
func (r *Registry) CheckServes() error {
	if len(r.tools) > 0 {
		return nil
	}
	var hidden []string
	seen := map[string]bool{}
	for _, t := range r.readOnlyHidden {
		if !seen[t.Name] {
			seen[t.Name] = true
			hidden = append(hidden, fmt.Sprintf("%s (%s)", t.Name, t.Access))
		}
	}
	sort.Strings(hidden)
	if len(hidden) > 0 {
		return fmt.Errorf("read-only mode leaves no tool to serve: it lists only read tools, and the filters leave only %s. "+
			"Add read tools with --tools or --toolsets, or run without --read-only (CCC_READ_ONLY)", strings.Join(hidden, ", "))
	}
	if err := r.cfg.Filter.Check(r.all); err != nil {
		return err
	}
	return errors.New("no tool to serve; check --toolsets, --tools, --exclude-tools and --read-only")
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
