package tools_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

// genericNotFound is ccc.Error's hint for a missing object, which names no
// tool.
const genericNotFound = "list it first to find a valid id"

func TestNotFoundSaysWhichToolListsTheId(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	for _, c := range []struct {
		tool string
		args map[string]any
		want string
	}{
		// A login name where the agent's user id belongs: the most common
		// mistake, and CCC's answer alone does not say what to send.
		{"get_user", map[string]any{"UserId": "alice"}, "; UserId: Agent user ID (not the RAM ID or the login name). Find it with list_users or find_users."},
		// Seeded contact ids start at 2,000,000,000 (and which one is first
		// depends on the clock), so 404 is one no seed can make.
		{"list_recordings_by_contact_id", map[string]any{"ContactId": "404"}, "; ContactId: ID of one call (contact). Find it with list_call_detail_records."},
		{"get_instance", map[string]any{"InstanceId": "ccc-nowhere"}, "; InstanceId: Instance ID (list_instances_of_user)."},
	} {
		t.Run(c.tool, func(t *testing.T) {
			_, err := e.reg.Invoke(context.Background(), tools.Invocation{Principal: alice, Tool: c.tool, Args: c.args})
			var te *tools.Error
			if !errors.As(err, &te) || te.Kind != tools.KindCCC || te.CCC == nil || !strings.HasPrefix(te.CCC.Code, "NotExists.") {
				t.Fatalf("want CCC's NotExists error, got %v", err)
			}
			if !strings.HasSuffix(te.Message, c.want) {
				t.Errorf("the message does not end with %q:\n%s", c.want, te.Message)
			}
			if strings.Contains(te.Message, genericNotFound) {
				t.Errorf("the generic hint is there as well:\n%s", te.Message)
			}
		})
	}
}

func TestNotFoundOfOneIdInAListNamesTheListParameter(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	ctx := context.Background()
	args := map[string]any{"RamIdList": []any{1}}
	first, err := e.reg.Invoke(ctx, tools.Invocation{CanAsk: true, Principal: alice, Tool: "reset_user_status", Args: args})
	if err != nil || first.Status != tools.StatusPending {
		t.Fatalf("want a confirmation first, got %+v, %v", first, err)
	}
	_, err = e.reg.Invoke(ctx, tools.Invocation{CanAsk: true, Principal: alice, Tool: "reset_user_status", Args: args,
		Confirmation: &tools.Confirmation{Token: first.Pending.Token}})
	var te *tools.Error
	if !errors.As(err, &te) || te.Kind != tools.KindCCC || te.CCC == nil || te.CCC.Code != "NotExists.RamId" {
		t.Fatalf("want CCC's NotExists.RamId, got %v", err)
	}
	if want := "; RamIdList: RAM IDs of the agents to reset. Find them with list_users."; !strings.HasSuffix(te.Message, want) {
		t.Errorf("the message does not end with %q:\n%s", want, te.Message)
	}
}

func TestNotFoundHintNamesNoToolThisServerHides(t *testing.T) {
	// list_users is left out, so the parameter's own words (list_users or
	// find_users) would send the model to a tool it cannot call.
	e := newEnv(t, policy.Config{}, tools.Filter{Exclude: []string{"list_users"}})
	_, err := e.reg.Invoke(context.Background(), tools.Invocation{Principal: alice, Tool: "get_user", Args: map[string]any{"UserId": "alice"}})
	var te *tools.Error
	if !errors.As(err, &te) || te.Kind != tools.KindCCC {
		t.Fatalf("want CCC's error, got %v", err)
	}
	if strings.Contains(te.Message, "list_users") || !strings.HasSuffix(te.Message, "; "+genericNotFound) {
		t.Errorf("want the generic hint and no hidden tool named:\n%s", te.Message)
	}
}

// The hint sends a model from a failed call to the tools a parameter's
// description names: each must exist, and be a read, unless the
// description only says the id is what that tool returned.
func TestParameterDescriptionsNameToolsThatExist(t *testing.T) {
	all, err := tools.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*tools.Tool{}
	for _, tl := range all {
		byName[tl.Name] = tl
	}
	named := 0
	for _, tl := range all {
		for _, p := range tl.Input().Props {
			for _, w := range tools.SnakeWords(p.Description) {
				ref, ok := byName[w]
				if !ok {
					t.Errorf("%s.%s names %q, which is no tool: %q", tl.Name, p.Name, w, p.Description)
					continue
				}
				if !ref.Access.ReadOnly() && !strings.Contains(p.Description, w+" returned") {
					t.Errorf("%s.%s sends the model to %s, which is not a read (%s)", tl.Name, p.Name, w, ref.Access)
				}
				named++
			}
		}
	}
	if named == 0 {
		t.Fatal("no parameter description names a tool: the test reads nothing")
	}
}
