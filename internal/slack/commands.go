package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/schema"
	"github.com/cccops/cccops/internal/tools"
)

// request is one slash command, from HTTP or Socket Mode.
type request struct {
	cmd  slack.SlashCommand
	p    principalInfo
	to   target
	text string
}

type principalInfo struct {
	teamID, userID, name string
}

// Command handles a verified slash command and returns the acknowledgement
// to send at once (within Slack's 3 seconds). Work that calls CCC runs in
// the background and answers through the response_url.
func (b *Bot) Command(cmd slack.SlashCommand) *Message {
	words, err := splitWords(cmd.Text)
	if err != nil {
		return errorMessage(err.Error(), "Close the quote, or leave quotes out.")
	}
	req := request{cmd: cmd, p: principalInfo{cmd.TeamID, cmd.UserID, cmd.UserName},
		to: target{ResponseURL: cmd.ResponseURL, ChannelID: cmd.ChannelID, UserID: cmd.UserID}, text: cmd.Text}
	if len(words) == 0 {
		return b.helpOverview()
	}
	verb, rest := strings.ToLower(words[0]), words[1:]
	switch verb {
	case "help", "-h", "--help", "?":
		if len(rest) == 0 {
			return b.helpOverview()
		}
		return b.helpTopic(rest[0])
	case "agents":
		return b.agentsCommand(req, rest)
	case "reset":
		return b.resetCommand(req, rest)
	case "calls":
		return b.callsCommand(req, rest)
	case "call":
		return b.callCommand(req, rest)
	case "status":
		return b.statusCommand(req, rest)
	case "report":
		return b.reportCommand(req, rest)
	}
	return b.toolCommand(req, words[0], rest)
}

func (b *Bot) command(req request) string {
	c := req.cmd.Command
	if c == "" {
		c = "/ccc"
	}
	return c
}

func working(what string) *Message {
	return &Message{ResponseType: Ephemeral, Text: "Working on " + what + "…"}
}

// splitWords splits command text at spaces, keeping "quoted text" together.
// Slack escapes &, < and > and may turn quotes into typographic ones.
func splitWords(s string) ([]string, error) {
	s = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "“", `"`, "”", `"`, "‘", "'", "’", "'").Replace(s)
	var out []string
	var cur strings.Builder
	var quote rune
	has := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote == 0 && (r == '"' || r == '\''):
			quote, has = r, true
		case quote == 0 && (r == ' ' || r == '\t' || r == '\n'):
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed quote %c in the command", quote)
	}
	if has {
		out = append(out, cur.String())
	}
	return out, nil
}

// options splits words into Key=Value options (keys lower-cased) and the
// other words.
func options(words []string) (map[string]string, []string) {
	opts := map[string]string{}
	var rest []string
	for _, w := range words {
		if k, v, ok := strings.Cut(w, "="); ok && k != "" {
			opts[strings.ToLower(k)] = v
			continue
		}
		rest = append(rest, w)
	}
	return opts, rest
}

