package slack

import (
	"context"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/cccops/cccops/internal/policy"
)

// Group membership read from Slack is trusted for groupTTL; after a failed
// read the last good membership stays in use and a new read is tried after
// groupRetry.
const (
	groupTTL   = 5 * time.Minute
	groupRetry = 30 * time.Second
)

// groupCache maps Slack user ids to the handles of their user groups, read
// with usergroups.list (scope usergroups:read), so that a policy file can
// grant roles by Slack user group.
type groupCache struct {
	mu         sync.Mutex
	byUser     map[string][]string
	nextRead   time.Time
	refreshing bool
	warned     bool
}

// withGroups returns p with the Slack user groups of userID. Without a bot
// token, or before Slack has ever answered (most often: the app lacks
// usergroups:read), the principal keeps no groups and only id-based policy
// rules apply; the failure is logged once, never with the token. A read
// runs outside the lock: other commands go on with the last membership.
func (b *Bot) withGroups(ctx context.Context, p policy.Principal, userID string) policy.Principal {
	if b.api == nil || b.cfg.BotToken == "" {
		return p
	}
	g := &b.groups
	now := b.cfg.Now()
	g.mu.Lock()
	if now.Before(g.nextRead) || g.refreshing {
		groups := append([]string(nil), g.byUser[userID]...)
		g.mu.Unlock()
		p.Groups = groups
		return p
	}
	g.refreshing = true
	g.mu.Unlock()

	var list []slack.UserGroup
	err := b.webAPI(ctx, "usergroups.list", func() error {
		var err error
		list, err = b.api.GetUserGroupsContext(ctx, slack.GetUserGroupsOptionIncludeUsers(true))
		return err
	})

	g.mu.Lock()
	defer g.mu.Unlock()
	g.refreshing = false
	if err != nil {
		g.nextRead = now.Add(groupRetry)
		if !g.warned {
			b.log.Warn("could not read Slack user groups; the last membership read stays in use, and policy rules by group do not apply until one succeeds (check the usergroups:read scope)", "err", err.Error())
			g.warned = true
		}
	} else {
		g.nextRead = now.Add(groupTTL)
		g.warned = false
		byUser := map[string][]string{}
		for _, ug := range list {
			if ug.DateDelete != 0 {
				continue
			}
			for _, u := range ug.Users {
				byUser[u] = append(byUser[u], ug.Handle)
			}
		}
		g.byUser = byUser
	}
	p.Groups = append([]string(nil), g.byUser[userID]...)
	return p
}
