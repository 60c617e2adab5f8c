package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/schema"
)

//go:generate go run ./gencatalog -o catalog_gen.go

// The 89 tool definitions are built from the request structs (reflection),
// internal/ccc/docs, the access table and the spec once, at build time, by
// `go generate ./internal/tools`, into catalog_gen.go: a process starts
// with them as string constants, pays nothing to list them, and links
// neither the reflector (internal/schema/schemagen, invopop) nor a Go
// formatter: both are the generator's. What only a
// call needs — the input schema's parameters and validator, the shaped
// response — is built on a tool's first use. TestGoldenToolDefinitions
// fails when catalog_gen.go is not what BuildCatalog builds now.

// genTool is one generated definition (catalog_gen.go).
type genTool struct {
	name, action, title, description, toolset string
	access                                    spec.Access
	annotations                               Annotations
	// input and output are the JSON Schemas, static data of the binary
	// that every Tool of Catalog shares (never written); served is input
	// as a registry with a default instance serves it, with
	// defaultInstanceMark where the instance goes ("" when the tool takes
	// no InstanceId).
	input, output []byte
	served        string

	once sync.Once
	p    *toolParts
}

// defaultInstanceMark stands for the default instance in genTool.served;
// it is JSON text that encoding/json writes unchanged.
const defaultInstanceMark = "{{cccops-default-instance}}"

func (g *genTool) parts() *toolParts {
	g.once.Do(func() {
		p := &toolParts{input: schema.Lazy(g.input)}
		var resp *spec.Schema
		if a := spec.MustSpec().Action(g.action); a != nil {
			resp = a.Response
		}
		p.output, p.paged = shapeSchema(resp)
		g.p = p
	})
	return g.p
}

// Catalog returns the 89 tool definitions without a client or gate — for
// registries, listings, snapshots and size measurements — from
// catalog_gen.go. Each call returns new Tools; their lazily built parts,
// and the bytes of their InputSchema and OutputSchema (the binary's static
// data, not copied: read them, never write them), are shared.
func Catalog() ([]*Tool, error) {
	out := make([]*Tool, len(generated))
	for i := range generated {
		g := &generated[i]
		out[i] = &Tool{Name: g.name, Action: g.action, Title: g.title, Description: g.description, Toolset: g.toolset,
			Access: g.access, Annotations: g.annotations,
			InputSchema: g.input, OutputSchema: g.output, def: g}
	}
	return out, nil
}

// BuildCatalog builds the 89 tool definitions from the request structs
// (with reflect: schemagen.For), the docs, the access table and the spec,
// compiling every input schema: what `go generate` writes into
// catalog_gen.go, and what the tests compare it with.
func BuildCatalog(reflect Reflector) ([]*Tool, error) {
	s, err := spec.LoadSpec()
	if err != nil {
		return nil, err
	}
	out := make([]*Tool, 0, len(s.Actions))
	for _, a := range s.Actions {
		t, err := buildTool(a, reflect)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// withDefaultInstance is the tool's input schema as a registry with this
// default instance serves it: InstanceId is optional (Invoke fills it in)
// and its description says which instance that is.
func (t *Tool) withDefaultInstance(instance string) json.RawMessage {
	if instance == "" {
		return t.InputSchema
	}
	if t.def != nil {
		if t.def.served == "" {
			return t.InputSchema
		}
		esc, err := json.Marshal(instance)
		if err != nil {
			return t.InputSchema
		}
		before, after, _ := strings.Cut(t.def.served, defaultInstanceMark)
		out := make([]byte, 0, len(before)+len(esc)-2+len(after))
		out = append(append(append(out, before...), esc[1:len(esc)-1]...), after...)
		return out
	}
	if !t.HasParam("InstanceId") {
		return t.InputSchema
	}
	return defaultInstanceSchema(t.InputSchema, instance)
}

// defaultInstanceSchema rewrites an input schema for a default instance.
func defaultInstanceSchema(in json.RawMessage, instance string) json.RawMessage {
	var m map[string]any
	if err := json.Unmarshal(in, &m); err != nil {
		return in
	}
	if req, ok := m["required"].([]any); ok {
		kept := make([]any, 0, len(req))
		for _, x := range req {
			if x != "InstanceId" {
				kept = append(kept, x)
			}
		}
		if len(kept) == 0 {
			delete(m, "required")
		} else {
			m["required"] = kept
		}
	}
	if props, ok := m["properties"].(map[string]any); ok {
		if p, ok := props["InstanceId"].(map[string]any); ok {
			desc, _ := p["description"].(string)
			p["description"] = strings.TrimSpace(desc + " Defaults to " + instance + ".")
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return in
	}
	return out
}

// CatalogSource renders catalog_gen.go from BuildCatalog, before gofmt:
// the generator formats it (go/format), so that this package, which every
// server links, does not.
func CatalogSource(reflect Reflector) ([]byte, error) {
	all, err := BuildCatalog(reflect)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("// Code generated by go generate ./internal/tools (gencatalog) from the request structs, internal/ccc/docs, the access table and the spec; DO NOT EDIT.\n\n")
	b.WriteString("package tools\n\n")
	b.WriteString("var generated = [...]genTool{\n")
	q := strconv.Quote
	for _, t := range all {
		served := ""
		if t.HasParam("InstanceId") {
			served = string(defaultInstanceSchema(t.InputSchema, defaultInstanceMark))
			if strings.Count(served, defaultInstanceMark) != 1 {
				return nil, fmt.Errorf("tools: %s: the default-instance mark appears %d times in the served schema", t.Name, strings.Count(served, defaultInstanceMark))
			}
		}
		a := t.Annotations
		fmt.Fprintf(&b, "\t{\n\t\tname: %s, action: %s, title: %s,\n", q(t.Name), q(t.Action), q(t.Title))
		fmt.Fprintf(&b, "\t\tdescription: %s,\n", q(t.Description))
		fmt.Fprintf(&b, "\t\ttoolset: %s, access: %s,\n", q(t.Toolset), q(string(t.Access)))
		fmt.Fprintf(&b, "\t\tannotations: Annotations{ReadOnly: %v, Destructive: %v, Idempotent: %v, OpenWorld: %v},\n", a.ReadOnly, a.Destructive, a.Idempotent, a.OpenWorld)
		// []byte of a constant is static data: a start copies nothing.
		fmt.Fprintf(&b, "\t\tinput: []byte(%s),\n", q(string(t.InputSchema)))
		if served != "" {
			fmt.Fprintf(&b, "\t\tserved: %s,\n", q(served))
		}
		fmt.Fprintf(&b, "\t\toutput: []byte(%s),\n\t},\n", q(string(t.OutputSchema)))
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}
