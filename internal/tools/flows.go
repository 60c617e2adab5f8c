package tools

// Flows are the CCC-specific compositions the on-call surfaces need: an
// agent board, resolving people to agents, a call log and one call's story.
// Every read goes through Invoke, so each is gated by the policy and written
// to the audit log like any other call; surfaces only render the rows.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/policy"
)

// flowPageSize is the page size the flows ask for when they read lists.
const flowPageSize = 100

// maxFlowPages bounds how many pages one flow reads from one list action.
const maxFlowPages = 20

// AgentRow is one agent on the board: who they are and their state now.
type AgentRow struct {
	UserID    string
	RamID     string
	LoginName string
	Name      string
	Extension string
	Groups    []string // skill group names
	State     string
	Held      time.Duration // time in the current state
	HeldKnown bool
	Stuck     bool
	Why       string // why the row is flagged stuck, in words
}

// Label is "Alice Li (alice, ext 8001001)".
func (a AgentRow) Label() string {
	return fmt.Sprintf("%s (%s, ext %s)", a.Name, a.LoginName, a.Extension)
}

// Abnormal reports whether ResetUserStatus, given no RamIdList, would treat
// the agent as stuck (ccc.Abnormal).
func (a AgentRow) Abnormal() bool { return a.HeldKnown && ccc.Abnormal(a.State, a.Held) }

// String is "Alice Wang (alice, ext 8001, RamId 1001) — Talking for 5h12m".
func (a AgentRow) String() string {
	held := ""
	if a.HeldKnown {
		held = " for " + FormatHeld(a.Held)
	}
	return fmt.Sprintf("%s (%s, ext %s, RamId %s) — %s%s", a.Name, a.LoginName, a.Extension, a.RamID, a.State, held)
}

// HeldText is the time in state rounded for people ("5h12m", "40s", "?").
func (a AgentRow) HeldText() string {
	if !a.HeldKnown {
		return "?"
	}
	return FormatHeld(a.Held)
}

// FormatHeld renders a duration as "2h40m", "12m", "40s".
func FormatHeld(d time.Duration) string {
	switch {
	case d >= time.Hour:
		d = d.Round(time.Minute)
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%02dm", h, m)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", int(d.Round(time.Minute).Minutes()))
	}
	return fmt.Sprintf("%ds", int(d.Round(time.Second).Seconds()))
}

// stateOrder sorts the board in ccc.States order: states that tie an agent
// to a call first.
var stateOrder = func() map[string]int {
	m := map[string]int{}
	for i, s := range ccc.States {
		m[s] = i
	}
	return m
}()

// KnownStates lists the agent states, busy ones first.
func KnownStates() []string { return append([]string(nil), ccc.States...) }

// AgentStateNames lists the states /agents-style filters accept (ccc.States),
// plus "stuck".
func AgentStateNames() []string { return append(append([]string(nil), ccc.States...), "stuck") }

// IsAgentState reports whether s names a state (any case) or "stuck".
func IsAgentState(s string) bool {
	for _, k := range AgentStateNames() {
		if strings.EqualFold(k, s) {
			return true
		}
	}
	return false
}

// readOK runs a read through Invoke and returns its shaped data. A failure
// is the registry's own *Error, so surfaces can show its kind and fix.
func (r *Registry) readOK(ctx context.Context, p policy.Principal, tool string, args map[string]any) (map[string]any, error) {
	res, err := r.Invoke(ctx, Invocation{Principal: p, Tool: tool, Args: args})
	if err != nil {
		return nil, err
	}
	if res.Status != StatusOK {
		return nil, &Error{Kind: KindDenied, Tool: res.Tool.Name, Message: fmt.Sprintf("the policy asks for a confirmation before %s, so this view cannot read it; call %s yourself to confirm it", res.Tool.Name, res.Tool.Name)}
	}
	return res.Data(), nil
}

