package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/cccops/cccops/internal/chart"
	"github.com/cccops/cccops/internal/tools"
)

// ---- report ----

const reportHelp = "`/ccc report [today|yesterday|7d|date] [interval=hour|day] [group=...]` — a chart in the channel: calls offered, answered and abandoned per hour (per day for 7d) as bars, service level and average wait as lines, with the numbers to quote. Option `instance=`.\nExample: `/ccc report yesterday group=Billing`"

func (b *Bot) reportCommand(req request, words []string) *Message {
	opts, rest := options(words)
	if err := unknownOptions(opts, "interval", "group", "instance", "period"); err != nil {
		return errorMessage(err.Error(), reportHelp)
	}
	name := opts["period"]
	if name == "" && len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return errorMessage(fmt.Sprintf("unexpected %q", strings.Join(rest, " ")), reportHelp)
	}
	period, err := b.reg.ParsePeriod(name, opts["interval"], b.cfg.Now())
	if err != nil {
		return errorFor(err, "")
	}
	inst := b.instanceOr(opts["instance"])
	p := principal(req.p.teamID, req.p.userID, req.p.name)
	b.spawn(func(ctx context.Context) {
		p := b.withGroups(ctx, p, req.p.userID)
		rep, err := b.reg.CallReport(ctx, p, inst, period, opts["group"])
		if err != nil {
			b.reply(ctx, req.to, errorFor(err, ""))
			return
		}
		b.sendReport(ctx, req, rep)
	})
	return working("the " + period.Name + " report")
}

func (b *Bot) sendReport(ctx context.Context, req request, rep *tools.Report) {
	summary := rep.Summary()
	img, err := chart.PNG(rep)
	if errors.Is(err, chart.ErrEmpty) {
		b.reply(ctx, req.to, textMessage(Ephemeral, esc(summary)+" Try `/ccc report 7d`, or another date."))
		return
	}
	if err != nil {
		b.reply(ctx, req.to, errorMessage("the chart could not be drawn: "+err.Error(), "The numbers: "+esc(summary)))
		return
	}
	name := fmt.Sprintf("calls-%s-%s.png", rep.Instance, strings.ReplaceAll(rep.Period.Name, " ", "-"))
	comment := fmt.Sprintf("%s (asked by %s)", esc(summary), mention(req.p.userID))
	if err := b.uploadPNG(ctx, req.to.ChannelID, name, chart.Title(rep), comment, summary, img); err != nil {
		b.reply(ctx, req.to, errorMessage("the chart upload failed: "+err.Error(),
			"Invite the bot to this channel (`/invite @cccops`) and make sure SLACK_BOT_TOKEN is set with the files:write scope. The numbers: "+esc(summary)))
		return
	}
	var bl builder
	bl.section(":bar_chart: Chart posted to the channel. " + esc(summary))
	bl.context(fmt.Sprintf("From %s, %s to %s. Other periods: `/ccc report yesterday`, `/ccc report 7d`, `group=<skill group>`.",
		rep.Source, rep.Period.From.Format("2006-01-02 15:04"), rep.Period.To.Format("2006-01-02 15:04")))
	b.reply(ctx, req.to, &Message{ResponseType: Ephemeral, Text: "Report posted", Blocks: bl.done()})
}

// uploadPNG shares an image in a channel, with its alt text.
func (b *Bot) uploadPNG(ctx context.Context, channel, name, title, comment, alt string, img []byte) error {
	return b.upload(ctx, channel, slack.UploadFileParameters{
		Filename: name, Title: title, Reader: bytes.NewReader(img), FileSize: len(img),
		InitialComment: comment, AltTxt: clip(alt, 1000),
	})
}

func init() { flowHelp["report"] = reportHelp }
