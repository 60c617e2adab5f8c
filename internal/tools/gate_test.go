package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/schema"
	"github.com/cccops/cccops/internal/tools"
)

// validArgs builds schema-valid arguments for a tool: every required
// parameter with a plausible value. They need not name real objects.
func validArgs(tl *tools.Tool) map[string]any {
	args := map[string]any{}
	for _, p := range tl.Input().Props {
		if !p.Required {
			continue
		}
		var v any
		switch {
		case p.Name == "InstanceId":
			v = sim.DefaultInstanceID
		case len(p.Enum) > 0:
			v = p.Enum[0]
		case p.Time && p.Type == "integer":
			v = time.Now().Add(-time.Hour).UnixMilli()
		case p.Type == "integer":
			n := int64(1)
			if p.Minimum != nil {
				n = int64(*p.Minimum)
			}
			v = n
		case p.Type == "boolean":
			v = false
		case p.Type == "array" && p.Items == "integer":
			v = []any{1}
		case p.Type == "array":
			v = []any{"x"}
		case schema.IsTimeParam(p.Name) && strings.HasSuffix(p.Name, "Date"):
			v = "2026-11-01"
		case schema.IsTimeParam(p.Name):
			v = "2026-11-01 00:00:00"
		default:
			v = "x"
		}
		args[p.Name] = v
	}
	return args
}

// TestNoUnapprovedBackendCalls drives all 89 actions through the registry
// as a principal without approval and checks, at the simulator's counters,
// that no non-read action reached the backend: the default policy answers
// confirm (pending), a policy that knows nobody answers deny.
func TestNoUnapprovedBackendCalls(t *testing.T) {
	// A file that gives roles only to someone else: alice has none.
	strict, err := policy.ParseFile([]byte("version: 1\nprincipals:\n  test:carol: viewer\nroles:\n  viewer:\n    rules:\n      - access: [read]\n        verdict: allow\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		file *policy.File
		want tools.Status
	}{
		{"default policy asks", nil, tools.StatusPending},
		{"unknown principal is denied", strict, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, policy.Config{File: tc.file}, tools.Filter{})
			all := e.reg.Tools()
			if len(all) != 89 {
				t.Fatalf("%d tools", len(all))
			}
			nonRead := 0
			for _, tl := range all {
				res, err := e.reg.Invoke(context.Background(), tools.Invocation{CanAsk: true, Principal: alice, Tool: tl.Name, Args: validArgs(tl)})
				if tl.Access.ReadOnly() {
					continue
				}
				nonRead++
				if tc.want == tools.StatusPending {
					if err != nil || res.Status != tools.StatusPending || res.Pending == nil || res.Pending.Token == "" {
						t.Errorf("%s: want pending, got %+v %v", tl.Name, res, err)
					}
				} else {
					var te *tools.Error
					if !errors.As(err, &te) || te.Kind != tools.KindDenied {
						t.Errorf("%s: want denied, got %+v %v", tl.Name, res, err)
					}
				}
				if n := e.sim.Count(tl.Action); n != 0 {
					t.Errorf("%s reached the backend %d times without approval", tl.Action, n)
				}
			}
			if nonRead != 31 {
				t.Fatalf("%d non-read actions, want 31 (10 write, 15 destructive, 6 external)", nonRead)
			}
		})
	}
}

