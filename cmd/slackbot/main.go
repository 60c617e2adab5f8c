// Command slackbot serves the /ccc Slack slash command: every CCC action,
// the on-call flows (agents, reset, calls, call) and their confirmation
// buttons, over HTTP (signed requests) or Socket Mode. Without CCC
// credentials it runs on the embedded simulator.
//
// Setup: README.md, section "Slack bot". Slack app manifest: slack/manifest.yaml.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cccops/cccops/internal/app"
	"github.com/cccops/cccops/internal/ops"
	"github.com/cccops/cccops/internal/slack"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], nil); err != nil {
		fmt.Fprintln(os.Stderr, "slackbot:", err)
		os.Exit(1)
	}
}

// slackEnv are the bot's settings that exist only in the environment.
var slackEnv = []app.EnvVar{
	{Name: "SLACK_SIGNING_SECRET", Meaning: "HTTP mode: the app's Signing Secret (Basic Information); every request is verified with it"},
	{Name: "SLACK_APP_TOKEN", Meaning: "Socket Mode: an xapp- app-level token with connections:write; setting it turns Socket Mode on"},
	{Name: "SLACK_BOT_TOKEN", Meaning: "xoxb- bot token, for CSV uploads of long call logs (files:write) and chat.postEphemeral fallbacks"},
}

// stderr takes the logs and -h; listen opens the HTTP listener. Tests
// replace both (listen, to stay on loopback whatever address is configured).
var (
	stderr io.Writer = os.Stderr
	listen           = net.Listen
)

// run serves until ctx ends; ready, when set, learns the listen address.
func run(ctx context.Context, argv []string, ready func(addr string)) error {
	fs := flag.NewFlagSet("slackbot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg app.Config
	cfg.RegisterFlags(fs)
	addr := fs.String("addr", "127.0.0.1:3000", "HTTP listen address for /slack/commands, /slack/interactions and the operations endpoints /healthz, /readyz, /metrics [SLACK_ADDR]")
	opsAddr := fs.String("ops-addr", "", "serve /healthz, /readyz and /metrics on this address instead of --addr (e.g. an internal interface, in Socket Mode or behind a public URL); /metrics wants CCC_METRICS_TOKEN or a loopback client [SLACK_OPS_ADDR]")
	apiURL := fs.String("slack-api-url", slack.DefaultAPIURL, "Slack Web API base URL; override only for tests [SLACK_API_URL]")
	app.SetUsage(fs, "Usage of slackbot: serves the /ccc Slack command (README.md, section \"Slack bot\").", slackEnv)
	// SLACK_STUCK_AFTER is the bot's older name of the shared CCC_STUCK_AFTER.
	if v := os.Getenv("SLACK_STUCK_AFTER"); v != "" && os.Getenv("CCC_STUCK_AFTER") == "" {
		if err := fs.Set("stuck-after", v); err != nil {
			return fmt.Errorf("SLACK_STUCK_AFTER=%q: %v (see --stuck-after in -h)", v, err)
		}
	}
	if err := app.ApplyEnv(fs); err != nil {
		return err
	}
	if err := fs.Parse(argv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; flags start with --", fs.Args())
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	cfg.Logger = log

	signing, botToken, appToken := os.Getenv("SLACK_SIGNING_SECRET"), os.Getenv("SLACK_BOT_TOKEN"), os.Getenv("SLACK_APP_TOKEN")
	if signing == "" && appToken == "" {
		return errors.New("set SLACK_SIGNING_SECRET (HTTP mode: Basic Information → Signing Secret) or SLACK_APP_TOKEN (Socket Mode: an xapp- token with connections:write); see the Slack bot section of README.md")
	}
	if botToken == "" {
		log.Warn("SLACK_BOT_TOKEN is not set: call logs over 20 rows cannot be uploaded as CSV and failed response_url replies cannot fall back to chat.postEphemeral")
	}

	metrics := ops.NewMetrics()
	cfg.Observe = metrics.Observe
	// A bot that posts approvals sweeps the store itself, every round, so
	// it can update the messages of what expired.
	cfg.NoSweeper = strings.TrimSpace(os.Getenv("SLACK_APPROVALS_CHANNEL")) != "" && os.Getenv("SLACK_BOT_TOKEN") != ""
	a, err := app.Open(cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	approvals := strings.TrimSpace(os.Getenv("SLACK_APPROVALS_CHANNEL"))
	if approvals != "" && !a.Gate.Approvals() {
		log.Warn("SLACK_APPROVALS_CHANNEL is set but approvals are off (--approvals off, or a memory store): only this bot's own four-eyes requests are posted there; share a --store (sqlite:PATH or postgres://) with the MCP server for its requests to arrive")
	}
	opsHandler, err := ops.Setup(metrics, a.Store, a.Client.Endpoint(), os.Getenv(ops.MetricsTokenEnv), log)
	if err != nil {
		return err
	}
	opsListen := *addr
	if *opsAddr != "" {
		osrv, err := ops.Start(*opsAddr, opsHandler, log)
		if err != nil {
			return fmt.Errorf("--ops-addr (SLACK_OPS_ADDR): %w", err)
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = osrv.Shutdown(sctx)
		}()
		opsListen, opsHandler = osrv.Addr(), nil // not on the Slack listener as well
		log.Info("operations endpoints ready", "addr", opsListen, "paths", "/healthz /readyz /metrics")
	}
	if os.Getenv(ops.MetricsTokenEnv) == "" && !ops.Loopback(opsListen) {
		log.Info("/metrics answers only clients on this machine; set " + ops.MetricsTokenEnv + " (a bearer token) for a remote scraper")
	}
	bot, err := slack.New(slack.Config{Registry: a.Registry, SigningSecret: signing, BotToken: botToken, AppToken: appToken,
		APIURL: *apiURL, Logger: log, Ops: opsHandler, ApprovalsChannel: approvals})
	if err != nil {
		return err
	}
	defer bot.Close()

	ln, err := listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s (SLACK_ADDR): %w", *addr, err)
	}
	if w := app.PlainHTTPWarning(*addr, "the Slack bot (SLACK_ADDR, --addr)"); w != "" {
		log.Warn(w)
	}
	srv := &http.Server{Handler: bot.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	mode := "HTTP (POST /slack/commands, /slack/interactions)"
	smCtx, smStop := context.WithCancel(ctx)
	defer smStop()
	smDone := make(chan struct{})
	if appToken != "" {
		mode = "Socket Mode"
		go func() { defer close(smDone); errc <- bot.RunSocketMode(smCtx) }()
	} else {
		close(smDone)
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	log.Info("slackbot ready", "mode", mode, "addr", ln.Addr().String(), "backend", a.Backend, "instance", a.Registry.DefaultInstance(), "stuck_after", a.Registry.StuckAfter().String())

	select {
	case <-ctx.Done():
	case err = <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	// No Socket Mode envelope may start work once the bot is closing.
	smStop()
	select {
	case <-smDone:
	case <-shutdown.Done():
	}
	log.Info("slackbot stopped")
	return err
}
