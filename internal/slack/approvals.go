package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/store"
	"github.com/cccops/cccops/internal/tools"
)

// Approval requests: calls that wait for a human in Slack — an assistant's
// request its client could not confirm, anything under four eyes, or a rule
// that wants the yes from Slack. The gate stores them; whichever bot
// replica sharing the store posts each one, once, to the approvals channel;
// a click on any replica settles it.

// onceKindPosted names the single-use keys of posted approval messages.
const onceKindPosted = "slack-approval-posted"

// pendingOf is the bot's view of a pending result it just got.
func (b *Bot) pendingOf(res *tools.Result, p policy.Principal, m slackMeta) pendingRequest {
	pend := res.Pending
	inst, _ := pend.Args["InstanceId"].(string)
	if inst == "" {
		inst = m.Instance
	}
	return pendingRequest{ID: pend.ID, Kind: m.Kind, Requester: p, UserID: m.UserID, ChannelID: m.ChannelID,
		Command: m.Command, Tool: res.Tool.Name, Args: pend.Args, ExpiresAt: pend.ExpiresAt, FourEyes: pend.FourEyes,
		InSlack: pend.InSlack, Instance: inst, Shown: m.Shown, State: store.Pending, Preview: pend.Preview, Meta: m, Surface: p.Surface}
}

// showPending shows a request that waits for a yes: to the requester in
// the channel they asked in, or — when approvers must settle it and an
// approvals channel is set — in that channel, telling the requester where.
// Whoever may say yes also gets the exact arguments, unmasked, privately.
func (b *Bot) showPending(ctx context.Context, to target, p *pendingRequest, title, reason, tableText string) {
	if p.InSlack && b.cfg.ApprovalsChannel != "" && b.api != nil {
		if err := b.postApproval(ctx, p); err == nil {
			b.reply(ctx, to, textMessage(Ephemeral, fmt.Sprintf(":hourglass_flowing_sand: `%s` waits for an approver in <#%s> until <!date^%d^{time}|%s>. Nothing ran yet.",
				esc(p.commandOrTool()), b.cfg.ApprovalsChannel, p.ExpiresAt.Unix(), p.ExpiresAt.UTC().Format("15:04 UTC"))))
			return
		}
	}
	// Shown here: the poller must not post it again.
	if p.InSlack {
		_, _ = b.reg.Gate().Once(ctx, onceKindPosted, p.ID, p.ExpiresAt.Add(time.Hour))
	}
	b.reply(ctx, to, b.previewMessage(p, title, p.Preview, reason, tableText))
	b.reply(ctx, to, exactMessage(p))
}

// exactMessage shows the arguments exactly as they will be sent — phone
// numbers unmasked — to one person (it is always ephemeral).
func exactMessage(p *pendingRequest) *Message {
	var bl builder
	bl.context("Only you see this: exactly what will run, unmasked.")
	pretty, _ := json.MarshalIndent(p.Args, "", "  ")
	bl.code(escCode(p.Tool + " " + string(pretty)))
	m := &Message{ResponseType: Ephemeral, Text: "Exactly what will run", Blocks: bl.done()}
	m.ReplaceOriginal = false
	return m
}

// approvalMessage is an approval request as the approvals channel shows
// it: what, where, who asked and through which surface, the masked
// preview, the expiry, and Approve / Deny / Details buttons.
func (b *Bot) approvalMessage(p *pendingRequest) *Message {
	var bl builder
	bl.header("Approval needed: " + p.Tool)
	who := esc(p.Requester.Name)
	if who == "" {
		who = esc(p.Requester.ID)
	}
	if p.UserID != "" {
		who = mention(p.UserID)
	}
	through := "Slack"
	if p.Surface != "slack" {
		through = "an assistant (" + esc(p.Requester.ID) + " over " + esc(p.Surface) + ")"
	}
	bl.section(fmt.Sprintf("%s asks, through %s, to run `%s` on `%s`.", who, through, p.Tool, esc(p.Instance)))
	if p.Preview != "" {
		bl.lines(quote(esc(p.Preview)))
	}
	rule := "An approver (someone holding an approver role) or the requester's own human may approve."
	if p.FourEyes {
		rule = "Four eyes: someone other than the requester and their own human, holding an approver role, must approve."
	}
	bl.context(fmt.Sprintf("%s Phone numbers are masked here; *Details* shows them to you alone. Nothing runs until then. Expires <!date^%d^{time}|%s>. Request %s.",
		rule, p.ExpiresAt.Unix(), p.ExpiresAt.UTC().Format("15:04 UTC"), p.ID))
	approve := slack.NewButtonBlockElement("ccc_confirm", p.ID, plain("Approve")).WithStyle(slack.StyleDanger).
		WithConfirm(slack.NewConfirmationBlockObject(plain("Approve "+clip(p.Tool, 50)+"?"),
			plain(clip("This runs "+p.Tool+" on "+p.Instance+" exactly as shown, as "+p.Requester.ID+". It cannot be undone here.", 300)),
			plain("Approve"), plain("Back")).WithStyle(slack.StyleDanger))
	deny := slack.NewButtonBlockElement("ccc_deny", p.ID, plain("Deny"))
	details := slack.NewButtonBlockElement("ccc_details", p.ID, plain("Details"))
	bl.add(slack.NewActionBlock("ccc_approval", approve, deny, details))
	return &Message{ResponseType: InChannel, Text: "Approval needed: " + p.Tool, Blocks: bl.done()}
}

