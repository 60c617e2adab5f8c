package mcp

// A call that becomes an approval in Slack is answered one of three ways:
//
//   - as an MCP task, when the client asked for a task-augmented
//     tools/call: the task works while the approval waits, completes with
//     the action's result once the approved call ran, and fails in words
//     when it is denied, expires, is cancelled or CCC refuses it;
//   - after a short wait (--approval-wait) for a quick yes, with progress
//     notifications when the client sent a progress token: an approval
//     settled within the wait is answered like any call;
//   - else at once, with the pending result (approvals.go).
//
// All three come out of the one call path (tools.go call → Invoke):
// nothing here runs an action. The approver's surface (the Slack bot, or
// any process sharing the store) runs the approved call through the
// registry; this side only waits for the stored request to settle.
//
// mcp-go v1.2.1 runs a task-augmented call of a regular tool (one with
// Execution.TaskSupport optional) in a goroutine whose context is the
// tools/call request's, which ends as soon as the CreateTaskResult is
// answered; and it tells the handler neither that it runs as a task nor
// the task's id. So a BeforeCallTool hook marks the request (a Go value in
// its _meta, which no client can forge), the handler detaches from the
// request's end, an AfterCallTool hook learns the task id, and the
// OnTaskCancelled hook tells the waiting handler that tasks/cancel was
// called. Hooks also keep tasks to the principal that created them.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/cccops/cccops/internal/store"
	"github.com/cccops/cccops/internal/tools"
)

const (
	// maxTasks bounds the task-augmented calls running at once: each
	// holds a goroutine until its approval settles. More are refused by
	// mcp-go ("max concurrent tasks limit reached"); a plain call still works.
	maxTasks = 256
	// taskRetention is how long a task (and its result) is kept when the
	// client asks for no TTL, or for a longer one.
	taskRetention = 24 * time.Hour
	// taskGrace is how long past an approval's expiry a task still waits
	// for the outcome of a call an approver started just before it.
	taskGrace = 5 * time.Minute
	// taskPollMs is the poll interval tasks/get suggests.
	taskPollMs int64 = 2000
	// progressEvery is the gap between progress notifications during
	// --approval-wait; the first is sent at once.
	progressEvery = 5 * time.Second
	// taskMark is the _meta key the BeforeCallTool hook sets. Its value
	// is a *taskCall, which JSON never decodes into.
	taskMark = "cccops/task"
)

// taskCall is one task-augmented call, from the hook that sees it come in
// to the retention of its task.
type taskCall struct {
	owner string // principal ID of the caller
	ttl   time.Duration
	stop  chan struct{} // closed when the client cancels the task
	once  sync.Once

	mu     sync.Mutex
	id     string // mcp-go's task id, once the task exists
	status string // what tasks/get says while it works, and once it ended
}

func (t *taskCall) cancel() { t.once.Do(func() { close(t.stop) }) }

func (t *taskCall) cancelled() bool {
	select {
	case <-t.stop:
		return true
	default:
		return false
	}
}

func (t *taskCall) say(s string) {
	t.mu.Lock()
	t.status = s
	t.mu.Unlock()
}

func (t *taskCall) said() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.status
}

// taskTable maps mcp-go task ids to the calls behind them.
type taskTable struct {
	mu   sync.Mutex
	byID map[string]*taskCall
}

func (tt *taskTable) add(t *taskCall) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if tt.byID == nil {
		tt.byID = map[string]*taskCall{}
	}
	tt.byID[t.id] = t
	id := t.id
	// mcp-go forgets the task after its TTL; so do we (a little later,
	// so an owner check never lapses before the task is gone).
	time.AfterFunc(t.ttl+time.Minute, func() { tt.drop(id) })
}

func (tt *taskTable) drop(id string) {
	tt.mu.Lock()
	delete(tt.byID, id)
	tt.mu.Unlock()
}

func (tt *taskTable) get(id string) *taskCall {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return tt.byID[id]
}

// tasksOn reports whether tools take task-augmented calls: only where a
// call can become an approval that outlives the request.
func (s *Server) tasksOn() bool {
	g := s.reg.Gate()
	return g.Approvals() && !g.ReadOnly()
}

