// Package schema turns CCC request structs into JSON Schemas (with
// invopop/jsonschema), validates arguments against them (with
// santhosh-tekuri/jsonschema), and turns loose text — Slack's Key=Value —
// into typed JSON arguments using the same schema.
package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/invopop/jsonschema"
	validator "github.com/santhosh-tekuri/jsonschema/v6"
)

// Schema is a compiled input schema: the JSON document shown to clients and
// a validator for arguments.
type Schema struct {
	// JSON is the schema document (an object schema, additionalProperties false).
	JSON json.RawMessage
	// Props are the parameters, sorted by name, with what a text surface needs.
	Props    []Prop
	Required []string

	doc      *jsonschema.Schema
	compiled *validator.Schema
}

// Prop is one parameter of a schema.
type Prop struct {
	Name        string
	Type        string // string, integer, boolean, array
	Items       string // element type of an array
	Description string
	Enum        []any
	Minimum     *float64
	Maximum     *float64
	Required    bool
}

// Prop returns the named property, matched exactly first, then
// case-insensitively.
func (s *Schema) Prop(name string) (*Prop, bool) {
	for i := range s.Props {
		if s.Props[i].Name == name {
			return &s.Props[i], true
		}
	}
	for i := range s.Props {
		if strings.EqualFold(s.Props[i].Name, name) {
			return &s.Props[i], true
		}
	}
	return nil, false
}

func reflector() *jsonschema.Reflector {
	return &jsonschema.Reflector{
		RequiredFromJSONSchemaTags: true,
		DoNotReference:             true,
		ExpandedStruct:             true,
		Anonymous:                  true,
	}
}

// For builds the input schema of a request struct (a pointer to one).
func For(req any) (*Schema, error) {
	doc := reflector().ReflectFromType(reflect.TypeOf(req).Elem())
	doc.Version = ""
	doc.ID = ""
	if doc.Properties == nil || doc.Properties.Len() == 0 {
		// Actions without parameters still take an (empty) object.
		doc.Properties = jsonschema.NewProperties()
	}
	doc.Type = "object"
	doc.AdditionalProperties = jsonschema.FalseSchema
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("schema: marshal %T: %w", req, err)
	}
	return Compile(raw, doc)
}

// Compile compiles a schema document for validation. doc may be nil.
func Compile(raw json.RawMessage, doc *jsonschema.Schema) (*Schema, error) {
	parsed, err := validator.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("schema: parse: %w", err)
	}
	c := validator.NewCompiler()
	c.DefaultDraft(validator.Draft2020)
	const loc = "mem:///schema.json"
	if err := c.AddResource(loc, parsed); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	compiled, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("schema: compile: %w", err)
	}
	s := &Schema{JSON: raw, doc: doc, compiled: compiled}
	s.Props, s.Required = props(raw)
	return s, nil
}

