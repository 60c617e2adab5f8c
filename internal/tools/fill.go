package tools

import (
	"encoding/json"
	"math"
	"reflect"
	"sync"

	"github.com/cccops/cccops/internal/ccc"
)

// canonical copies arguments into their canonical form — maps, lists,
// strings, bools and int64 numbers (float64 where a number is not a whole
// one) — without a JSON round trip. ok is false for a value of any other
// Go type; the caller then takes the JSON road.
func canonical(v any) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			c, ok := canonical(val)
			if !ok {
				return nil, false
			}
			out[k] = c
		}
		return out, true
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			c, ok := canonical(val)
			if !ok {
				return nil, false
			}
			out[i] = c
		}
		return out, true
	case string, bool, nil, int64:
		return x, true
	case float64:
		if x == math.Trunc(x) && x >= -(1<<63) && x < 1<<63 {
			return int64(x), true
		}
		return x, true
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		f, err := x.Float64()
		return f, err == nil
	case int:
		return int64(x), true
	}
	return nil, false
}

// fillRequest sets the typed request from canonical arguments, as decoding
// their JSON into it would; ok is false when a name or a value does not
// fit the request's fields, and the caller decodes JSON instead (which
// words the mismatch).
func fillRequest(req ccc.Request, args map[string]any) bool {
	v := reflect.ValueOf(req)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return false
	}
	v = v.Elem()
	fs := fieldsOf(v.Type())
	for name, val := range args {
		f, ok := fs[name]
		if !ok {
			return false
		}
		fv := v.Field(f.index)
		switch f.kind {
		case fieldString, fieldInt, fieldBool:
			p := reflect.New(fv.Type().Elem())
			switch x := val.(type) {
			case string:
				if f.kind != fieldString {
					return false
				}
				p.Elem().SetString(x)
			case int64:
				if f.kind != fieldInt {
					return false
				}
				p.Elem().SetInt(x)
			case bool:
				if f.kind != fieldBool {
					return false
				}
				p.Elem().SetBool(x)
			default:
				return false
			}
			fv.Set(p)
		case fieldStrings:
			list, ok := val.([]any)
			if !ok {
				return false
			}
			out := make([]string, len(list))
			for i, e := range list {
				if out[i], ok = e.(string); !ok {
					return false
				}
			}
			fv.Set(reflect.ValueOf(out))
		case fieldInts:
			list, ok := val.([]any)
			if !ok {
				return false
			}
			out := make([]int64, len(list))
			for i, e := range list {
				if out[i], ok = e.(int64); !ok {
					return false
				}
			}
			fv.Set(reflect.ValueOf(out))
		default:
			return false
		}
	}
	return true
}

type fieldKind uint8

const (
	fieldOther fieldKind = iota
	fieldString
	fieldInt
	fieldBool
	fieldStrings
	fieldInts
)

type fieldInfo struct {
	index int
	kind  fieldKind
}

var requestFields sync.Map // reflect.Type → map[string]fieldInfo

// fieldsOf maps the JSON names of a request struct's fields to their
// place and kind.
func fieldsOf(t reflect.Type) map[string]fieldInfo {
	if m, ok := requestFields.Load(t); ok {
		return m.(map[string]fieldInfo)
	}
	m := make(map[string]fieldInfo, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := cutComma(f.Tag.Get("json"))
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		k := fieldOther
		switch {
		case f.Type == reflect.TypeFor[*string]():
			k = fieldString
		case f.Type == reflect.TypeFor[*int64]():
			k = fieldInt
		case f.Type == reflect.TypeFor[*bool]():
			k = fieldBool
		case f.Type == reflect.TypeFor[[]string]():
			k = fieldStrings
		case f.Type == reflect.TypeFor[[]int64]():
			k = fieldInts
		}
		m[name] = fieldInfo{index: i, kind: k}
	}
	requestFields.Store(t, m)
	return m
}

func cutComma(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
