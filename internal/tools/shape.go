package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

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

// shaped is a CCC answer after shaping.
type shaped struct {
	JSON      []byte // envelope out, wrappers collapsed, NextPage added: the structured content
	Text      string // the text rendering (tables for lists, key: value otherwise)
	Hint      string // next-page hint, when more rows exist
	RequestID string
}

// shapeOptions are the choices a call makes about its rendering.
type shapeOptions struct {
	Loc    *time.Location // zone of readable times (the instance's)
	Fields [][]string     // columns to keep in rows, split at '.'; nil keeps all
	Rows   []string       // path of the list of rows Fields apply to
}

var treePool = sync.Pool{New: func() any { return &jtree{nodes: make([]jnode, 0, 256)} }}

// shapeBody shapes a response body without decoding it into maps: it is
// parsed in place (jtree), the shaped JSON is written by copying the bytes
// of each kept value, and the text is rendered from the shaped JSON.
func shapeBody(raw []byte, resp, out *spec.Schema, paged bool, o shapeOptions) (shaped, error) {
	var res shaped
	t := treePool.Get().(*jtree)
	defer treePool.Put(t)
	if err := t.parse(raw); err != nil || len(t.nodes) == 0 || t.nodes[0].kind != jObject {
		if err == nil {
			err = errors.New("not an object")
		}
		return res, fmt.Errorf("CCC answered with a body that is not a JSON object: %v", err)
	}
	if c := t.child(0, "RequestId"); c >= 0 && t.nodes[c].kind == jString {
		res.RequestID = string(t.text(c))
	}
	if paged {
		res.Hint = pageHint(t)
	}
	w := shapeWriter{t: t, buf: make([]byte, 0, len(raw)+len(res.Hint)+32), fields: o.Fields, rows: o.Rows}
	w.buf = append(w.buf, '{')
	first := true
	for c := t.nodes[0].first; c >= 0; c = t.nodes[c].next {
		k := t.keyString(c)
		if envelope[k] {
			continue
		}
		if !first {
			w.buf = append(w.buf, ',')
		}
		first = false
		w.key(c)
		var ps *spec.Schema
		if resp != nil {
			ps = resp.Properties[k]
		}
		w.outer = append(w.outer[:0], t.keyOf(c))
		w.value(c, ps, false)
	}
	if res.Hint != "" {
		if !first {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, `"`+NextPageKey+`":`...)
		w.buf = appendJSONString(w.buf, res.Hint)
	}
	w.buf = append(w.buf, '}')
	res.JSON = w.buf
	// The text is rendered from the shaped bytes, so it shows exactly what
	// the structured content holds.
	if err := t.parse(res.JSON); err != nil {
		return res, fmt.Errorf("shaping produced invalid JSON: %v", err)
	}
	res.Text = renderText(t, out, o.Loc)
	return res, nil
}

// shapeWriter writes the shaped JSON of a parsed answer.
type shapeWriter struct {
	t      *jtree
	buf    []byte
	fields [][]string
	rows   []string
	outer  [][]byte // member names down to the current value, outside rows
	path   [][]byte // member names below the current row, for Fields
}

func (w *shapeWriter) key(c int32) {
	w.buf = append(w.buf, '"')
	w.buf = append(w.buf, w.t.keyOf(c)...)
	w.buf = append(w.buf, '"', ':')
}

// value writes node i shaped by schema s (nil: as it is). inRow is true
// below an element of a list, where Fields apply.
func (w *shapeWriter) value(i int32, s *spec.Schema, inRow bool) {
	t := w.t
	n := &t.nodes[i]
	if s != nil {
		if key, inner, ok := wrapper(s); ok {
			if n.kind != jObject {
				w.value(i, inner, inRow)
				return
			}
			c := t.child(i, key)
			if c < 0 || t.nodes[c].kind == jNull {
				w.buf = append(w.buf, '[', ']')
				return
			}
			w.value(c, inner, inRow)
			return
		}
	}
	switch n.kind {
	case jObject:
		w.buf = append(w.buf, '{')
		first := true
		for c := n.first; c >= 0; c = t.nodes[c].next {
			if inRow && w.fields != nil {
				w.path = append(w.path, t.keyOf(c))
				keep := w.keep()
				if !keep {
					w.path = w.path[:len(w.path)-1]
					continue
				}
			} else if !inRow {
				w.outer = append(w.outer, t.keyOf(c))
			}
			if !first {
				w.buf = append(w.buf, ',')
			}
			first = false
			w.key(c)
			var cs *spec.Schema
			if s != nil {
				cs = s.Properties[string(t.keyOf(c))]
			}
			w.value(c, cs, inRow)
			if inRow && w.fields != nil {
				w.path = w.path[:len(w.path)-1]
			} else if !inRow {
				w.outer = w.outer[:len(w.outer)-1]
			}
		}
		w.buf = append(w.buf, '}')
	case jArray:
		var is *spec.Schema
		if s != nil {
			is = s.Items
		}
		// Fields name columns of the elements of the list of rows.
		rows := inRow || (w.fields != nil && w.atRows())
		w.buf = append(w.buf, '[')
		for c, k := n.first, 0; c >= 0; c, k = t.nodes[c].next, k+1 {
			if k > 0 {
				w.buf = append(w.buf, ',')
			}
			w.value(c, is, rows && t.nodes[c].kind == jObject || inRow)
		}
		w.buf = append(w.buf, ']')
	default:
		w.buf = append(w.buf, t.rawOf(i)...)
	}
}

func (w *shapeWriter) atRows() bool {
	if len(w.outer) != len(w.rows) {
		return false
	}
	for i := range w.rows {
		if string(w.outer[i]) != w.rows[i] {
			return false
		}
	}
	return true
}

// keep reports whether the current path is a kept field, lies under one,
// or leads to one.
func (w *shapeWriter) keep() bool {
	for _, f := range w.fields {
		m := min(len(f), len(w.path))
		ok := true
		for j := 0; j < m; j++ {
			if string(w.path[j]) != f[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// pageHint finds the paging object (at the top or one level down) and,
// when rows remain, says how to get the next page.
func pageHint(t *jtree) string {
	try := func(i int32) string {
		total, ok1 := t.int64Of(t.child(i, "TotalCount"))
		page, ok2 := t.int64Of(t.child(i, "PageNumber"))
		size, ok3 := t.int64Of(t.child(i, "PageSize"))
		if !ok1 || !ok2 || !ok3 || size <= 0 {
			return ""
		}
		if page*size < total {
			return fmt.Sprintf("showing rows %d–%d of %d; call again with PageNumber=%d for more", (page-1)*size+1, page*size, total, page+1)
		}
		return ""
	}
	if h := try(0); h != "" {
		return h
	}
	for c := t.nodes[0].first; c >= 0; c = t.nodes[c].next {
		if t.nodes[c].kind == jObject {
			if h := try(c); h != "" {
				return h
			}
		}
	}
	return ""
}

func appendJSONString(b []byte, s string) []byte {
	var sb bytes.Buffer
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return append(b, bytes.TrimRight(sb.Bytes(), "\n")...)
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
