package sim

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/schema/schemagen"
)

// checkShape compares a decoded JSON value with a spec schema, independently
// of the simulator's own shaping: every key must be in the schema and every
// value of the schema's JSON type.
func checkShape(sc *spec.Schema, v any, path string, errs *[]string) {
	if sc == nil {
		return
	}
	switch sc.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			*errs = append(*errs, fmt.Sprintf("%s: want object, got %T", path, v))
			return
		}
		if sc.Properties == nil {
			return
		}
		for k, val := range m {
			sub, ok := sc.Properties[k]
			if !ok {
				*errs = append(*errs, path+"."+k+": not in the spec")
				continue
			}
			checkShape(sub, val, path+"."+k, errs)
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			*errs = append(*errs, fmt.Sprintf("%s: want array, got %T", path, v))
			return
		}
		for i, x := range arr {
			checkShape(sc.Items, x, fmt.Sprintf("%s[%d]", path, i), errs)
		}
	case "string":
		if _, ok := v.(string); !ok {
			*errs = append(*errs, fmt.Sprintf("%s: want string, got %T", path, v))
		}
	case "integer":
		f, ok := v.(float64)
		if !ok || f != float64(int64(f)) {
			*errs = append(*errs, fmt.Sprintf("%s: want integer, got %v", path, v))
		}
	case "number":
		if _, ok := v.(float64); !ok {
			*errs = append(*errs, fmt.Sprintf("%s: want number, got %T", path, v))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			*errs = append(*errs, fmt.Sprintf("%s: want boolean, got %T", path, v))
		}
	}
}

// arrays reports whether the schema holds an array, and whether the value
// holds a non-empty one.
func hasArray(sc *spec.Schema) bool {
	if sc == nil {
		return false
	}
	if sc.Type == "array" {
		return true
	}
	for _, p := range sc.Properties {
		if hasArray(p) {
			return true
		}
	}
	return false
}

func nonEmptyArray(v any) bool {
	switch x := v.(type) {
	case []any:
		return len(x) > 0
	case map[string]any:
		for _, e := range x {
			if nonEmptyArray(e) {
				return true
			}
		}
	}
	return false
}

var riskOrder = map[spec.Access]int{spec.AccessRead: 0, spec.AccessSecret: 1, spec.AccessWrite: 2, spec.AccessDestructive: 3, spec.AccessExternal: 4}

// TestEveryActionAnswersInItsSpecShape calls all 89 actions through the real
// SDK with valid parameters and checks each answer against the spec.
func TestEveryActionAnswersInItsSpecShape(t *testing.T) {
	t.Parallel() // each test starts its own simulator
	srv := startSim(t, Options{})
	f := newFixture(t, srv.Sim)
	c := newAKClient(t, DefaultAccessKeyID, DefaultAccessKeySecret)
	sp := spec.MustSpec()
	acts := append([]*spec.Action{}, sp.Actions...)
	sort.SliceStable(acts, func(i, j int) bool { return riskOrder[acts[i].Access] < riskOrder[acts[j].Access] })
	if len(acts) != 89 {
		t.Fatalf("spec has %d actions, want 89", len(acts))
	}
	covered := 0
	for _, act := range acts {
		params := f.validParams(act.Name)
		if params == nil {
			t.Errorf("%s: no valid parameters in the fixture", act.Name)
			continue
		}
		req := mustReq(t, act.Name, params)
		// The fixture must be a call the product could make: it passes the
		// tool's input schema (enums, bounds, types) as well as the simulator.
		if sch, err := schemagen.For(req); err != nil {
			t.Fatal(err)
		} else if err := sch.Validate(params); err != nil {
			t.Errorf("%s: fixture parameters break the tool's input schema: %v", act.Name, err)
		}
		a := send(t, c, srv.Addr, req)
		if a.Status != 200 || a.Code != "" {
			t.Errorf("%s: status %d code %s: %.300s", act.Name, a.Status, a.Code, a.Raw)
			continue
		}
		var errs []string
		checkShape(act.Response, a.Body, act.Name, &errs)
		if len(errs) > 0 {
			t.Errorf("%s: answer off the spec:\n  %s", act.Name, strings.Join(errs, "\n  "))
		}
		// Every top-level field of the spec's answer is there, not only
		// fields that are there being in the spec.
		for k := range act.Response.Properties {
			if _, ok := a.Body[k]; !ok {
				t.Errorf("%s: top-level field %s of the spec is missing", act.Name, k)
			}
		}
		for _, k := range []string{"RequestId", "Success", "Code"} {
			if _, inSpec := act.Response.Properties[k]; inSpec && get(a.Body, k) == nil {
				t.Errorf("%s: %s missing", act.Name, k)
			}
		}
		if get(a.Body, "Success") != true || (act.Response.Properties["HttpStatusCode"] != nil && num(a.Body, "HttpStatusCode") != 200) {
			t.Errorf("%s: envelope is not a success: %.200s", act.Name, a.Raw)
		}
		if hasArray(act.Response) && !nonEmptyArray(a.Body) {
			t.Errorf("%s: every list in the answer is empty although the seed has data: %.400s", act.Name, a.Raw)
		}
		covered++
	}
	if covered != 89 {
		t.Errorf("covered %d of 89 actions", covered)
	}
	srv.mu.Lock()
	issues := append([]string{}, srv.shapeIssues...)
	srv.mu.Unlock()
	if len(issues) > 0 {
		t.Errorf("the simulator built answers off the spec:\n  %s", strings.Join(issues, "\n  "))
	}
	if n := len(ccc.ActionNames()); n != 89 {
		t.Errorf("ccc knows %d actions", n)
	}
}