func unknownOptions(opts map[string]string, allowed ...string) error {
	var bad []string
	for k := range opts {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("unknown option %s; this command takes %s", strings.Join(bad, ", "), strings.Join(allowed, "=, ")+"=")
}

// ---- help ----

var flowHelp = map[string]string{
	"agents": "`/ccc agents [state] [group]` — every agent with their state and time in it; stuck agents (" + tools.StuckRule + "; or any state but Ready/Offline held longer than the threshold) first. `state` is one of " + strings.Join(tools.AgentStateNames(), ", ") + "; `group` a skill group name. Options: `state=`, `group=`, `instance=`.\nExample: `/ccc agents stuck`, `/ccc agents talking Billing`",
	"reset":  "`/ccc reset <login|name|extension>[,...]` — shows the agents' current state with Confirm and Cancel buttons; on Confirm the states are read again, and if any changed since the preview nothing runs; otherwise ResetUserStatus sets them back to a normal state. Names are exact (login, display name, extension or RamId), comma-separated.\nExample: `/ccc reset mallory,trent`",
	"calls":  "`/ccc calls [since=1h] [agent=...] [number=...]` — call detail records, newest first. Numbers are masked to the last 4 digits in the channel; you get the full numbers privately. More than 20 calls come as a CSV file. `since` takes 30m, 1h, 7d, today, yesterday or a date; `number` a whole number or its last digits. Option `instance=`.\nExample: `/ccc calls since=2h agent=alice`",
	"call":   "`/ccc call <contact-id>` — one call's events, recording link(s) and transcript, shown only to you. The contact id is the last column of `/ccc calls`.\nExample: `/ccc calls since=1h`, then `/ccc call` with an id from its last column.",
}

func (b *Bot) helpOverview() *Message {
	var bl builder
	bl.header("cccops — Alibaba Cloud Call Center from Slack")
	bl.section(fmt.Sprintf("Default instance: `%s`. Reads run at once; anything that changes the call center or reaches people shows a preview with Confirm and Cancel buttons first.", esc(b.cfg.Instance)))
	bl.section("*On call*\n• " + flowHelp["agents"] + "\n• " + flowHelp["reset"])
	bl.section("• " + flowHelp["status"] + "\n• " + flowHelp["report"])
	bl.section("• " + flowHelp["calls"] + "\n• " + flowHelp["call"])
	all := b.reg.Tools()
	bl.section(fmt.Sprintf("*Every CCC action (%d)*: `/ccc <tool or Action> Key=Value ...` — lists take commas (`RamIdList=1,2`), times take 1h, 7d, today or a date, values with spaces take quotes. `/ccc help <tool>` shows a tool's parameters and an example.", len(all)))
	var lines []string
	for _, set := range tools.Toolsets(all) {
		var names []string
		for _, t := range all {
			if t.Toolset == set {
				names = append(names, "`"+t.Name+"`")
			}
		}
		lines = append(lines, fmt.Sprintf("*%s*: %s", set, strings.Join(names, " ")))
	}
	bl.lines(strings.Join(lines, "\n"))
	return &Message{ResponseType: Ephemeral, Text: "cccops help", Blocks: bl.done()}
}

func (b *Bot) helpTopic(topic string) *Message {
	if h, ok := flowHelp[strings.ToLower(topic)]; ok {
		return textMessage(Ephemeral, h)
	}
	t, ok := b.reg.Lookup(topic)
	if !ok {
		return b.unknownTool(topic)
	}
	return b.toolHelp(t)
}

func (b *Bot) toolHelp(t *tools.Tool) *Message {
	var bl builder
	bl.header(t.Title)
	bl.section(fmt.Sprintf("`%s` (CCC action `%s`) · toolset *%s* · access *%s*", t.Name, t.Action, t.Toolset, t.Access))
	bl.code(escCode(b.usage(t, "/ccc")))
	return &Message{ResponseType: Ephemeral, Text: "Usage of " + t.Name, Blocks: bl.done()}
}

func (b *Bot) unknownTool(name string) *Message {
	msg := fmt.Sprintf("unknown command or tool %q", name)
	if hits := b.reg.Find(strings.NewReplacer("_", " ", "-", " ").Replace(name), 3); len(hits) > 0 {
		var names []string
		for _, h := range hits {
			names = append(names, h.Name)
		}
		msg += "; did you mean " + strings.Join(names, ", ") + "?"
	}
	return errorMessage(msg, "`/ccc help` lists the commands and every tool.")
}

// ---- any tool ----

func (b *Bot) toolCommand(req request, name string, words []string) *Message {
	t, ok := b.reg.Lookup(name)
	if !ok {
		return b.unknownTool(name)
	}
	args, err := schema.Coerce(t.Input(), words, b.cfg.Now())
	if err != nil {
		var ve *schema.ValidationError
		problem := err.Error()
		te := &tools.Error{Kind: tools.KindInvalidArgs, Tool: t.Name}
		if errors.As(err, &ve) && ve.Param != "" {
			te.Param = ve.Param
			if !strings.Contains(problem, ve.Param) {
				problem = ve.Param + ": " + problem
			}
		}
		te.Message = problem
		return invalidArgs(te, b.usage(t, b.command(req)))
	}
	p := principal(req.p.teamID, req.p.userID, req.p.name)
	b.spawn(func(ctx context.Context) {
		p := b.withGroups(ctx, p, req.p.userID)
		meta := slackMeta{Kind: kindGeneric, UserID: req.p.userID, ChannelID: req.to.ChannelID,
			Command: strings.TrimSpace(b.command(req) + " " + req.text)}
		res, err := b.reg.Invoke(ctx, tools.Invocation{Principal: p, Tool: t.Name, Args: args, CanAsk: true, Meta: meta.encode()})
		if err != nil {
			b.reply(ctx, req.to, errorFor(err, b.usage(t, b.command(req))))
			return
		}
		if res.Status == tools.StatusPending {
			pr := b.pendingOf(res, p, meta)
			b.showPending(ctx, req.to, &pr, t.Title+"?", res.Pending.Reason, "")
			return
		}
		b.reply(ctx, req.to, resultMessage(res, Ephemeral))
	})
	return working("`" + t.Name + "`")
}

// resultMessage renders a tool result. Secret results are always ephemeral.
func resultMessage(res *tools.Result, kind string) *Message {
	if res.Secret {
		kind = Ephemeral
	}
	var bl builder
	bl.header(res.Tool.Title)
	pretty, err := json.MarshalIndent(res.Data(), "", "  ")
	if err != nil {
		pretty = []byte(res.Text)
	}
	bl.code(escCode(string(pretty)))
	var notes []string
	if res.NextPage != "" {
		notes = append(notes, "Next page: "+esc(res.NextPage))
	}
	if res.Secret {
		notes = append(notes, "Contains credentials: shown only to you. Do not paste it into a channel.")
	}
	if res.RequestID != "" {
		notes = append(notes, "RequestId "+esc(res.RequestID))
	}
	if len(notes) > 0 {
		bl.context(strings.Join(notes, " · "))
	}
	return &Message{ResponseType: kind, Text: res.Tool.Title, Blocks: bl.done()}
}

// previewMessage is the confirmation request: what will happen, for whom,
// and Confirm (danger style, with Slack's confirm dialog) and Cancel
// buttons whose value is only the pending request's opaque id.
func (b *Bot) previewMessage(p *pendingRequest, title, preview, reason, tableText string) *Message {
	id := p.ID
	var bl builder
	bl.header(title)
	bl.section(fmt.Sprintf("%s asks to run `%s` on `%s`.", mention(p.UserID), p.Tool, esc(p.Instance)))
	if tableText != "" {
		bl.codeTable(tableText)
	}
	if preview != "" {
		bl.lines(quote(esc(preview)))
	}
	who := fmt.Sprintf("Only %s can confirm.", mention(p.UserID))
	if p.FourEyes {
		who = fmt.Sprintf("Four eyes: someone other than %s who holds an approver role must confirm.", mention(p.UserID))
	}
	if reason != "" {
		who += " Why: " + esc(reason) + "."
	}
	bl.context(fmt.Sprintf("%s Nothing runs until then. Expires <!date^%d^{time}|%s>.", who, p.ExpiresAt.Unix(), p.ExpiresAt.UTC().Format("15:04 UTC")))
	confirm := slack.NewButtonBlockElement("ccc_confirm", id, plain("Confirm")).WithStyle(slack.StyleDanger).
		WithConfirm(slack.NewConfirmationBlockObject(plain("Run "+clip(p.Tool, 60)+"?"),
			plain(clip("This runs "+p.Tool+" on "+p.Instance+" exactly as previewed. It cannot be undone here.", 300)),
			plain("Run it"), plain("Back")).WithStyle(slack.StyleDanger))
	cancel := slack.NewButtonBlockElement("ccc_cancel", id, plain("Cancel"))
	bl.add(slack.NewActionBlock("ccc_pending", confirm, cancel))
	return &Message{ResponseType: InChannel, Text: title, Blocks: bl.done()}
}

func quote(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}

// ---- agents ----

func (b *Bot) agentsCommand(req request, words []string) *Message {
	opts, rest := options(words)
	if err := unknownOptions(opts, "state", "group", "instance"); err != nil {
		return errorMessage(err.Error(), flowHelp["agents"])
	}
	state, group := opts["state"], opts["group"]
	if state == "" && len(rest) > 0 && tools.IsAgentState(rest[0]) {
		state, rest = rest[0], rest[1:]
	}
	if group == "" && len(rest) > 0 {
		group = strings.Join(rest, " ")
	}
	inst := b.instanceOr(opts["instance"])
	p := principal(req.p.teamID, req.p.userID, req.p.name)
	b.spawn(func(ctx context.Context) {
		p := b.withGroups(ctx, p, req.p.userID)
		rows, err := b.reg.AgentBoard(ctx, p, inst, state, group)
		if err != nil {
			b.reply(ctx, req.to, errorFor(err, ""))
			return
		}
		b.reply(ctx, req.to, b.boardMessage(inst, state, group, rows))
	})
	return working("the agent board")
}

func (b *Bot) boardMessage(inst, state, group string, rows []tools.AgentRow) *Message {
	var bl builder
	title := "Agents on " + inst
	if state != "" || group != "" {
		title += " (" + strings.TrimSpace(state+" "+group) + ")"
	}
	bl.header(title)
	counts := map[string]int{}
	var stuck []tools.AgentRow
	for _, r := range rows {
		counts[r.State]++
		if r.Stuck {
			stuck = append(stuck, r)
		}
	}
	var parts []string
	for _, s := range append(tools.KnownStates(), "Unknown") {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, counts[s]))
		}
	}
	bl.section(fmt.Sprintf("%d agents · *%d stuck* · %s", len(rows), len(stuck), strings.Join(parts, " · ")))
	if len(rows) == 0 {
		bl.section("No agent matches.")
		return &Message{ResponseType: Ephemeral, Text: title, Blocks: bl.done()}
	}
	threshold := tools.FormatHeld(b.reg.StuckAfter())
	if len(stuck) > 0 {
		// One line per agent says which way it is stuck; the rule itself
		// is said once, below the list.
		var lines, logins, normal []string
		abnormal := 0
		for _, r := range stuck {
			why := "abnormal"
			if r.Abnormal() {
				abnormal++
			} else {
				why = "over the " + threshold + " threshold"
				normal = append(normal, r.LoginName)
			}
			lines = append(lines, fmt.Sprintf(":rotating_light: *%s* — %s for %s (%s)", esc(r.Label()), esc(r.State), esc(r.HeldText()), why))
			logins = append(logins, r.LoginName)
		}
		bl.lines(strings.Join(lines, "\n"))
		var rule []string
		if abnormal > 0 {
			rule = append(rule, "*abnormal*: "+esc(tools.StuckRule))
		}
		if len(normal) > 0 {
			rule = append(rule, "*over the threshold*: "+esc(b.reg.ThresholdRule()))
		}
		hint := fmt.Sprintf("Reset them with `/ccc reset %s` (you will see a preview first): a reset by name clears each agent named.", esc(strings.Join(logins, ",")))
		if len(normal) > 0 {
			hint += fmt.Sprintf(" Only a reset by name clears %s: a normal state held too long, which a blanket ResetUserStatus (no names given) leaves as it is.", esc(strings.Join(normal, ", ")))
		}
		bl.context("Stuck means\n• " + strings.Join(rule, "\n• ") + "\n" + hint)
	}
	head := []string{"", "login", "name", "ext", "state", "for", "groups"}
	var cells [][]string
	for _, r := range rows {
		flag := ""
		if r.Stuck {
			flag = "!"
		}
		cells = append(cells, []string{flag, r.LoginName, r.Name, r.Extension, r.State, r.HeldText(), strings.Join(r.Groups, ",")})
	}
	bl.codeTable(table(head, cells))
	if len(stuck) == 0 {
		bl.context("Stuck would mean " + esc(b.reg.StuckDefinition()) + ".")
	} else {
		bl.context("`!` marks the stuck agents above.")
	}
	return &Message{ResponseType: Ephemeral, Text: title, Blocks: bl.done()}
}