func props(raw json.RawMessage) ([]Prop, []string) {
	var d struct {
		Properties map[string]struct {
			Type        string   `json:"type"`
			Description string   `json:"description"`
			Enum        []any    `json:"enum"`
			Minimum     *float64 `json:"minimum"`
			Maximum     *float64 `json:"maximum"`
			Items       *struct {
				Type string `json:"type"`
				Enum []any  `json:"enum"`
			} `json:"items"`
		} `json:"properties"`
		Required []string `json:"required"`
	}
	_ = json.Unmarshal(raw, &d)
	req := map[string]bool{}
	for _, r := range d.Required {
		req[r] = true
	}
	out := make([]Prop, 0, len(d.Properties))
	for name, p := range d.Properties {
		pr := Prop{Name: name, Type: p.Type, Description: p.Description, Enum: p.Enum, Minimum: p.Minimum, Maximum: p.Maximum, Required: req[name]}
		if p.Items != nil {
			pr.Items = p.Items.Type
			if len(pr.Enum) == 0 {
				pr.Enum = p.Items.Enum
			}
		}
		out = append(out, pr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, d.Required
}

// ValidationError names the parameter that is wrong and says what is
// expected.
type ValidationError struct {
	Param   string // "" when the whole object is wrong
	Message string
}

func (e *ValidationError) Error() string {
	if e.Param == "" {
		return e.Message
	}
	return e.Param + ": " + e.Message
}

// Validate checks decoded JSON arguments (map[string]any with float64 or
// json.Number numbers) against the schema. The error names the first bad
// parameter in words a user can act on.
func (s *Schema) Validate(args map[string]any) error {
	raw, err := json.Marshal(args)
	if err != nil {
		return &ValidationError{Message: "arguments are not JSON: " + err.Error()}
	}
	return s.ValidateEncoded(args, raw)
}

// ValidateEncoded is Validate for a caller that already holds the arguments
// encoded as JSON (raw must be the encoding of args).
func (s *Schema) ValidateEncoded(args map[string]any, raw []byte) error {
	for k := range args {
		if _, ok := s.Prop(k); !ok {
			return &ValidationError{Param: k, Message: "unknown parameter; allowed: " + s.names()}
		} else if p, _ := s.Prop(k); p.Name != k {
			return &ValidationError{Param: k, Message: "parameter names are case-sensitive; did you mean " + p.Name + "?"}
		}
	}
	for _, r := range s.Required {
		if _, ok := args[r]; !ok {
			return &ValidationError{Param: r, Message: "is required (" + s.describe(r) + ")"}
		}
	}
	inst, err := validator.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return &ValidationError{Message: "arguments are not JSON: " + err.Error()}
	}
	if err := s.compiled.Validate(inst); err != nil {
		var ve *validator.ValidationError
		if ok := asVE(err, &ve); ok {
			return friendly(ve, s)
		}
		return &ValidationError{Message: err.Error()}
	}
	return nil
}

func asVE(err error, out **validator.ValidationError) bool {
	ve, ok := err.(*validator.ValidationError)
	if ok {
		*out = ve
	}
	return ok
}

// friendly picks the deepest cause and names its parameter.
func friendly(ve *validator.ValidationError, s *Schema) *ValidationError {
	leaf := ve
	for len(leaf.Causes) > 0 {
		leaf = leaf.Causes[0]
	}
	param := ""
	if len(leaf.InstanceLocation) > 0 {
		param = leaf.InstanceLocation[0]
	}
	msg := leaf.ErrorKind.LocalizedString(printer)
	if param != "" {
		msg += " (expected " + s.describe(param) + ")"
	}
	return &ValidationError{Param: param, Message: msg}
}

func (s *Schema) names() string {
	n := make([]string, len(s.Props))
	for i, p := range s.Props {
		n[i] = p.Name
	}
	if len(n) == 0 {
		return "none (this action takes no parameters)"
	}
	return strings.Join(n, ", ")
}

// describe says the expected type of a parameter in a few words.
func (s *Schema) describe(name string) string {
	p, ok := s.Prop(name)
	if !ok {
		return "unknown"
	}
	return p.TypeText()
}

// TypeText is the parameter's type in a few words, e.g. "integer 1..100",
// "list of string", "one of Inbound|Outbound".
func (p *Prop) TypeText() string {
	t := p.Type
	if p.Type == "array" {
		t = "list of " + p.Items
	}
	if len(p.Enum) > 0 {
		vals := make([]string, len(p.Enum))
		for i, v := range p.Enum {
			vals[i] = fmt.Sprint(v)
		}
		t += ", one of " + strings.Join(vals, "|")
	}
	if p.Minimum != nil || p.Maximum != nil {
		lo, hi := "", ""
		if p.Minimum != nil {
			lo = fmt.Sprint(*p.Minimum)
		}
		if p.Maximum != nil {
			hi = fmt.Sprint(*p.Maximum)
		}
		t += " " + lo + ".." + hi
	}
	return t
}

// ValidateValue checks any JSON-compatible value (for example a tool's
// structured result against its output schema).
func (s *Schema) ValidateValue(v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	inst, err := validator.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	return s.compiled.Validate(inst)
}
