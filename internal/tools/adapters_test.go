package tools_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestAdaptersImportNoCCC: the MCP and Slack adapters know no CCC — its
// stuck rule, error type and requests reach them only through this
// registry — so neither imports internal/ccc or a package under it. (Their
// tests may: they start the simulator.)
func TestAdaptersImportNoCCC(t *testing.T) {
	const ccc = "github.com/cccops/cccops/internal/ccc"
	for _, dir := range []string{"../mcp", "../slack"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		parsed, viaRegistry := 0, false
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			parsed++
			for _, im := range af.Imports {
				path, _ := strconv.Unquote(im.Path.Value)
				if path == ccc || strings.HasPrefix(path, ccc+"/") {
					t.Errorf("%s imports %s: take CCC knowledge from internal/tools instead", f, path)
				}
				viaRegistry = viaRegistry || path == "github.com/cccops/cccops/internal/tools"
			}
		}
		if parsed == 0 || !viaRegistry {
			t.Errorf("%s: parsed %d files, registry imported %v — is this still the adapter?", dir, parsed, viaRegistry)
		}
	}
}
