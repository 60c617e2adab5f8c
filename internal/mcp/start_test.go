package mcp

import (
	"encoding/json"
	"testing"

	"github.com/cccops/cccops/internal/schema"
)

// The gateway's three input schemas are compiled on their first call, not
// at start: they must all compile, or that first call would refuse every
// argument.
func TestGatewaySchemasCompile(t *testing.T) {
	for name, raw := range map[string]string{FindActions: findSchema, DescribeAction: describeSchema, CallAction: callSchema} {
		if err := schema.Lazy(json.RawMessage(raw)).Check(); err != nil {
			t.Errorf("%s: input schema does not compile: %v", name, err)
		}
	}
}
