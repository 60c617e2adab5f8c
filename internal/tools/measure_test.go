package tools_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

// flatCSV is the layout github-mcp-server answers lists with: one CSV row
// per element of the list, nested values as JSON in their cell; other
// values as key: value lines. It is measured against ours.
func flatCSV(data map[string]any) string {
	var b strings.Builder
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(x) {
				walk(prefix+k+".", x[k])
			}
		case []any:
			rows, keys := []map[string]any{}, []string{}
			seen := map[string]bool{}
			for _, e := range x {
				m, ok := e.(map[string]any)
				if !ok {
					js, _ := json.Marshal(x)
					fmt.Fprintf(&b, "%s: %s\n", strings.TrimSuffix(prefix, "."), js)
					return
				}
				rows = append(rows, m)
				for _, k := range sortedKeys(m) {
					if !seen[k] {
						seen[k] = true
						keys = append(keys, k)
					}
				}
			}
			b.WriteString(strings.Join(keys, ",") + "\n")
			for _, r := range rows {
				cells := make([]string, len(keys))
				for i, k := range keys {
					switch c := r[k].(type) {
					case nil:
					case string:
						cells[i] = csvQuote(c)
					case map[string]any, []any:
						js, _ := json.Marshal(c)
						cells[i] = csvQuote(string(js))
					default:
						cells[i] = fmt.Sprint(c)
					}
				}
				b.WriteString(strings.Join(cells, ",") + "\n")
			}
		default:
			fmt.Fprintf(&b, "%s: %v\n", strings.TrimSuffix(prefix, "."), x)
		}
	}
	walk("", data)
	return b.String()
}

func csvQuote(s string) string {
	if strings.ContainsAny(s, ",\"\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestMeasureListLayouts measures every list tool on the simulator (100 rows
// where the tool pages) in three layouts — the JSON text we sent before,
// github-mcp-server's flat CSV, and our tables — in bytes and in the token
// proxy (tools.TokenProxy), and logs the table BENCHMARKS.md quotes. With
// MEASURE_OUT=file it writes the table there. It fails if the tables are not
// the smallest in total.
func TestMeasureListLayouts(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	real := realArgs(e)
	type row struct {
		name                  string
		jsB, csvB, tabB       int
		jsT, csvT, tabT, fldT int
		fldB                  int
	}
	var rows []row
	var tot row
	for _, tl := range e.reg.Tools() {
		if tl.Access != spec.AccessRead || len(tl.Columns()) == 0 {
			continue
		}
		args := readArgs(tl, real, time.Now())
		if tl.HasParam("PageSize") {
			args["PageSize"] = 100
		}
		res, err := e.reg.Invoke(context.Background(), tools.Invocation{Principal: alice, Tool: tl.Name, Args: args})
		if err != nil {
			continue
		}
		js := string(res.JSON)
		if res.NextPage != "" {
			js += "\nNext page: " + res.NextPage
		}
		csv := flatCSV(res.Data())
		r := row{name: tl.Name, jsB: len(js), csvB: len(csv), tabB: len(res.Text),
			jsT: tools.TokenProxy(js), csvT: tools.TokenProxy(csv), tabT: tools.TokenProxy(res.Text)}
		if tl.HasParam(tools.FieldsParam) {
			cols := tools.DefaultFieldsExample(tl)
			args[tools.FieldsParam] = cols
			if fr, err := e.reg.Invoke(context.Background(), tools.Invocation{Principal: alice, Tool: tl.Name, Args: args}); err == nil {
				r.fldB, r.fldT = len(fr.Text), tools.TokenProxy(fr.Text)
			}
		}
		rows = append(rows, r)
		tot.jsB += r.jsB
		tot.csvB += r.csvB
		tot.tabB += r.tabB
		tot.jsT += r.jsT
		tot.csvT += r.csvT
		tot.tabT += r.tabT
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].jsT > rows[j].jsT })
	var b strings.Builder
	b.WriteString("| tool | JSON bytes | CSV bytes | table bytes | JSON tokens | CSV tokens | table tokens | table/JSON tokens | with Fields (tokens) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range append(rows, row{name: "**all list tools**", jsB: tot.jsB, csvB: tot.csvB, tabB: tot.tabB, jsT: tot.jsT, csvT: tot.csvT, tabT: tot.tabT}) {
		fld := ""
		if r.fldT > 0 {
			fld = fmt.Sprint(r.fldT)
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %.0f %% | %s |\n", r.name, r.jsB, r.csvB, r.tabB, r.jsT, r.csvT, r.tabT, 100*float64(r.tabT)/float64(max(r.jsT, 1)), fld)
	}
	t.Log("\n" + b.String())
	if out := os.Getenv("MEASURE_OUT"); out != "" {
		_ = os.WriteFile(out, []byte(b.String()), 0o644)
	}
	if len(rows) < 25 {
		t.Fatalf("only %d list tools measured", len(rows))
	}
	if tot.tabT >= tot.csvT || tot.tabT >= tot.jsT || tot.tabB >= tot.jsB {
		t.Fatalf("tables are not the smallest: JSON %d, CSV %d, tables %d tokens", tot.jsT, tot.csvT, tot.tabT)
	}
}
