package tools

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc/spec"
)

// BenchmarkShape shapes a saved CCC answer (SHAPE_BODY=file, SHAPE_ACTION=name).
func BenchmarkShape(b *testing.B) {
	path, action := os.Getenv("SHAPE_BODY"), os.Getenv("SHAPE_ACTION")
	if path == "" {
		b.Skip("SHAPE_BODY not set")
	}
	body, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	all, _ := Catalog()
	var t *Tool
	for _, x := range all {
		if x.Action == action {
			t = x
		}
	}
	resp := spec.MustSpec().Action(action).Response
	loc := time.FixedZone("Asia/Shanghai", 8*3600)
	// The tests check every shaped tree by parsing it again; that check is
	// not part of what a call costs.
	verify := verifyShapedTree
	verifyShapedTree = false
	defer func() { verifyShapedTree = verify }()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := shapeBody(body, resp, t.outShape(), t.isPaged(), shapeOptions{Loc: loc}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeEncode is the cost shaping used to pay: the answer decoded
// into maps and encoded again, for comparison in the same run.
func BenchmarkDecodeEncode(b *testing.B) {
	path := os.Getenv("SHAPE_BODY")
	if path == "" {
		b.Skip("SHAPE_BODY not set")
	}
	body, _ := os.ReadFile(path)
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(m); err != nil {
			b.Fatal(err)
		}
	}
}
