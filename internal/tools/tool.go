// Package tools is the one registry of cccops: one described tool per CCC
// action (89), with its input schema generated from the request struct, its
// output schema from the spec's response shape, its toolset and access class,
// and the single Invoke path every surface uses — decode, validate, ask the
// policy gate, call CCC, audit, and shape the result for a small context.
package tools

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/ccc/docs"
	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/schema"
)

// Annotations are the MCP tool hints, derived from the access table. The gate
// never trusts them; they only inform clients.
type Annotations struct {
	ReadOnly    bool `json:"readOnlyHint"`
	Destructive bool `json:"destructiveHint"`
	Idempotent  bool `json:"idempotentHint"`
	OpenWorld   bool `json:"openWorldHint"`
}

// Tool is one CCC action as a described tool.
type Tool struct {
	Name        string      `json:"name"`   // snake_case of the action, e.g. list_real_time_agent
	Action      string      `json:"action"` // the CCC action, e.g. ListRealTimeAgent
	Title       string      `json:"title"`
	Description string      `json:"description"` // our words, then the overview's Chinese summary
	Toolset     string      `json:"toolset"`     // one of the 13 groups of the API overview
	Access      spec.Access `json:"access"`
	Annotations Annotations `json:"annotations"`
	// InputSchema is the JSON Schema of the arguments.
	InputSchema json.RawMessage `json:"inputSchema"`
	// OutputSchema is the JSON Schema of the shaped result (structured content).
	OutputSchema json.RawMessage `json:"outputSchema"`

	// def is the generated definition this tool was made from
	// (catalog_gen.go), whose parts are built on first use; built holds
	// the parts of a tool built from the request structs (BuildCatalog).
	def   *genTool
	built *toolParts
}

// toolParts are what Invoke needs beyond the published definition.
type toolParts struct {
	input  *schema.Schema
	output *spec.Schema // shaped response shape
	paged  bool
}

func (t *Tool) parts() *toolParts {
	if t.def != nil {
		return t.def.parts()
	}
	return t.built
}

// Input returns the input schema (its validator is compiled on the first
// validation).
func (t *Tool) Input() *schema.Schema { return t.parts().input }

// outShape is the shaped response shape; isPaged says whether the answer
// pages.
func (t *Tool) outShape() *spec.Schema { return t.parts().output }
func (t *Tool) isPaged() bool          { return t.parts().paged }

// HasParam reports whether the tool takes the named parameter.
func (t *Tool) HasParam(name string) bool {
	p, ok := t.Input().Prop(name)
	return ok && p.Name == name
}

// annotationsFor derives the hints from the reviewed access class.
func annotationsFor(action string, a spec.Access) Annotations {
	switch a {
	case spec.AccessRead, spec.AccessSecret:
		return Annotations{ReadOnly: true, Idempotent: true}
	case spec.AccessWrite:
		return Annotations{}
	case spec.AccessDestructive:
		// Setting a state or configuration again has no further effect;
		// removing something twice removes nothing more.
		return Annotations{Destructive: true, Idempotent: true}
	case spec.AccessExternal:
		return Annotations{OpenWorld: true}
	}
	return Annotations{Destructive: true, OpenWorld: true}
}

// Reflector builds the input schema of a request struct (a pointer to
// one), with the registry's own list parameters added after the struct's:
// schemagen.For, which `go generate` and the tests pass. A server never
// reflects: it starts from catalog_gen.go, and links no reflector.
type Reflector func(req any, lists ...schema.StringList) (*schema.Schema, error)

func buildTool(a *spec.Action, reflect Reflector) (*Tool, error) {
	req, ok := ccc.NewRequest(a.Name)
	if !ok {
		return nil, fmt.Errorf("tools: no request struct for %s", a.Name)
	}
	var lists []schema.StringList
	if fieldsTools[a.Name] {
		lists = append(lists, schema.StringList{Name: FieldsParam, Description: fieldsDescription, MaxItems: maxFields})
	}
	in, err := reflect(req, lists...)
	if err != nil {
		return nil, fmt.Errorf("tools: %s: %w", a.Name, err)
	}
	d, ok := docs.Actions()[a.Name]
	if !ok || d.Description == "" {
		return nil, fmt.Errorf("tools: %s has no description in internal/ccc/docs", a.Name)
	}
	access := policy.AccessOf(a.Name)
	if access == "" {
		return nil, fmt.Errorf("tools: %s is missing from the access table", a.Name)
	}
	t := &Tool{
		Name:        spec.SnakeCase(a.Name),
		Action:      a.Name,
		Title:       d.Title,
		Description: strings.TrimSpace(d.Description) + " (" + a.SummaryZh + ")",
		Toolset:     a.Category,
		Access:      access,
		Annotations: annotationsFor(a.Name, access),
		InputSchema: in.JSON,
		built:       &toolParts{input: in},
	}
	t.built.output, t.built.paged = shapeSchema(a.Response)
	out := outputDoc(t.built.output, t.built.paged)
	if t.OutputSchema, err = json.Marshal(out); err != nil {
		return nil, err
	}
	return t, nil
}
