package tools_test

import (
	"bytes"
	"encoding/json"
	"go/format"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/schema"
	"github.com/cccops/cccops/internal/schema/schemagen"
	"github.com/cccops/cccops/internal/tools"
)

// goldenDir holds one reviewed snapshot per tool definition.
var goldenDir = filepath.Join("..", "..", "testdata", "tools")

// snapshot is what a client is shown of a tool, plus the registry's own
// classification.
func snapshot(t *tools.Tool) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(map[string]any{
		"name": t.Name, "action": t.Action, "title": t.Title, "description": t.Description,
		"toolset": t.Toolset, "access": t.Access, "annotations": t.Annotations,
		"inputSchema": json.RawMessage(t.InputSchema), "outputSchema": json.RawMessage(t.OutputSchema),
	})
	return b.Bytes()
}

// TestGoldenToolDefinitions fails on any unreviewed change of a tool
// definition, and when catalog_gen.go (what a server lists) is not what the
// request structs, docs, access table and spec build now. After reviewing a
// change, update the snapshots and catalog_gen.go with
//
//	UPDATE_GOLDEN=1 go test ./internal/tools -run TestGoldenToolDefinitions
//
// (go generate ./internal/tools rewrites catalog_gen.go alone).
func TestGoldenToolDefinitions(t *testing.T) {
	all, err := tools.BuildCatalog(schemagen.For)
	if err != nil {
		t.Fatal(err)
	}
	update := os.Getenv("UPDATE_GOLDEN") == "1"
	gen, err := tools.CatalogSource(schemagen.For)
	if err == nil {
		gen, err = format.Source(gen) // as gencatalog writes it
	}
	if err != nil {
		t.Fatal(err)
	}
	if old, err := os.ReadFile("catalog_gen.go"); update {
		if err := os.WriteFile("catalog_gen.go", gen, 0o644); err != nil {
			t.Fatal(err)
		}
	} else if err != nil {
		t.Errorf("read catalog_gen.go: %v; run go generate ./internal/tools", err)
	} else if !bytes.Equal(old, gen) {
		t.Error("catalog_gen.go is stale: the tool definitions changed; review them and run go generate ./internal/tools (or this test with UPDATE_GOLDEN=1)")
	}
	if update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{}
	for _, tl := range all {
		path := filepath.Join(goldenDir, tl.Name+".json")
		want[tl.Name+".json"] = true
		got := snapshot(tl)
		if update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: no snapshot (%v); run with UPDATE_GOLDEN=1 after review", tl.Name, err)
			continue
		}
		if !bytes.Equal(old, got) {
			t.Errorf("%s: definition changed from %s; review and run with UPDATE_GOLDEN=1", tl.Name, path)
		}
	}
	entries, _ := os.ReadDir(goldenDir)
	for _, e := range entries {
		if !want[e.Name()] {
			if update {
				_ = os.Remove(filepath.Join(goldenDir, e.Name()))
			} else {
				t.Errorf("stale snapshot %s has no tool", e.Name())
			}
		}
	}
	if len(all) != 89 {
		t.Fatalf("%d tools, want 89", len(all))
	}
}

var toolName = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)

