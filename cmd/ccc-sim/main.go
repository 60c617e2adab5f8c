// Command ccc-sim runs the CCC 2017-07-05 simulator on a local port, so the
// MCP server, the Slack bot and a developer's scripts can share one simulated
// call center.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
	// --time-zone names an IANA zone; a machine (or container) without a
	// tz database still knows them all.
	_ "time/tzdata"

	"github.com/cccops/cccops/internal/ccc/sim"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ccc-sim:", err)
		os.Exit(2)
	}
}

func run(argv []string, stderr *os.File) error {
	fs := flag.NewFlagSet("ccc-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9090", "address to listen on (loopback only unless --allow-remote)")
	allowRemote := fs.Bool("allow-remote", false, "allow listening on a non-loopback address")
	seed := fs.Int64("seed", 1, "seed of the simulated call center; the same seed gives the same data")
	latency := fs.Duration("latency", 0, "delay added to every answer, e.g. 200ms")
	throttle := fs.Float64("throttle", 0, "share of requests answered Throttling.User (HTTP 400), 0..1")
	unavailable := fs.Float64("unavailable", 0, "share of requests answered ServiceUnavailable (HTTP 503), 0..1")
	hang := fs.Float64("hang", 0, "share of requests that hang (until --hang-for or the client gives up), 0..1")
	hangFor := fs.Duration("hang-for", 60*time.Second, "how long a hanging request hangs")
	zoneName := fs.String("time-zone", "Asia/Shanghai", "the call center's time zone (IANA name): its day (roster, busy hours, incidents), \"today\" in reports and date-time text are in it; give mcp-server and slackbot the same --time-zone")
	verbose := fs.Bool("v", false, "log every request (action, code, request id; never credentials)")
	if err := fs.Parse(argv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if err := checkAddr(*addr, *allowRemote); err != nil {
		return err
	}
	for name, v := range map[string]float64{"throttle": *throttle, "unavailable": *unavailable, "hang": *hang} {
		if v < 0 || v > 1 {
			return fmt.Errorf("--%s must be between 0 and 1, got %v", name, v)
		}
	}
	zone, err := time.LoadLocation(*zoneName)
	if err != nil {
		return fmt.Errorf("--time-zone %q is not a time zone this machine knows: use an IANA name such as Asia/Shanghai or UTC", *zoneName)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	srv, err := sim.Start(*addr, sim.Options{
		Seed:   *seed,
		Zone:   zone,
		Logger: logger,
		Faults: sim.Faults{Latency: *latency, ThrottleRate: *throttle, UnavailableRate: *unavailable, HangRate: *hang, HangFor: *hangFor},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, `CCC simulator (API 2017-07-05) listening on %s
  endpoint (SDK Domain, scheme http): %s
  AccessKey id:     %s
  AccessKey secret: %s
  bearer token:     %s
  instances:        %v
Stop with Ctrl-C.
`, srv.URL, srv.Addr, sim.DefaultAccessKeyID, sim.DefaultAccessKeySecret, sim.DefaultBearerToken, srv.InstanceIDs())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	fmt.Fprintln(stderr, "ccc-sim: shutting down")
	return srv.Close()
}

// checkAddr refuses addresses other hosts could reach, unless allowed.
func checkAddr(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w (use host:port, e.g. 127.0.0.1:9090)", addr, err)
	}
	if allowRemote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return errors.New("--addr " + addr + " is not a loopback address; the simulator accepts well-known credentials, so it listens on 127.0.0.1 unless you pass --allow-remote")
	}
	return nil
}
