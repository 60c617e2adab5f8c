// Package schema reads the JSON Schema of a tool's input, validates
// arguments against it (with santhosh-tekuri/jsonschema), and turns loose
// text — Slack's Key=Value — into typed JSON arguments using the same
// schema. The schemas themselves are reflected from the CCC request structs
// at build time (internal/schema/schemagen), so a server links no
// reflector.
package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"sync"

	validator "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// Schema is an input schema: the JSON document shown to clients and a
// validator for arguments. Compile builds the validator at once; Lazy on
// the first validation.
type Schema struct {
	// JSON is the schema document (an object schema, additionalProperties false).
	JSON json.RawMessage
	// Props are the parameters, sorted by name, with what a text surface needs.
	Props    []Prop
	Required []string

	once       sync.Once // compiles, for a Lazy schema
	compiled   *validator.Schema
	compileErr error
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
	MaxItems    *int // lists: the most items accepted
	Required    bool
	// Time is true for a point in time: it takes epoch ms or text (see
	// NormalizeTimes); Type is what CCC receives.
	Time bool
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

// StringList describes an optional parameter taking a list of at most
// MaxItems strings, which the registry adds to some tools' schemas (see
// schemagen.For).
type StringList struct {
	Name, Description string
	MaxItems          int
}

// Compile compiles a schema document for validation.
func Compile(raw json.RawMessage) (*Schema, error) {
	compiled, err := compile(raw)
	if err != nil {
		return nil, err
	}
	s := &Schema{JSON: raw, compiled: compiled}
	s.once.Do(func() {}) // compiled already
	s.Props, s.Required = props(raw)
	return s, nil
}

// Lazy is Compile for a document known to compile — generated at build
// time and compiled by a test (see Check) — with the validator built on
// the first validation instead: compiling and meta-validating a schema
// costs far more than reading it, and most tools of a process are never
// called.
func Lazy(raw json.RawMessage) *Schema {
	s := &Schema{JSON: raw}
	s.Props, s.Required = props(raw)
	return s
}

// Check compiles the validator now (once) and says whether it compiles.
func (s *Schema) Check() error {
	s.once.Do(func() { s.compiled, s.compileErr = compile(s.JSON) })
	return s.compileErr
}

func compile(raw json.RawMessage) (*validator.Schema, error) {
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
	return compiled, nil
}

// typeList reads a JSON Schema "type", one name or a list of names.
type typeList []string

func (t *typeList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*t = typeList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*t = many
	return nil
}

func (t typeList) first() string {
	if len(t) == 0 {
		return ""
	}
	return t[0]
}

func props(raw json.RawMessage) ([]Prop, []string) {
	var d struct {
		Properties map[string]struct {
			Type        typeList `json:"type"`
			MaxItems    *int     `json:"maxItems"`
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
		pr := Prop{Name: name, Type: p.Type.first(), Description: p.Description, Enum: p.Enum, Minimum: p.Minimum, Maximum: p.Maximum,
			Required: req[name], MaxItems: p.MaxItems, Time: IsTimeParam(name) && len(p.Type) > 1}
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

// ValidationError says, in words, what is wrong with the arguments: which
// parameter, what was wrong, what is accepted, and what to do next. It is
// bounded: at most maxProblems problems are told, and values quoted back
// are cut short, however large the call.
type ValidationError struct {
	Param   string // the first bad parameter; "" when the whole object is wrong
	Message string // all problems, joined
	// Problems are the problems found, one sentence each.
	Problems []string
}

func (e *ValidationError) Error() string { return e.Message }

// maxProblems bounds how many problems one error tells.
const maxProblems = 5

func problem(param, msg string) *ValidationError {
	return &ValidationError{Param: param, Message: msg, Problems: []string{msg}}
}

// Validate checks decoded JSON arguments (map[string]any with float64 or
// json.Number numbers) against the schema. The error names the first bad
// parameter in words a user can act on.
func (s *Schema) Validate(args map[string]any) error {
	raw, err := json.Marshal(args)
	if err != nil {
		return problem("", "the arguments are not JSON ("+clip(err.Error())+"); send an object of parameter values")
	}
	return s.ValidateEncoded(args, raw)
}

// ValidateEncoded is Validate for a caller that already holds the arguments
// encoded as JSON (raw must be the encoding of args).
func (s *Schema) ValidateEncoded(args map[string]any, raw []byte) error {
	return s.validate(args, func() (any, error) { return validator.UnmarshalJSON(bytes.NewReader(raw)) })
}

// ValidateDecoded is Validate for a caller that already holds the arguments
// decoded from their JSON with json.Number numbers (inst, as
// json.Decoder.UseNumber leaves them), so they are not decoded again.
func (s *Schema) ValidateDecoded(args map[string]any, inst any) error {
	return s.validate(args, func() (any, error) { return inst, nil })
}

func (s *Schema) validate(args map[string]any, decoded func() (any, error)) error {
	var probs problems
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		p, ok := s.Prop(k)
		switch {
		case !ok:
			probs.add(k, fmt.Sprintf("%s: no such parameter; this tool takes %s. Remove it or use one of those names", clip(k), s.names()))
		case p.Name != k:
			probs.add(k, fmt.Sprintf("%s: parameter names are case-sensitive; send it as %s", clip(k), p.Name))
		case p.Type == "array" && p.MaxItems != nil:
			// Checked before the validator, which would otherwise judge
			// every item of a huge list.
			if list, isList := args[k].([]any); isList && len(list) > *p.MaxItems {
				probs.add(k, fmt.Sprintf("%s: %d items, at most %d accepted; split the call into batches of %d", k, len(list), *p.MaxItems, *p.MaxItems))
			}
		}
	}
	for _, r := range s.Required {
		if _, ok := args[r]; !ok {
			miscased := false
			for k := range args {
				miscased = miscased || strings.EqualFold(k, r)
			}
			if !miscased { // else already told: wrong case
				probs.add(r, fmt.Sprintf("%s is required (%s); add it", r, s.describe(r)))
			}
		}
	}
	if len(probs.list) > 0 {
		return probs.err()
	}
	if err := s.Check(); err != nil {
		return problem("", "this tool's parameters cannot be checked, so nothing was sent (its schema does not compile: "+clip(err.Error())+"); this is a bug in cccops: report it")
	}
	inst, err := decoded()
	if err != nil {
		return problem("", "the arguments are not JSON ("+clip(err.Error())+"); send an object of parameter values")
	}
	if err := s.compiled.Validate(inst); err != nil {
		var ve *validator.ValidationError
		if errors.As(err, &ve) {
			s.explain(ve, args, &probs)
		}
		if len(probs.list) == 0 {
			probs.add("", "the arguments do not fit this tool's parameters; send them as its parameter list says")
		}
		return probs.err()
	}
	return nil
}

type problems struct {
	list  []string
	first string
	more  int
	seen  map[string]bool
}

func (p *problems) add(param, msg string) {
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if p.seen[msg] {
		return
	}
	p.seen[msg] = true
	if len(p.list) == 0 {
		p.first = param
	}
	if len(p.list) >= maxProblems {
		p.more++
		return
	}
	p.list = append(p.list, msg)
}

func (p *problems) err() *ValidationError {
	msg := strings.Join(p.list, "; ")
	if p.more > 0 {
		msg += fmt.Sprintf("; and %d more problems of the same kind", p.more)
	}
	return &ValidationError{Param: p.first, Message: msg, Problems: p.list}
}

// explain turns the validator's failures into our sentences, one per leaf,
// never its struct dump.
func (s *Schema) explain(ve *validator.ValidationError, args map[string]any, probs *problems) {
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			if len(probs.list) >= maxProblems && probs.more > 1000 {
				return
			}
			s.explain(c, args, probs)
		}
		return
	}
	loc := ve.InstanceLocation
	param := ""
	if len(loc) > 0 {
		param = loc[0]
	}
	where := param
	if len(loc) > 1 {
		where = param + " item " + loc[1]
		if n, err := strconv.Atoi(loc[1]); err == nil {
			where = fmt.Sprintf("%s item %d", param, n+1)
		}
	}
	var got any
	if param != "" {
		got = args[param]
		if len(loc) > 1 {
			if list, ok := got.([]any); ok {
				if n, err := strconv.Atoi(loc[1]); err == nil && n < len(list) {
					got = list[n]
				}
			}
		}
	}
	accepted := "see the tool's parameters"
	if p, ok := s.Prop(param); ok {
		accepted = p.TypeText()
	}
	var msg string
	switch k := ve.ErrorKind.(type) {
	case *kind.Type:
		msg = fmt.Sprintf("%s: %s is %s, but it takes %s; send %s", where, quote(got), article(k.Got), accepted, sendAs(k.Want))
	case *kind.Required:
		msg = fmt.Sprintf("%s is required (%s); add it", strings.Join(k.Missing, ", "), s.describe(strings.Join(k.Missing, "")))
		if len(k.Missing) > 0 {
			param = k.Missing[0]
		}
	case *kind.Enum:
		vals := make([]string, len(k.Want))
		for i, v := range k.Want {
			vals[i] = fmt.Sprint(v)
		}
		msg = fmt.Sprintf("%s: %s is not accepted; use one of %s (case matters)", where, quote(got), strings.Join(vals, ", "))
	case *kind.Minimum:
		msg = fmt.Sprintf("%s: %s is below the minimum %s (accepted: %s); send a larger value", where, quote(got), rat(k.Want), accepted)
	case *kind.Maximum:
		msg = fmt.Sprintf("%s: %s is above the maximum %s (accepted: %s); send a smaller value", where, quote(got), rat(k.Want), accepted)
		if param == "PageSize" {
			msg += " and page with PageNumber"
		}
	case *kind.MaxItems:
		msg = fmt.Sprintf("%s: %d items, at most %d accepted; split the call into batches of %d", where, k.Got, k.Want, k.Want)
	case *kind.MinItems:
		msg = fmt.Sprintf("%s: %d items, at least %d needed; add more", where, k.Got, k.Want)
	case *kind.MaxLength:
		msg = fmt.Sprintf("%s: %d characters, at most %d accepted; shorten it", where, k.Got, k.Want)
	case *kind.MinLength:
		msg = fmt.Sprintf("%s: %d characters, at least %d needed", where, k.Got, k.Want)
	case *kind.Pattern:
		msg = fmt.Sprintf("%s: %s does not match the form %s; send a value of that form", where, quote(got), clip(k.Want))
	case *kind.AdditionalProperties:
		if len(loc) > 0 {
			msg = fmt.Sprintf("%s: no such parameter %s inside it; remove it", where, clip(strings.Join(k.Properties, ", ")))
			break
		}
		for _, name := range k.Properties {
			probs.add(name, fmt.Sprintf("%s: no such parameter; this tool takes %s. Remove it or use one of those names", clip(name), s.names()))
		}
		return
	case *kind.FalseSchema:
		msg = fmt.Sprintf("%s: no such parameter; this tool takes %s. Remove it or use one of those names", clip(where), s.names())
	default:
		msg = fmt.Sprintf("%s: %s does not fit (accepted: %s); send a value of that form", orWhole(where), quote(got), accepted)
	}
	probs.add(param, msg)
}

func orWhole(where string) string {
	if where == "" {
		return "the arguments"
	}
	return where
}

// clip cuts text quoted back to a user.
func clip(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	r := []rune(s)
	if len(r) > max {
		r = r[:max]
	}
	return string(r) + "…"
}

func quote(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(clip(x))
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "the value"
	}
	return clip(string(b))
}

