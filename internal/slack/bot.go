// Package slack is the Slack surface of cccops: the /ccc slash command,
// its buttons, and their transport (HTTP with signed requests, or Socket
// Mode). It renders and carries; the tool registry decides and runs every
// CCC call through the policy gate.
package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

// DefaultAPIURL is Slack's Web API base.
const DefaultAPIURL = "https://slack.com/api/"

// Config sets up a Bot.
type Config struct {
	Registry *tools.Registry // required
	// SigningSecret verifies HTTP requests (required for HTTP mode).
	SigningSecret string
	// BotToken (xoxb-) calls the Web API: file uploads and the fallback
	// when a response_url fails.
	BotToken string
	// AppToken (xapp-) turns on Socket Mode.
	AppToken string
	// APIURL overrides the Web API base (tests), e.g. http://127.0.0.1:9/api/.
	APIURL string
	// Instance is the CCC instance the flows use when a command names none
	// (default: the registry's).
	Instance string
	// WorkTimeout bounds the background work of one command (default 2m).
	WorkTimeout time.Duration
	// MaxRetryWait is the longest Retry-After the bot waits out (default 30s).
	MaxRetryWait time.Duration
	// CSVThreshold: call lists longer than this go out as a CSV file (default 20).
	CSVThreshold int
	// ApprovalsChannel is the channel id where approval requests are
	// posted (SLACK_APPROVALS_CHANNEL); needs BotToken. Empty: requests
	// that approvers settle are shown where they were asked (Slack) and
	// not posted at all (other surfaces).
	ApprovalsChannel string
	// ApprovalPoll is how often the bot looks for new approval requests
	// and expired ones (default 2s).
	ApprovalPoll time.Duration
	HTTPClient   *http.Client
	Logger       *slog.Logger
	Now          func() time.Time

	// Ops serves /healthz, /readyz and /metrics (internal/ops) on the
	// bot's listener; nil: only a plain /healthz.
	Ops http.Handler
}

// Bot serves /ccc.
type Bot struct {
	cfg      Config
	reg      *tools.Registry
	api      *slack.Client // nil without a bot token
	verifier *Verifier
	http     *http.Client
	log      *slog.Logger

	ctx    context.Context // parent of background work; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // background work of commands and clicks
	// watchers are the long-running loops (approvals); Close waits for them.
	watchers sync.WaitGroup

	envMu     sync.Mutex
	envelopes map[string]time.Time // Socket Mode envelope ids already handled

	groups groupCache // Slack user groups, for policy rules by group
}

// New builds a bot.
func New(cfg Config) (*Bot, error) {
	if cfg.Registry == nil {
		return nil, errors.New("slack: a tool registry is required")
	}
	if cfg.SigningSecret == "" && cfg.AppToken == "" {
		return nil, errors.New("slack: set SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode); find them under Basic Information and App-Level Tokens of your Slack app")
	}
	if cfg.AppToken != "" && !strings.HasPrefix(cfg.AppToken, "xapp-") {
		return nil, errors.New("slack: SLACK_APP_TOKEN must be an app-level token (starts with xapp-) with the connections:write scope")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if !strings.HasSuffix(cfg.APIURL, "/") {
		cfg.APIURL += "/"
	}
	if cfg.Instance == "" {
		cfg.Instance = cfg.Registry.DefaultInstance()
	}
	if cfg.WorkTimeout <= 0 {
		cfg.WorkTimeout = 2 * time.Minute
	}
	if cfg.MaxRetryWait <= 0 {
		cfg.MaxRetryWait = 30 * time.Second
	}
	if cfg.CSVThreshold <= 0 {
		cfg.CSVThreshold = 20
	}
	if cfg.ApprovalPoll <= 0 {
		cfg.ApprovalPoll = 2 * time.Second
	}
	if cfg.ApprovalsChannel != "" && cfg.BotToken == "" {
		return nil, errors.New("slack: SLACK_APPROVALS_CHANNEL needs SLACK_BOT_TOKEN (with chat:write) to post approval requests")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	b := &Bot{cfg: cfg, reg: cfg.Registry, http: cfg.HTTPClient, log: cfg.Logger,
		verifier:  NewVerifier(cfg.SigningSecret, cfg.Now),
		envelopes: map[string]time.Time{}}
	if cfg.BotToken != "" || cfg.AppToken != "" {
		opts := []slack.Option{slack.OptionAPIURL(cfg.APIURL), slack.OptionHTTPClient(cfg.HTTPClient)}
		if cfg.AppToken != "" {
			opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
		}
		b.api = slack.New(cfg.BotToken, opts...)
	}
	// Replay memory lives in the gate's store: shared by every replica.
	b.verifier.shared = b.reg.Gate().Once
	b.ctx, b.cancel = context.WithCancel(context.Background())
	if cfg.ApprovalsChannel != "" && b.api != nil {
		b.watchers.Add(1)
		go func() {
			defer b.watchers.Done()
			b.watchApprovals(b.ctx)
		}()
	}
	return b, nil
}

// Close cancels background work and waits for it.
func (b *Bot) Close() {
	b.cancel()
	b.wg.Wait()
	b.watchers.Wait()
}

// Wait blocks until the background work started so far is done (tests).
func (b *Bot) Wait() { b.wg.Wait() }

// spawn runs work after the request was acknowledged.
func (b *Bot) spawn(f func(ctx context.Context)) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		ctx, cancel := context.WithTimeout(b.ctx, b.cfg.WorkTimeout)
		defer cancel()
		defer func() {
			if r := recover(); r != nil {
				b.log.Error("slack work panicked", "panic", r)
			}
		}()
		f(ctx)
	}()
}

