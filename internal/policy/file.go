package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cccops/cccops/internal/ccc/spec"
)

// File is a parsed and checked policy file. The format is described in
// README.md next to this file.
type File struct {
	// Version of the format; 1 (or left out).
	Version int `yaml:"version"`
	// DefaultRole is given to principals the file maps to no role. Empty:
	// such principals are refused every action.
	DefaultRole string `yaml:"default_role"`
	// FourEyes lists access classes that always need a second person's
	// approval, whichever rule matched. An allow rule for such a class is
	// turned into confirm.
	FourEyes []spec.Access `yaml:"four_eyes"`
	// Principals maps a principal id ("slack:T1:U2", "mcp:ci", "local") or a
	// bare Slack user id ("U2") to role names — a name, a list, or
	// {roles: [...], slack: U01ALICE01} to link an assistant's principal
	// to its human in Slack.
	Principals map[string]principalEntry `yaml:"principals"`
	// Groups maps a group handle (for example a Slack user group) to role
	// names. Matching ignores case and a leading '@'.
	Groups map[string]stringList `yaml:"groups"`
	// Roles by name.
	Roles map[string]*Role `yaml:"roles"`

	groups map[string][]string // normalised group handle → roles
}

// Role is a named, ordered list of rules.
type Role struct {
	Description string `yaml:"description"`
	// Approver lets holders approve confirmations that need four eyes.
	Approver bool    `yaml:"approver"`
	Rules    []*Rule `yaml:"rules"`
}

// Rule selects actions and answers for them. Within one selector list any
// entry may match; when several selector lists are given, all must match.
type Rule struct {
	Name     string        `yaml:"name"`
	Actions  []string      `yaml:"actions"`  // name globs, '*' and '?', case-insensitive
	Toolsets []string      `yaml:"toolsets"` // spec categories, e.g. agents
	Access   []spec.Access `yaml:"access"`   // access classes
	Verdict  Verdict       `yaml:"verdict"`  // allow, confirm or deny
	// Instances, when set, is the only instances the rule lets through; a
	// call on another instance (or naming none) is denied by this rule.
	Instances []string `yaml:"instances"`
	// ReadOnly, when true, lets only read and secret actions through; any
	// other action the rule selects is denied.
	ReadOnly bool `yaml:"read_only"`
	// FourEyes makes a confirm need a different person holding an
	// approver role.
	FourEyes bool `yaml:"four_eyes"`
	// ApproveIn "slack" makes the yes come from Slack even when the
	// requester's client could ask them; "" (default): the client asks
	// when it can, else an approver in Slack.
	ApproveIn string `yaml:"approve_in"`

	id string // "role/name", or "role#n" when unnamed
}

// ID names the rule in decisions and audit records.
func (r *Rule) ID() string { return r.id }

// principalEntry is a principal's line in the file: roles, and the Slack
// user who is its human.
type principalEntry struct {
	Roles stringList
	Slack string
}

func (p *principalEntry) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		var full struct {
			Roles stringList `yaml:"roles"`
			Slack string     `yaml:"slack"`
		}
		dec := n.Decode
		if err := dec(&full); err != nil {
			return err
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i].Value; k != "roles" && k != "slack" {
				return fmt.Errorf("line %d: unknown key %q under a principal; use roles and slack", n.Content[i].Line, k)
			}
		}
		p.Roles, p.Slack = full.Roles, strings.TrimSpace(full.Slack)
		return nil
	}
	return p.Roles.UnmarshalYAML(n)
}

// slackOf is the Slack user linked to a principal, or "".
func (f *File) slackOf(id string) string { return f.Principals[id].Slack }

// stringList accepts either one YAML string or a list of them.
type stringList []string

func (s *stringList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*s = stringList{n.Value}
		return nil
	case yaml.SequenceNode:
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		*s = l
		return nil
	}
	return fmt.Errorf("line %d: expected a role name or a list of role names", n.Line)
}

// LoadFile reads and checks a policy file.
func LoadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy file: %w", err)
	}
	f, err := ParseFile(b)
	if err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	return f, nil
}

// ParseFile parses and checks a policy file's YAML. Unknown keys, unknown
// roles, classes, toolsets and action names are errors, so a typo cannot
// silently widen or narrow what people may do.
func ParseFile(b []byte) (*File, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the policy is empty; define at least one role (see internal/policy/README.md)")
		}
		return nil, fmt.Errorf("cannot read the policy YAML: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("the policy holds more than one YAML document; keep one")
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return &f, nil
}