// listPages reads every page of a paged list action: path names the paging
// object in the shaped result ("Users", "Data"), rows the list in it.
func (r *Registry) listPages(ctx context.Context, p policy.Principal, tool string, args map[string]any, path, rows string) ([]map[string]any, bool, error) {
	var out []map[string]any
	for page := int64(1); page <= maxFlowPages; page++ {
		a := make(map[string]any, len(args)+2)
		for k, v := range args {
			a[k] = v
		}
		a["PageNumber"], a["PageSize"] = page, int64(flowPageSize)
		data, err := r.readOK(ctx, p, tool, a)
		if err != nil {
			return nil, false, err
		}
		obj, _ := data[path].(map[string]any)
		list, _ := obj[rows].([]any)
		for _, it := range list {
			if m, ok := it.(map[string]any); ok {
				out = append(out, m)
			}
		}
		total, ok := num(obj["TotalCount"])
		if !ok || int64(len(out)) >= total || len(list) == 0 {
			return out, false, nil
		}
	}
	return out, true, nil
}

func str(m map[string]any, key string) string {
	switch v := m[key].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// AgentBoard lists the agents of an instance with their current state and
// time in state, stuck agents first (longest held first), then by state and
// login. stateFilter is a state name (any case), "stuck" or empty;
// groupFilter a skill group name or id, or empty. Stuck is the one
// definition of stuck.go.
func (r *Registry) AgentBoard(ctx context.Context, p policy.Principal, instance, stateFilter, groupFilter string) ([]AgentRow, error) {
	if stateFilter != "" && !IsAgentState(stateFilter) {
		return nil, &Error{Kind: KindInvalidArgs, Tool: "list_agent_states", Param: "state",
			Message: fmt.Sprintf("unknown state %q; use one of %s", stateFilter, strings.Join(AgentStateNames(), ", "))}
	}
	rows, err := r.agentRows(ctx, p, instance)
	if err != nil {
		return nil, err
	}
	if groupFilter != "" {
		var kept []AgentRow
		known := map[string]bool{}
		for _, a := range rows {
			for _, g := range a.Groups {
				known[g] = true
				if strings.EqualFold(g, groupFilter) {
					kept = append(kept, a)
					break
				}
			}
		}
		if len(kept) == 0 {
			names := make([]string, 0, len(known))
			for g := range known {
				names = append(names, g)
			}
			sort.Strings(names)
			return nil, &Error{Kind: KindInvalidArgs, Tool: "list_users", Param: "group",
				Message: fmt.Sprintf("no agent is in a skill group named %q; groups on %s: %s", groupFilter, instance, strings.Join(names, ", "))}
		}
		rows = kept
	}
	if stateFilter != "" {
		var kept []AgentRow
		for _, a := range rows {
			if (strings.EqualFold(stateFilter, "stuck") && a.Stuck) || strings.EqualFold(a.State, stateFilter) {
				kept = append(kept, a)
			}
		}
		rows = kept
	}
	return rows, nil
}

// agentRows joins ListUsers (identities, skill groups) with ListAgentStates
// (state, time in state) by login name, flags the stuck agents, and sorts
// the board.
func (r *Registry) agentRows(ctx context.Context, p policy.Principal, instance string) ([]AgentRow, error) {
	stuckAfter := r.StuckAfter()
	if instance == "" {
		instance = r.cfg.DefaultInstance
	}
	users, _, err := r.listPages(ctx, p, "ListUsers", map[string]any{"InstanceId": instance}, "Users", "List")
	if err != nil {
		return nil, err
	}
	states, _, err := r.listPages(ctx, p, "ListAgentStates", map[string]any{"InstanceId": instance}, "Data", "List")
	if err != nil {
		return nil, err
	}
	byLogin := map[string]map[string]any{}
	byID := map[string]map[string]any{}
	for _, s := range states {
		byLogin[strings.ToLower(str(s, "LoginName"))] = s
		byID[str(s, "AgentId")] = s
	}
	rows := make([]AgentRow, 0, len(users))
	for _, u := range users {
		detail, _ := u["Detail"].(map[string]any)
		a := AgentRow{UserID: str(u, "UserId"), RamID: str(u, "RamId"), LoginName: str(detail, "LoginName"), Name: str(detail, "DisplayName")}
		if lv, ok := u["SkillLevels"].([]any); ok {
			for _, it := range lv {
				m, _ := it.(map[string]any)
				sk, _ := m["Skill"].(map[string]any)
				if n := str(sk, "SkillGroupName"); n != "" {
					a.Groups = append(a.Groups, n)
				}
			}
		}
		s := byLogin[strings.ToLower(a.LoginName)]
		if s == nil {
			s = byID[a.UserID]
		}
		if s == nil {
			s = byID[a.RamID]
		}
		if s != nil {
			a.State, a.Extension = str(s, "State"), str(s, "Dn")
			a.Held, a.HeldKnown = ccc.ParseStateDuration(str(s, "StateDuration"))
			if a.Name == "" {
				a.Name = str(s, "AgentName")
			}
		}
		if a.State == "" {
			a.State = "Unknown"
		}
		if a.Why = stuckWhy(a, stuckAfter); a.Why != "" {
			a.Stuck = true
		}
		rows = append(rows, a)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Stuck != b.Stuck {
			return a.Stuck
		}
		if a.Stuck {
			return a.Held > b.Held
		}
		oa, ok := stateOrder[a.State]
		if !ok {
			oa = 6
		}
		ob, ok := stateOrder[b.State]
		if !ok {
			ob = 6
		}
		if oa != ob {
			return oa < ob
		}
		return a.LoginName < b.LoginName
	})
	return rows, nil
}