// ---- reset ----

func agentTable(rows []tools.AgentRow) string {
	head := []string{"login", "name", "ext", "state", "for"}
	var cells [][]string
	for _, r := range rows {
		cells = append(cells, []string{r.LoginName, r.Name, r.Extension, r.State, r.HeldText()})
	}
	return table(head, cells)
}

func (b *Bot) resetCommand(req request, words []string) *Message {
	opts, rest := options(words)
	if err := unknownOptions(opts, "instance"); err != nil {
		return errorMessage(err.Error(), flowHelp["reset"])
	}
	names := strings.Join(rest, " ")
	if strings.TrimSpace(strings.ReplaceAll(names, ",", "")) == "" {
		return errorMessage("name the agents to reset", flowHelp["reset"])
	}
	inst := b.instanceOr(opts["instance"])
	p := principal(req.p.teamID, req.p.userID, req.p.name)
	b.spawn(func(ctx context.Context) {
		p := b.withGroups(ctx, p, req.p.userID)
		rows, err := b.reg.ResolveAgents(ctx, p, inst, []string{names})
		if err != nil {
			b.reply(ctx, req.to, errorFor(err, ""))
			return
		}
		args := tools.ResetArgs(inst, rows)
		meta := slackMeta{Kind: kindReset, UserID: req.p.userID, ChannelID: req.to.ChannelID,
			Command: strings.TrimSpace(b.command(req) + " " + req.text), Instance: inst, Shown: rows}
		res, err := b.reg.Invoke(ctx, tools.Invocation{Principal: p, Tool: "ResetUserStatus", Args: args, CanAsk: true, Meta: meta.encode()})
		if err != nil {
			b.reply(ctx, req.to, errorFor(err, ""))
			return
		}
		if res.Status == tools.StatusOK { // the policy lets this principal reset without a confirmation
			now, _, _ := b.reg.CheckUnchanged(ctx, p, inst, rows)
			b.reply(ctx, req.to, resetDone(req.p.userID, req.p.userID, inst, rows, now, "the policy allows it without a confirmation"))
			return
		}
		pr := b.pendingOf(res, p, meta)
		title := fmt.Sprintf("Reset %d agent(s)?", len(rows))
		b.showPending(ctx, req.to, &pr, title, res.Pending.Reason, agentTable(rows))
	})
	return working("the reset preview")
}