func TestConfirmedResetChangesStateAndIsAudited(t *testing.T) {
	dir := t.TempDir()
	auditPath := filepath.Join(dir, "audit.jsonl")
	af, err := policy.NewAuditFile(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, policy.Config{}, tools.Filter{})
	// Route this gate's audit to the file instead of the buffer.
	gate, err := policy.New(policy.Config{Secret: []byte("test-secret-of-at-least-32-bytes!!"), Audit: af})
	if err != nil {
		t.Fatal(err)
	}
	client := clientFor(t, e.sim)
	reg, err := tools.New(tools.Config{Client: client, Gate: gate, DefaultInstance: sim.DefaultInstanceID})
	if err != nil {
		t.Fatal(err)
	}
	mallory, ok := e.sim.Agent(sim.DefaultInstanceID, "mallory")
	if !ok {
		t.Fatal("seed has no mallory")
	}
	ctx := context.Background()
	args := map[string]any{"RamIdList": []any{json.Number(mallory.RamID)}}
	res, err := reg.Invoke(ctx, tools.Invocation{CanAsk: true, Principal: alice, Tool: "ResetUserStatus", Args: args})
	if err != nil || res.Status != tools.StatusPending {
		t.Fatalf("first call: %+v %v", res, err)
	}
	if !strings.Contains(res.Pending.Preview, "mallory") || !strings.Contains(res.Pending.Preview, "Talking") {
		t.Fatalf("preview does not show mallory's current state:\n%s", res.Pending.Preview)
	}
	if e.sim.Count("ResetUserStatus") != 0 {
		t.Fatal("pending call reached the backend")
	}
	// Another principal cannot use alice's confirmation.
	bob := policy.Principal{ID: "test:bob", Surface: "test"}
	_, err = reg.Invoke(ctx, tools.Invocation{CanAsk: true, Principal: bob, Tool: "ResetUserStatus", Args: args, Confirmation: &tools.Confirmation{Token: res.Pending.Token}})
	var te *tools.Error
	if !errors.As(err, &te) || te.Kind != tools.KindRefused {
		t.Fatalf("cross-principal: %v", err)
	}
	// Other arguments cannot ride on it either.
	_, err = reg.Invoke(ctx, tools.Invocation{CanAsk: true, Principal: alice, Tool: "ResetUserStatus", Args: map[string]any{}, Confirmation: &tools.Confirmation{Token: res.Pending.Token}})
	if !errors.As(err, &te) || te.Kind != tools.KindRefused {
		t.Fatalf("other args: %v", err)
	}
	if e.sim.Count("ResetUserStatus") != 0 {
		t.Fatal("refused confirmation reached the backend")
	}
	done, err := reg.Invoke(ctx, tools.Invocation{CanAsk: true, Principal: alice, Tool: "reset_user_status", Args: args, Confirmation: &tools.Confirmation{Token: res.Pending.Token}})
	if err != nil || done.Status != tools.StatusOK {
		t.Fatalf("confirmed call: %+v %v", done, err)
	}
	if e.sim.Count("ResetUserStatus") != 1 {
		t.Fatalf("ResetUserStatus sent %d times", e.sim.Count("ResetUserStatus"))
	}
	after, _ := e.sim.Agent(sim.DefaultInstanceID, "mallory")
	if after.State == "Talking" {
		t.Fatalf("mallory still %s after reset", after.State)
	}
	// Replay: the token is spent.
	_, err = reg.Invoke(ctx, tools.Invocation{CanAsk: true, Principal: alice, Tool: "reset_user_status", Args: args, Confirmation: &tools.Confirmation{Token: res.Pending.Token}})
	if !errors.As(err, &te) || te.Kind != tools.KindRefused {
		t.Fatalf("replay: %v", err)
	}
	if e.sim.Count("ResetUserStatus") != 1 {
		t.Fatal("replayed confirmation reached the backend")
	}
	if err := af.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	var recs []policy.Record
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var r policy.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	var results []string
	for _, r := range recs {
		if r.Action == "ResetUserStatus" {
			results = append(results, r.Principal+":"+r.Result)
		}
	}
	want := []string{"test:alice:pending", "test:bob:refused", "test:alice:refused", "test:alice:approved", "test:alice:sending", "test:alice:ok", "test:alice:refused"}
	if strings.Join(results, ",") != strings.Join(want, ",") {
		t.Fatalf("audit trail %v, want %v", results, want)
	}
	for _, r := range recs {
		if r.Action == "ResetUserStatus" && r.Result == "ok" {
			if r.RequestID == "" || r.Approver != alice.ID || r.ArgsDigest == "" || r.Decision != policy.Confirm {
				t.Fatalf("ok record %+v", r)
			}
		}
	}
	if strings.Contains(string(raw), res.Pending.Token) {
		t.Fatal("the confirmation token was written to the audit log")
	}
}

func TestReadOnlyHidesAndRefuses(t *testing.T) {
	e := newEnv(t, policy.Config{ReadOnly: true}, tools.Filter{})
	if n := len(e.reg.Tools()); n != 54 {
		t.Fatalf("read-only lists %d tools, want the 54 reads", n)
	}
	for _, tl := range e.reg.Tools() {
		if tl.Access != spec.AccessRead {
			t.Fatalf("%s listed in read-only mode", tl.Name)
		}
	}
	_, err := e.reg.Invoke(context.Background(), tools.Invocation{CanAsk: true, Principal: alice, Tool: "reset_user_status"})
	var te *tools.Error
	if !errors.As(err, &te) || te.Kind != tools.KindUnknownTool || !strings.Contains(te.Message, "read-only") {
		t.Fatalf("got %v", err)
	}
	if e.sim.Count("ResetUserStatus") != 0 {
		t.Fatal("backend reached")
	}
	// The refusal was decided by the gate and audited, not just hidden.
	var refused bool
	for _, r := range e.audit.records(t) {
		if r.Action == "ResetUserStatus" && r.Result == "refused" && r.Decision == policy.Deny && strings.Contains(r.Reason, "read-only") {
			refused = true
		}
	}
	if !refused {
		t.Fatalf("no audited read-only refusal: %+v", e.audit.records(t))
	}
}