// ResolveError names the words that matched no agent (with suggestions)
// or more than one.
type ResolveError struct {
	Instance    string
	Unresolved  []string
	Suggestions map[string][]string // word → likely login names
	Ambiguous   map[string][]string // word → the agents it could mean
}

func (e *ResolveError) Error() string {
	var parts []string
	for _, w := range e.Unresolved {
		s := fmt.Sprintf("no agent on %s is %q", e.Instance, w)
		if sg := e.Suggestions[w]; len(sg) > 0 {
			s += " (did you mean " + strings.Join(sg, ", ") + "?)"
		}
		parts = append(parts, s)
	}
	words := make([]string, 0, len(e.Ambiguous))
	for w := range e.Ambiguous {
		words = append(words, w)
	}
	sort.Strings(words)
	for _, w := range words {
		parts = append(parts, fmt.Sprintf("%q matches several agents: %s; use a login name or extension", w, strings.Join(e.Ambiguous[w], ", ")))
	}
	return strings.Join(parts, "; ") + ". Agents are named by login name, display name, extension or RamId."
}

// ResolveAgents turns login names, display names, extensions or RamIds into
// agents with their current state, in the order given, without duplicates.
// Only exact matches (case aside) resolve: a reset must never guess. What
// does not resolve is returned as a *ResolveError with suggestions.
func (r *Registry) ResolveAgents(ctx context.Context, p policy.Principal, instance string, who []string) ([]AgentRow, error) {
	if instance == "" {
		instance = r.cfg.DefaultInstance
	}
	var words []string
	for _, w := range who {
		for _, part := range strings.Split(w, ",") {
			if part = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(part), "@")); part != "" {
				words = append(words, part)
			}
		}
	}
	if len(words) == 0 {
		return nil, &Error{Kind: KindInvalidArgs, Param: "agents", Message: "name at least one agent: a login name, display name, extension or RamId, comma-separated"}
	}
	rows, err := r.agentRows(ctx, p, instance)
	if err != nil {
		return nil, err
	}
	rerr := &ResolveError{Instance: instance, Suggestions: map[string][]string{}, Ambiguous: map[string][]string{}}
	seen := map[string]bool{}
	var out []AgentRow
	for _, w := range words {
		lw := strings.ToLower(w)
		var hits []AgentRow
		for _, a := range rows {
			if strings.EqualFold(a.LoginName, w) || a.Extension == w || a.RamID == w || a.UserID == w {
				hits = []AgentRow{a}
				break
			}
			if strings.EqualFold(a.Name, w) {
				hits = append(hits, a)
			}
		}
		switch len(hits) {
		case 0:
			rerr.Unresolved = append(rerr.Unresolved, w)
			rerr.Suggestions[w] = suggestAgents(rows, lw)
		case 1:
			if !seen[hits[0].RamID] {
				seen[hits[0].RamID] = true
				out = append(out, hits[0])
			}
		default:
			for _, h := range hits {
				rerr.Ambiguous[w] = append(rerr.Ambiguous[w], h.Label())
			}
		}
	}
	if len(rerr.Unresolved) > 0 || len(rerr.Ambiguous) > 0 {
		return nil, rerr
	}
	return out, nil
}

