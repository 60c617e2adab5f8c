package mcp

import (
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cccops/cccops/internal/app"
)

// TestToolListBytes measures what tools/list really carries, as the client
// received it, in each mode. The product target is 700 bytes per tool in
// the default mode; the figure is logged and a guard fails on growth.
func TestToolListBytes(t *testing.T) {
	measure := func(opts ...envOpt) (int, int) {
		e := newEnv(t, opts...)
		c := e.inProcess(t, false, nil)
		list := listTools(t, c)
		b, err := json.Marshal(mcp.ListToolsResult{Tools: list})
		if err != nil {
			t.Fatal(err)
		}
		return len(b), len(list)
	}
	def, n := measure()
	ro, nro := measure(readOnly())
	gw, ngw := measure(gateway())
	out, nout := measure(func(_ *app.Config, o *Options) { o.OutputSchemas = true })
	t.Logf("tools/list bytes: default %d (%d tools, %.0f/tool); read-only %d (%d tools); gateway %d (%d tools); with output schemas %d (%.0f/tool)",
		def, n, float64(def)/float64(n), ro, nro, gw, ngw, out, float64(out)/float64(nout))
	if n != 89 || ngw != 3 || nro != 54 {
		t.Fatalf("tool counts %d/%d/%d", n, nro, ngw)
	}
	if avg := float64(def) / float64(n); avg > 850 {
		t.Errorf("default tools/list averages %.0f bytes per tool; guard 850 (target 700)", avg)
	}
	if gw > 4000 {
		t.Errorf("gateway mode lists %d bytes; it exists to be small", gw)
	}
}
