package schemagen_test

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/schema"
	"github.com/cccops/cccops/internal/schema/schemagen"
)

var propName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)

// TestAllSchemas builds all 89 input schemas and ties each back to the spec:
// object, additionalProperties false, exact names, types, item types,
// required lists; and each compiles under a JSON Schema validator.
func TestAllSchemas(t *testing.T) {
	n := 0
	for _, a := range spec.MustSpec().Actions {
		req, _ := ccc.NewRequest(a.Name)
		s, err := schemagen.For(req)
		if err != nil {
			t.Fatalf("%s: %v", a.Name, err)
		}
		var doc map[string]any
		if err := json.Unmarshal(s.JSON, &doc); err != nil {
			t.Fatal(err)
		}
		if doc["type"] != "object" || doc["additionalProperties"] != false {
			t.Errorf("%s: type=%v additionalProperties=%v", a.Name, doc["type"], doc["additionalProperties"])
		}
		if _, ok := doc["$schema"]; ok {
			t.Errorf("%s: $schema is noise in a tool list", a.Name)
		}
		props, _ := doc["properties"].(map[string]any)
		if len(props) != len(a.Params) {
			t.Errorf("%s: %d properties, spec has %d", a.Name, len(props), len(a.Params))
		}
		var wantReq []string
		for _, p := range a.Params {
			if !propName.MatchString(p.Name) {
				t.Errorf("%s: property name %q", a.Name, p.Name)
			}
			pr, ok := props[p.Name].(map[string]any)
			if !ok {
				t.Errorf("%s.%s: missing", a.Name, p.Name)
				continue
			}
			if schema.IsTimeParam(p.Name) {
				// A time takes its wire type first, and text or epoch ms too.
				ty, _ := pr["type"].([]any)
				if len(ty) != 2 || ty[0] != p.Type {
					t.Errorf("%s.%s: type %v, want [%s, …]", a.Name, p.Name, pr["type"], p.Type)
				}
			} else if pr["type"] != p.Type {
				t.Errorf("%s.%s: type %v, spec %s", a.Name, p.Name, pr["type"], p.Type)
			}
			if p.Type == "array" && pr["maxItems"] == nil {
				t.Errorf("%s.%s: a list without maxItems", a.Name, p.Name)
			}
			if d, _ := pr["description"].(string); strings.TrimSpace(d) == "" {
				t.Errorf("%s.%s: no description", a.Name, p.Name)
			}
			if p.Type == "array" {
				items, _ := pr["items"].(map[string]any)
				if items == nil || items["type"] != p.Items {
					t.Errorf("%s.%s: array items %v, spec %s", a.Name, p.Name, pr["items"], p.Items)
				}
			}
			if p.Maximum != nil && pr["maximum"] != float64(*p.Maximum) {
				t.Errorf("%s.%s: maximum %v, spec %d", a.Name, p.Name, pr["maximum"], *p.Maximum)
			}
			if p.Required {
				wantReq = append(wantReq, p.Name)
			}
		}
		got := append([]string(nil), s.Required...)
		sort.Strings(got)
		sort.Strings(wantReq)
		if strings.Join(got, ",") != strings.Join(wantReq, ",") {
			t.Errorf("%s: required %v, spec %v", a.Name, got, wantReq)
		}
		n++
	}
	if n != 89 {
		t.Fatalf("%d schemas", n)
	}
}