func (f *File) check() error {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }

	if f.Version != 0 && f.Version != 1 {
		bad("version: %d is not supported; use 1", f.Version)
	}
	if len(f.Roles) == 0 {
		bad("roles: none defined; define at least one")
	}
	categories := map[string]bool{}
	for _, c := range spec.MustSpec().Categories() {
		categories[c] = true
	}
	roleNames := sortedKeys(f.Roles)
	for _, name := range roleNames {
		role := f.Roles[name]
		if strings.TrimSpace(name) == "" {
			bad("roles: a role has an empty name")
		}
		if role == nil {
			bad("roles.%s: empty; give it rules or approver: true", name)
			f.Roles[name] = &Role{}
			continue
		}
		seen := map[string]bool{}
		for i, r := range role.Rules {
			at := fmt.Sprintf("roles.%s.rules[%d]", name, i)
			if r == nil {
				bad("%s: empty rule", at)
				role.Rules[i] = &Rule{Verdict: Deny, id: fmt.Sprintf("%s#%d", name, i+1)}
				continue
			}
			if r.Name != "" {
				r.id = name + "/" + r.Name
				if seen[r.Name] {
					bad("%s: rule name %q used twice in role %s", at, r.Name, name)
				}
				seen[r.Name] = true
			} else {
				r.id = fmt.Sprintf("%s#%d", name, i+1)
			}
			switch r.Verdict {
			case Allow, Confirm, Deny:
			case "":
				bad("%s: verdict missing; use allow, confirm or deny", at)
			default:
				bad("%s: verdict %q unknown; use allow, confirm or deny", at, r.Verdict)
			}
			if len(r.Actions) == 0 && len(r.Toolsets) == 0 && len(r.Access) == 0 {
				bad("%s: selects nothing; add actions, toolsets or access (actions: [\"*\"] means every action)", at)
			}
			for _, g := range r.Actions {
				if !matchesSomeAction(g) {
					bad("%s: action %q matches none of the %d CCC actions", at, g, len(accessTable))
				}
			}
			for j, t := range r.Toolsets {
				t = strings.ToLower(strings.TrimSpace(t))
				r.Toolsets[j] = t
				if !categories[t] {
					bad("%s: toolset %q unknown; known: %s", at, t, strings.Join(sortedKeys(categories), ", "))
				}
			}
			for _, a := range r.Access {
				if !validAccess(a) {
					bad("%s: access class %q unknown; use read, secret, write, destructive or external", at, a)
				}
			}
			for _, inst := range r.Instances {
				if strings.TrimSpace(inst) == "" {
					bad("%s: empty instance id", at)
				}
			}
			if r.FourEyes && r.Verdict != Confirm {
				bad("%s: four_eyes needs verdict: confirm", at)
			}
			switch r.ApproveIn {
			case "", ApproveInSlack:
				if r.ApproveIn != "" && r.Verdict != Confirm {
					bad("%s: approve_in needs verdict: confirm", at)
				}
			default:
				bad("%s: approve_in %q unknown; use slack (or leave it out: the client asks when it can)", at, r.ApproveIn)
			}
		}
	}
	for _, a := range f.FourEyes {
		if !validAccess(a) {
			bad("four_eyes: access class %q unknown", a)
		}
	}
	if f.DefaultRole != "" && f.Roles[f.DefaultRole] == nil {
		bad("default_role: role %q is not defined", f.DefaultRole)
	}
	for _, id := range sortedKeys(f.Principals) {
		if strings.TrimSpace(id) == "" {
			bad("principals: empty principal id")
		}
		for _, r := range f.Principals[id].Roles {
			if _, ok := f.Roles[r]; !ok {
				bad("principals.%s: role %q is not defined", id, r)
			}
		}
		if s := f.Principals[id].Slack; s != "" && (strings.ContainsAny(s, ": ") || s[0] != 'U' && s[0] != 'W') {
			bad("principals.%s: slack %q is not a Slack user id (like U01ALICE01)", id, s)
		}
	}
	f.groups = map[string][]string{}
	for _, g := range sortedKeys(f.Groups) {
		key := normGroup(g)
		if key == "" {
			bad("groups: empty group handle")
		}
		for _, r := range f.Groups[g] {
			if _, ok := f.Roles[r]; !ok {
				bad("groups.%s: role %q is not defined", g, r)
			}
		}
		f.groups[key] = append(f.groups[key], f.Groups[g]...)
	}
	if len(errs) > 0 {
		return fmt.Errorf("policy has %d problem(s):\n  %s", len(errs), strings.Join(errs, "\n  "))
	}
	return nil
}

func normGroup(g string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(g), "@"))
}

func matchesSomeAction(glob string) bool {
	for name := range accessTable {
		if globMatch(glob, name) {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// rolesOf resolves the roles of a principal: by exact id, by bare Slack user
// id (the last ':' part of a "slack:" id), then by groups. With none of
// these, the default role, if any. The result is sorted and deduplicated.
func (f *File) rolesOf(p Principal) []string {
	set := map[string]bool{}
	for _, r := range f.Principals[p.ID].Roles {
		set[r] = true
	}
	if strings.HasPrefix(p.ID, slackPrefix) {
		if i := strings.LastIndexByte(p.ID, ':'); i >= 0 && i+1 < len(p.ID) {
			for _, r := range f.Principals[p.ID[i+1:]].Roles {
				set[r] = true
			}
		}
	}
	for _, g := range p.Groups {
		for _, r := range f.groups[normGroup(g)] {
			set[r] = true
		}
	}
	if len(set) == 0 && f.DefaultRole != "" {
		set[f.DefaultRole] = true
	}
	return sortedKeys(set)
}