// taskExecution is a tool's Execution: task support is optional on tools
// that may wait for an approver, absent elsewhere.
func (s *Server) taskExecution(mayWait bool) *mcp.ToolExecution {
	if !mayWait || !s.tasksOn() {
		return nil
	}
	return &mcp.ToolExecution{TaskSupport: mcp.TaskSupportOptional}
}

// taskOptions are the mcp-go options and hooks of task support.
func (s *Server) taskOptions(hooks *server.Hooks) []server.ServerOption {
	if !s.tasksOn() {
		return nil
	}
	hooks.AddBeforeCallTool(s.markTask)
	hooks.AddAfterCallTool(s.registerTask)
	hooks.AddOnRequestInitialization(s.checkTaskOwner)
	hooks.AddAfterGetTask(s.describeTask)
	th := &server.TaskHooks{}
	th.AddOnTaskCancelled(func(_ context.Context, m server.TaskMetrics) {
		// Called under mcp-go's task lock: only signal.
		if t := s.tasks.get(m.TaskID); t != nil {
			t.cancel()
		}
	})
	return []server.ServerOption{
		// No tasks/list capability: a task is found by the id its call
		// returned. tasks/cancel withdraws the approval.
		server.WithTaskCapabilities(false, true, true),
		server.WithTaskHooks(th),
		server.WithMaxConcurrentTasks(maxTasks),
	}
}

// markTask runs before mcp-go routes a tools/call (after route). A call
// that mcp-go will run as a task gets a taskCall in its _meta, and a TTL
// so neither mcp-go nor we keep it for ever.
func (s *Server) markTask(ctx context.Context, _ any, req *mcp.CallToolRequest) {
	if req.Params.Task == nil {
		return
	}
	st := s.mcp.GetTool(req.Params.Name)
	if st == nil || st.Tool.Execution == nil || st.Tool.Execution.TaskSupport == mcp.TaskSupportForbidden || st.Tool.Execution.TaskSupport == "" {
		return // mcp-go runs it as a plain call
	}
	ttl := taskRetention
	if p := req.Params.Task.TTL; p != nil && *p > 0 && time.Duration(*p)*time.Millisecond < ttl {
		ttl = time.Duration(*p) * time.Millisecond
	}
	ms := ttl.Milliseconds()
	req.Params.Task.TTL = &ms
	if req.Params.Meta == nil {
		req.Params.Meta = &mcp.Meta{}
	}
	if req.Params.Meta.AdditionalFields == nil {
		req.Params.Meta.AdditionalFields = map[string]any{}
	}
	req.Params.Meta.AdditionalFields[taskMark] = &taskCall{owner: s.principal(ctx).ID, ttl: ttl, stop: make(chan struct{})}
}

func taskOf(m *mcp.Meta) *taskCall {
	if m == nil {
		return nil
	}
	t, _ := m.AdditionalFields[taskMark].(*taskCall)
	return t
}

// registerTask learns the task id of a marked call from mcp-go's answer.
func (s *Server) registerTask(_ context.Context, _ any, req *mcp.CallToolRequest, result any) {
	created, ok := result.(*mcp.CreateTaskResult)
	t := taskOf(req.Params.Meta)
	if !ok || t == nil {
		return
	}
	t.mu.Lock()
	t.id = created.Task.TaskId
	t.mu.Unlock()
	s.tasks.add(t)
	poll := taskPollMs
	created.Task.PollInterval = &poll
}

