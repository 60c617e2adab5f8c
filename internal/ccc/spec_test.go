package ccc

import (
	"bytes"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/cccops/cccops/internal/ccc/gen/render"
	"github.com/cccops/cccops/internal/ccc/spec"
)

// TestSpecConformance walks the spec and the generated structs and fails on
// any difference: the set of actions, a parameter's name, type, required
// flag, or placement, and the ListCallDetailRecords PageNumber bound.
func TestSpecConformance(t *testing.T) {
	s := spec.MustSpec()
	if len(s.Actions) != 89 {
		t.Fatalf("spec lists %d actions, want 89", len(s.Actions))
	}
	if got := len(ActionNames()); got != len(s.Actions) {
		t.Fatalf("%d request structs for %d spec actions", got, len(s.Actions))
	}
	checked := 0
	for _, a := range s.Actions {
		req, ok := NewRequest(a.Name)
		if !ok {
			t.Errorf("%s: no request struct", a.Name)
			continue
		}
		if req.Action() != a.Name {
			t.Errorf("%s: struct says action %s", a.Name, req.Action())
		}
		rt := reflect.TypeOf(req).Elem()
		fields := map[string]reflect.StructField{}
		for i := 0; i < rt.NumField(); i++ {
			f := rt.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("ccc"), ",")
			fields[name] = f
		}
		if len(fields) != len(a.Params) {
			t.Errorf("%s: %d fields, spec has %d params", a.Name, len(fields), len(a.Params))
		}
		for _, p := range a.Params {
			f, ok := fields[p.Name]
			if !ok {
				t.Errorf("%s.%s: no field", a.Name, p.Name)
				continue
			}
			if want, _ := render.GoType(p); f.Type.String() != want {
				t.Errorf("%s.%s: Go type %s, spec says %s (%s)", a.Name, p.Name, f.Type, p.Type, want)
			}
			_, in, _ := strings.Cut(f.Tag.Get("ccc"), ",")
			if in != p.In {
				t.Errorf("%s.%s: placed in %s, spec says %s", a.Name, p.Name, in, p.In)
			}
			if jn, _, _ := strings.Cut(f.Tag.Get("json"), ","); jn != p.Name {
				t.Errorf("%s.%s: json name %q", a.Name, p.Name, jn)
			}
			opts := strings.Split(f.Tag.Get("jsonschema"), ",")
			required := false
			max := ""
			for _, o := range opts {
				if o == "required" {
					required = true
				}
				if v, ok := strings.CutPrefix(o, "maximum="); ok {
					max = v
				}
			}
			if required != p.Required {
				t.Errorf("%s.%s: required=%v, spec says %v", a.Name, p.Name, required, p.Required)
			}
			if p.Maximum != nil && max != strconv.FormatInt(*p.Maximum, 10) {
				t.Errorf("%s.%s: maximum %q, spec says %d", a.Name, p.Name, max, *p.Maximum)
			}
		}
		checked++
	}
	if checked != 89 {
		t.Fatalf("checked %d of 89 actions", checked)
	}
}

// TestGeneratedIsFresh fails when requests_gen.go differs from what the
// generator makes now: run `go generate ./internal/ccc`.
func TestGeneratedIsFresh(t *testing.T) {
	want, err := render.Requests()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("requests_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("requests_gen.go is stale: run `go generate ./internal/ccc` and commit the result")
	}
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"ListRealTimeAgent":       "list_real_time_agent",
		"StartBack2BackCall":      "start_back2_back_call",
		"GetTURNCredentials":      "get_turn_credentials",
		"SaveWebRTCStats":         "save_web_rtc_stats",
		"ListInstancesOfUser":     "list_instances_of_user",
		"GetRecordOssUploadParam": "get_record_oss_upload_param",
	} {
		if got := spec.SnakeCase(in); got != want {
			t.Errorf("SnakeCase(%s) = %s, want %s", in, got, want)
		}
	}
	seen := map[string]string{}
	for _, a := range spec.MustSpec().Actions {
		n := spec.SnakeCase(a.Name)
		if prev, dup := seen[n]; dup {
			t.Errorf("%s and %s share tool name %s", prev, a.Name, n)
		}
		seen[n] = a.Name
	}
}