func resetDone(clicker, requester, inst string, before, now []tools.AgentRow, note string) *Message {
	var bl builder
	bl.header(fmt.Sprintf("Reset %d agent(s) on %s", len(before), inst))
	line := fmt.Sprintf(":white_check_mark: Reset by %s", mention(clicker))
	if requester != clicker {
		line += fmt.Sprintf(", asked by %s", mention(requester))
	}
	if note != "" {
		line += " (" + note + ")"
	}
	bl.section(line + ".")
	byRam := map[string]tools.AgentRow{}
	for _, r := range now {
		byRam[r.RamID] = r
	}
	head := []string{"login", "name", "before", "now"}
	var cells [][]string
	for _, r := range before {
		after := "(could not be read)"
		if n, ok := byRam[r.RamID]; ok {
			after = n.State + " for " + n.HeldText()
		}
		cells = append(cells, []string{r.LoginName, r.Name, r.State + " for " + r.HeldText(), after})
	}
	bl.codeTable(table(head, cells))
	return &Message{ResponseType: InChannel, ReplaceOriginal: true, Text: "Agents reset", Blocks: bl.done()}
}

// ---- calls ----

func (b *Bot) callsCommand(req request, words []string) *Message {
	opts, rest := options(words)
	if err := unknownOptions(opts, "since", "agent", "number", "instance"); err != nil {
		return errorMessage(err.Error(), flowHelp["calls"])
	}
	if len(rest) > 0 {
		return errorMessage(fmt.Sprintf("unexpected %q", strings.Join(rest, " ")), flowHelp["calls"])
	}
	now := b.cfg.Now()
	since := now.Add(-time.Hour)
	if s := opts["since"]; s != "" {
		t, err := schema.ParseTimeIn(s, now, b.reg.Zone())
		if err != nil {
			return errorMessage(fmt.Sprintf("since=%s: %v", s, err), "Use 30m, 1h, 7d, today, yesterday or a date such as 2026-03-01.")
		}
		since = t
	}
	inst := b.instanceOr(opts["instance"])
	p := principal(req.p.teamID, req.p.userID, req.p.name)
	b.spawn(func(ctx context.Context) {
		p := b.withGroups(ctx, p, req.p.userID)
		log, err := b.reg.CallLog(ctx, p, inst, since, opts["agent"], opts["number"], 1000)
		if err != nil {
			b.reply(ctx, req.to, errorFor(err, ""))
			return
		}
		b.sendCalls(ctx, req, inst, opts, log)
	})
	return working("the call log")
}

