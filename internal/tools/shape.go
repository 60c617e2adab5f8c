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
	ot := treePool.Get().(*jtree)
	defer treePool.Put(ot)
	ot.nodes = ot.nodes[:0]
	w := shapeWriter{t: t, out: ot, buf: make([]byte, 0, len(raw)+len(res.Hint)+32), fields: o.Fields, rows: o.Rows}
	root := w.emit(jObject, false)
	w.buf = append(w.buf, '{')
	last := int32(-1)
	for c := t.nodes[0].first; c >= 0; c = t.nodes[c].next {
		k := t.keyString(c)
		if envelope[k] {
			continue
		}
		if last >= 0 {
			w.buf = append(w.buf, ',')
		}
		ks, ke := w.key(c)
		var ps *spec.Schema
		if resp != nil {
			ps = resp.Properties[k]
		}
		w.outer = append(w.outer[:0], t.keyOf(c))
		w.member(root, &last, ks, ke, t.nodes[c].kesc, w.value(c, ps, false))
	}
	if res.Hint != "" {
		if last >= 0 {
			w.buf = append(w.buf, ',')
		}
		ks := int32(len(w.buf) + 1)
		w.buf = append(w.buf, `"`+NextPageKey+`":`...)
		ke := int32(len(w.buf) - 2)
		h := w.emit(jString, false)
		w.buf = appendJSONString(w.buf, res.Hint)
		w.end(h)
		w.out.nodes[h].esc = bytes.IndexByte(w.buf[w.out.nodes[h].rs:], '\\') >= 0
		w.member(root, &last, ks, ke, false, h)
	}
	w.buf = append(w.buf, '}')
	w.end(root)
	res.JSON = w.buf
	// The text is rendered from the shaped bytes, so it shows exactly what
	// the structured content holds: the writer built their tree as it
	// wrote them (so they are not parsed again).
	ot.src = res.JSON
	if verifyShapedTree {
		if err := checkTree(ot); err != nil {
			return res, err
		}
	}
	res.Text = renderText(ot, out, o.Loc)
	ot.src = nil
	return res, nil
}

// verifyShapedTree makes shapeBody parse what it wrote and compare the tree
// with the one it built (tests turn it on).
var verifyShapedTree = false

func checkTree(built *jtree) error {
	var parsed jtree
	if err := parsed.parse(built.src); err != nil {
		return fmt.Errorf("shaping produced invalid JSON: %v", err)
	}
	if len(parsed.nodes) != len(built.nodes) {
		return fmt.Errorf("shaping built %d nodes for JSON of %d", len(built.nodes), len(parsed.nodes))
	}
	for i := range parsed.nodes {
		if parsed.nodes[i] != built.nodes[i] {
			return fmt.Errorf("shaping built node %d as %+v, the JSON parses as %+v (%s)", i, built.nodes[i], parsed.nodes[i], built.src)
		}
	}
	return nil
}

// shapeWriter writes the shaped JSON of a parsed answer.
type shapeWriter struct {
	t      *jtree
	out    *jtree // the tree of buf, node for node as parsing buf would make it
	buf    []byte
	fields [][]string
	rows   []string
	outer  [][]byte // member names down to the current value, outside rows
	path   [][]byte // member names below the current row, for Fields
}

// key writes the member name of node c and returns where it lies in buf.
func (w *shapeWriter) key(c int32) (int32, int32) {
	w.buf = append(w.buf, '"')
	ks := int32(len(w.buf))
	w.buf = append(w.buf, w.t.keyOf(c)...)
	ke := int32(len(w.buf))
	w.buf = append(w.buf, '"', ':')
	return ks, ke
}

// emit starts a node of the out tree at the end of buf.
func (w *shapeWriter) emit(kind byte, esc bool) int32 {
	w.out.nodes = append(w.out.nodes, jnode{kind: kind, esc: esc, rs: int32(len(w.buf)), first: -1, next: -1})
	return int32(len(w.out.nodes) - 1)
}

// end closes node i at the end of buf.
func (w *shapeWriter) end(i int32) { w.out.nodes[i].re = int32(len(w.buf)) }

// member links child, named by buf[ks:ke], as the next member of parent.
func (w *shapeWriter) member(parent int32, last *int32, ks, ke int32, kesc bool, child int32) {
	n := &w.out.nodes[child]
	n.ks, n.ke, n.kesc = ks, ke, kesc
	w.link(parent, last, child)
}

