// Command floor is the floor of cccops-load's start measurement: the least
// an mcp-go stdio server can do to list the tools cmd/mcp-server lists. It
// builds its tools from Go literals (name, description, annotations and the
// input schema as raw JSON, byte for byte what cmd/mcp-server sent in one
// tools/list), adds them to an mcp-go server and serves stdio. It reads no
// file, reflects no struct and compiles no schema.
//
// The literals live in tools_gen.go, which is not in the repository: it is
// written from a live tools/list answer and added to the build with
// `go build -overlay` by bench.BuildFloor, so the floor always lists what
// the server under test lists. Built without it, the floor refuses to start.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// tools is set by tools_gen.go.
var tools []mcp.Tool

func main() {
	if len(tools) == 0 {
		fmt.Fprintln(os.Stderr, "floor: built without its tool list (tools_gen.go); build it with bench.BuildFloor, as go run ./cmd/cccops-load does")
		os.Exit(2)
	}
	s := server.NewMCPServer("floor", "1", server.WithToolCapabilities(false))
	for _, t := range tools {
		s.AddTool(t, answer)
	}
	if err := server.ServeStdio(s); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

// answer is every tool's handler; the start measurement never calls one.
func answer(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return mcp.NewToolResultText("floor: this server only lists tools"), nil
}
