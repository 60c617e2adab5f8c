package schema_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/schema"
)

// structDump is how a library's error struct reads when printed with %v.
var structDump = regexp.MustCompile(`&\{|\{Got:|Want:\[|Missing:\[|map\[|\[\]interface`)

// TestValidationSpeaksOneVoice: every keyword failure names the parameter,
// says what was wrong and what is accepted, and what to do — never a
// library's struct dump — and stays small however large the call.
func TestValidationSpeaksOneVoice(t *testing.T) {
	cdr := schemaOf(t, &ccc.ListCallDetailRecordsRequest{})
	states := schemaOf(t, &ccc.ListAgentStatesRequest{})
	reset := schemaOf(t, &ccc.ResetUserStatusRequest{})
	custom, err := schema.Compile([]byte(`{"type":"object","additionalProperties":false,"properties":{
		"Code":{"type":"string","pattern":"^[A-Z]{3}$","description":"x"},
		"Opts":{"type":"object","additionalProperties":false,"properties":{"A":{"type":"string"}}},
		"Tags":{"type":"array","items":{"type":"string"},"minItems":1}}}`))
	if err != nil {
		t.Fatal(err)
	}
	huge := make([]any, 160000)
	for i := range huge {
		huge[i] = "x"
	}
	wrongTypes := make([]any, 100)
	for i := range wrongTypes {
		wrongTypes[i] = strings.Repeat("y", 10000)
	}
	cases := []struct {
		name  string
		s     *schema.Schema
		args  map[string]any
		param string
		words []string // what the message must say
	}{
		{"type", cdr, map[string]any{"InstanceId": "i", "PageNumber": "x", "PageSize": 10}, "PageNumber", []string{`"x" is a string`, "integer", "send a whole number"}},
		{"required", cdr, map[string]any{"InstanceId": "i"}, "PageNumber", []string{"PageNumber is required", "PageSize is required", "add it"}},
		{"enum", states, map[string]any{"InstanceId": "i", "State": "Idle"}, "State", []string{`"Idle"`, "ACW", "Offline", "use one of"}},
		{"minimum", cdr, map[string]any{"InstanceId": "i", "PageNumber": 0, "PageSize": 10}, "PageNumber", []string{"below the minimum 1", "send a larger value"}},
		{"maximum", cdr, map[string]any{"InstanceId": "i", "PageNumber": 1, "PageSize": 100000}, "PageSize", []string{"100000", "above the maximum 100", "page with PageNumber"}},
		{"maxItems", reset, map[string]any{"InstanceId": "i", "RamIdList": huge}, "RamIdList", []string{"160000 items", "at most 100", "batches of 100"}},
		{"item types", reset, map[string]any{"InstanceId": "i", "RamIdList": wrongTypes}, "RamIdList", []string{"RamIdList item 1", "is a string", "and 95 more"}},
		{"unknown", cdr, map[string]any{"InstanceId": "i", "PageNumber": 1, "PageSize": 1, "Bogus": 1}, "Bogus", []string{"Bogus: no such parameter", "PageSize", "Remove it"}},
		{"case", cdr, map[string]any{"instanceid": "i", "PageNumber": 1, "PageSize": 1}, "instanceid", []string{"case-sensitive", "send it as InstanceId"}},
		{"pattern", custom, map[string]any{"Code": "abcd"}, "Code", []string{`"abcd"`, "does not match", "^[A-Z]{3}$"}},
		{"additionalProperties", custom, map[string]any{"Opts": map[string]any{"B": 1}}, "Opts", []string{"no such parameter"}},
		{"minItems", custom, map[string]any{"Tags": []any{}}, "Tags", []string{"0 items", "at least 1"}},
	}
	for _, c := range cases {
		err := c.s.Validate(c.args)
		var ve *schema.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: got %v", c.name, err)
			continue
		}
		msg := err.Error()
		if ve.Param != c.param {
			t.Errorf("%s: names %q, want %q: %s", c.name, ve.Param, c.param, msg)
		}
		if structDump.MatchString(msg) {
			t.Errorf("%s: a struct dump reached the user: %s", c.name, msg)
		}
		for _, w := range c.words {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q does not say %q", c.name, msg, w)
			}
		}
		if len(msg) > 2000 || len(ve.Problems) > schema.MaxProblems {
			t.Errorf("%s: %d bytes, %d problems: errors must stay small", c.name, len(msg), len(ve.Problems))
		}
	}
}
