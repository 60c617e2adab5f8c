// Package spec holds the facts of the Alibaba Cloud Call Center (CCC) API,
// version 2017-07-05: its 89 actions, their parameters (name, JSON type,
// query/body placement, required flag, bounds), their response shapes and a
// proposed access class. The file is embedded, so nothing reads ../shared.
package spec

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Product and Version identify the API on the wire.
const (
	Product = "CCC"
	Version = "2017-07-05"
)

//go:embed ccc-2017-07-05.json
var specJSON []byte

// SpecJSON returns the raw bytes of the embedded spec file.
func SpecJSON() []byte { return specJSON }

// Access is the policy class of an action.
type Access string

// The five access classes. The spec proposes one per action; the policy
// package owns the reviewed table.
const (
	AccessRead        Access = "read"        // reads state, changes nothing
	AccessSecret      Access = "secret"      // reads, but returns credentials or tokens
	AccessWrite       Access = "write"       // adds something; nothing existing is lost
	AccessDestructive Access = "destructive" // changes or removes existing state
	AccessExternal    Access = "external"    // reaches real people or costs money
)

// Accesses lists the classes in order of rising risk.
var Accesses = []Access{AccessRead, AccessSecret, AccessWrite, AccessDestructive, AccessExternal}

// ReadOnly reports whether the class never changes state.
func (a Access) ReadOnly() bool { return a == AccessRead || a == AccessSecret }

// Schema is the subset of JSON Schema the spec uses for response shapes.
type Schema struct {
	Type       string             `json:"type,omitempty"`
	Properties map[string]*Schema `json:"properties,omitempty"`
	Items      *Schema            `json:"items,omitempty"`
}

// Param is one request parameter as the spec describes it.
type Param struct {
	Name     string `json:"name"`
	Type     string `json:"type"`            // string, integer, boolean, array
	Items    string `json:"items,omitempty"` // element type of an array
	In       string `json:"in"`              // query or body
	Required bool   `json:"required"`
	Maximum  *int64 `json:"maximum,omitempty"`
}

// Action is one CCC action as the spec describes it.
type Action struct {
	Name       string  `json:"name"`
	Category   string  `json:"category"`
	CategoryZh string  `json:"category_zh"`
	SummaryZh  string  `json:"summary_zh"`
	Method     string  `json:"method"`
	Access     Access  `json:"access"`
	Params     []Param `json:"params"`
	Response   *Schema `json:"response"`
}

// Param returns the named parameter, or nil.
func (a *Action) Param(name string) *Param {
	for i := range a.Params {
		if a.Params[i].Name == name {
			return &a.Params[i]
		}
	}
	return nil
}

// Spec is the whole spec file.
type Spec struct {
	Product string    `json:"product"`
	Version string    `json:"version"`
	Style   string    `json:"style"`
	Actions []*Action `json:"actions"`

	byName map[string]*Action
}

var (
	specOnce sync.Once
	spec     *Spec
	specErr  error
)

// LoadSpec returns the embedded spec, parsed once.
func LoadSpec() (*Spec, error) {
	specOnce.Do(func() { spec, specErr = ParseSpec(specJSON) })
	return spec, specErr
}

// MustSpec is LoadSpec for code paths where the embedded file is known good
// (a test guards it).
func MustSpec() *Spec {
	s, err := LoadSpec()
	if err != nil {
		panic(err)
	}
	return s
}

// ParseSpec parses a spec file.
func ParseSpec(b []byte) (*Spec, error) {
	var s Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("ccc spec: %w", err)
	}
	s.byName = make(map[string]*Action, len(s.Actions))
	for _, a := range s.Actions {
		if _, dup := s.byName[a.Name]; dup {
			return nil, fmt.Errorf("ccc spec: action %s listed twice", a.Name)
		}
		sort.SliceStable(a.Params, func(i, j int) bool { return a.Params[i].Name < a.Params[j].Name })
		s.byName[a.Name] = a
	}
	return &s, nil
}

// Action returns the action with this exact name, or nil.
func (s *Spec) Action(name string) *Action { return s.byName[name] }

// Categories returns the 13 groups in the overview's order.
func (s *Spec) Categories() []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range s.Actions {
		if !seen[a.Category] {
			seen[a.Category] = true
			out = append(out, a.Category)
		}
	}
	return out
}

// SnakeCase turns an action name into its tool name: ListRealTimeAgent →
// list_real_time_agent, StartBack2BackCall → start_back2_back_call,
// GetTURNCredentials → get_turn_credentials.
func SnakeCase(name string) string {
	var b strings.Builder
	r := []rune(name)
	for i, c := range r {
		isUpper := c >= 'A' && c <= 'Z'
		if isUpper && i > 0 {
			prev := r[i-1]
			prevLowerOrDigit := (prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9')
			nextLower := i+1 < len(r) && r[i+1] >= 'a' && r[i+1] <= 'z'
			prevUpper := prev >= 'A' && prev <= 'Z'
			if prevLowerOrDigit || (prevUpper && nextLower) {
				b.WriteByte('_')
			}
		}
		if isUpper {
			c = c - 'A' + 'a'
		}
		b.WriteRune(c)
	}
	return b.String()
}
