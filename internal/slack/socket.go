package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

type slogPrinter struct{ b *Bot }

func (p slogPrinter) Output(_ int, s string) error {
	p.b.log.Debug("socketmode", "msg", s)
	return nil
}

// RunSocketMode connects to Slack over Socket Mode (apps.connections.open,
// then a WebSocket) and serves slash commands and button clicks until ctx
// ends. Requests arrive over the app-token-authenticated socket, so there
// is no signature to check; each envelope is handled once even when Slack
// delivers it again.
func (b *Bot) RunSocketMode(ctx context.Context) error {
	if b.cfg.AppToken == "" || b.api == nil {
		return errors.New("slack: Socket Mode needs SLACK_APP_TOKEN (an xapp- token with connections:write)")
	}
	sm := socketmode.New(b.api, socketmode.OptionLog(slogPrinter{b}), socketmode.OptionDebug(b.log.Enabled(context.Background(), slog.LevelDebug)))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- sm.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-runErr
			return nil
		case err := <-runErr:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack socket mode stopped: %w", err)
		case evt := <-sm.Events:
			b.socketEvent(ctx, sm, evt)
		}
	}
}

func (b *Bot) socketEvent(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		b.log.Info("slack socket mode connected")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth, socketmode.EventTypeIncomingError:
		b.log.Warn("slack socket mode trouble", "type", string(evt.Type))
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive:
		if evt.Request == nil {
			return
		}
		if b.seenEnvelope(evt.Request.EnvelopeID) {
			_ = sm.AckCtx(ctx, evt.Request.EnvelopeID, nil)
			return
		}
		var reply *Message
		switch data := evt.Data.(type) {
		case slack.SlashCommand:
			reply = b.Command(data)
		case slack.InteractionCallback:
			reply = b.Interaction(data)
		}
		var payload any
		if reply != nil {
			payload = reply
		}
		if err := sm.AckCtx(ctx, evt.Request.EnvelopeID, payload); err != nil {
			b.log.Warn("slack socket mode ack failed", "err", err.Error())
		}
	}
}

// seenEnvelope reports whether an envelope id was handled before, and
// remembers it for ten minutes.
func (b *Bot) seenEnvelope(id string) bool {
	if id == "" {
		return false
	}
	b.envMu.Lock()
	defer b.envMu.Unlock()
	now := b.cfg.Now()
	for k, at := range b.envelopes {
		if now.Sub(at) > 10*time.Minute {
			delete(b.envelopes, k)
		}
	}
	if _, ok := b.envelopes[id]; ok {
		return true
	}
	b.envelopes[id] = now
	return false
}