// postApproval posts an approval request to the approvals channel, once
// across replicas, and keeps where it stands so expiry can update it.
func (b *Bot) postApproval(ctx context.Context, p *pendingRequest) error {
	gate := b.reg.Gate()
	first, err := gate.Once(ctx, onceKindPosted, p.ID, p.ExpiresAt.Add(time.Hour))
	if err != nil || !first {
		return err
	}
	m := b.approvalMessage(p)
	var ch, ts string
	err = b.webAPI(ctx, "chat.postMessage", func() error {
		var err error
		ch, ts, err = b.api.PostMessageContext(ctx, b.cfg.ApprovalsChannel, slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...))
		return err
	})
	if err != nil {
		b.log.Error("approval request could not be posted; it stays open until it expires", "approval", p.ID, "err", err)
		return err
	}
	meta := p.Meta
	meta.PostedChannel, meta.PostedTS = ch, ts
	if err := gate.Annotate(ctx, p.ID, meta.encode()); err != nil {
		b.log.Warn("approval message posted, but where it stands could not be stored; its expiry will not update it", "approval", p.ID, "err", err)
	}
	return nil
}

// showDetails answers a Details click: the exact arguments, privately, to
// someone who may approve or is the requester.
func (b *Bot) showDetails(ctx context.Context, to target, clicker policy.Principal, id string) {
	req, err := b.reg.Gate().Lookup(ctx, id)
	if err != nil {
		b.reply(ctx, to, private("This request is not known any more; nothing ran."))
		return
	}
	if why := b.reg.Gate().MayApprove(req, clicker); why != "" && clicker.ID != req.Requester {
		b.reply(ctx, to, private("The details are shown only to people who may approve it: "+why+"."))
		return
	}
	p := b.fromStore(req)
	b.reply(ctx, to, exactMessage(&p))
}

// afterSettled tells a Slack requester whose request was settled in the
// approvals channel how it ended.
func (b *Bot) afterSettled(ctx context.Context, p pendingRequest) {
	if !p.InSlack || p.Surface != "slack" || p.UserID == "" || p.ChannelID == "" || b.api == nil || b.cfg.ApprovalsChannel == "" {
		return
	}
	req, err := b.reg.Gate().Lookup(ctx, p.ID)
	if err != nil {
		return
	}
	line := fmt.Sprintf("Your request `%s` is %s", esc(p.commandOrTool()), req.State)
	if req.Approver != "" && (req.State == store.Done || req.State == store.Failed) {
		line += " (approved by " + esc(req.Approver) + ")"
	} else if req.By != "" {
		line += " (by " + esc(req.By) + ")"
	}
	_ = b.webAPI(ctx, "chat.postEphemeral", func() error {
		_, err := b.api.PostEphemeralContext(ctx, p.ChannelID, p.UserID, slack.MsgOptionText(line+".", false))
		return err
	})
}

// watchApprovals posts approval requests other surfaces opened and updates
// the messages of those that expired, every PollEvery, until ctx ends.
// Any number of replicas may run it: each request is posted once and each
// expiry reported once, by the store.
func (b *Bot) watchApprovals(ctx context.Context) {
	t := time.NewTicker(b.cfg.ApprovalPoll)
	defer t.Stop()
	for {
		b.approvalsOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// approvalsOnce is one round of watchApprovals.
func (b *Bot) approvalsOnce(ctx context.Context) {
	gate := b.reg.Gate()
	open, err := gate.OpenApprovals(ctx)
	if err != nil {
		b.log.Warn("approvals: the store could not be read; trying again", "err", err)
		return
	}
	for _, r := range open {
		p := b.fromStore(r)
		_ = b.postApproval(ctx, &p)
	}
	expired, err := gate.Sweep(ctx)
	if err != nil {
		b.log.Warn("approvals: sweeping expired requests failed; trying again", "err", err)
	}
	for _, r := range expired {
		p := b.fromStore(r)
		if p.Meta.PostedTS == "" || p.Meta.PostedChannel == "" {
			continue
		}
		var bl builder
		bl.header("Expired: " + p.Tool)
		bl.lines(fmt.Sprintf("Nobody approved `%s` on `%s` (asked by %s) before %s UTC. Nothing ran.",
			p.Tool, esc(p.Instance), esc(strings.TrimSpace(p.Requester.Name+" "+p.Requester.ID)), p.ExpiresAt.UTC().Format("15:04")))
		blocks := bl.done()
		_ = b.webAPI(ctx, "chat.update", func() error {
			_, _, _, err := b.api.UpdateMessageContext(ctx, p.Meta.PostedChannel, p.Meta.PostedTS, slack.MsgOptionText("Expired: "+p.Tool, false), slack.MsgOptionBlocks(blocks...))
			return err
		})
	}
}