func suggestAgents(rows []AgentRow, w string) []string {
	type cand struct {
		login string
		score int
	}
	var cs []cand
	for _, a := range rows {
		login, name := strings.ToLower(a.LoginName), strings.ToLower(a.Name)
		score := -1
		switch {
		case strings.HasPrefix(login, w) || strings.Contains(name, w) || (len(login) >= 3 && strings.Contains(w, login)):
			score = 0
		default:
			if d := editDistance(login, w); d <= 2 {
				score = d
			}
		}
		if score >= 0 {
			cs = append(cs, cand{a.LoginName, score})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].score < cs[j].score })
	var out []string
	for _, c := range cs {
		if len(out) == 5 {
			break
		}
		out = append(out, c.login)
	}
	return out
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// ResetArgs are the ResetUserStatus arguments that reset exactly these
// agents on the instance.
func ResetArgs(instance string, agents []AgentRow) map[string]any {
	ids := make([]any, len(agents))
	for i, a := range agents {
		if n, err := strconv.ParseInt(a.RamID, 10, 64); err == nil {
			ids[i] = n // RamIdList is a list of integers
		} else {
			ids[i] = a.RamID // validation will name it
		}
	}
	return map[string]any{"InstanceId": instance, "RamIdList": ids}
}

// StateChange is an agent whose state is not the one shown earlier.
type StateChange struct {
	Before AgentRow
	Now    AgentRow // zero when the agent is gone
}

func (c StateChange) String() string {
	if c.Now.RamID == "" {
		return fmt.Sprintf("%s is no longer on the instance", c.Before.Label())
	}
	return fmt.Sprintf("%s was %s for %s, now %s for %s", c.Before.Label(), c.Before.State, c.Before.HeldText(), c.Now.State, c.Now.HeldText())
}

// CheckUnchanged re-reads the agents shown in a preview and reports those
// whose state differs: another state, or the same state entered again
// since (its time in state went down). It returns the current rows in the
// order shown.
func (r *Registry) CheckUnchanged(ctx context.Context, p policy.Principal, instance string, shown []AgentRow) ([]AgentRow, []StateChange, error) {
	rows, err := r.agentRows(ctx, p, instance)
	if err != nil {
		return nil, nil, err
	}
	byRam := map[string]AgentRow{}
	for _, a := range rows {
		byRam[a.RamID] = a
	}
	var current []AgentRow
	var changed []StateChange
	for _, before := range shown {
		now, ok := byRam[before.RamID]
		if !ok {
			changed = append(changed, StateChange{Before: before})
			continue
		}
		current = append(current, now)
		same := now.State == before.State
		if same && before.HeldKnown && now.HeldKnown && now.Held+2*time.Second < before.Held {
			same = false // left the state and came back
		}
		if !same {
			changed = append(changed, StateChange{Before: before, Now: now})
		}
	}
	return current, changed, nil
}

// CallRow is one call detail record.
type CallRow struct {
	ContactID    string
	Start        time.Time
	Type         string // Inbound, Outbound, …
	Disposition  string
	Caller       string
	Callee       string
	Agent        string
	SkillGroup   string
	Duration     time.Duration
	Recorded     bool
	Satisfaction string
}

// CallLogResult is a call log: the rows (newest first, at most the limit)
// and how many matched in all.
type CallLogResult struct {
	Since, Until time.Time
	Rows         []CallRow
	Matched      int  // rows that matched in the records read
	Partial      bool // more records existed than a flow reads; narrow the window
}

