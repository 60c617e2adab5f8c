package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cccops/cccops/internal/ccc/spec"
)

// DecodeText reads a result's text back into the structured content it was
// rendered from (numbers as json.Number), so tests can prove the text loses
// nothing. It is the grammar of table.go, read the other way.
func DecodeText(t *Tool, text string, loc *time.Location) (map[string]any, error) {
	d := decoder{lines: strings.Split(text, "\n"), loc: loc, out: t.outShape()}
	return d.run()
}

// SnakeWords is snakeWords: the words of a text the not-found hint takes
// for tool names, for the test that each of them is one.
func SnakeWords(text string) []string { return snakeWords(text) }

// OutShape is the tool's shaped response shape and whether it pages.
func OutShape(t *Tool) [2]any { return [2]any{t.outShape(), t.isPaged()} }

// ServedSchema is the input schema a registry with this default instance
// serves.
func ServedSchema(t *Tool, instance string) json.RawMessage { return t.withDefaultInstance(instance) }

// ShapeForTest shapes a body as Invoke does, for tests of odd answers.
func ShapeForTest(t *Tool, body []byte, loc *time.Location) (js []byte, text string, err error) {
	sh, err := shapeBody(body, spec.MustSpec().Action(t.Action).Response, t.outShape(), t.isPaged(), shapeOptions{Loc: loc})
	return sh.JSON, sh.Text, err
}

type decoder struct {
	lines []string
	i     int
	loc   *time.Location
	out   *spec.Schema
}

var titleRE = regexp.MustCompile(`^([A-Za-z0-9_.]+) \((\d+) rows?(?:, # = row of ([A-Za-z0-9_.]+))?\):$`)

func (d *decoder) run() (map[string]any, error) {
	res := map[string]any{}
	for d.i < len(d.lines) {
		line := d.lines[d.i]
		switch {
		case d.i == 0 && strings.HasPrefix(line, "("):
			d.i++
		case strings.HasPrefix(line, "Next page: "):
			res[NextPageKey] = strings.TrimPrefix(line, "Next page: ")
			d.i++
		case titleRE.MatchString(line):
			m := titleRE.FindStringSubmatch(line)
			path := strings.Split(m[1], ".")
			s := schemaAt(d.out, path)
			var items *spec.Schema
			if s != nil {
				items = s.Items
			}
			rows, err := d.table(m[1], items)
			if err != nil {
				return nil, err
			}
			list := make([]any, len(rows))
			for k, r := range rows {
				list[k] = r.m
			}
			setPath(res, path, list)
		default:
			k, v, ok := strings.Cut(line, ": ")
			if !ok {
				return nil, fmt.Errorf("line %d: %q is neither a table nor path: value", d.i+1, line)
			}
			path := strings.Split(k, ".")
			val, present, err := d.cell(v, colTypeOf(path[len(path)-1], schemaAt(d.out, path)))
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", d.i+1, err)
			}
			if present {
				setPath(res, path, val)
			}
			d.i++
		}
	}
	return res, nil
}

type decRow struct {
	parent int
	m      map[string]any
}

// table reads a table whose title is at the current line, and its
// sub-tables.
func (d *decoder) table(path string, s *spec.Schema) ([]decRow, error) {
	m := titleRE.FindStringSubmatch(d.lines[d.i])
	n, _ := strconv.Atoi(m[2])
	hasParent := m[3] != ""
	d.i++
	rows := make([]decRow, n)
	for k := range rows {
		rows[k].m = map[string]any{}
	}
	if n == 0 {
		return rows, nil
	}
	type col struct {
		path  []string
		sub   bool
		konst string
		isK   bool
	}
	var cols []col
	var konsts []col
	if strings.HasPrefix(d.lines[d.i], "all rows: ") {
		for _, kv := range splitCells(strings.TrimPrefix(d.lines[d.i], "all rows: ")) {
			k, v, _ := strings.Cut(kv, "=")
			c := col{konst: v, isK: true}
			if strings.HasSuffix(k, "[]") {
				c.sub, k = true, strings.TrimSuffix(k, "[]")
			}
			c.path = strings.Split(k, ".")
			konsts = append(konsts, c)
		}
		d.i++
	}
	header := splitCells(d.lines[d.i])
	d.i++
	if len(header) == 1 && header[0] == "" {
		header = nil
	}
	if hasParent {
		header = header[1:]
	}
	for _, h := range header {
		c := col{}
		if strings.HasSuffix(h, "[]") {
			c.sub, h = true, strings.TrimSuffix(h, "[]")
		}
		c.path = strings.Split(h, ".")
		cols = append(cols, c)
	}
	all := append(append([]col(nil), cols...), konsts...)
	counts := make([]map[int]int, len(all)) // sub column → row → count
	for k := 0; k < n; k++ {
		cells := splitCells(d.lines[d.i])
		d.i++
		if len(header) == 0 && !hasParent {
			cells = nil
		}
		if hasParent {
			p, err := strconv.Atoi(cells[0])
			if err != nil {
				return nil, fmt.Errorf("sub-table %s row %d: parent %q", path, k+1, cells[0])
			}
			rows[k].parent = p
			cells = cells[1:]
		}
		if len(cells) != len(cols) {
			return nil, fmt.Errorf("table %s row %d: %d cells for %d columns", path, k+1, len(cells), len(cols))
		}
		for ci, c := range all {
			raw := c.konst
			if !c.isK {
				raw = cells[ci]
			}
			if c.sub {
				if counts[ci] == nil {
					counts[ci] = map[int]int{}
				}
				if raw == "~" {
					continue
				}
				if strings.HasPrefix(raw, "=") {
					v, err := jsonValue(unescapeCell(raw[1:]))
					if err != nil {
						return nil, err
					}
					setPath(rows[k].m, c.path, v)
					continue
				}
				cnt, err := strconv.Atoi(raw)
				if err != nil {
					return nil, fmt.Errorf("table %s: count %q", path, raw)
				}
				counts[ci][k] = cnt
				setPath(rows[k].m, c.path, make([]any, 0, cnt))
				continue
			}
			cs := schemaAt(s, c.path)
			v, present, err := d.cell(raw, colTypeOf(c.path[len(c.path)-1], cs))
			if err != nil {
				return nil, fmt.Errorf("table %s row %d column %s: %v", path, k+1, strings.Join(c.path, "."), err)
			}
			if present {
				setPath(rows[k].m, c.path, v)
			}
		}
	}
	for ci, c := range all {
		if !c.sub {
			continue
		}
		sub := path + "." + strings.Join(c.path, ".")
		var subRows []decRow
		if d.i < len(d.lines) {
			if m := titleRE.FindStringSubmatch(d.lines[d.i]); m != nil && m[1] == sub {
				var items *spec.Schema
				if cs := schemaAt(s, c.path); cs != nil {
					items = cs.Items
				}
				var err error
				if subRows, err = d.table(sub, items); err != nil {
					return nil, err
				}
			}
		}
		for _, sr := range subRows {
			r := &rows[sr.parent-1]
			list, _ := getPath(r.m, c.path).([]any)
			setPath(r.m, c.path, append(list, sr.m))
		}
		for k, want := range counts[ci] {
			if got, _ := getPath(rows[k].m, c.path).([]any); len(got) != want {
				return nil, fmt.Errorf("table %s row %d: %s[] says %d, the sub-table holds %d", path, k+1, strings.Join(c.path, "."), want, len(got))
			}
		}
	}
	return rows, nil
}

