// Command gencatalog writes internal/tools/catalog_gen.go: the 89 tool
// definitions, built from the request structs, internal/ccc/docs, the
// access table and the spec, as Go constants, so a server lists them
// without building them at start. Run it with
//
//	go generate ./internal/tools
//
// after a change to a request struct, a description, the access table or
// the spec; TestGoldenToolDefinitions fails until it has run.
package main

import (
	"flag"
	"fmt"
	"go/format"
	"os"

	"github.com/cccops/cccops/internal/schema/schemagen"
	"github.com/cccops/cccops/internal/tools"
)

func main() {
	out := flag.String("o", "catalog_gen.go", "file to write")
	flag.Parse()
	src, err := tools.CatalogSource(schemagen.For)
	if err == nil {
		src, err = format.Source(src)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencatalog:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gencatalog:", err)
		os.Exit(1)
	}
}
