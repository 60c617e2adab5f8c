package slack

import (
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

// Interaction handles a verified interaction payload (a button click) and
// returns what to answer at once: nothing, since the outcome is delivered
// through the payload's response_url after the work is done.
func (b *Bot) Interaction(cb slack.InteractionCallback) *Message {
	if cb.Type != slack.InteractionTypeBlockActions {
		return nil
	}
	for _, a := range cb.ActionCallback.BlockActions {
		if a.ActionID == "ccc_confirm" || a.ActionID == "ccc_cancel" {
			action := *a
			b.spawn(func(ctx context.Context) { b.settle(ctx, cb, action) })
			return nil
		}
	}
	return nil
}

// private answers only the clicker and leaves the message as it is.
func private(text string) *Message {
	m := textMessage(Ephemeral, text)
	m.ReplaceOriginal = false
	return m
}

// replace swaps the message with the buttons for an outcome.
func replace(title, text string) *Message {
	var bl builder
	bl.header(title)
	bl.lines(text)
	return &Message{ReplaceOriginal: true, Text: title, Blocks: bl.done()}
}

func (b *Bot) settle(ctx context.Context, cb slack.InteractionCallback, action slack.BlockAction) {
	to := target{ResponseURL: cb.ResponseURL, ChannelID: cb.Channel.ID, UserID: cb.User.ID}
	name := cb.User.Name
	if name == "" {
		name = cb.User.Username
	}
	teamID := cb.Team.ID
	if teamID == "" {
		teamID = cb.User.TeamID
	}
	clicker := b.withGroups(ctx, principal(teamID, cb.User.ID, name), cb.User.ID)
	id := action.Value

	p, ok := b.pending.get(id)
	if !ok {
		b.reply(ctx, to, replace("Request no longer known", "This request is unknown to the bot: it expired a while ago or the bot restarted. Nothing ran. Run the command again for a fresh preview."))
		return
	}
	isRequester := clicker.ID == p.Requester.ID
	gate := b.reg.Gate()
	if action.ActionID == "ccc_confirm" {
		switch {
		case p.FourEyes && isRequester:
			b.reply(ctx, to, private("This needs four eyes: someone else who holds an approver role must confirm it. Ask an approver in this channel to click Confirm."))
			return
		case p.FourEyes && !gate.IsApprover(clicker):
			b.reply(ctx, to, private(fmt.Sprintf("Only an approver may confirm this, and the policy gives you no approver role. %s asked for it.", mention(p.UserID))))
			return
		case !p.FourEyes && !isRequester:
			b.reply(ctx, to, private(fmt.Sprintf("Only %s, who asked for it, can confirm this. Run the command yourself if you need it.", mention(p.UserID))))
			return
		}
	} else if !isRequester && !gate.IsApprover(clicker) {
		b.reply(ctx, to, private(fmt.Sprintf("Only %s or an approver can cancel this.", mention(p.UserID))))
		return
	}

	p, outcome, ok := b.pending.claim(id)
	if !ok {
		b.reply(ctx, to, private("This request is already settled: "+outcome+"."))
		return
	}
	if b.cfg.Now().After(p.ExpiresAt) {
		b.pending.finish(id, "it expired")
		b.reg.Abandon(p.Requester, p.Tool, p.Args, "expired", "Confirm clicked after the confirmation expired (Slack)")
		b.reply(ctx, to, replace("Request expired", fmt.Sprintf("This request expired at %s UTC; nothing ran. Run `%s` again for a fresh preview.", p.ExpiresAt.UTC().Format("15:04:05"), esc(p.Command))))
		return
	}
	if action.ActionID == "ccc_cancel" {
		b.pending.finish(id, "cancelled by "+mention(cb.User.ID))
		b.reg.Abandon(p.Requester, p.Tool, p.Args, "refused", "cancelled by "+clicker.ID+" (Slack)")
		b.reply(ctx, to, replace("Cancelled", fmt.Sprintf(":no_entry_sign: %s cancelled `%s`; nothing ran.", mention(cb.User.ID), esc(p.Command))))
		return
	}

	if p.Kind == kindReset {
		_, changed, err := b.reg.CheckUnchanged(ctx, clicker, p.Instance, p.Shown)
		if err != nil {
			b.pending.finish(id, "the states could not be checked")
			b.reg.Abandon(p.Requester, p.Tool, p.Args, "refused", "the agents' states could not be read again before the reset (Slack)")
			b.reply(ctx, to, replace("Not reset", "The agents' states could not be read again, so nothing was reset: "+esc(err.Error())+fmt.Sprintf("\nRun `%s` again.", esc(p.Command))))
			return
		}
		if len(changed) > 0 {
			var lines []string
			for _, c := range changed {
				lines = append(lines, "• "+esc(c.String()))
			}
			b.pending.finish(id, "refused: states changed since the preview")
			b.reg.Abandon(p.Requester, p.Tool, p.Args, "refused", "the agents' states changed since the preview (Slack)")
			b.reply(ctx, to, replace("Not reset: states changed", ":no_entry: The state changed since the preview, so nothing was reset:\n"+strings.Join(lines, "\n")+
				fmt.Sprintf("\nRun `%s` again to see the current state.", esc(p.Command))))
			return
		}
	}

	res, err := b.reg.Invoke(ctx, tools.Invocation{Principal: p.Requester, Tool: p.Tool, Args: p.Args,
		Confirmation: &tools.Confirmation{Token: p.Token, Approver: clicker}})
	if err != nil {
		b.pending.finish(id, "it failed")
		m := errorFor(err, "")
		m.ReplaceOriginal, m.ResponseType = true, ""
		b.reply(ctx, to, m)
		return
	}
	b.pending.finish(id, "confirmed by "+mention(cb.User.ID))
	if p.Kind == kindReset {
		now, _, _ := b.reg.CheckUnchanged(ctx, clicker, p.Instance, p.Shown)
		b.reply(ctx, to, resetDone(cb.User.ID, p.UserID, p.Instance, p.Shown, now, ""))
		return
	}
	if res.Secret {
		b.reply(ctx, to, replace("Done", fmt.Sprintf(":white_check_mark: %s confirmed `%s`. The result holds credentials, so only %s sees it.", mention(cb.User.ID), p.Tool, mention(cb.User.ID))))
		b.reply(ctx, to, resultMessage(res, Ephemeral))
		return
	}
	// The outcome replaces the preview in the channel, with phone numbers
	// masked and anything credential-like removed (policy.Redact), as every
	// channel post is.
	shown := *res
	shown.SetData(policy.Redact(res.Data()))
	m := resultMessage(&shown, InChannel)
	m.ReplaceOriginal = true
	m.Blocks = append([]slack.Block{slack.NewContextBlock("", md(fmt.Sprintf(":white_check_mark: Confirmed by %s, asked by %s. Phone numbers are masked in the channel.", mention(cb.User.ID), mention(p.UserID))))}, m.Blocks...)
	if len(m.Blocks) > MaxBlocks {
		m.Blocks = m.Blocks[:MaxBlocks]
	}
	b.reply(ctx, to, m)
}

// callsCSV renders call rows as CSV with masked numbers. Cells that a
// spreadsheet would read as a formula are prefixed with a quote.
func callsCSV(rows []tools.CallRow) string {
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	_ = w.Write([]string{"contact_id", "start", "type", "disposition", "caller", "callee", "agent", "skill_group", "duration_seconds", "recorded", "satisfaction"})
	for _, r := range rows {
		_ = w.Write([]string{cell(r.ContactID), r.Start.UTC().Format("2006-01-02T15:04:05Z"), cell(r.Type), cell(r.Disposition),
			policy.MaskPhone(r.Caller), policy.MaskPhone(r.Callee), cell(r.Agent), cell(r.SkillGroup), strconv.Itoa(int(r.Duration.Seconds())),
			strconv.FormatBool(r.Recorded), cell(r.Satisfaction)})
	}
	w.Flush()
	return sb.String()
}

func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