func callCells(rows []tools.CallRow, mask bool) [][]string {
	var cells [][]string
	for _, r := range rows {
		from, to := r.Caller, r.Callee
		if mask {
			from, to = policy.MaskPhone(from), policy.MaskPhone(to)
		}
		dir := r.Type
		if len(dir) > 3 {
			dir = dir[:3]
		}
		cells = append(cells, []string{r.Start.Format("01-02 15:04"), dir, from, to, r.Agent, r.Disposition, tools.FormatHeld(r.Duration), r.ContactID})
	}
	return cells
}

var callHead = []string{"time", "dir", "from", "to", "agent", "result", "dur", "contact id"}

func (b *Bot) callsSummary(req request, inst string, opts map[string]string, log *tools.CallLogResult, mask bool) string {
	filters := ""
	if a := opts["agent"]; a != "" {
		filters += " · agent " + esc(a)
	}
	if n := opts["number"]; n != "" {
		if mask {
			n = policy.MaskPhone(n)
		}
		filters += " · number " + esc(n)
	}
	s := fmt.Sprintf("%d call(s) on `%s` since %s%s, newest first (asked by %s; times %s).", log.Matched, esc(inst),
		log.Since.Format("2006-01-02 15:04"), filters, mention(req.p.userID), b.reg.Zone())
	if log.Matched > len(log.Rows) {
		s += fmt.Sprintf(" Showing the newest %d.", len(log.Rows))
	}
	if log.Partial {
		s += " More records exist than one request reads; narrow `since` for the rest."
	}
	return s
}