// TestAskingForConfirmationIsRateLimited: every ask runs preview reads and
// writes an audit line, so it draws from the principal's bucket; the
// confirmed run of an ask does not draw again.
func TestAskingForConfirmationIsRateLimited(t *testing.T) {
	e := newEnv(t, policy.Config{Limits: policy.Limits{Overall: policy.Rate{N: 2, Per: time.Hour}}}, tools.Filter{})
	ctx := context.Background()
	first, err := e.reg.Invoke(ctx, tools.Invocation{CanAsk: true, Principal: alice, Tool: "create_skill_group", Args: map[string]any{"Name": "night-shift"}})
	if err != nil || first.Status != tools.StatusPending {
		t.Fatalf("first ask: %+v %v", first, err)
	}
	if _, err := e.reg.Invoke(ctx, tools.Invocation{CanAsk: true, Principal: alice, Tool: "create_skill_group", Args: map[string]any{"Name": "night-shift"}}); err != nil {
		t.Fatalf("second ask: %v", err)
	}
	_, err = e.reg.Invoke(ctx, tools.Invocation{CanAsk: true, Principal: alice, Tool: "create_skill_group", Args: map[string]any{"Name": "night-shift"}})
	var te *tools.Error
	if !errors.As(err, &te) || te.Kind != tools.KindRateLimited {
		t.Fatalf("third ask with a bucket of 2: %v", err)
	}
	res, err := e.reg.Invoke(ctx, tools.Invocation{CanAsk: true, Principal: alice, Tool: "create_skill_group", Args: map[string]any{"Name": "night-shift"}, Confirmation: &tools.Confirmation{Token: first.Pending.Token}})
	if err != nil || res.Status != tools.StatusOK {
		t.Fatalf("the confirmed run of an ask already charged: %+v %v", res, err)
	}
}

func TestFilters(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{Toolsets: []string{"agents", "Reports"}, Exclude: []string{"RemoveUsers"}})
	for _, tl := range e.reg.Tools() {
		if tl.Toolset != "agents" && tl.Toolset != "reports" || tl.Action == "RemoveUsers" {
			t.Fatalf("%s (%s) passed the filter", tl.Name, tl.Toolset)
		}
	}
	if n := len(e.reg.Tools()); n != 13+19-1 {
		t.Fatalf("%d tools", n)
	}
	if err := (tools.Filter{Toolsets: []string{"agentz"}}).Check(mustCatalog(t)); err == nil || !strings.Contains(err.Error(), "agents") {
		t.Fatalf("bad toolset: %v", err)
	}
}

func TestInvalidArgumentsNameTheParameter(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	_, err := e.reg.Invoke(context.Background(), tools.Invocation{CanAsk: true, Principal: alice, Tool: "list_call_detail_records", Args: map[string]any{"PageNumber": "x", "PageSize": 10}})
	var te *tools.Error
	if !errors.As(err, &te) || te.Kind != tools.KindInvalidArgs || te.Param != "PageNumber" {
		t.Fatalf("got %v", err)
	}
	if e.sim.Count("ListCallDetailRecords") != 0 {
		t.Fatal("invalid call reached the backend")
	}
}