func principal(teamID, userID, name string) policy.Principal {
	return policy.SlackPrincipal(teamID, userID, name)
}

// Handler serves POST /slack/commands, POST /slack/interactions and
// the operations endpoints of Config.Ops (or a plain GET /healthz).
func (b *Bot) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/commands", b.serveCommand)
	mux.HandleFunc("POST /slack/interactions", b.serveInteraction)
	if b.cfg.Ops != nil {
		for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
			mux.Handle(p, b.cfg.Ops)
		}
		return mux
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	return mux
}

// maxBody caps a request body; Slack's are a few kilobytes.
const maxBody = 1 << 20

// verified reads the raw body and checks its signature before anything
// parses it. It answers the failure itself and returns false.
func (b *Bot) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	if b.cfg.SigningSecret == "" {
		http.Error(w, "HTTP requests are off: this bot runs in Socket Mode", http.StatusUnauthorized)
		return nil, false
	}
	if err := b.verifier.Verify(r.Header, body); err != nil {
		status := http.StatusUnauthorized
		if errors.Is(err, ErrReplay) {
			status = http.StatusConflict
		}
		if errors.Is(err, ErrStoreDown) {
			status = http.StatusServiceUnavailable
		}
		b.log.Warn("slack request refused", "path", r.URL.Path, "reason", err.Error())
		http.Error(w, err.Error(), status)
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, true
}

func writeJSON(w http.ResponseWriter, msg *Message) {
	w.Header().Set("Content-Type", "application/json")
	if msg == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	_ = json.NewEncoder(w).Encode(msg)
}

func (b *Bot) serveCommand(w http.ResponseWriter, r *http.Request) {
	if _, ok := b.verified(w, r); !ok {
		return
	}
	cmd, err := slack.SlashCommandParse(r)
	if err != nil {
		http.Error(w, "not a slash command form", http.StatusBadRequest)
		return
	}
	writeJSON(w, b.Command(cmd))
}

func (b *Bot) serveInteraction(w http.ResponseWriter, r *http.Request) {
	if _, ok := b.verified(w, r); !ok {
		return
	}
	cb, err := slack.InteractionCallbackParse(r)
	if err != nil {
		http.Error(w, "not an interaction payload", http.StatusBadRequest)
		return
	}
	writeJSON(w, b.Interaction(cb))
}

// instanceOr returns the named instance or the bot's default.
func (b *Bot) instanceOr(s string) string {
	if s != "" {
		return s
	}
	return b.cfg.Instance
}

// errorFor turns a flow or invocation error into an ephemeral message with
// the fix.
func errorFor(err error, usage string) *Message {
	var te *tools.Error
	var re *tools.ResolveError
	switch {
	case errors.As(err, &re):
		return errorMessage(re.Error(), "Check the names with `/ccc agents`.")
	case errors.As(err, &te):
		switch te.Kind {
		case tools.KindUnknownTool:
			return errorMessage(te.Message, "`/ccc help` lists every command and tool.")
		case tools.KindInvalidArgs:
			return invalidArgs(te, usage)
		case tools.KindDenied:
			return errorMessage(te.Message, "The policy file decides who may run what; ask whoever runs cccops to change it if you need this.")
		case tools.KindRefused:
			return errorMessage(te.Message, "Nothing ran. Start the request again to get a fresh confirmation.")
		case tools.KindRateLimited:
			return errorMessage(te.Message, "Wait "+te.Retry.Round(time.Second).String()+" and try again.")
		case tools.KindCCC:
			fix := "Nothing was changed by this failure unless CCC says otherwise."
			if te.MayRetry() {
				fix = "This may pass on a retry in a moment."
			}
			return errorMessage(te.Message, fix)
		}
		return errorMessage(te.Message, "")
	}
	if msg, next, ok := tools.BackendFailure(err); ok {
		return errorMessage(msg, next)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errorMessage("CCC did not answer in time", "Try again; if it keeps happening, check the CCC endpoint and the backend's health.")
	}
	return errorMessage(err.Error(), "")
}