// checkTaskOwner refuses tasks/get, tasks/result and tasks/cancel of a
// task another principal created. mcp-go keeps tasks per session, and a
// 2026-07-28 request has no session, so the principal is what binds them.
func (s *Server) checkTaskOwner(ctx context.Context, _ any, message any) error {
	raw, ok := message.(json.RawMessage)
	if !ok || !bytes.Contains(raw, []byte(`"tasks/`)) {
		return nil
	}
	var m struct {
		Method string `json:"method"`
		Params struct {
			TaskID string `json:"taskId"`
		} `json:"params"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return nil // mcp-go answers what it cannot parse
	}
	switch mcp.MCPMethod(m.Method) {
	case mcp.MethodTasksGet, mcp.MethodTasksResult, mcp.MethodTasksCancel:
	default:
		return nil
	}
	if t := s.tasks.get(m.Params.TaskID); t != nil && t.owner != s.principal(ctx).ID {
		return fmt.Errorf("no task %q of %s is known here: a task can be read or cancelled only by the principal whose call created it", m.Params.TaskID, s.principal(ctx).ID)
	}
	return nil
}

// describeTask puts our words into tasks/get: while the task works, which
// approval it waits for and until when; once it ended, the outcome (a
// 2026-07-28 client has no tasks/result, so this is what it reads).
func (s *Server) describeTask(_ context.Context, _ any, _ *mcp.GetTaskRequest, res *mcp.GetTaskResult) {
	t := s.tasks.get(res.TaskId)
	if t == nil {
		return
	}
	if line := t.said(); line != "" && (res.Status == mcp.TaskStatusWorking || res.StatusMessage == "") {
		res.StatusMessage = line
	}
	poll := taskPollMs
	res.PollInterval = &poll
}

// callMeta is what a tools/call asked for besides its arguments.
type callMeta struct {
	task     *taskCall         // the call runs as an MCP task
	progress mcp.ProgressToken // the client wants progress notifications
}

type callMetaKey struct{}

// withCallMeta is the context a handler runs in. A task's handler is
// detached from the request's end (see the top of this file).
func withCallMeta(ctx context.Context, req mcp.CallToolRequest) context.Context {
	var m callMeta
	if req.Params.Meta != nil {
		m.task = taskOf(req.Params.Meta)
		m.progress = req.Params.Meta.ProgressToken
	}
	if m.task == nil && m.progress == nil {
		return ctx
	}
	if m.task != nil {
		ctx = context.WithoutCancel(ctx)
	}
	return context.WithValue(ctx, callMetaKey{}, m)
}

func callMetaFrom(ctx context.Context) callMeta {
	m, _ := ctx.Value(callMetaKey{}).(callMeta)
	return m
}

// inTask reports whether this call runs as an MCP task. Such a call
// cannot ask the client a question (mcp-go v1.2.1 has no input_required
// for tool tasks), so its yes comes from an approver in Slack.
func inTask(ctx context.Context) bool { return callMetaFrom(ctx).task != nil }

// taskFailure is the error that makes a task fail: mcp-go stores its text
// as the task's status message and answers it to tasks/result.
type taskFailure struct{ msg string }

func (e *taskFailure) Error() string { return e.msg }

// asTaskOutcome turns a handler's answer into a task's: an isError result
// fails the task with its words; anything else completes it.
func asTaskOutcome(ctx context.Context, res *mcp.CallToolResult, err error) (*mcp.CallToolResult, error) {
	t := callMetaFrom(ctx).task
	if t == nil || err != nil || res == nil || !res.IsError {
		return res, err
	}
	msg := resultText(res)
	t.say(msg)
	return nil, &taskFailure{msg: msg}
}

func resultText(res *mcp.CallToolResult) string {
	var b bytes.Buffer
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// awaitTask is the body of a task whose call became an approval: it waits
// for the stored request to settle and answers its outcome.
func (s *Server) awaitTask(ctx context.Context, res *tools.Result, t *taskCall) *mcp.CallToolResult {
	pend := res.Pending
	t.say(fmt.Sprintf("Not run yet: %s waits for %s to approve it in Slack, until %s (approval_id %s). The task completes when the approved call has run and fails if it is denied, cancelled or expires; get_approval approval_id=%q shows the same.",
		res.Tool.Name, approverWords(pend), pend.ExpiresAt.UTC().Format(time.RFC3339), pend.ID, pend.ID))
	wctx, cancel := context.WithDeadline(ctx, pend.ExpiresAt.Add(taskGrace))
	defer cancel()
	go func() {
		select {
		case <-t.stop:
			cancel()
		case <-wctx.Done():
		}
	}()
	req, err := s.reg.Gate().Wait(wctx, pend.ID)
	if err != nil && t.cancelled() {
		// tasks/cancel: mcp-go already answers "cancelled"; take the
		// request back so nobody approves a call nobody waits for.
		p := s.principal(ctx)
		if werr := s.reg.Withdraw(ctx, p, &tools.Pending{ID: pend.ID}, store.Cancelled, "the MCP client cancelled the task"); werr != nil {
			s.log.Info("task cancelled, approval not withdrawn", "approval", pend.ID, "reason", s.userText(werr))
		}
		return errorResult(fmt.Sprintf("The task was cancelled; the approval %s was withdrawn if nobody had approved it yet.", pend.ID), nil)
	}
	if err != nil {
		// Past the deadline (or the store failed): say what is stored now.
		cur, gerr := s.reg.Gate().Request(ctx, pend.ID, s.principal(ctx))
		if gerr != nil {
			return errorResult(fmt.Sprintf("Could not learn the outcome of approval %s: %s. Check it later with get_approval approval_id=%q.", pend.ID, s.userText(gerr), pend.ID), nil)
		}
		req = cur
	}
	out := s.outcome(req, true)
	t.say(resultText(out))
	return out
}

// awaitQuick waits up to --approval-wait for the approval to settle,
// sending progress notifications when the client sent a token. It returns
// nil when the wait ends with the request still open.
func (s *Server) awaitQuick(ctx context.Context, res *tools.Result, token mcp.ProgressToken) *mcp.CallToolResult {
	pend := res.Pending
	wait := s.opts.ApprovalWait
	if left := pend.ExpiresAt.Sub(s.now()); left < wait {
		wait = max(left, 0)
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var wg sync.WaitGroup
	if token != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.progress(ctx, wctx, token, res.Tool.Name, pend.ID, wait)
		}()
	}
	req, err := s.reg.Gate().Wait(wctx, pend.ID)
	cancel()
	wg.Wait() // no progress after the answer
	if err != nil {
		return nil
	}
	return s.outcome(req, false)
}

// progress sends notifications/progress while the quick wait lasts: one at
// once, then every progressEvery. Progress counts seconds waited.
func (s *Server) progress(ctx, wctx context.Context, token mcp.ProgressToken, tool, id string, wait time.Duration) {
	start := s.now()
	total := math.Ceil(wait.Seconds())
	send := func() {
		waited := s.now().Sub(start).Round(time.Second)
		err := s.mcp.SendNotificationToClient(ctx, string(mcp.MethodNotificationProgress), map[string]any{
			"progressToken": token,
			"progress":      math.Floor(waited.Seconds()),
			"total":         total,
			"message": fmt.Sprintf("%s waits for approval %s in Slack; nothing has run yet (waited %s of %s).",
				tool, id, waited, wait.Round(time.Second)),
		})
		if err != nil {
			s.log.Debug("progress notification not sent", "err", err)
		}
	}
	send()
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for {
		select {
		case <-wctx.Done():
			return
		case <-tick.C:
			send()
		}
	}
}

// outcome is the answer of a call whose approval settled (or, for a task,
// whose wait ended): done is the action's result; anything else is an
// isError result in words. A task's failure words become its status
// message, which mcp-go v1.2.1 sends to every connected client in
// notifications/tasks/status: they name the state and the approval, never
// the preview, the result or CCC's answer (get_approval has those, for
// the requester only).
func (s *Server) outcome(req *store.Request, task bool) *mcp.CallToolResult {
	if req.State == store.Done {
		return s.renderRequest(req)
	}
	if !task {
		out := s.renderRequest(req)
		out.IsError = true
		return out
	}
	var line string
	switch req.State {
	case store.Denied:
		line = "was denied in Slack; nothing ran. Do not retry unless the user asks for it"
	case store.Declined, store.Cancelled:
		line = "was cancelled; nothing ran"
	case store.Expired:
		line = "expired: nobody approved it in time; nothing ran. Ask the user before requesting it again"
	case store.Failed:
		line = "was approved and sent, but CCC answered an error"
	case store.Pending:
		line = "is still waiting for approval, past the time this task waits"
	default: // approved, sending
		line = "was approved and handed to CCC, but no outcome is recorded yet: it may have run — check with a read tool before asking again"
	}
	return errorResult(fmt.Sprintf("%s (approval %s) %s. Details: get_approval approval_id=%q.", req.Tool, req.ID, line, req.ID), nil)
}
