package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/cccops/cccops/internal/app"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/store"
	"github.com/cccops/cccops/internal/tools"
)

// approvalsPolicy: every MCP caller may ask for a reset, which needs a
// yes; U2BOB in Slack holds an approver role.
const approvalsPolicy = `
principals:
  local: oncall
  "mcp:alice": oncall
  "mcp:bob": oncall
  U2BOB: [oncall, lead]
roles:
  oncall:
    rules:
      - {name: reads, access: [read], verdict: allow}
      - {name: reset, actions: [ResetUserStatus], verdict: confirm}
  lead:
    approver: true
    rules:
      - {name: reads, access: [read], verdict: allow}
`

// slackBob is the approver clicking in Slack.
var slackBob = policy.Principal{ID: "U2BOB", Name: "bob", Surface: "slack"}

var approvalID = regexp.MustCompile(`apr_[A-Za-z0-9_-]+`)

// withApprovals turns approvals in Slack on (as --approvals slack does)
// with approvalsPolicy, and sets --approval-wait.
func withApprovals(t *testing.T, wait time.Duration) envOpt {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(approvalsPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(c *app.Config, o *Options) {
		c.Approvals = "slack"
		c.PolicyFile = path
		o.ApprovalWait = wait
	}
}

// approve is the approver's click in Slack: the registry runs the stored
// call with the approver's yes, exactly as the Slack bot does.
func (e *env) approve(t *testing.T, id string) *tools.Result {
	t.Helper()
	ctx := context.Background()
	g := e.app.Registry.Gate()
	req, err := g.Lookup(ctx, id)
	if err != nil {
		t.Fatalf("lookup %s: %v", id, err)
	}
	dec := json.NewDecoder(bytes.NewReader(req.Args))
	dec.UseNumber()
	var args map[string]any
	if err := dec.Decode(&args); err != nil {
		t.Fatal(err)
	}
	res, err := e.app.Registry.Invoke(ctx, tools.Invocation{Principal: g.RequesterOf(req), Tool: req.Tool, Args: args,
		Confirmation: &tools.Confirmation{ID: id, Approver: slackBob}})
	if err != nil {
		t.Fatalf("approving %s: %v", id, err)
	}
	return res
}

func (e *env) deny(t *testing.T, id string) {
	t.Helper()
	if err := e.app.Registry.Withdraw(context.Background(), slackBob, &tools.Pending{ID: id}, store.Denied, "denied by U2BOB (Slack)"); err != nil {
		t.Fatalf("denying %s: %v", id, err)
	}
}

// taskClient is an in-process client on the 2025-11-25 handshake that
// declares tasks and no elicitation.
func (e *env) taskClient(t *testing.T) *client.Client { return e.taskClientOn(t, false) }

func (e *env) taskClientOn(t *testing.T, modern bool) *client.Client {
	t.Helper()
	opts := []client.ClientOption{client.WithClientCapabilities(mcp.ClientCapabilities{Tasks: &mcp.TasksCapability{Cancel: &struct{}{}}})}
	if !modern {
		opts = append(opts, client.WithLegacyProtocolOnly())
	}
	c, err := client.NewInProcessClientWithOptions(e.srv.MCP(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	initClient(t, c)
	if got := mcp.IsModernProtocol(c.ProtocolVersion()); got != modern {
		t.Fatalf("client negotiated %q; wanted modern=%v", c.ProtocolVersion(), modern)
	}
	return c
}

// callAsTask sends a task-augmented tools/call (mcp-go's CallTool cannot:
// it parses the answer as a tool result) and returns the created task.
func callAsTask(t *testing.T, c *client.Client, rpcID, name string, args map[string]any) mcp.Task {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	params := map[string]any{"name": name, "arguments": args, "task": map[string]any{"ttl": 600000}}
	if mcp.IsModernProtocol(c.ProtocolVersion()) {
		// What the client adds to every 2026-07-28 request.
		params["_meta"] = map[string]any{mcp.MetaKeyProtocolVersion: c.ProtocolVersion(), mcp.MetaKeyClientCapabilities: c.GetClientCapabilities(),
			mcp.MetaKeyClientInfo: mcp.Implementation{Name: "cccops-test", Version: "1"}}
	}
	resp, err := c.GetTransport().SendRequest(ctx, transport.JSONRPCRequest{JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(rpcID),
		Method: string(mcp.MethodToolsCall), Params: params})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Error != nil {
		t.Fatalf("task-augmented tools/call %s: error %d %s", name, resp.Error.Code, resp.Error.Message)
	}
	var created mcp.CreateTaskResult
	if err := json.Unmarshal(resp.Result, &created); err != nil {
		t.Fatal(err)
	}
	if created.Task.TaskId == "" || created.Task.Status != mcp.TaskStatusWorking {
		t.Fatalf("tools/call with task answered %s, want a working task", resp.Result)
	}
	return created.Task
}

func getTask(t *testing.T, c *client.Client, id string) *mcp.GetTaskResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.GetTask(ctx, mcp.GetTaskRequest{Params: mcp.GetTaskParams{TaskId: id}})
	if err != nil {
		t.Fatalf("tasks/get %s: %v", id, err)
	}
	return res
}

// awaitApproval polls tasks/get until the task says which approval it
// waits for.
func awaitApproval(t *testing.T, c *client.Client, taskID string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res := getTask(t, c, taskID)
		if res.Status != mcp.TaskStatusWorking {
			t.Fatalf("task %s ended before an approval was opened: %s %q", taskID, res.Status, res.StatusMessage)
		}
		if id := approvalID.FindString(res.StatusMessage); id != "" {
			if !strings.Contains(res.StatusMessage, "Not run yet") || !strings.Contains(res.StatusMessage, "Slack") {
				t.Fatalf("a working task says %q", res.StatusMessage)
			}
			return id
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("task %s never named its approval", taskID)
	return ""
}

func taskResult(t *testing.T, c *client.Client, id string) (*mcp.TaskResultResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.TaskResult(ctx, mcp.TaskResultRequest{Params: mcp.TaskResultParams{TaskId: id}})
}

func contentText(cs []mcp.Content) string {
	var b strings.Builder
	for _, c := range cs {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func TestToolsThatMayWaitForAnApproverTakeTasks(t *testing.T) {
	e := newEnv(t, withApprovals(t, 0))
	c := e.taskClient(t)
	if caps := c.GetServerCapabilities().Tasks; caps == nil || caps.Requests == nil || caps.Requests.Tools == nil || caps.Requests.Tools.Call == nil || caps.Cancel == nil {
		t.Fatalf("the server does not declare task-augmented tools/call and tasks/cancel: %+v", caps)
	}
	byName := map[string]mcp.Tool{}
	for _, tl := range listTools(t, c) {
		byName[tl.Name] = tl
	}
	if x := byName["reset_user_status"].Execution; x == nil || x.TaskSupport != mcp.TaskSupportOptional {
		t.Fatalf("reset_user_status execution %+v, want taskSupport optional", x)
	}
	for _, n := range []string{"list_agent_states", getApprovalTool} {
		if x := byName[n].Execution; x != nil {
			t.Fatalf("%s (never waits for an approver) declares %+v", n, x)
		}
	}

	// Without approvals nothing outlives a request: no task support.
	plain := newEnv(t).inProcess(t, false, nil)
	if caps := plain.GetServerCapabilities().Tasks; caps != nil {
		t.Fatalf("a server without approvals declares tasks: %+v", caps)
	}
	for _, tl := range listTools(t, plain) {
		if tl.Execution != nil {
			t.Fatalf("%s declares %+v without approvals", tl.Name, tl.Execution)
		}
	}
}

func TestATaskCompletesWithTheResultOnceTheApprovedCallRan(t *testing.T) {
	e := newEnv(t, withApprovals(t, 0))
	c := e.taskClient(t)
	task := callAsTask(t, c, "t1", "reset_user_status", resetArgs(t, e.sim))
	id := awaitApproval(t, c, task.TaskId)
	if e.app.Registry.Gate().RequesterOf(mustLookup(t, e, id)).ID != Local.ID {
		t.Fatal("the approval is not the caller's")
	}
	if n := e.sim.Count("ResetUserStatus"); n != 0 {
		t.Fatalf("asking ran ResetUserStatus %d times", n)
	}
	if res := e.approve(t, id); res.Status != tools.StatusOK {
		t.Fatalf("the approver's yes: %+v", res)
	}
	out, err := taskResult(t, c, task.TaskId)
	if err != nil {
		t.Fatalf("tasks/result: %v", err)
	}
	txt := contentText(out.Content)
	if out.IsError || !strings.Contains(txt, "Approved by U2BOB and run") || !strings.Contains(txt, id) {
		t.Fatalf("task result (isError=%v): %s", out.IsError, txt)
	}
	sc, _ := out.StructuredContent.(map[string]any)
	if sc["state"] != "done" || sc["approval_id"] != id || sc["result"] == nil {
		t.Fatalf("structured content: %+v", out.StructuredContent)
	}
	if got := getTask(t, c, task.TaskId); got.Status != mcp.TaskStatusCompleted || !strings.Contains(got.StatusMessage, "Approved by U2BOB") {
		t.Fatalf("tasks/get after the run: %s %q", got.Status, got.StatusMessage)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 1 {
		t.Fatalf("ResetUserStatus ran %d times, want once", n)
	}
}

func mustLookup(t *testing.T, e *env, id string) *store.Request {
	t.Helper()
	req, err := e.app.Registry.Gate().Lookup(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// A 2026-07-28 client has no tasks/result: tasks/get says the outcome. In
// gateway mode call_action takes the task.
func TestATaskOnTheNewProtocolAndThroughTheGatewayEndsInTasksGet(t *testing.T) {
	for _, gw := range []bool{false, true} {
		t.Run(map[bool]string{false: "tools", true: "gateway"}[gw], func(t *testing.T) {
			opts := []envOpt{withApprovals(t, 0)}
			name := "reset_user_status"
			if gw {
				opts = append(opts, gateway())
			}
			e := newEnv(t, opts...)
			args := resetArgs(t, e.sim)
			call := args
			if gw {
				name, call = CallAction, map[string]any{"name": "reset_user_status", "arguments": args}
			}
			c := e.taskClientOn(t, true)
			task := callAsTask(t, c, "t1", name, call)
			id := awaitApproval(t, c, task.TaskId)
			e.approve(t, id)
			deadline := time.Now().Add(30 * time.Second)
			var got *mcp.GetTaskResult
			for time.Now().Before(deadline) {
				if got = getTask(t, c, task.TaskId); got.Status != mcp.TaskStatusWorking {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if got.Status != mcp.TaskStatusCompleted || !strings.Contains(got.StatusMessage, "Approved by U2BOB and run") || !strings.Contains(got.StatusMessage, id) {
				t.Fatalf("tasks/get after the run: %s %q", got.Status, got.StatusMessage)
			}
			if n := e.sim.Count("ResetUserStatus"); n != 1 {
				t.Fatalf("ResetUserStatus ran %d times, want once", n)
			}
		})
	}
}

func TestATaskFailsInWordsWhenTheApprovalIsDenied(t *testing.T) {
	e := newEnv(t, withApprovals(t, 0))
	c := e.taskClient(t)
	task := callAsTask(t, c, "t1", "reset_user_status", resetArgs(t, e.sim))
	id := awaitApproval(t, c, task.TaskId)
	e.deny(t, id)
	_, err := taskResult(t, c, task.TaskId)
	if err == nil || !strings.Contains(err.Error(), "denied in Slack; nothing ran") || !strings.Contains(err.Error(), id) {
		t.Fatalf("tasks/result after a deny: %v", err)
	}
	got := getTask(t, c, task.TaskId)
	if got.Status != mcp.TaskStatusFailed || !strings.Contains(got.StatusMessage, "denied") || !strings.Contains(got.StatusMessage, "get_approval") {
		t.Fatalf("tasks/get after a deny: %s %q", got.Status, got.StatusMessage)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 0 {
		t.Fatalf("a denied reset ran %d times", n)
	}
}

func TestCancellingATaskWithdrawsItsApproval(t *testing.T) {
	e := newEnv(t, withApprovals(t, 0))
	c := e.taskClient(t)
	task := callAsTask(t, c, "t1", "reset_user_status", resetArgs(t, e.sim))
	id := awaitApproval(t, c, task.TaskId)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.CancelTask(ctx, mcp.CancelTaskRequest{Params: mcp.CancelTaskParams{TaskId: task.TaskId}})
	if err != nil || res.Status != mcp.TaskStatusCancelled {
		t.Fatalf("tasks/cancel: %+v %v", res, err)
	}
	req, err := e.app.Registry.Gate().Wait(ctx, id)
	if err != nil || req.State != store.Cancelled {
		t.Fatalf("the approval after tasks/cancel: %+v %v", req, err)
	}
	// An approver who clicks now runs nothing.
	g := e.app.Registry.Gate()
	stored, _ := g.Lookup(ctx, id)
	var args map[string]any
	dec := json.NewDecoder(bytes.NewReader(stored.Args))
	dec.UseNumber()
	_ = dec.Decode(&args)
	if _, err := e.app.Registry.Invoke(ctx, tools.Invocation{Principal: g.RequesterOf(stored), Tool: stored.Tool, Args: args,
		Confirmation: &tools.Confirmation{ID: id, Approver: slackBob}}); err == nil {
		t.Fatal("an approval withdrawn by tasks/cancel could still be approved")
	}
	if n := e.sim.Count("ResetUserStatus"); n != 0 {
		t.Fatalf("a cancelled reset ran %d times", n)
	}
}

// progressRecorder keeps the progress notifications a client receives.
type progressRecorder struct {
	mu   sync.Mutex
	got  []map[string]any
	seen chan struct{}
}

func recordProgress(c *client.Client) *progressRecorder {
	r := &progressRecorder{seen: make(chan struct{}, 64)}
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method != string(mcp.MethodNotificationProgress) {
			return
		}
		r.mu.Lock()
		r.got = append(r.got, n.Params.AdditionalFields)
		r.mu.Unlock()
		r.seen <- struct{}{}
	})
	return r
}

func (r *progressRecorder) first(t *testing.T) map[string]any {
	t.Helper()
	select {
	case <-r.seen:
	case <-time.After(30 * time.Second):
		t.Fatal("no progress notification")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[0]
}

func TestAQuickApprovalWithinTheWaitAnswersTheResultWithProgress(t *testing.T) {
	e := newEnv(t, withApprovals(t, time.Minute))
	c := e.inProcess(t, false, nil)
	prog := recordProgress(c)
	type answer struct {
		res *mcp.CallToolResult
		err error
	}
	done := make(chan answer, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		var req mcp.CallToolRequest
		req.Params.Name = "reset_user_status"
		req.Params.Arguments = resetArgs(t, e.sim)
		req.Params.Meta = &mcp.Meta{ProgressToken: "reset-1"}
		res, err := c.CallTool(ctx, req)
		done <- answer{res, err}
	}()
	p := prog.first(t)
	id := approvalID.FindString(p["message"].(string))
	if p["progressToken"] != "reset-1" || id == "" || !strings.Contains(p["message"].(string), "nothing has run yet") || p["total"] != float64(60) {
		t.Fatalf("progress notification: %+v", p)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 0 {
		t.Fatalf("waiting ran ResetUserStatus %d times", n)
	}
	e.approve(t, id)
	a := <-done
	if a.err != nil {
		t.Fatal(a.err)
	}
	if a.res.IsError || !strings.Contains(text(a.res), "Approved by U2BOB and run") {
		t.Fatalf("the call's answer (isError=%v): %s", a.res.IsError, text(a.res))
	}
	if sc, _ := a.res.StructuredContent.(map[string]any); sc["state"] != "done" || sc["result"] == nil {
		t.Fatalf("structured content: %+v", a.res.StructuredContent)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 1 {
		t.Fatalf("ResetUserStatus ran %d times, want once", n)
	}
}

func TestADenyWithinTheWaitIsAnErrorResult(t *testing.T) {
	e := newEnv(t, withApprovals(t, time.Minute))
	c := e.inProcess(t, false, nil)
	prog := recordProgress(c)
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		var req mcp.CallToolRequest
		req.Params.Name = "reset_user_status"
		req.Params.Arguments = resetArgs(t, e.sim)
		req.Params.Meta = &mcp.Meta{ProgressToken: 7}
		res, _ := c.CallTool(ctx, req)
		done <- res
	}()
	e.deny(t, approvalID.FindString(prog.first(t)["message"].(string)))
	res := <-done
	if res == nil || !res.IsError || !strings.Contains(text(res), "Denied by U2BOB. Nothing ran.") {
		t.Fatalf("answer after a deny within the wait: %+v", res)
	}
}

func TestWithoutAnAnswerTheCallAnswersPending(t *testing.T) {
	for _, wait := range []time.Duration{0, 20 * time.Millisecond} {
		t.Run(wait.String(), func(t *testing.T) {
			e := newEnv(t, withApprovals(t, wait))
			c := e.inProcess(t, false, nil)
			res := callTool(t, c, "reset_user_status", resetArgs(t, e.sim))
			sc, _ := res.StructuredContent.(map[string]any)
			id, _ := sc["approval_id"].(string)
			if res.IsError || !strings.HasPrefix(text(res), "NOT RUN YET.") || sc["state"] != "pending" || sc["ran"] != false || !strings.HasPrefix(id, "apr_") {
				t.Fatalf("pending answer: %s %+v", text(res), sc)
			}
			if n := e.sim.Count("ResetUserStatus"); n != 0 {
				t.Fatalf("a pending reset ran %d times", n)
			}
			// The approval stays open: a later yes runs it, and get_approval
			// then has the result.
			e.approve(t, id)
			got := callTool(t, c, getApprovalTool, map[string]any{"approval_id": id})
			if got.IsError || !strings.Contains(text(got), "Approved by U2BOB and run") {
				t.Fatalf("get_approval after the run: %s", text(got))
			}
		})
	}
}

func TestApprovalsAndTasksAreOnlyTheRequesters(t *testing.T) {
	e := newEnv(t, withApprovals(t, 0))
	url := e.serveHTTP(t, HTTPConfig{})
	alice := httpClient(t, url, aliceToken, false, nil)
	bob := httpClient(t, url, bobToken, false, nil)

	res := callTool(t, alice, "reset_user_status", resetArgs(t, e.sim))
	sc, _ := res.StructuredContent.(map[string]any)
	id, _ := sc["approval_id"].(string)
	if !strings.HasPrefix(id, "apr_") {
		t.Fatalf("alice's pending call: %s", text(res))
	}
	if got := callTool(t, bob, getApprovalTool, map[string]any{"approval_id": id}); !got.IsError || !strings.Contains(text(got), "another principal") || strings.Contains(text(got), "mallory") {
		t.Fatalf("bob reading alice's approval: %s", text(got))
	}
	e.approve(t, id)
	if got := callTool(t, bob, getApprovalTool, map[string]any{"approval_id": id}); !got.IsError || strings.Contains(text(got), "Result") {
		t.Fatalf("bob reading alice's approval after the run: %s", text(got))
	}
	if got := callTool(t, alice, getApprovalTool, map[string]any{"approval_id": id}); got.IsError || !strings.Contains(text(got), "Approved by U2BOB and run") {
		t.Fatalf("alice reading her approval: %s", text(got))
	}

	// A task over HTTP: the request that created it has ended long
	// before the approval comes, and only alice may read it.
	task := callAsTask(t, alice, "t1", "reset_user_status", resetArgs(t, e.sim))
	tid := awaitApproval(t, alice, task.TaskId)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := bob.GetTask(ctx, mcp.GetTaskRequest{Params: mcp.GetTaskParams{TaskId: task.TaskId}}); err == nil || !strings.Contains(err.Error(), "only by the principal whose call created it") {
		t.Fatalf("bob's tasks/get of alice's task: %v", err)
	}
	if _, err := bob.CancelTask(ctx, mcp.CancelTaskRequest{Params: mcp.CancelTaskParams{TaskId: task.TaskId}}); err == nil {
		t.Fatal("bob cancelled alice's task")
	}
	e.approve(t, tid)
	out, err := taskResult(t, alice, task.TaskId)
	if err != nil || out.IsError || !strings.Contains(contentText(out.Content), "Approved by U2BOB and run") {
		t.Fatalf("alice's task result over HTTP: %+v %v", out, err)
	}
	if n := e.sim.Count("ResetUserStatus"); n != 2 {
		t.Fatalf("ResetUserStatus ran %d times, want twice", n)
	}
}
