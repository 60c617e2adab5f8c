package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

// TestEveryListTableRoundTrips runs every read tool that returns a list on
// the simulator and reads its text back: the table must hold exactly the
// structured content — every row, every nested list, every value.
func TestEveryListTableRoundTrips(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	real := realArgs(e)
	lists, withRows := 0, 0
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
			var te *tools.Error
			if errors.As(err, &te) && te.CCC != nil && strings.HasPrefix(te.CCC.Code, "NotExists.") {
				continue
			}
			t.Errorf("%s: %v", tl.Name, err)
			continue
		}
		lists++
		if strings.Contains(res.Text, " rows):") && !strings.Contains(res.Text, "(0 rows):") {
			withRows++
		}
		got, err := tools.DecodeText(tl, res.Text, e.reg.Zone())
		if err != nil {
			t.Errorf("%s: the text does not read back: %v\n%s", tl.Name, err, res.Text)
			continue
		}
		if want := res.Data(); !reflect.DeepEqual(got, want) {
			gj, _ := json.Marshal(got)
			t.Errorf("%s: the text reads back as\n%s\nbut the structured content is\n%s", tl.Name, gj, res.JSON)
		}
		if strings.HasPrefix(strings.TrimSpace(res.Text), "{") {
			t.Errorf("%s: text is JSON, not a table", tl.Name)
		}
	}
	if lists < 25 || withRows < 20 {
		t.Fatalf("only %d list tools answered, %d with rows", lists, withRows)
	}
	t.Logf("%d list tools round-trip (%d with rows)", lists, withRows)
}
