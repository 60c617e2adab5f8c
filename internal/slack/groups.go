package slack

import (
	"context"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/cccops/cccops/internal/policy"
)

// groupTTL is how long the user-group membership read from Slack is trusted.
const groupTTL = 5 * time.Minute

// groupCache maps Slack user ids to the handles of their user groups, read
// with usergroups.list (scope usergroups:read) and refreshed every groupTTL,
// so that a policy file can grant roles by Slack user group.
type groupCache struct {
	mu      sync.Mutex
	byUser  map[string][]string
	fetched time.Time
	warned  bool
}

// withGroups returns p with the Slack user groups of userID. Without a bot
// token, or when Slack refuses (most often: the app lacks usergroups:read),
// the principal keeps no groups and only id-based policy rules apply; the
// failure is logged once per refresh period, never with the token.
func (b *Bot) withGroups(ctx context.Context, p policy.Principal, userID string) policy.Principal {
	if b.api == nil || b.cfg.BotToken == "" {
		return p
	}
	g := &b.groups
	g.mu.Lock()
	defer g.mu.Unlock()
	now := b.cfg.Now()
	if g.byUser == nil || now.Sub(g.fetched) >= groupTTL {
		var list []slack.UserGroup
		err := b.webAPI(ctx, "usergroups.list", func() error {
			var err error
			list, err = b.api.GetUserGroupsContext(ctx, slack.GetUserGroupsOptionIncludeUsers(true))
			return err
		})
		g.fetched = now
		if err != nil {
			if !g.warned {
				b.log.Warn("could not read Slack user groups; policy rules by group will not apply to Slack users (add the usergroups:read scope)", "err", err.Error())
				g.warned = true
			}
			g.byUser = map[string][]string{}
		} else {
			g.warned = false
			g.byUser = map[string][]string{}
			for _, ug := range list {
				if ug.DateDelete != 0 {
					continue
				}
				for _, u := range ug.Users {
					g.byUser[u] = append(g.byUser[u], ug.Handle)
				}
			}
		}
	}
	p.Groups = append([]string(nil), g.byUser[userID]...)
	return p
}
