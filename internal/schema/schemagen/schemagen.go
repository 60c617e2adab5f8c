// Package schemagen reflects a CCC request struct into its input JSON
// Schema with invopop/jsonschema (types, required, enums, bounds,
// descriptions). It runs at build time — `go generate ./internal/tools`
// writes every tool's schema into catalog_gen.go — and in tests, so the
// servers never link the reflector (invopop, its YAML and ordered-map
// dependencies, go/parser): they read the generated JSON with
// internal/schema.
package schemagen

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/cccops/cccops/internal/ccc/docs"
	"github.com/cccops/cccops/internal/schema"
)

func reflector() *jsonschema.Reflector {
	return &jsonschema.Reflector{
		RequiredFromJSONSchemaTags: true,
		DoNotReference:             true,
		ExpandedStruct:             true,
		Anonymous:                  true,
	}
}

// For builds the input schema of a request struct (a pointer to one), with
// the optional string-list parameters lists added after the struct's own
// (the registry adds its Fields this way, so the served schema is the one
// validated).
func For(req any, lists ...schema.StringList) (*schema.Schema, error) {
	doc := reflector().ReflectFromType(reflect.TypeOf(req).Elem())
	doc.Version = ""
	doc.ID = ""
	if doc.Properties == nil || doc.Properties.Len() == 0 {
		// Actions without parameters still take an (empty) object.
		doc.Properties = jsonschema.NewProperties()
	}
	doc.Type = "object"
	doc.AdditionalProperties = jsonschema.FalseSchema
	action := ""
	if a, ok := req.(interface{ Action() string }); ok {
		action = a.Action()
	}
	for pair := doc.Properties.Oldest(); pair != nil; pair = pair.Next() {
		name, p := pair.Key, pair.Value
		if p.Type == "array" && p.MaxItems == nil {
			n := uint64(docs.ParamMaxItems(action, name))
			p.MaxItems = &n
		}
		if schema.IsTimeParam(name) && (p.Type == "integer" || p.Type == "string") {
			// A time takes epoch ms or text, whatever the wire wants; the
			// registry converts it before validation (NormalizeTimes).
			other := "string"
			if p.Type == "string" {
				other = "integer"
			}
			if p.Extras == nil {
				p.Extras = map[string]any{}
			}
			p.Extras["type"] = []string{p.Type, other}
			p.Type = ""
		}
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("schema: marshal %T: %w", req, err)
	}
	s, err := schema.Compile(raw)
	if err != nil {
		return nil, err
	}
	for _, l := range lists {
		if s, err = withStringList(doc, l); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// withStringList adds one optional parameter to doc, a list of at most
// l.MaxItems strings, and compiles the result.
func withStringList(doc *jsonschema.Schema, l schema.StringList) (*schema.Schema, error) {
	props := jsonschema.NewProperties()
	for pair := doc.Properties.Oldest(); pair != nil; pair = pair.Next() {
		props.Set(pair.Key, pair.Value)
	}
	n := uint64(l.MaxItems)
	props.Set(l.Name, &jsonschema.Schema{Type: "array", Items: &jsonschema.Schema{Type: "string"}, MaxItems: &n, Description: l.Description})
	doc.Properties = props
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return schema.Compile(raw)
}