func (w *shapeWriter) link(parent int32, last *int32, child int32) { w.out.link(parent, last, child) }

// value writes node i shaped by schema s (nil: as it is) and returns its
// node in the out tree. inRow is true below an element of a list, where
// Fields apply.
func (w *shapeWriter) value(i int32, s *spec.Schema, inRow bool) int32 {
	t := w.t
	n := &t.nodes[i]
	if w.fields == nil && (n.kind == jObject || n.kind == jArray) && !reshapes(s) {
		return w.copyTree(i)
	}
	if s != nil {
		if key, inner, ok := wrapper(s); ok {
			if n.kind != jObject {
				return w.value(i, inner, inRow)
			}
			c := t.child(i, key)
			if c < 0 || t.nodes[c].kind == jNull {
				e := w.emit(jArray, false)
				w.buf = append(w.buf, '[', ']')
				w.end(e)
				return e
			}
			return w.value(c, inner, inRow)
		}
	}
	switch n.kind {
	case jObject:
		idx := w.emit(jObject, false)
		last := int32(-1)
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
			ks, ke := w.key(c)
			var cs *spec.Schema
			if k := t.nodes[c].kind; s != nil && (k == jObject || k == jArray) {
				// Only a list or an object can be reshaped; a scalar is
				// written as it is whatever its schema.
				cs = s.Properties[string(t.keyOf(c))]
			}
			w.member(idx, &last, ks, ke, t.nodes[c].kesc, w.value(c, cs, inRow))
			if inRow && w.fields != nil {
				w.path = w.path[:len(w.path)-1]
			} else if !inRow {
				w.outer = w.outer[:len(w.outer)-1]
			}
		}
		w.buf = append(w.buf, '}')
		w.end(idx)
		return idx
	case jArray:
		var is *spec.Schema
		if s != nil {
			is = s.Items
		}
		// Fields name columns of the elements of the list of rows.
		rows := inRow || (w.fields != nil && w.atRows())
		idx := w.emit(jArray, false)
		last := int32(-1)
		w.buf = append(w.buf, '[')
		for c, k := n.first, 0; c >= 0; c, k = t.nodes[c].next, k+1 {
			if k > 0 {
				w.buf = append(w.buf, ',')
			}
			w.link(idx, &last, w.value(c, is, rows && t.nodes[c].kind == jObject || inRow))
		}
		w.buf = append(w.buf, ']')
		w.end(idx)
		return idx
	default:
		idx := w.emit(n.kind, n.esc)
		w.buf = append(w.buf, t.rawOf(i)...)
		w.end(idx)
		return idx
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

// copyTree writes the subtree of node i as it is — its bytes in one copy,
// its nodes moved over with their offsets — for a value nothing below
// reshapes (no wrapper to collapse, no Fields to apply).
func (w *shapeWriter) copyTree(i int32) int32 {
	t := w.t
	src := t.nodes[i]
	end := i + 1
	for int(end) < len(t.nodes) && t.nodes[end].rs < src.re {
		end++
	}
	at := int32(len(w.out.nodes))
	dIdx := at - i
	dOff := int32(len(w.buf)) - src.rs
	w.buf = append(w.buf, t.src[src.rs:src.re]...)
	for j := i; j < end; j++ {
		n := t.nodes[j]
		n.rs += dOff
		n.re += dOff
		if j > i && n.ke > 0 { // a member's name (elements of lists have none)
			n.ks += dOff
			n.ke += dOff
		}
		if n.first >= 0 {
			n.first += dIdx
		}
		if n.next >= 0 {
			n.next += dIdx
		}
		w.out.nodes = append(w.out.nodes, n)
	}
	root := &w.out.nodes[at]
	root.next, root.ks, root.ke, root.kesc = -1, 0, 0, false
	return at
}

// reshapeCache remembers, per schema, whether shaping changes anything
// below it.
var reshapeCache sync.Map // *spec.Schema → bool

// reshapes reports whether a value of schema s can come out of shaping
// different from how it came in: a wrapper somewhere below it.
func reshapes(s *spec.Schema) bool {
	if s == nil {
		return false
	}
	if v, ok := reshapeCache.Load(s); ok {
		return v.(bool)
	}
	r := false
	if _, _, ok := wrapper(s); ok {
		r = true
	}
	for _, p := range s.Properties {
		r = r || reshapes(p)
	}
	r = r || reshapes(s.Items)
	reshapeCache.Store(s, r)
	return r
}
