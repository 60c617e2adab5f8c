package schema

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/ccc/spec"
)

var propName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)

// TestAllSchemas builds all 89 input schemas and ties each back to the spec:
// object, additionalProperties false, exact names, types, item types,
// required lists; and each compiles under a JSON Schema validator.
func TestAllSchemas(t *testing.T) {
	n := 0
	for _, a := range spec.MustSpec().Actions {
		req, _ := ccc.NewRequest(a.Name)
		s, err := For(req)
		if err != nil {
			t.Fatalf("%s: %v", a.Name, err)
		}
		var doc map[string]any
		if err := json.Unmarshal(s.JSON, &doc); err != nil {
			t.Fatal(err)
		}
		if doc["type"] != "object" || doc["additionalProperties"] != false {
			t.Errorf("%s: type=%v additionalProperties=%v", a.Name, doc["type"], doc["additionalProperties"])
		}
		if _, ok := doc["$schema"]; ok {
			t.Errorf("%s: $schema is noise in a tool list", a.Name)
		}
		props, _ := doc["properties"].(map[string]any)
		if len(props) != len(a.Params) {
			t.Errorf("%s: %d properties, spec has %d", a.Name, len(props), len(a.Params))
		}
		var wantReq []string
		for _, p := range a.Params {
			if !propName.MatchString(p.Name) {
				t.Errorf("%s: property name %q", a.Name, p.Name)
			}
			pr, ok := props[p.Name].(map[string]any)
			if !ok {
				t.Errorf("%s.%s: missing", a.Name, p.Name)
				continue
			}
			if IsTimeParam(p.Name) {
				// A time takes its wire type first, and text or epoch ms too.
				ty, _ := pr["type"].([]any)
				if len(ty) != 2 || ty[0] != p.Type {
					t.Errorf("%s.%s: type %v, want [%s, …]", a.Name, p.Name, pr["type"], p.Type)
				}
			} else if pr["type"] != p.Type {
				t.Errorf("%s.%s: type %v, spec %s", a.Name, p.Name, pr["type"], p.Type)
			}
			if p.Type == "array" && pr["maxItems"] == nil {
				t.Errorf("%s.%s: a list without maxItems", a.Name, p.Name)
			}
			if d, _ := pr["description"].(string); strings.TrimSpace(d) == "" {
				t.Errorf("%s.%s: no description", a.Name, p.Name)
			}
			if p.Type == "array" {
				items, _ := pr["items"].(map[string]any)
				if items == nil || items["type"] != p.Items {
					t.Errorf("%s.%s: array items %v, spec %s", a.Name, p.Name, pr["items"], p.Items)
				}
			}
			if p.Maximum != nil && pr["maximum"] != float64(*p.Maximum) {
				t.Errorf("%s.%s: maximum %v, spec %d", a.Name, p.Name, pr["maximum"], *p.Maximum)
			}
			if p.Required {
				wantReq = append(wantReq, p.Name)
			}
		}
		got := append([]string(nil), s.Required...)
		sort.Strings(got)
		sort.Strings(wantReq)
		if strings.Join(got, ",") != strings.Join(wantReq, ",") {
			t.Errorf("%s: required %v, spec %v", a.Name, got, wantReq)
		}
		n++
	}
	if n != 89 {
		t.Fatalf("%d schemas", n)
	}
}

func schemaOf(t *testing.T, req ccc.Request) *Schema {
	t.Helper()
	s, err := For(req)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestValidateNamesTheParameter(t *testing.T) {
	s := schemaOf(t, &ccc.ListCallDetailRecordsRequest{})
	ok := map[string]any{"InstanceId": "i", "PageNumber": 1, "PageSize": 10}
	if err := s.Validate(ok); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args  map[string]any
		param string
	}{
		{map[string]any{"PageNumber": 1, "PageSize": 10}, "InstanceId"},
		{map[string]any{"InstanceId": "i", "PageNumber": 5001, "PageSize": 10}, "PageNumber"},
		{map[string]any{"InstanceId": "i", "PageNumber": "one", "PageSize": 10}, "PageNumber"},
		{map[string]any{"InstanceId": "i", "PageNumber": 1, "PageSize": 10, "Bogus": 1}, "Bogus"},
		{map[string]any{"instanceid": "i", "PageNumber": 1, "PageSize": 10}, "instanceid"},
	}
	for _, c := range cases {
		err := s.Validate(c.args)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Param != c.param {
			t.Errorf("%v: got %v, want an error naming %s", c.args, err, c.param)
		}
	}
}

