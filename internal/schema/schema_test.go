package schema_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/schema"
	"github.com/cccops/cccops/internal/schema/schemagen"
)

func schemaOf(t *testing.T, req ccc.Request) *schema.Schema {
	t.Helper()
	s, err := schemagen.For(req)
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
		var ve *schema.ValidationError
		if !errors.As(err, &ve) || ve.Param != c.param {
			t.Errorf("%v: got %v, want an error naming %s", c.args, err, c.param)
		}
	}
}

func TestCoerce(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	s := schemaOf(t, &ccc.ResetUserStatusRequest{})
	got, err := schema.Coerce(s, []string{"instanceid=ccc-1", "RamIdList=1,2", "RamIdList=3"}, now)
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
		got, err := schema.Coerce(s, words, now)
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
		var ve *schema.ValidationError
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
	got, err = schema.Coerce(schemaOf(t, &ccc.CreateContactFlowRequest{}), []string{`Description="night, weekend flow"`}, now)
	if err != nil || got["Description"] != "night, weekend flow" {
		t.Fatalf("quoted string: %#v %v", got, err)
	}
}

func FuzzCoerce(f *testing.F) {
	for _, seed := range []string{"InstanceId=i RamIdList=1,2", "StartTime=1h", "PageNumber=-1", "X", "=", "RamIdList=,,", "StartTime=99999w", "WithRecording=on"} {
		f.Add(seed)
	}
	schemas := []*schema.Schema{}
	for _, r := range []ccc.Request{&ccc.ResetUserStatusRequest{}, &ccc.ListCallDetailRecordsRequest{}, &ccc.GetInstanceSummaryReportRequest{}} {
		s, err := schemagen.For(r)
		if err != nil {
			f.Fatal(err)
		}
		schemas = append(schemas, s)
	}
	now := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in string) {
		for _, s := range schemas {
			args, err := schema.Coerce(s, strings.Fields(in), now)
			if err == nil {
				err = s.NormalizeTimes(args, now, time.UTC)
			}
			if err != nil {
				var ve *schema.ValidationError
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
