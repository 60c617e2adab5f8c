package slack

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/store"
	"github.com/cccops/cccops/internal/tools"
)

// Kinds of pending request.
const (
	kindReset   = "reset"   // /ccc reset: re-check agent states before running
	kindGeneric = "generic" // /ccc <tool> …: run exactly what was previewed
)

// slackMeta is what the bot keeps with a request the gate stores: enough to
// settle a click after a restart, or on another replica. The buttons carry
// nothing but the request's id.
type slackMeta struct {
	Kind      string           `json:"kind"`
	UserID    string           `json:"user_id"` // requester's Slack user id
	ChannelID string           `json:"channel_id,omitempty"`
	Command   string           `json:"command,omitempty"` // what to type to start again
	Instance  string           `json:"instance,omitempty"`
	Shown     []tools.AgentRow `json:"shown,omitempty"` // the states the preview showed (reset)
	// Posted is where the approval message stands (approvals channel).
	PostedChannel string `json:"posted_channel,omitempty"`
	PostedTS      string `json:"posted_ts,omitempty"`
}

func (m slackMeta) encode() json.RawMessage {
	b, _ := json.Marshal(m) // plain strings and rows always encode
	return b
}

// pendingRequest is a stored request as the bot renders it.
type pendingRequest struct {
	ID        string
	Kind      string
	Requester policy.Principal
	UserID    string
	ChannelID string
	Command   string
	Tool      string
	Args      map[string]any
	ExpiresAt time.Time
	FourEyes  bool
	InSlack   bool // an approval: approvers other than the requester settle it
	Instance  string
	Shown     []tools.AgentRow
	State     store.State
	Preview   string
	Meta      slackMeta
	Surface   string // where it was asked
}

// fromStore reads a stored request back, with the bot's own data.
func (b *Bot) fromStore(r *store.Request) pendingRequest {
	var m slackMeta
	_ = json.Unmarshal(r.Meta, &m)
	var args map[string]any
	_ = json.Unmarshal(r.Args, &args)
	p := pendingRequest{ID: r.ID, Kind: m.Kind, Requester: b.reg.Gate().RequesterOf(r), UserID: m.UserID,
		ChannelID: m.ChannelID, Command: m.Command, Tool: r.Tool, Args: args, ExpiresAt: r.ExpiresAt,
		FourEyes: r.FourEyes, InSlack: r.Kind == store.KindApproval, Instance: r.Instance, Shown: m.Shown,
		State: r.State, Preview: r.Preview, Meta: m, Surface: r.Surface}
	if p.Instance == "" {
		p.Instance = m.Instance
	}
	if p.Kind == "" {
		p.Kind = kindGeneric
	}
	return p
}

// lookup loads a stored request for a click.
func (b *Bot) lookup(ctx context.Context, id string) (pendingRequest, error) {
	r, err := b.reg.Gate().Lookup(ctx, id)
	if err != nil {
		return pendingRequest{}, err
	}
	return b.fromStore(r), nil
}
