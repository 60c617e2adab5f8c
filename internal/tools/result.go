package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/schema"
)

// ResultOptions are the operator's choices about results.
type ResultOptions struct {
	// Zone is the call center's time zone: readable times in results are
	// shown in it and date-time text in arguments is read in it. Default
	// Asia/Shanghai (CCC 2017-07-05 serves cn-shanghai; the simulator's
	// zone).
	Zone *time.Location
	// NoStructured turns structured content off: results carry only their
	// text, which holds everything (a client that ignores structured
	// content then does not pay for the data twice). Result.JSON and Data
	// stay filled for the registry's own flows.
	NoStructured bool
}

// defaultZone is China Standard Time, which has no daylight saving time;
// the fixed zone keeps the name without needing the tz database.
var defaultZone = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("Asia/Shanghai", 8*3600)
}()

// Zone is the zone of readable times and date-time arguments.
func (r *Registry) Zone() *time.Location {
	if r.cfg.Results.Zone != nil {
		return r.cfg.Results.Zone
	}
	return defaultZone
}

func (r *Registry) shape(t *Tool, body []byte, fields [][]string) (shaped, error) {
	o := shapeOptions{Loc: r.Zone(), Fields: fields}
	if fields != nil {
		o.Rows = rowPath(t.outShape())
	}
	return shapeBody(body, spec.MustSpec().Action(t.Action).Response, t.outShape(), t.isPaged(), o)
}

func (r *Registry) okResult(t *Tool, sh shaped) *Result {
	return &Result{
		Tool: t, Status: StatusOK, JSON: sh.JSON, Text: sh.Text, RequestID: sh.RequestID,
		NextPage: sh.Hint, Secret: t.Access == spec.AccessSecret, NoStructured: r.cfg.Results.NoStructured,
	}
}

// Data is the shaped structured content as maps (numbers as json.Number),
// decoded from JSON on first use: a caller that only sends the result on
// never pays for the maps. Not safe for concurrent first use.
func (r *Result) Data() map[string]any {
	if r.data == nil && len(r.JSON) > 0 {
		dec := json.NewDecoder(bytes.NewReader(r.JSON))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err == nil {
			r.data = m
		}
	}
	return r.data
}

// SetData replaces the structured content (for example with a redacted
// copy before posting it in a channel); JSON and Text follow it.
func (r *Result) SetData(m map[string]any) {
	r.data = m
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return
	}
	r.JSON = bytes.TrimRight(b.Bytes(), "\n")
	var t jtree
	if err := t.parse(r.JSON); err == nil && len(t.nodes) > 0 && t.nodes[0].kind == jObject {
		var out *spec.Schema
		if r.Tool != nil {
			out = r.Tool.outShape()
		}
		r.Text = renderText(&t, out, nil)
	}
}

// invalidArgs words a validation failure for the surfaces: the problems,
// then where to look next.
func invalidArgs(t *Tool, err error) *Error {
	var ve *schema.ValidationError
	param := ""
	if errors.As(err, &ve) {
		param = ve.Param
	}
	msg := fmt.Sprintf("invalid arguments for %s: %s", t.Name, err.Error())
	if param == "InstanceId" {
		msg += ". List instances with list_instances_of_user"
	} else {
		msg += ". Nothing was sent"
	}
	return &Error{Kind: KindInvalidArgs, Tool: t.Name, Param: param, Message: msg}
}

// FieldsParam is the optional argument of list tools that names the
// columns to keep. It shapes the result and is never sent to CCC.
const FieldsParam = "Fields"

// fieldsTools are the list tools that take Fields: where it pays, by
// measurement (BENCHMARKS.md) — the eight whose pages of 100 rows weigh
// the most (wide report rows, call records with nested agents and
// recordings). Offering it on every list tool would cost about 100 bytes
// of tools/list per tool for little gain.
var fieldsTools = map[string]bool{
	"ListAgentEvents": true, "GenerateAgentStatisticReport": true, "ListAgentSummaryReportsByInterval": true,
	"ListRecentCallRecords": true, "ListCallDetailRecords": true, "ListAgentSummaryReports": true,
	"ListAgentSummaryReportsSinceMidnight": true, "ListUsers": true,
}

const fieldsDescription = "Columns to keep (dotted for nested); omit for all."

// maxFields bounds the Fields argument.
const maxFields = 50

