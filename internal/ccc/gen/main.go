// Command gen writes internal/ccc/requests_gen.go: one request struct per CCC
// action, generated from the embedded spec file and the text in
// internal/ccc/docs. Run it with `go generate ./internal/ccc`; a test in
// internal/ccc fails when the checked-in file is stale.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/cccops/cccops/internal/ccc/gen/render"
)

func main() {
	out := flag.String("o", "requests_gen.go", "output file")
	flag.Parse()
	src, err := render.Requests()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
