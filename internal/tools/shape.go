package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/cccops/cccops/internal/ccc/spec"
)

// envelope fields carry nothing a reader needs once a call succeeded.
var envelope = map[string]bool{"HttpStatusCode": true, "Success": true, "Code": true, "Message": true}

// NextPageKey is the property of a shaped result that says how to get the
// next page, present only when more rows exist.
const NextPageKey = "NextPage"

// shapeSchema drops the envelope and collapses XML-style wrappers (an object
// whose only property is an array, such as {"User": [...]}) into the array.
// paged is true when a paging object (TotalCount, PageNumber, PageSize)
// exists at the top or one level down.
func shapeSchema(s *spec.Schema) (*spec.Schema, bool) {
	if s == nil {
		return &spec.Schema{Type: "object", Properties: map[string]*spec.Schema{}}, false
	}
	out := &spec.Schema{Type: "object", Properties: map[string]*spec.Schema{}}
	for k, v := range s.Properties {
		if envelope[k] {
			continue
		}
		out.Properties[k] = collapse(v)
	}
	paged := isPaging(out)
	for _, v := range out.Properties {
		if isPaging(v) {
			paged = true
		}
	}
	return out, paged
}

func isPaging(s *spec.Schema) bool {
	if s == nil || s.Properties == nil {
		return false
	}
	_, a := s.Properties["TotalCount"]
	_, b := s.Properties["PageNumber"]
	_, c := s.Properties["PageSize"]
	return a && b && c
}

func wrapper(s *spec.Schema) (string, *spec.Schema, bool) {
	if s == nil || s.Type != "object" || len(s.Properties) != 1 {
		return "", nil, false
	}
	for k, v := range s.Properties {
		if v != nil && v.Type == "array" {
			return k, v, true
		}
	}
	return "", nil, false
}

func collapse(s *spec.Schema) *spec.Schema {
	if s == nil {
		return nil
	}
	if _, inner, ok := wrapper(s); ok {
		return collapse(inner)
	}
	c := &spec.Schema{Type: s.Type}
	if s.Items != nil {
		c.Items = collapse(s.Items)
	}
	if s.Properties != nil {
		c.Properties = make(map[string]*spec.Schema, len(s.Properties))
		for k, v := range s.Properties {
			c.Properties[k] = collapse(v)
		}
	}
	return c
}

// outputDoc renders a shaped schema as a JSON Schema document. Objects stay
// open (additional properties allowed) so a service that adds a field does
// not break clients that validate.
func outputDoc(s *spec.Schema, paged bool) map[string]any {
	doc := schemaDoc(s)
	if paged {
		props := doc["properties"].(map[string]any)
		props[NextPageKey] = map[string]any{"type": "string", "description": "Present when more rows exist: how to fetch the next page."}
	}
	return doc
}

func schemaDoc(s *spec.Schema) map[string]any {
	if s == nil {
		return map[string]any{}
	}
	d := map[string]any{}
	if s.Type != "" {
		d["type"] = s.Type
	}
	if s.Type == "object" || s.Properties != nil {
		props := map[string]any{}
		for k, v := range s.Properties {
			props[k] = schemaDoc(v)
		}
		d["properties"] = props
	}
	if s.Items != nil {
		d["items"] = schemaDoc(s.Items)
	}
	return d
}

// shapeData applies the schema's shaping to a response body: envelope out,
// wrappers collapsed (guided by the raw response schema, so data and output
// schema always agree), and a next-page hint when more rows exist.
func shapeData(raw json.RawMessage, resp *spec.Schema, paged bool) (map[string]any, string, error) {
	var body map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		return nil, "", fmt.Errorf("CCC answered with a body that is not a JSON object: %w", err)
	}
	out := map[string]any{}
	for k, v := range body {
		if envelope[k] {
			continue
		}
		var ps *spec.Schema
		if resp != nil {
			ps = resp.Properties[k]
		}
		out[k] = collapseData(v, ps)
	}
	if paged {
		if hint := nextPage(out); hint != "" {
			out[NextPageKey] = hint
			return out, hint, nil
		}
	}
	return out, "", nil
}

func collapseData(v any, s *spec.Schema) any {
	if s == nil {
		return v
	}
	if key, inner, ok := wrapper(s); ok {
		m, isObj := v.(map[string]any)
		if !isObj {
			return collapseData(v, inner)
		}
		arr, present := m[key]
		if !present || arr == nil {
			return []any{}
		}
		return collapseData(arr, inner)
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[k] = collapseData(val, s.Properties[k])
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = collapseData(val, s.Items)
		}
		return out
	}
	return v
}

// nextPage finds the paging object and, when rows remain, says how to get
// the next page.
func nextPage(out map[string]any) string {
	try := func(m map[string]any) string {
		total, ok1 := num(m["TotalCount"])
		page, ok2 := num(m["PageNumber"])
		size, ok3 := num(m["PageSize"])
		if !ok1 || !ok2 || !ok3 || size <= 0 {
			return ""
		}
		if page*size < total {
			return fmt.Sprintf("showing rows %d–%d of %d; call again with PageNumber=%d for more", (page-1)*size+1, page*size, total, page+1)
		}
		return ""
	}
	if h := try(out); h != "" {
		return h
	}
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if m, ok := out[k].(map[string]any); ok {
			if h := try(m); h != "" {
				return h
			}
		}
	}
	return ""
}

func num(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case float64:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	}
	return 0, false
}

// compactJSON renders a shaped result as minified JSON, which is both exact
// and small; text is the same with the next-page hint, when any, repeated
// on its own line so a reader cannot miss it. The bytes are kept so a
// surface can send them as they are instead of encoding the result again.
func compactJSON(data map[string]any, hint string) (js []byte, text string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(data)
	js = bytes.TrimRight(b.Bytes(), "\n")
	if hint != "" {
		return js, string(js) + "\nNext page: " + hint
	}
	return js, string(js)
}