func article(typ string) string {
	switch typ {
	case "integer", "array", "object":
		return "an " + typ
	case "null":
		return "null"
	case "number":
		return "a number"
	case "string", "boolean":
		return "a " + typ
	}
	return typ
}

func sendAs(want []string) string {
	if len(want) == 0 {
		return "a value of that type"
	}
	out := make([]string, len(want))
	for i, w := range want {
		switch w {
		case "integer":
			out[i] = "a whole number without quotes (e.g. 10)"
		case "boolean":
			out[i] = "true or false without quotes"
		case "string":
			out[i] = "text in quotes"
		case "array":
			out[i] = "a JSON list, e.g. [\"a\",\"b\"]"
		default:
			out[i] = article(w)
		}
	}
	return strings.Join(out, " or ")
}

func rat(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	return r.FloatString(3)
}

func (s *Schema) names() string {
	n := make([]string, len(s.Props))
	for i, p := range s.Props {
		n[i] = p.Name
	}
	if len(n) == 0 {
		return "no parameters"
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
// "list of string, at most 100", "one of Inbound|Outbound", "time".
func (p *Prop) TypeText() string {
	t := p.Type
	if p.Type == "array" {
		t = "list of " + p.Items
		if p.MaxItems != nil {
			t += fmt.Sprintf(", at most %d", *p.MaxItems)
		}
	}
	if p.Time {
		if strings.HasSuffix(p.Name, "Date") {
			t = "a date (2006-01-02), or 7d/today/yesterday"
		} else {
			t = "a time: epoch ms, RFC 3339, 2006-01-02 15:04:05, a date, or 1h/30m/7d/today/yesterday"
		}
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
	if err := s.Check(); err != nil {
		return err
	}
	inst, err := validator.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	return s.compiled.Validate(inst)
}