// TakeFields removes the Fields argument from a call's arguments and checks
// it against the columns of the tool's rows: the rest are the arguments the
// gate and CCC see. fields is nil when the call keeps every column.
func (r *Registry) TakeFields(t *Tool, in map[string]any) (map[string]any, [][]string, error) {
	v, has := in[FieldsParam]
	if !has || !fieldsTools[t.Action] {
		// Without Fields in its schema, a tool refuses the name as it
		// refuses any unknown parameter.
		return in, nil, nil
	}
	rest := make(map[string]any, len(in))
	for k, x := range in {
		if k != FieldsParam {
			rest[k] = x
		}
	}
	cols := t.Columns()
	bad := func(why string) error {
		return &Error{Kind: KindInvalidArgs, Tool: t.Name, Param: FieldsParam, Message: fmt.Sprintf(
			"invalid arguments for %s: Fields: %s; send a list of column names (dotted for nested ones, e.g. %s), or leave Fields out for all columns",
			t.Name, why, exampleCols(cols))}
	}
	if len(cols) == 0 {
		return nil, nil, bad(t.Name + " returns no list, so it has no columns to choose")
	}
	var names []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, nil, bad(fmt.Sprintf("every item must be a column name, got %s", short(e)))
			}
			names = append(names, s)
		}
	case []string:
		names = x
	case string: // Slack's Fields=a,b
		for _, s := range strings.Split(x, ",") {
			if s = strings.TrimSpace(s); s != "" {
				names = append(names, s)
			}
		}
	default:
		return nil, nil, bad(fmt.Sprintf("expected a list of column names, got %s", short(v)))
	}
	if len(names) == 0 {
		return rest, nil, nil
	}
	if len(names) > maxFields {
		return nil, nil, bad(fmt.Sprintf("%d names given, at most %d accepted", len(names), maxFields))
	}
	byLower := map[string]string{}
	for _, c := range cols {
		byLower[strings.ToLower(c)] = c
	}
	out := make([][]string, 0, len(names))
	for _, n := range names {
		c, ok := byLower[strings.ToLower(strings.TrimSpace(n))]
		if !ok {
			return nil, nil, bad(fmt.Sprintf("%q is not a column; columns: %s", n, strings.Join(topCols(cols), ", ")))
		}
		out = append(out, strings.Split(c, "."))
	}
	return rest, out, nil
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

func exampleCols(cols []string) string {
	if len(cols) >= 2 {
		return `["` + cols[0] + `","` + cols[1] + `"]`
	}
	return `["ColumnName"]`
}

// topCols are the columns without a dot (the row's own keys).
func topCols(cols []string) []string {
	var out []string
	for _, c := range cols {
		if !strings.Contains(c, ".") {
			out = append(out, c)
		}
	}
	return out
}

// Columns lists what Fields may name for this tool: every path below an
// element of the tool's list of rows (the first list of objects in its
// shaped output), dotted for nested keys. Empty when the tool returns no
// list.
func (t *Tool) Columns() []string {
	rows := rowSchema(t.outShape())
	if rows == nil {
		return nil
	}
	var out []string
	var walk func(s *spec.Schema, prefix string)
	walk = func(s *spec.Schema, prefix string) {
		for _, k := range sortedKeys(s.Properties) {
			p := prefix + k
			out = append(out, p)
			c := s.Properties[k]
			if c == nil {
				continue
			}
			if c.Type == "array" && c.Items != nil {
				c = c.Items
			}
			if c.Properties != nil {
				walk(c, p+".")
			}
		}
	}
	walk(rows, "")
	return out
}

// rowSchema finds the element schema of the list of rows: the first list
// of objects, by key order, outside any list.
func rowSchema(s *spec.Schema) *spec.Schema {
	r, _ := findRows(s, nil)
	return r
}

// rowPath is the path of the list of rows from the top of the result.
func rowPath(s *spec.Schema) []string {
	_, p := findRows(s, nil)
	return p
}

func findRows(s *spec.Schema, path []string) (*spec.Schema, []string) {
	if s == nil {
		return nil, nil
	}
	if s.Type == "array" && s.Items != nil && s.Items.Type == "object" && s.Items.Properties != nil {
		return s.Items, path
	}
	if s.Type == "array" {
		return nil, nil
	}
	for _, k := range sortedKeys(s.Properties) {
		if r, p := findRows(s.Properties[k], append(append([]string(nil), path...), k)); r != nil {
			return r, p
		}
	}
	return nil, nil
}

func sortedKeys(m map[string]*spec.Schema) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
