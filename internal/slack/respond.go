package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// maxAttempts bounds how often one message or Web API call is tried.
const maxAttempts = 4

// target is where a reply goes: the response_url of the request, and the
// channel and user to fall back to through chat.postEphemeral when that URL
// fails (it expires after 30 minutes and 5 uses).
type target struct {
	ResponseURL string
	ChannelID   string
	UserID      string
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryAfter reads a Retry-After header in seconds (default 1 s).
func retryAfter(h http.Header) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return time.Second
}

// postResponse sends a message to a response_url. It retries a 429 after
// Retry-After and a 5xx or network failure after a short backoff; other
// answers are final. The URL is never logged or put in an error: it is a
// bearer credential for that conversation.
func (b *Bot) postResponse(ctx context.Context, url string, msg *Message) error {
	if url == "" {
		return errors.New("no response_url")
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	backoff := 200 * time.Millisecond
	var last error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return errors.New("response_url is not a valid URL")
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := b.http.Do(req)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			last, wait = errors.New("response_url could not be reached"), backoff
		case resp.StatusCode == http.StatusOK:
			drain(resp)
			return nil
		case resp.StatusCode == http.StatusTooManyRequests:
			wait = retryAfter(resp.Header)
			last = fmt.Errorf("response_url answered 429 (retry after %s)", wait)
			drain(resp)
		case resp.StatusCode >= 500:
			last, wait = fmt.Errorf("response_url answered %d", resp.StatusCode), backoff
			drain(resp)
		default:
			snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
			drain(resp)
			return fmt.Errorf("response_url refused the message: %d %s", resp.StatusCode, strings.TrimSpace(string(snippet)))
		}
		if attempt == maxAttempts || wait > b.cfg.MaxRetryWait {
			break
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		backoff *= 2
	}
	return last
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
}

// webAPI runs one Web API call, waiting out Slack's 429 Retry-After (up to
// MaxRetryWait) and trying again.
func (b *Bot) webAPI(ctx context.Context, method string, call func() error) error {
	for attempt := 1; ; attempt++ {
		err := call()
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) {
			if err != nil {
				return fmt.Errorf("slack %s: %w", method, err)
			}
			return nil
		}
		wait := max(rl.RetryAfter, 100*time.Millisecond)
		if attempt >= maxAttempts || wait > b.cfg.MaxRetryWait {
			return fmt.Errorf("slack %s is rate limited; try again in %s", method, rl.RetryAfter)
		}
		b.log.Info("slack rate limit, waiting", "method", method, "retry_after", wait)
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// reply delivers a message for a request: to its response_url, or, when
// that fails, as an ephemeral message to the user through the Web API (an
// in-channel message falls back to ephemeral: the user still learns the
// outcome, the channel does not).
func (b *Bot) reply(ctx context.Context, to target, msg *Message) {
	err := b.postResponse(ctx, to.ResponseURL, msg)
	if err == nil {
		return
	}
	b.log.Warn("response_url failed", "err", err.Error(), "channel", to.ChannelID, "user", to.UserID)
	if b.api == nil || to.ChannelID == "" || to.UserID == "" {
		b.log.Error("reply lost: no bot token to fall back to chat.postEphemeral", "channel", to.ChannelID, "user", to.UserID)
		return
	}
	opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false)}
	if len(msg.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(msg.Blocks...))
	}
	ferr := b.webAPI(ctx, "chat.postEphemeral", func() error {
		_, err := b.api.PostEphemeralContext(ctx, to.ChannelID, to.UserID, opts...)
		return err
	})
	if ferr != nil {
		b.log.Error("reply lost", "err", ferr.Error(), "channel", to.ChannelID, "user", to.UserID)
	}
}