// TestGeneratedCatalogIsTheBuiltOne: the definitions a server starts with
// (catalog_gen.go) are, field by field, the ones built from the request
// structs — what is published and what a call uses (parameters, required,
// the served schema with a default instance, the shaped output) — and
// every generated input schema compiles, since it is compiled only on a
// tool's first call.
func TestGeneratedCatalogIsTheBuiltOne(t *testing.T) {
	gen, err := tools.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	built, err := tools.BuildCatalog(schemagen.For)
	if err != nil {
		t.Fatal(err)
	}
	if len(gen) != len(built) || len(gen) != 89 {
		t.Fatalf("%d generated tools, %d built, want 89; run go generate ./internal/tools", len(gen), len(built))
	}
	for i, g := range gen {
		b := built[i]
		if !bytes.Equal(snapshot(g), snapshot(b)) {
			t.Errorf("%s: generated definition differs from the built one; run go generate ./internal/tools", b.Name)
			continue
		}
		if err := g.Input().Check(); err != nil {
			t.Errorf("%s: generated input schema does not compile: %v", g.Name, err)
		}
		if !reflect.DeepEqual(g.Input().Props, b.Input().Props) || !reflect.DeepEqual(g.Input().Required, b.Input().Required) {
			t.Errorf("%s: parameters differ:\n%+v\n%+v", g.Name, g.Input().Props, b.Input().Props)
		}
		if !reflect.DeepEqual(tools.OutShape(g), tools.OutShape(b)) {
			t.Errorf("%s: shaped output differs", g.Name)
		}
		for _, inst := range []string{"ccc-sim-shanghai", `a "quoted" <b>&amp; 中文 \ inst`, " spaced "} {
			if got, want := tools.ServedSchema(g, inst), tools.ServedSchema(b, inst); !bytes.Equal(got, want) {
				t.Errorf("%s: served schema for %q differs:\n%s\n%s", g.Name, inst, got, want)
			}
		}
	}
}

func TestCatalogDefinitions(t *testing.T) {
	all, err := tools.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	sets := map[string]int{}
	classes := map[spec.Access]int{}
	for _, tl := range all {
		if !toolName.MatchString(tl.Name) || seen[tl.Name] {
			t.Errorf("tool name %q bad or duplicated", tl.Name)
		}
		seen[tl.Name] = true
		sets[tl.Toolset]++
		classes[tl.Access]++
		a := spec.MustSpec().Action(tl.Action)
		if !strings.Contains(tl.Description, a.SummaryZh) {
			t.Errorf("%s: the overview's Chinese summary is missing", tl.Name)
		}
		if tl.Title == "" || len(tl.Description) < 30 {
			t.Errorf("%s: title/description too thin", tl.Name)
		}
		ann := tl.Annotations
		switch tl.Access {
		case spec.AccessRead, spec.AccessSecret:
			if !ann.ReadOnly || ann.Destructive || ann.OpenWorld {
				t.Errorf("%s: read tool annotated %+v", tl.Name, ann)
			}
		case spec.AccessWrite:
			if ann.ReadOnly || ann.Destructive {
				t.Errorf("%s: additive write annotated %+v", tl.Name, ann)
			}
		case spec.AccessDestructive:
			if ann.ReadOnly || !ann.Destructive {
				t.Errorf("%s: destructive annotated %+v", tl.Name, ann)
			}
		case spec.AccessExternal:
			if ann.ReadOnly || !ann.OpenWorld {
				t.Errorf("%s: external annotated %+v", tl.Name, ann)
			}
		}
		// The output schema is a valid JSON Schema.
		if _, err := schema.Compile(tl.OutputSchema); err != nil {
			t.Errorf("%s: output schema: %v", tl.Name, err)
		}
		var out map[string]any
		_ = json.Unmarshal(tl.OutputSchema, &out)
		props, _ := out["properties"].(map[string]any)
		for _, k := range []string{"HttpStatusCode", "Success", "Code", "Message"} {
			if _, ok := props[k]; ok {
				t.Errorf("%s: output schema keeps envelope field %s", tl.Name, k)
			}
		}
	}
	if len(sets) != 13 {
		t.Errorf("%d toolsets, want the overview's 13: %v", len(sets), sets)
	}
	if classes[spec.AccessRead] != 54 || classes[spec.AccessSecret] != 4 || classes[spec.AccessWrite] != 10 || classes[spec.AccessDestructive] != 15 || classes[spec.AccessExternal] != 6 {
		t.Errorf("classes %v", classes)
	}
}

// The bytes of the tool list are measured where they are real: the MCP
// adapter's TestToolListBytes marshals tools/list as a client receives it.