func (b *Bot) sendCalls(ctx context.Context, req request, inst string, opts map[string]string, log *tools.CallLogResult) {
	if len(log.Rows) == 0 {
		b.reply(ctx, req.to, textMessage(Ephemeral, fmt.Sprintf("No calls on `%s` since %s match.", esc(inst), log.Since.Format("2006-01-02 15:04"))))
		return
	}
	private := func(note string) *Message { return privateRows(log.Rows, note) }
	if len(log.Rows) <= b.cfg.CSVThreshold {
		var bl builder
		bl.section(b.callsSummary(req, inst, opts, log, true) + " Numbers masked to the last 4 digits.")
		bl.codeTable(table(callHead, callCells(log.Rows, true)))
		b.reply(ctx, req.to, &Message{ResponseType: InChannel, Text: "Call log", Blocks: bl.done()})
		b.reply(ctx, req.to, private(""))
		return
	}
	// Too many for a message: a CSV file (numbers masked) in the channel.
	summary := b.callsSummary(req, inst, opts, log, true) + " Numbers masked to the last 4 digits; the CSV file has every row."
	err := b.uploadCSV(ctx, req.to.ChannelID, "calls-"+log.Since.UTC().Format("20060102-1504")+".csv", "Call log "+inst, summary, callsCSV(log.Rows))
	if err == nil {
		b.reply(ctx, req.to, private("The channel got the masked CSV file."))
		return
	}
	// No file: show the newest rows that fit a message, and say how to get
	// the file. Without a bot token there is nothing to retry.
	shown := log.Rows[:b.cfg.CSVThreshold]
	next := fmt.Sprintf("For all %d rows as a CSV file, whoever runs the bot sets SLACK_BOT_TOKEN (its xoxb- token, with the files:write scope). Or narrow the request (`since=30m`, `agent=`, `number=`).", len(log.Rows))
	why := "no bot token is configured"
	if b.cfg.BotToken != "" {
		why = "the CSV upload failed: " + err.Error()
		next = fmt.Sprintf("For all %d rows as a CSV file, invite the bot to this channel (`/invite @cccops`) and check that SLACK_BOT_TOKEN has the files:write scope. Or narrow the request (`since=30m`, `agent=`, `number=`).", len(log.Rows))
	}
	var bl builder
	bl.section(b.callsSummary(req, inst, opts, log, true) + fmt.Sprintf(" Numbers masked to the last 4 digits. *Showing the newest %d of %d* here: %s.", len(shown), len(log.Rows), esc(why)))
	bl.codeTable(table(callHead, callCells(shown, true)))
	bl.context(next)
	b.reply(ctx, req.to, &Message{ResponseType: InChannel, Text: "Call log (first rows)", Blocks: bl.done()})
	b.reply(ctx, req.to, privateRows(shown, fmt.Sprintf("The newest %d of %d.", len(shown), len(log.Rows))))
}