func TestNextPageHintAndOutputSchema(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	res, err := e.reg.Invoke(context.Background(), tools.Invocation{CanAsk: true, Principal: alice, Tool: "list_call_detail_records", Args: map[string]any{"PageNumber": 1, "PageSize": 10}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.NextPage, "PageNumber=2") || res.Data()[tools.NextPageKey] == nil || !strings.Contains(res.Text, "Next page:") {
		t.Fatalf("no next-page hint: %q", res.NextPage)
	}
	tl, _ := e.reg.Lookup("list_call_detail_records")
	out, err := schema.Compile(tl.OutputSchema)
	if err != nil {
		t.Fatal(err)
	}
	if err := out.ValidateValue(res.Data()); err != nil {
		t.Fatalf("structured content does not match the output schema: %v", err)
	}
}

// TestReadResultsMatchOutputSchemas runs every read action the simulator
// can answer with plain arguments and checks the structured content against
// the tool's output schema.
func TestReadResultsMatchOutputSchemas(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	real := realArgs(e)
	ok, notFound := 0, 0
	for _, tl := range e.reg.Tools() {
		if tl.Access != spec.AccessRead {
			continue
		}
		args := readArgs(tl, real, time.Now())
		res, err := e.reg.Invoke(context.Background(), tools.Invocation{CanAsk: true, Principal: alice, Tool: tl.Name, Args: args})
		if err != nil {
			// Placeholder ids ("x") of objects the test does not look up are
			// not found; any other failure is a defect of schema or backend.
			var te *tools.Error
			if errors.As(err, &te) && te.CCC != nil && strings.HasPrefix(te.CCC.Code, "NotExists.") {
				notFound++
				continue
			}
			t.Errorf("%s %v: %v", tl.Name, args, err)
			continue
		}
		out, err := schema.Compile(tl.OutputSchema)
		if err != nil {
			t.Fatal(err)
		}
		if err := out.ValidateValue(res.Data()); err != nil {
			t.Errorf("%s: %v", tl.Name, err)
		}
		ok++
	}
	if ok < 40 {
		t.Fatalf("only %d read actions answered (%d not found)", ok, notFound)
	}
	t.Logf("%d read actions checked against their output schemas; %d placeholders not found", ok, notFound)
}

// realArgs are real identities of the simulator, so the rich answers
// (reports, agents) are the ones checked.
func realArgs(e *env) map[string]any {
	agentA, _ := e.sim.Agent(sim.DefaultInstanceID, "alice")
	return map[string]any{
		"UserId": agentA.UserID, "Extension": agentA.Extension, "ServiceType": "Transfer", "Number": "02112345678",
		"RamId": json.Number(agentA.RamID), "AgentId": agentA.UserID,
	}
}

// readArgs builds arguments of a read tool with real identities and a real
// time window where the simulator has them.
func readArgs(tl *tools.Tool, real map[string]any, now time.Time) map[string]any {
	args := validArgs(tl)
	for k := range args {
		if v, has := real[k]; has {
			if p, _ := tl.Input().Prop(k); p.Type == "integer" {
				args[k] = v
			} else if p.Type == "array" {
				args[k] = []any{fmt.Sprint(v)}
			} else {
				args[k] = fmt.Sprint(v)
			}
		}
		p, _ := tl.Input().Prop(k)
		switch {
		case p.Type == "integer" && (k == "StartTime"):
			args[k] = now.Add(-24 * time.Hour).UnixMilli()
		case p.Type == "integer" && (k == "StopTime" || k == "EndTime"):
			args[k] = now.UnixMilli()
		case p.Type == "string" && k == "StartTime":
			args[k] = now.Add(-24 * time.Hour).Format(schema.DateTimeLayout)
		case p.Type == "string" && k == "EndTime":
			args[k] = now.Format(schema.DateTimeLayout)
		case k == "StartDate":
			args[k] = now.AddDate(0, 0, -7).Format(schema.DateLayout)
		case k == "EndDate":
			args[k] = now.Format(schema.DateLayout)
		}
	}
	return args
}

func mustCatalog(t *testing.T) []*tools.Tool {
	all, err := tools.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// TestPreviewReadsPassTheGate: the reads behind previews and overviews are
// ordinary gated calls, so a principal who may not read gets nothing.
func TestPreviewReadsPassTheGate(t *testing.T) {
	strict, err := policy.ParseFile([]byte("version: 1\nprincipals:\n  test:carol: viewer\nroles:\n  viewer:\n    rules:\n      - access: [read]\n        verdict: allow\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, policy.Config{File: strict}, tools.Filter{})
	_, err = e.reg.AgentBoard(context.Background(), alice, sim.DefaultInstanceID, "", "")
	var te *tools.Error
	if !errors.As(err, &te) || te.Kind != tools.KindDenied {
		t.Fatalf("alice (no role) read agent states: %v", err)
	}
	if n := e.sim.Count("ListUsers") + e.sim.Count("ListAgentStates"); n != 0 {
		t.Fatalf("denied reads reached the backend %d times", n)
	}
	carol := policy.Principal{ID: "test:carol", Surface: "test"}
	states, err := e.reg.AgentBoard(context.Background(), carol, sim.DefaultInstanceID, "", "")
	if err != nil || len(states) < 40 {
		t.Fatalf("carol: %d states, %v", len(states), err)
	}
	for _, r := range e.audit.records(t) {
		if r.Principal == carol.ID && r.Result != "ok" {
			t.Fatalf("audit %+v", r)
		}
	}
}
