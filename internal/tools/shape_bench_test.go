package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/ccc/spec"
)

// BenchmarkShape shapes one CCC answer: a saved one (SHAPE_BODY=file,
// SHAPE_ACTION=its action), or with SHAPE_ACTION=GetUser or
// ListRealTimeAgent alone the answer of a simulator started for it (the
// bodies BENCHMARKS.md counts instructions of).
func BenchmarkShape(b *testing.B) {
	action := os.Getenv("SHAPE_ACTION")
	body, err := shapeBenchBody(os.Getenv("SHAPE_BODY"), action)
	if err != nil {
		b.Fatal(err)
	}
	if body == nil {
		b.Skip("set SHAPE_ACTION (GetUser or ListRealTimeAgent), or SHAPE_BODY and SHAPE_ACTION")
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

// shapeBenchBody reads the saved answer at path, or asks a simulator of its
// own for alice (GetUser) or the agents (ListRealTimeAgent) of the default
// instance; nil when there is nothing to shape.
func shapeBenchBody(path, action string) ([]byte, error) {
	if path != "" {
		return os.ReadFile(path)
	}
	args := map[string]any{"InstanceId": sim.DefaultInstanceID}
	switch action {
	case "ListRealTimeAgent":
	case "GetUser":
	default:
		return nil, nil
	}
	srv, err := sim.Start("127.0.0.1:0", sim.Options{})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	if action == "GetUser" {
		alice, ok := srv.Agent(sim.DefaultInstanceID, "alice")
		if !ok {
			return nil, errors.New("the simulator has no agent alice")
		}
		args["UserId"] = alice.UserID
	}
	req, _ := ccc.NewRequest(action)
	raw, _ := json.Marshal(args)
	if err := json.Unmarshal(raw, req); err != nil {
		return nil, err
	}
	client, err := ccc.New(ccc.Config{Endpoint: srv.URL, Credentials: ccc.Credentials{Mode: ccc.CredAccessKey, AccessKeyID: sim.DefaultAccessKeyID, AccessKeySecret: sim.DefaultAccessKeySecret}})
	if err != nil {
		return nil, err
	}
	defer client.Close()
	return client.Call(context.Background(), req)
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