func (d *decoder) cell(raw string, ct colType) (any, bool, error) {
	if raw == "~" {
		return nil, false, nil
	}
	if strings.HasPrefix(raw, "=") && ct.kind != kindLit {
		v, err := jsonValue(unescapeCell(raw[1:]))
		return v, true, err
	}
	s := unescapeCell(raw)
	switch ct.kind {
	case kindText:
		if ct.untrusted && s != "" {
			if !strings.HasPrefix(s, "«") || !strings.HasSuffix(s, "»") {
				return nil, false, fmt.Errorf("untrusted text %q is not fenced", s)
			}
			s = strings.TrimSuffix(strings.TrimPrefix(s, "«"), "»")
			s = strings.NewReplacer(`\«`, "«", `\»`, "»").Replace(s)
		}
		return s, true, nil
	case kindLit:
		v, err := jsonValue(s)
		return v, true, err
	case kindTime:
		layout := timeLayout
		if strings.Contains(s, ".") {
			layout += ".000"
		}
		tm, err := time.ParseInLocation(layout, s, d.loc)
		if err != nil {
			return nil, false, err
		}
		return json.Number(strconv.FormatInt(tm.UnixMilli(), 10)), true, nil
	case kindDur:
		dur, err := time.ParseDuration(s)
		if err != nil {
			return nil, false, err
		}
		if dur%ct.unit != 0 {
			return nil, false, fmt.Errorf("duration %s is not whole in its unit", s)
		}
		v := strconv.FormatInt(int64(dur/ct.unit), 10)
		if ct.str {
			return v, true, nil
		}
		return json.Number(v), true, nil
	}
	return nil, false, fmt.Errorf("unknown kind")
}

func jsonValue(s string) (any, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("cell %q: %v", s, err)
	}
	return v, nil
}

// splitCells splits a line at unescaped '|' (cells stay escaped).
func splitCells(line string) []string {
	var out []string
	start := 0
	for i := 0; i < len(line); i++ {
		if line[i] == '\\' {
			i++
			continue
		}
		if line[i] == '|' {
			out = append(out, line[start:i])
			start = i + 1
		}
	}
	return append(out, line[start:])
}

// unescapeCell undoes appendEscaped, except the fence escapes (\« \»),
// which only fenced text reads.
func unescapeCell(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '\\':
			b.WriteByte('\\')
		case '|':
			b.WriteByte('|')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte('\\')
			continue
		}
		i++
	}
	return b.String()
}

func schemaAt(s *spec.Schema, path []string) *spec.Schema {
	for _, k := range path {
		if s == nil {
			return nil
		}
		if s.Type == "array" {
			s = s.Items
		}
		s = childSchema(s, k)
	}
	return s
}

func setPath(m map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

func getPath(m map[string]any, path []string) any {
	var cur any = m
	for _, k := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

// DefaultFieldsExample is a small useful column choice for measurements:
// the first three row columns without a dot.
func DefaultFieldsExample(t *Tool) []any {
	var out []any
	for _, c := range topCols(t.Columns()) {
		if len(out) == 3 {
			break
		}
		out = append(out, c)
	}
	return out
}

// Every shaped result in this package's tests is parsed again and
// compared with the tree the writer built.
func init() { verifyShapedTree = true }
