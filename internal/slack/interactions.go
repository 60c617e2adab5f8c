package slack

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/store"
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
		if a.ActionID == "ccc_details" {
			id := a.Value
			b.spawn(func(ctx context.Context) {
				teamID := cb.Team.ID
				if teamID == "" {
					teamID = cb.User.TeamID
				}
				clicker := b.withGroups(ctx, principal(teamID, cb.User.ID, cb.User.Name), cb.User.ID)
				b.showDetails(ctx, target{ResponseURL: cb.ResponseURL, ChannelID: cb.Channel.ID, UserID: cb.User.ID}, clicker, id)
			})
			return nil
		}
		if a.ActionID == "ccc_confirm" || a.ActionID == "ccc_cancel" || a.ActionID == "ccc_deny" {
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

	p, err := b.lookup(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		b.reply(ctx, to, replace("Request no longer known", "This request is unknown: it ended longer ago than the store keeps requests. Nothing ran. Run the command again for a fresh preview."))
		return
	}
	if err != nil {
		b.reply(ctx, to, private("The bot cannot reach its store right now, so nothing ran and the request stays open. Click again in a moment."))
		b.log.Error("slack click: store lookup failed", "err", err)
		return
	}
	switch p.State {
	case store.Pending:
	case store.Expired:
		b.reply(ctx, to, replace("Request expired", fmt.Sprintf("This request expired at %s UTC; nothing ran. Run `%s` again for a fresh preview.", p.ExpiresAt.UTC().Format("15:04:05"), esc(p.Command))))
		return
	default:
		b.reply(ctx, to, private("This request is already settled: "+string(p.State)+"."))
		return
	}
	pend := &tools.Pending{ID: p.ID}
	if action.ActionID == "ccc_cancel" || action.ActionID == "ccc_deny" {
		to2 := store.Cancelled
		verb := "cancelled"
		if action.ActionID == "ccc_deny" {
			to2, verb = store.Denied, "denied"
		}
		if err := b.reg.Withdraw(ctx, clicker, pend, to2, verb+" by "+clicker.ID+" (Slack)"); err != nil {
			b.reply(ctx, to, private(people(refusalText(err))+"."))
			return
		}
		b.reply(ctx, to, replace(strings.ToUpper(verb[:1])+verb[1:], fmt.Sprintf(":no_entry_sign: %s %s `%s`; nothing ran.", mention(cb.User.ID), verb, esc(p.commandOrTool()))))
		b.afterSettled(ctx, p)
		return
	}

	res, err := b.reg.Invoke(ctx, tools.Invocation{Principal: p.Requester, Tool: p.Tool, Args: p.Args,
		Confirmation: &tools.Confirmation{ID: p.ID, Approver: clicker}})
	if err != nil {
		var te *tools.Error
		if errors.As(err, &te) && te.Refusal != nil && (te.Refusal.Code == policy.RefusedFourEyes || te.Refusal.Code == policy.RefusedPrincipal) {
			// Not theirs to approve: the gate refused and audited it; the
			// request stays open for someone who may.
			b.reply(ctx, to, private(clickRefusal(p, te.Refusal.Message)))
			return
		}
		if errors.As(err, &te) && te.Kind == tools.KindChanged {
			title := "Not run: state changed"
			if p.Kind == kindReset {
				title = "Not reset: states changed"
			}
			b.reply(ctx, to, replace(title, ":no_entry: "+esc(te.Message)+fmt.Sprintf("\nRun `%s` again.", esc(p.commandOrTool()))))
			b.afterSettled(ctx, p)
			return
		}
		m := errorFor(err, "")
		m.ReplaceOriginal, m.ResponseType = true, ""
		b.reply(ctx, to, m)
		b.afterSettled(ctx, p)
		return
	}
	defer b.afterSettled(ctx, p)
	asker := mention(p.UserID)
	if p.UserID == "" {
		asker = esc(p.Requester.Name)
		if asker == "" {
			asker = esc(p.Requester.ID)
		}
	}
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
	m.Blocks = append([]slack.Block{slack.NewContextBlock("", md(fmt.Sprintf(":white_check_mark: Confirmed by %s, asked by %s. Phone numbers are masked in the channel.", mention(cb.User.ID), asker)))}, m.Blocks...)
	if len(m.Blocks) > MaxBlocks {
		m.Blocks = m.Blocks[:MaxBlocks]
	}
	b.reply(ctx, to, m)
}

// commandOrTool is what the request was, for a line about its end.
func (p pendingRequest) commandOrTool() string {
	if p.Command != "" {
		return p.Command
	}
	return p.Tool
}

// clickRefusal words the gate's reason why a clicker may not say yes.
func clickRefusal(_ pendingRequest, why string) string {
	return people(why) + ". The request stays open."
}

var slackPrincipalID = regexp.MustCompile(`slack:[A-Z0-9]+:([A-Z0-9]+)`)

// people renders the gate's words for Slack: principals as mentions, a
// capital first letter.
func people(s string) string {
	s = slackPrincipalID.ReplaceAllString(s, "<@$1>")
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// refusalText is the people's text of an error from the registry.
func refusalText(err error) string {
	var te *tools.Error
	if errors.As(err, &te) {
		return te.Message
	}
	var r *policy.Refusal
	if errors.As(err, &r) {
		return r.Message
	}
	return "That did not work, and nothing ran: the bot could not settle the request. Try again in a moment."
}

// callsCSV renders call rows as CSV with masked numbers, and start times in
// RFC 3339 with the call center's offset, as the summary beside it states. Cells that a
// spreadsheet would read as a formula are prefixed with a quote.
func callsCSV(rows []tools.CallRow) string {
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	_ = w.Write([]string{"contact_id", "start", "type", "disposition", "caller", "callee", "agent", "skill_group", "duration_seconds", "recorded", "satisfaction"})
	for _, r := range rows {
		_ = w.Write([]string{cell(r.ContactID), r.Start.Format(time.RFC3339), cell(r.Type), cell(r.Disposition),
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
