package main

import (
	"context"
	"fmt"
	"time"

	"github.com/cccops/cccops/internal/bench"
)

// slackAck measures how long the bot takes to acknowledge a signed slash
// command (Slack gives it 3 seconds), one command at a time, while the work
// earlier commands started runs in the background as it would in service.
func slackAck(ctx context.Context, o *options, env *bench.Env, r *report) error {
	s, err := env.NewSlack()
	if err != nil {
		return err
	}
	defer s.Close()
	commands := []struct{ label, text string }{
		{"/ccc agents (flow: two reads in the background)", "agents"},
		{"/ccc " + env.Read.Tool + " (generic tool)", env.Read.Tool + " " + argsText(env.Read.Args)},
	}
	paths := make([]bench.CallFunc, len(commands))
	for i, c := range commands {
		paths[i] = s.Command(c.text)
	}
	n := max(o.rounds/4, 50)
	lat, err := bench.Interleaved(ctx, n, 10, paths...)
	if err != nil {
		return err
	}
	s.Bot.Wait()
	r.section(fmt.Sprintf("Slack /ccc acknowledgement (signed POST to the bot → answer read), %d of each, interleaved", n))
	r.row("  command", "p50", "p99", "results delivered")
	var all []time.Duration
	for i, c := range commands {
		st := bench.Summarize(lat[i])
		all = append(all, lat[i]...)
		r.row("  "+c.label, ms(st.P50), ms(st.P99), "")
	}
	total := bench.Summarize(all)
	r.row("  all commands", ms(total.P50), ms(total.P99), fmt.Sprint(s.Delivered.Load()))
	r.goal("Slack ack p99", total.P99 <= 100*time.Millisecond, fmt.Sprintf("%s (p50 %s)", ms(total.P99), ms(total.P50)), "≤ 100 ms")
	return nil
}

func argsText(args map[string]any) string {
	out := ""
	for k, v := range args {
		if k == "InstanceId" {
			continue
		}
		if out != "" {
			out += " "
		}
		out += fmt.Sprintf("%s=%v", k, v)
	}
	return out
}