// privateRows is the requester's copy of call rows, with full numbers.
func privateRows(rows []tools.CallRow, note string) *Message {
	var bl builder
	bl.section("*Full numbers, only for you.* " + note)
	bl.codeTable(table(callHead, callCells(rows, false)))
	bl.context("Details of one call: `/ccc call` and its contact id (the last column).")
	return &Message{ResponseType: Ephemeral, Text: "Calls with full numbers", Blocks: bl.done()}
}

// upload shares a file in a channel with Slack's external upload pair
// (files.getUploadURLExternal, then files.completeUploadExternal). p names
// the file and carries its bytes; Channel is set here.
func (b *Bot) upload(ctx context.Context, channel string, p slack.UploadFileParameters) error {
	if b.api == nil || b.cfg.BotToken == "" {
		return errors.New("no bot token is configured")
	}
	if channel == "" {
		return errors.New("no channel to upload to")
	}
	p.Channel = channel
	return b.webAPI(ctx, "files upload", func() error {
		_, err := b.api.UploadFileContext(ctx, p)
		return err
	})
}

// uploadCSV shares a CSV file in a channel with an initial comment.
func (b *Bot) uploadCSV(ctx context.Context, channel, name, title, comment, content string) error {
	return b.upload(ctx, channel, slack.UploadFileParameters{Filename: name, Title: title, Content: content, FileSize: len(content), InitialComment: comment})
}

// ---- one call ----

func (b *Bot) callCommand(req request, words []string) *Message {
	opts, rest := options(words)
	if err := unknownOptions(opts, "instance"); err != nil || len(rest) != 1 {
		return errorMessage("name one call by its contact id", flowHelp["call"])
	}
	id, inst := rest[0], b.instanceOr(opts["instance"])
	p := principal(req.p.teamID, req.p.userID, req.p.name)
	b.spawn(func(ctx context.Context) {
		p := b.withGroups(ctx, p, req.p.userID)
		st, err := b.reg.CallDetail(ctx, p, inst, id)
		if err != nil {
			b.reply(ctx, req.to, errorFor(err, ""))
			return
		}
		b.reply(ctx, req.to, callMessage(inst, st))
	})
	return working("call " + id)
}

func callMessage(inst string, st *tools.CallStory) *Message {
	var bl builder
	bl.header("Call " + st.ContactID)
	bl.section(fmt.Sprintf("*%s* call on `%s` from %s to %s, started %s. Ended: %s%s. _Only you can see this._",
		esc(st.Type), esc(inst), esc(st.Caller), esc(st.Callee), esc(st.Start), esc(st.ReleaseReason), func() string {
			if st.ReleaseAgent != "" {
				return " (agent " + esc(st.ReleaseAgent) + ")"
			}
			return ""
		}()))
	if len(st.Events) > 0 {
		var cells [][]string
		for _, e := range st.Events {
			cells = append(cells, []string{e.Time, e.Event, e.Agent, e.Status, tools.FormatHeld(e.Duration)})
		}
		bl.section("*Events*")
		bl.codeTable(table([]string{"time", "event", "agent", "status", "for"}, cells))
	}
	if len(st.Recordings) > 0 {
		var lines []string
		for _, r := range st.Recordings {
			if strings.ContainsAny(r.URL, "|> ") {
				lines = append(lines, "• "+esc(r.FileName)+": "+esc(r.URL))
			} else {
				lines = append(lines, fmt.Sprintf("• <%s|%s>", r.URL, esc(r.FileName)))
			}
		}
		bl.lines("*Recording*\n" + strings.Join(lines, "\n") + "\n_Links are signed and expire; do not share them._")
	} else {
		bl.section("*Recording*: none for this call.")
	}
	if len(st.Transcript) > 0 {
		var lines []string
		for _, u := range st.Transcript {
			lines = append(lines, fmt.Sprintf("`%s` *%s*: %s", fmtOffset(u.At), esc(u.Role), esc(u.Words)))
		}
		bl.lines("*Transcript*\n" + strings.Join(lines, "\n"))
	} else {
		bl.section("*Transcript*: none (the call was not answered, or it was not transcribed).")
	}
	for _, n := range st.Notes {
		bl.context(":warning: " + esc(n))
	}
	return &Message{ResponseType: Ephemeral, Text: "Call " + st.ContactID, Blocks: bl.done()}
}

func fmtOffset(d time.Duration) string {
	s := int(d.Seconds())
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
