package slack

import (
	"context"
	"fmt"
	"strings"

	"github.com/cccops/cccops/internal/tools"
)

// ---- status ----

const statusHelp = "`/ccc status [instance=...]` — today since midnight at a glance: calls offered, answered and abandoned, service level, average wait and talk time; agents by state; stuck agents with the reset command; the busiest skill groups. Shown only to you.\nExample: `/ccc status`"

func (b *Bot) statusCommand(req request, words []string) *Message {
	opts, rest := options(words)
	if err := unknownOptions(opts, "instance"); err != nil {
		return errorMessage(err.Error(), statusHelp)
	}
	if len(rest) > 0 {
		return errorMessage(fmt.Sprintf("unexpected %q", strings.Join(rest, " ")), statusHelp)
	}
	inst := b.instanceOr(opts["instance"])
	p := principal(req.p.teamID, req.p.userID, req.p.name)
	b.spawn(func(ctx context.Context) {
		p := b.withGroups(ctx, p, req.p.userID)
		st, err := b.reg.InstanceStatus(ctx, p, inst)
		if err != nil {
			b.reply(ctx, req.to, errorFor(err, ""))
			return
		}
		b.reply(ctx, req.to, b.statusMessage(st))
	})
	return working("the status of " + inst)
}

func (b *Bot) statusMessage(st *tools.OnCallStatus) *Message {
	var bl builder
	title := "Status of " + st.Instance
	bl.header(title)
	t := st.Today
	bl.section(fmt.Sprintf("*Today since %s* (as of %s %s)\n*%d* offered · *%d* answered · *%d* abandoned (%.0f%%) · service level *%s* (answered within 20 s) · average wait *%s* · average talk *%s*",
		st.Since.Format("15:04"), st.At.Format("15:04"), st.At.Format("MST"), t.Offered, t.Answered, t.Abandoned, t.AbandonRate()*100,
		t.ServiceLevelText(), tools.FormatHeld(t.AvgWait), tools.FormatHeld(t.AvgTalk)))
	var states []string
	for _, s := range st.States {
		states = append(states, fmt.Sprintf("%s %d", s.State, s.Count))
	}
	bl.section(fmt.Sprintf("*Agents* (%d): %s", st.Agents, strings.Join(states, " · ")))
	if len(st.Stuck) > 0 {
		var lines []string
		for _, a := range st.Stuck {
			lines = append(lines, fmt.Sprintf(":rotating_light: *%s* — %s for %s: %s", esc(a.Label()), esc(a.State), esc(a.HeldText()), esc(a.Why)))
		}
		bl.lines(fmt.Sprintf("*Stuck* (%d)\n", len(st.Stuck)) + strings.Join(lines, "\n"))
		bl.context(fmt.Sprintf("Reset them with `/ccc reset %s` (you will see a preview first): a reset by name clears each agent named. Stuck means %s.",
			esc(strings.Join(st.StuckLogins(), ",")), esc(b.reg.StuckDefinition())))
	} else {
		bl.section("*Stuck*: nobody.")
	}
	if len(st.Groups) > 0 {
		head := []string{"group", "waiting", "ready/in", "offered", "answered", "abandoned", "SL", "avg wait"}
		var cells [][]string
		for i, g := range st.Groups {
			if i == 5 {
				break
			}
			cells = append(cells, []string{g.Name, fmt.Sprint(g.Waiting), fmt.Sprintf("%d/%d", g.Ready, g.LoggedIn), fmt.Sprint(g.Offered),
				fmt.Sprint(g.Answered), fmt.Sprint(g.Abandoned), g.ServiceLevelText(), tools.FormatHeld(g.AvgWait)})
		}
		bl.section("*Busiest skill groups* (calls waiting now, then offered today)")
		bl.code(table(head, cells))
	}
	for _, n := range st.Notes {
		bl.context(":warning: " + esc(n))
	}
	bl.context("Chart of the day: `/ccc report today` · agents: `/ccc agents`")
	return &Message{ResponseType: Ephemeral, Text: title, Blocks: bl.done()}
}

func init() { flowHelp["status"] = statusHelp }