// CallLog lists finished calls since a time, newest first, optionally only
// those an agent took (login, name, extension or RamId) or with a number
// (the whole number, or its last digits when fewer than 7 are given).
// limit ≤ 0 means 200.
func (r *Registry) CallLog(ctx context.Context, p policy.Principal, instance string, since time.Time, agent, number string, limit int) (*CallLogResult, error) {
	if instance == "" {
		instance = r.cfg.DefaultInstance
	}
	if limit <= 0 {
		limit = 200
	}
	// The log's times are the call center's, as the MCP tools show them.
	zone := r.Zone()
	now := r.cfg.Now().In(zone)
	if since.IsZero() {
		since = now.Add(-time.Hour)
	}
	since = since.In(zone)
	if !since.Before(now) {
		return nil, &Error{Kind: KindInvalidArgs, Tool: "list_call_detail_records", Param: "since", Message: "since must be in the past, e.g. since=1h, since=today or since=2026-03-01"}
	}
	var who *AgentRow
	if agent != "" {
		rows, err := r.ResolveAgents(ctx, p, instance, []string{agent})
		if err != nil {
			return nil, err
		}
		if len(rows) != 1 {
			return nil, &Error{Kind: KindInvalidArgs, Param: "agent", Message: "name one agent with agent="}
		}
		who = &rows[0]
	}
	digits := onlyDigits(number)
	if number != "" && digits == "" {
		return nil, &Error{Kind: KindInvalidArgs, Param: "number", Message: fmt.Sprintf("number=%q has no digits; give a phone number or its last digits", number)}
	}
	args := map[string]any{"InstanceId": instance, "StartTime": since.UnixMilli(), "StopTime": now.Add(time.Minute).UnixMilli()}
	if len(digits) >= 7 {
		args["PhoneNumber"] = digits // what the filter below matches, without spaces or dashes
	}
	records, partial, err := r.listPages(ctx, p, "ListCallDetailRecords", args, "CallDetailRecords", "List")
	if err != nil {
		return nil, err
	}
	res := &CallLogResult{Since: since, Until: now, Partial: partial}
	for _, m := range records {
		row := callRow(m, zone)
		if who != nil && !callBy(m, row, *who) {
			continue
		}
		if digits != "" && !strings.HasSuffix(onlyDigits(row.Caller), digits) && !strings.HasSuffix(onlyDigits(row.Callee), digits) {
			continue
		}
		res.Rows = append(res.Rows, row)
	}
	sort.SliceStable(res.Rows, func(i, j int) bool { return res.Rows[i].Start.After(res.Rows[j].Start) })
	res.Matched = len(res.Rows)
	if len(res.Rows) > limit {
		res.Rows = res.Rows[:limit]
	}
	return res, nil
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func callRow(m map[string]any, zone *time.Location) CallRow {
	row := CallRow{ContactID: str(m, "ContactId"), Type: str(m, "ContactType"), Disposition: str(m, "ContactDisposition"),
		Caller: str(m, "CallingNumber"), Callee: str(m, "CalledNumber"), Agent: str(m, "AgentNames"), SkillGroup: str(m, "SkillGroupNames"),
		Satisfaction: str(m, "SatisfactionDesc")}
	if ms, ok := num(m["StartTime"]); ok {
		row.Start = time.UnixMilli(ms).In(zone)
	}
	if d, ok := num(m["Duration"]); ok {
		row.Duration = time.Duration(d) * time.Second
	}
	if recs, ok := m["Recordings"].([]any); ok && len(recs) > 0 {
		row.Recorded = true
	}
	return row
}

func callBy(m map[string]any, row CallRow, a AgentRow) bool {
	if ags, ok := m["Agents"].([]any); ok {
		for _, it := range ags {
			am, _ := it.(map[string]any)
			if id := str(am, "AgentId"); id != "" && (id == a.UserID || id == a.RamID) {
				return true
			}
		}
	}
	for _, n := range strings.Split(row.Agent, ",") {
		if n = strings.TrimSpace(n); n != "" && (strings.EqualFold(n, a.Name) || strings.EqualFold(n, a.LoginName)) {
			return true
		}
	}
	return false
}

// CallEvent is one step of a call.
type CallEvent struct {
	Time     string
	Event    string
	Agent    string
	Status   string
	Duration time.Duration
}

// Recording is one recording file and a time-limited link to it.
type Recording struct {
	FileName string
	URL      string
}

// Utterance is one line of a call's transcript.
type Utterance struct {
	At       time.Duration // from the start of the conversation
	Role     string        // Agent or Customer
	Identity string
	Words    string
}

// CallStory is one call: its events, recordings and transcript.
type CallStory struct {
	ContactID     string
	Type          string
	Caller        string
	Callee        string
	Start         string
	ReleaseReason string
	ReleaseAgent  string
	Events        []CallEvent
	Recordings    []Recording
	Transcript    []Utterance
	// Notes say which optional parts could not be read, and why.
	Notes []string
}

// CallDetail reads one call's events (ListCallEventDetailByContactId), its
// recording links (DownloadAllTypeRecording) and its transcript
// (GetConversationDetailByContactId). The events must be readable; the
// recordings and transcript are best effort and a failure is kept in Notes.
func (r *Registry) CallDetail(ctx context.Context, p policy.Principal, instance, contactID string) (*CallStory, error) {
	if instance == "" {
		instance = r.cfg.DefaultInstance
	}
	contactID = strings.TrimSpace(contactID)
	if contactID == "" {
		return nil, &Error{Kind: KindInvalidArgs, Param: "ContactId", Message: "name the call by its ContactId; /ccc calls lists recent ones"}
	}
	data, err := r.readOK(ctx, p, "ListCallEventDetailByContactId", map[string]any{"InstanceId": instance, "ContactId": contactID})
	if err != nil {
		var te *Error
		if errors.As(err, &te) && te.CCC != nil && te.CCC.HTTPStatus == 404 {
			te.Message += "; check the ContactId with /ccc calls"
		}
		return nil, err
	}
	d, _ := data["Data"].(map[string]any)
	st := &CallStory{ContactID: contactID, Type: str(d, "CallType"), Caller: str(d, "Caller"), Callee: str(d, "Callee"),
		Start: str(d, "StartTime"), ReleaseReason: str(d, "ReleaseReason"), ReleaseAgent: str(d, "ReleaseAgent")}
	if evs, ok := d["Events"].([]any); ok {
		for _, it := range evs {
			m, _ := it.(map[string]any)
			ev := CallEvent{Time: str(m, "TimeStamp"), Event: str(m, "Event"), Agent: str(m, "AgentName"), Status: str(m, "Status")}
			if n, ok := num(m["Duration"]); ok {
				ev.Duration = time.Duration(n) * time.Second
			}
			st.Events = append(st.Events, ev)
		}
	}
	if rec, err := r.readOK(ctx, p, "DownloadAllTypeRecording", map[string]any{"InstanceId": instance, "ContactId": contactID}); err != nil {
		st.Notes = append(st.Notes, "recordings could not be read: "+err.Error())
	} else if list, ok := rec["MediaDownloadParamList"].([]any); ok {
		for _, it := range list {
			m, _ := it.(map[string]any)
			st.Recordings = append(st.Recordings, Recording{FileName: str(m, "FileName"), URL: str(m, "SignatureUrl")})
		}
	}
	phrases, _, err := r.listPages(ctx, p, "GetConversationDetailByContactId", map[string]any{"InstanceId": instance, "ContactId": contactID}, "DataList", "List")
	if err != nil {
		st.Notes = append(st.Notes, "the transcript could not be read: "+err.Error())
	}
	for _, m := range phrases {
		u := Utterance{Role: str(m, "Role"), Identity: str(m, "Identity"), Words: str(m, "Words")}
		if b, ok := num(m["Begin"]); ok {
			u.At = time.Duration(b) * time.Millisecond
		}
		st.Transcript = append(st.Transcript, u)
	}
	return st, nil
}
