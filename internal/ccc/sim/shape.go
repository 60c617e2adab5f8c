package sim

import (
	"fmt"
	"math"
	"reflect"
	"strconv"

	"github.com/cccops/cccops/internal/ccc/spec"
)

// conform turns a handler's loosely typed answer into exactly the shape of
// the spec's response schema: keys the schema does not list are dropped (and
// noted in issues, so tests catch handler mistakes), and scalars are converted
// to the JSON type the schema names (CCC is inconsistent, e.g. MaxTalkTime is
// a string in some reports and an integer in others).
// looseM is an object built as a superset of several similar shapes (the
// report blocks); conform drops the keys its schema lacks without noting them.
type looseM map[string]any

func conform(sc *spec.Schema, v any, path string, issues *[]string) any {
	if sc == nil {
		return v
	}
	switch sc.Type {
	case "object":
		loose := false
		if lm, ok := v.(looseM); ok {
			v, loose = map[string]any(lm), true
		}
		m, ok := v.(map[string]any)
		if !ok {
			if v != nil {
				*issues = append(*issues, fmt.Sprintf("%s: want object, have %T", path, v))
			}
			return map[string]any{}
		}
		if sc.Properties == nil {
			return m
		}
		out := make(map[string]any, len(m))
		for k, val := range m {
			sub, known := sc.Properties[k]
			if !known {
				if loose {
					continue
				}
				*issues = append(*issues, path+"."+k+": not in the spec")
				continue
			}
			out[k] = conform(sub, val, path+"."+k, issues)
		}
		return out
	case "array":
		rv := reflect.ValueOf(v)
		if v == nil || rv.Kind() != reflect.Slice {
			if v != nil {
				*issues = append(*issues, fmt.Sprintf("%s: want array, have %T", path, v))
			}
			return []any{}
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = conform(sc.Items, rv.Index(i).Interface(), path+"[]", issues)
		}
		return out
	case "string":
		switch x := v.(type) {
		case string:
			return x
		case nil:
			return ""
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64)
		default:
			return fmt.Sprint(x)
		}
	case "integer":
		switch x := v.(type) {
		case int:
			return int64(x)
		case int64:
			return x
		case int32:
			return int64(x)
		case float64:
			return int64(math.Round(x))
		case string:
			n, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				*issues = append(*issues, fmt.Sprintf("%s: want integer, have %q", path, x))
			}
			return n
		case bool:
			if x {
				return int64(1)
			}
			return int64(0)
		case nil:
			return int64(0)
		}
	case "number":
		switch x := v.(type) {
		case int:
			return float64(x)
		case int64:
			return float64(x)
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return 0.0
			}
			return math.Round(x*10000) / 10000
		case nil:
			return 0.0
		}
	case "boolean":
		switch x := v.(type) {
		case bool:
			return x
		case nil:
			return false
		case string:
			return x == "true"
		}
	}
	*issues = append(*issues, fmt.Sprintf("%s: want %s, have %T", path, sc.Type, v))
	return v
}
