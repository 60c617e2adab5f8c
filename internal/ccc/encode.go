package ccc

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Params is a request encoded for the RPC wire: query parameters and form
// (body) parameters, by CCC name.
type Params struct {
	Query map[string]string
	Body  map[string]string
}

type fieldInfo struct {
	index int
	name  string
	body  bool
}

var fieldCache sync.Map // reflect.Type → []fieldInfo

func fieldsOf(t reflect.Type) ([]fieldInfo, error) {
	if v, ok := fieldCache.Load(t); ok {
		return v.([]fieldInfo), nil
	}
	var out []fieldInfo
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("ccc")
		if !ok {
			continue
		}
		name, in, _ := strings.Cut(tag, ",")
		if name == "" || (in != "query" && in != "body") {
			return nil, fmt.Errorf("ccc: field %s.%s has a bad ccc tag %q", t.Name(), f.Name, tag)
		}
		out = append(out, fieldInfo{index: i, name: name, body: in == "body"})
	}
	fieldCache.Store(t, out)
	return out, nil
}

// Encode turns a request into RPC parameters. Unset fields (nil pointers, nil
// or empty slices) are not sent; arrays go on the wire as Name.1 … Name.N;
// `in: body` parameters go in the form body and the rest in the query.
func Encode(req Request) (Params, error) {
	p := Params{Query: map[string]string{}, Body: map[string]string{}}
	v := reflect.ValueOf(req)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return p, fmt.Errorf("ccc: Encode needs a non-nil pointer to a request struct, got %T", req)
	}
	v = v.Elem()
	fields, err := fieldsOf(v.Type())
	if err != nil {
		return p, err
	}
	for _, f := range fields {
		fv := v.Field(f.index)
		dst := p.Query
		if f.body {
			dst = p.Body
		}
		switch fv.Kind() {
		case reflect.Pointer:
			if fv.IsNil() {
				continue
			}
			dst[f.name] = scalar(fv.Elem())
		case reflect.Slice:
			for i := 0; i < fv.Len(); i++ {
				dst[f.name+"."+strconv.Itoa(i+1)] = scalar(fv.Index(i))
			}
		default:
			return p, fmt.Errorf("ccc: field %s of %s has unsupported kind %s", f.name, req.Action(), fv.Kind())
		}
	}
	return p, nil
}

func scalar(v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Int, reflect.Int64, reflect.Int32:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	}
	return fmt.Sprint(v.Interface())
}