func TestCoerce(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	s := schemaOf(t, &ccc.ResetUserStatusRequest{})
	got, err := Coerce(s, []string{"instanceid=ccc-1", "RamIdList=1,2", "RamIdList=3"}, now)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"InstanceId": "ccc-1", "RamIdList": []any{int64(1), int64(2), int64(3)}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
	if err := s.Validate(got); err != nil {
		t.Fatalf("coerced args do not validate: %v", err)
	}

	s = schemaOf(t, &ccc.ListCallDetailRecordsRequest{})
	coerce := func(words []string) (map[string]any, error) {
		got, err := Coerce(s, words, now)
		if err != nil {
			return nil, err
		}
		return got, s.NormalizeTimes(got, now, time.UTC)
	}
	got, err = coerce([]string{"InstanceId=i", "StartTime=1h", "StopTime=now", "WithRecording=yes", "PageNumber=2", "PageSize=20"})
	if err != nil {
		t.Fatal(err)
	}
	if got["StartTime"] != now.Add(-time.Hour).UnixMilli() || got["StopTime"] != now.UnixMilli() || got["WithRecording"] != true {
		t.Fatalf("got %#v", got)
	}
	got, err = coerce([]string{"InstanceId=i", "StartTime=yesterday", "StopTime=2026-11-24t08:00:00z"})
	if err != nil {
		t.Fatal(err)
	}
	if got["StartTime"] != time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC).UnixMilli() || got["StopTime"] != time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC).UnixMilli() {
		t.Fatalf("got %#v", got)
	}
	for _, bad := range [][]string{{"StartTime=20000w"}, {"StartTime=99999w"}, {"PageNumber=two"}, {"WithRecording=maybe"}, {"StartTime=soon"}, {"Nope=1"}, {"justaword"}, {"PageSize=1", "PageSize=2"}} {
		_, err := coerce(bad)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Param == "" {
			t.Errorf("%v: got %v, want an error naming the parameter", bad, err)
		}
	}

	s = schemaOf(t, &ccc.GetInstanceSummaryReportRequest{})
	got, err = coerce([]string{"StartTime=7d", "EndTime=2026-11-25 00:00:00"})
	if err != nil {
		t.Fatal(err)
	}
	if got["StartTime"] != "2026-11-18 10:30:00" || got["EndTime"] != "2026-11-25 00:00:00" {
		t.Fatalf("string times: %#v", got)
	}
	got, err = Coerce(schemaOf(t, &ccc.CreateContactFlowRequest{}), []string{`Description="night, weekend flow"`}, now)
	if err != nil || got["Description"] != "night, weekend flow" {
		t.Fatalf("quoted string: %#v %v", got, err)
	}
}

func FuzzCoerce(f *testing.F) {
	for _, seed := range []string{"InstanceId=i RamIdList=1,2", "StartTime=1h", "PageNumber=-1", "X", "=", "RamIdList=,,", "StartTime=99999w", "WithRecording=on"} {
		f.Add(seed)
	}
	schemas := []*Schema{}
	for _, r := range []ccc.Request{&ccc.ResetUserStatusRequest{}, &ccc.ListCallDetailRecordsRequest{}, &ccc.GetInstanceSummaryReportRequest{}} {
		s, err := For(r)
		if err != nil {
			f.Fatal(err)
		}
		schemas = append(schemas, s)
	}
	now := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in string) {
		for _, s := range schemas {
			args, err := Coerce(s, strings.Fields(in), now)
			if err == nil {
				err = s.NormalizeTimes(args, now, time.UTC)
			}
			if err != nil {
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("error of type %T: %v", err, err)
				}
				continue
			}
			// Whatever Coerce accepts has the schema's names and types.
			for k, v := range args {
				p, ok := s.Prop(k)
				if !ok || p.Name != k {
					t.Fatalf("unknown or miscased key %q", k)
				}
				switch p.Type {
				case "integer":
					if _, ok := v.(int64); !ok {
						t.Fatalf("%s: %T", k, v)
					}
				case "boolean":
					if _, ok := v.(bool); !ok {
						t.Fatalf("%s: %T", k, v)
					}
				case "array":
					if _, ok := v.([]any); !ok {
						t.Fatalf("%s: %T", k, v)
					}
				case "string":
					if _, ok := v.(string); !ok {
						t.Fatalf("%s: %T", k, v)
					}
				}
			}
			_ = s.Validate(args) // must not panic
		}
	})
}
