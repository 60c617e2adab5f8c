package tools

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/cccops/cccops/internal/ccc"
)

// TestFillRequestIsTheJSONDecode: for every tool, every parameter set,
// filling the typed request from canonical arguments gives exactly the
// request decoding their JSON gives — and so the same wire parameters.
func TestFillRequestIsTheJSONDecode(t *testing.T) {
	all, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tl := range all {
		if tl.Action == "" {
			continue
		}
		args := map[string]any{}
		for i, p := range tl.Input().Props {
			if p.Name == FieldsParam {
				continue
			}
			switch {
			case p.Type == "integer":
				args[p.Name] = float64(1000 + i) // as an MCP client's JSON decodes
			case p.Type == "boolean":
				args[p.Name] = i%2 == 0
			case p.Type == "array" && p.Items == "integer":
				args[p.Name] = []any{float64(7), json.Number("8")}
			case p.Type == "array":
				args[p.Name] = []any{"a|b", "ü \"quoted\""}
			default:
				args[p.Name] = "v\n" + p.Name
			}
		}
		c, ok := canonical(args)
		if !ok {
			t.Fatalf("%s: arguments as JSON decodes them are not canonical", tl.Name)
		}
		fast, _ := ccc.NewRequest(tl.Action)
		if !fillRequest(fast, c.(map[string]any)) {
			t.Errorf("%s: the request could not be filled from %v", tl.Name, c)
			continue
		}
		raw, _ := json.Marshal(c)
		slow, _ := ccc.NewRequest(tl.Action)
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(slow); err != nil {
			t.Fatalf("%s: %v", tl.Name, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s: filled %+v, decoded %+v", tl.Name, fast, slow)
		}
		pf, err1 := ccc.Encode(fast)
		ps, err2 := ccc.Encode(slow)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(pf, ps) {
			t.Errorf("%s: wire parameters differ: %v %v / %v %v", tl.Name, pf, err1, ps, err2)
		}
		n++
	}
	if n != 89 {
		t.Fatalf("checked %d actions, want 89", n)
	}
}

// TestFillRequestRefusesWhatDoesNotFit: a value of the wrong kind or an
// unknown name is left to the JSON decode, which words the mismatch.
func TestFillRequestRefusesWhatDoesNotFit(t *testing.T) {
	for _, args := range []map[string]any{
		{"InstanceId": int64(3)},
		{"UserId": []any{"x"}},
		{"NoSuchField": "x"},
		{"InstanceId": 1.5},
	} {
		req, _ := ccc.NewRequest("GetUser")
		if fillRequest(req, args) {
			t.Errorf("%v was filled into %+v", args, req)
		}
	}
	req, _ := ccc.NewRequest("ResetUserStatus")
	if fillRequest(req, map[string]any{"RamIdList": []any{int64(1), "2"}}) {
		t.Error("a list mixing numbers and text was filled")
	}
	if _, ok := canonical(map[string]any{"x": []string{"a"}}); ok {
		t.Error("a Go []string counted as canonical; it must take the JSON road")
	}
	if v, _ := canonical(3.0); v != int64(3) {
		t.Errorf("3.0 became %#v, want int64 3", v)
	}
	if v, _ := canonical(2.5); v != 2.5 {
		t.Errorf("2.5 became %#v", v)
	}
}
