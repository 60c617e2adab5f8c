package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"

	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/mcp"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/store"
)

// StoreLimits turn the gate's rate limit on, far too high to refuse
// anything: every read then pays the Take in the store that it pays in
// service, and no run is capped by it.
var StoreLimits = policy.Limits{Overall: policy.Rate{N: 1 << 30, Per: time.Minute}, Class: map[spec.Access]policy.Rate{}}

// StoreEngine is one store the gate runs on while it is measured.
type StoreEngine struct {
	Name  string      // what the report calls it: "memory", "sqlite", "postgres"
	Store store.Store // owned by the caller, who closes it
}

// Stores is the same product wired once per store, all on one simulator:
// the registry and the gate (rate limit on, StoreLimits) on that store, and
// the MCP adapter over streamable HTTP on a loopback port of its own. Each
// engine's endpoint accepts Clients bearer tokens, one per client, so that
// concurrent clients are different principals with buckets of their own,
// as different MCP clients are.
type Stores struct {
	Engines []StoreEngine
	Clients int
	envs    []*Env
	mcps    []*MCP
}

// StoreSizes say how much each store measurement does.
type StoreSizes struct {
	Rounds, Warmup int // one-client read latency: interleaved rounds, each reads once per store
	Clients        int // concurrent clients of the throughput run
	Calls          int // reads per store in the throughput run
	Runs           int // the throughput run is cut into this many runs per store, interleaved
	Writes         int // confirmed writes per store, interleaved (after Warmup/4 of each)
	// Shared adds a second throughput run in which every client is one
	// principal, so all draw on one rate-limit bucket (one agent's token
	// making parallel calls): the store's worst case for contention.
	Shared bool
}

// StoreFigures are one measurement of every engine, in Engines order.
type StoreFigures struct {
	Engines []string
	Sizes   StoreSizes
	// Read is one read through MCP over HTTP, one client, interleaved.
	Read []Stats
	// Load is the read with Sizes.Clients clients, closed loop.
	Load []ThroughputResult
	// Shared is the throughput run with one principal (when Sizes.Shared).
	Shared []ThroughputResult
	// Write is one confirmed write at the gate: Admit (Take, Now,
	// Create, Get) → Pending, Admit with the token (Get, Move pending →
	// approved, Move approved → sending) → Ticket, Done (Move sending →
	// done). No CCC call: the store's and the gate's share alone.
	Write []Stats
}

// StartStores wires one Env and MCP endpoint per engine on the simulator.
// action is the read measured ("GetUser" by default).
func StartStores(srv *sim.Server, action string, clients int, engines []StoreEngine) (*Stores, error) {
	if len(engines) == 0 {
		return nil, errors.New("bench: no store to measure")
	}
	s := &Stores{Engines: engines, Clients: max(clients, 1)}
	for _, eng := range engines {
		e, err := Start(Options{Sim: srv, Action: action, Store: eng.Store, Limits: StoreLimits})
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("%s: %w", eng.Name, err)
		}
		s.envs = append(s.envs, e)
		m, err := e.NewMCP()
		if err == nil {
			err = m.serveHTTPTokens(clientTokens(s.Clients))
		}
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("%s: %w", eng.Name, err)
		}
		s.mcps = append(s.mcps, m)
	}
	return s, nil
}

// Close ends every session and server (not the stores).
func (s *Stores) Close() {
	for _, m := range s.mcps {
		m.Close()
	}
	for _, e := range s.envs {
		e.Close()
	}
	s.mcps, s.envs = nil, nil
}

func clientTokens(n int) map[string]string {
	t := make(map[string]string, n)
	for i := range n {
		t[fmt.Sprintf("load-%02d", i)] = fmt.Sprintf("bench-store-token-loopback-only-%02d-0123456789", i)
	}
	return t
}

// serveHTTPTokens is ServeHTTP with several tokens (one principal each).
func (m *MCP) serveHTTPTokens(tokens map[string]string) error {
	// Each measurement opens sessions of its own and keeps them to the end.
	return m.serveHTTP(mcp.HTTPConfig{Tokens: tokens, MaxSessionsPerToken: 64})
}

// session opens a streamable HTTP session on engine i as client c.
func (s *Stores) session(ctx context.Context, i, c int) (CallFunc, error) {
	return s.mcps[i].httpAs(ctx, fmt.Sprintf("bench-store-token-loopback-only-%02d-0123456789", c%s.Clients))
}

// Measure runs the three measurements: one-client read latency, the
// throughput run, and confirmed writes, each interleaving the engines so
// that drift of a shared machine falls on all of them alike.
func (s *Stores) Measure(ctx context.Context, z StoreSizes) (*StoreFigures, error) {
	z.Clients = min(max(z.Clients, 1), s.Clients)
	z.Runs = max(z.Runs, 1)
	f := &StoreFigures{Sizes: z}
	for _, e := range s.Engines {
		f.Engines = append(f.Engines, e.Name)
	}
	var err error
	if f.Read, err = s.readLatency(ctx, z.Rounds, z.Warmup); err != nil {
		return nil, fmt.Errorf("read latency: %w", err)
	}
	if f.Load, err = s.readLoad(ctx, z.Clients, z.Calls, z.Runs, false); err != nil {
		return nil, fmt.Errorf("read throughput: %w", err)
	}
	if z.Shared {
		if f.Shared, err = s.readLoad(ctx, z.Clients, z.Calls, z.Runs, true); err != nil {
			return nil, fmt.Errorf("read throughput, one principal: %w", err)
		}
	}
	if f.Write, err = s.confirmedWrites(ctx, z.Writes, max(z.Warmup/4, 5)); err != nil {
		return nil, fmt.Errorf("confirmed writes: %w", err)
	}
	return f, nil
}

func (s *Stores) readLatency(ctx context.Context, rounds, warmup int) ([]Stats, error) {
	paths := make([]CallFunc, len(s.Engines))
	for i := range s.Engines {
		p, err := s.session(ctx, i, 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Engines[i].Name, err)
		}
		paths[i] = p
	}
	return interleavedStats(ctx, rounds, warmup, paths)
}

// readLoad gives each engine its clients' sessions once (as one principal
// when shared, else one each), warms them, then runs runs closed-loop runs
// of calls/runs reads per engine, the engines taking turns (each run
// starts with the next engine), and sums them.
func (s *Stores) readLoad(ctx context.Context, clients, calls, runs int, shared bool) ([]ThroughputResult, error) {
	n := len(s.Engines)
	type timed struct {
		call CallFunc
		lat  []time.Duration
	}
	sess := make([][]*timed, n)
	for i := range n {
		for c := range clients {
			as := c
			if shared {
				as = 0
			}
			call, err := s.session(ctx, i, as)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.Engines[i].Name, err)
			}
			sess[i] = append(sess[i], &timed{call: call})
		}
	}
	// Throughput asks for one CallFunc per client; hand it the engine's
	// sessions in turn, each recording its own latencies (one goroutine
	// per session, so no lock).
	run := func(i, total int, record bool) (ThroughputResult, error) {
		next := 0
		return Throughput(ctx, clients, total, func() (CallFunc, error) {
			t := sess[i][next%clients]
			next++
			return func(ctx context.Context) error {
				t0 := time.Now()
				err := t.call(ctx)
				if err == nil && record {
					t.lat = append(t.lat, time.Since(t0))
				}
				return err
			}, nil
		})
	}
	for i := range n {
		if _, err := run(i, max(clients*10, 100), false); err != nil {
			return nil, fmt.Errorf("%s warm-up: %w", s.Engines[i].Name, err)
		}
	}
	elapsed := make([]time.Duration, n)
	per := max(calls/runs, clients)
	for r := range runs {
		for k := range n {
			i := (r + k) % n
			res, err := run(i, per, true)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.Engines[i].Name, err)
			}
			elapsed[i] += res.Elapsed
		}
	}
	out := make([]ThroughputResult, n)
	for i := range n {
		var all []time.Duration
		for _, t := range sess[i] {
			all = append(all, t.lat...)
		}
		out[i] = ThroughputResult{Clients: clients, Calls: len(all), Elapsed: elapsed[i],
			PerSec: float64(len(all)) / elapsed[i].Seconds(), Latency: Summarize(all)}
	}
	return out, nil
}

// Writer is who the measured confirmed writes run as: a client that can
// be asked to confirm (MCP elicitation), so the request is a confirmation
// it settles itself, not an approval in Slack.
var Writer = policy.Principal{ID: "mcp:bench-writer", Name: "Load generator (writes)", Surface: "mcp"}

// ConfirmedWrite returns one confirmed CreateUser at the engine's gate,
// from Admit to Done, checking each step's answer. It calls no backend:
// the outcome handed to Done is a success.
func (s *Stores) ConfirmedWrite(i int) CallFunc {
	g := s.envs[i].Gate
	seq := 0
	return func(ctx context.Context) error {
		seq++
		args := map[string]any{"InstanceId": sim.DefaultInstanceID, "LoginName": fmt.Sprintf("load%06d", seq),
			"DisplayName": "Load test", "Phone": "13800000000", "Email": "load@example.com", "RoleId": "Agent", "SkillLevel": "1"}
		c := policy.Call{Principal: Writer, Action: "CreateUser", Access: policy.AccessOf("CreateUser"),
			Args: args, InstanceID: sim.DefaultInstanceID, Tool: "create_user", CanAsk: true}
		ask := g.Admit(ctx, c, nil)
		p, ok := ask.(*policy.Pending)
		if !ok {
			return fmt.Errorf("asking: want a pending request, got %s", admission(ask))
		}
		yes := g.Admit(ctx, c, &policy.Proof{Token: p.Token})
		t, ok := yes.(*policy.Ticket)
		if !ok {
			return fmt.Errorf("confirming: want a ticket, got %s", admission(yes))
		}
		if t.Request() == nil || t.Request().State != store.Sending {
			return errors.New("confirming: the ticket's request is not sending")
		}
		t.Done(ctx, policy.Outcome{RequestID: "bench", Result: []byte(`{"UserId":"bench"}`)})
		return nil
	}
}

func admission(a policy.Admission) string {
	switch a := a.(type) {
	case *policy.Refusal:
		return "a refusal (" + a.Code + "): " + a.Message
	case *policy.Pending:
		return "a pending request"
	case *policy.Ticket:
		return "a ticket"
	}
	return fmt.Sprintf("%T", a)
}

func (s *Stores) confirmedWrites(ctx context.Context, n, warmup int) ([]Stats, error) {
	paths := make([]CallFunc, len(s.Engines))
	for i := range paths {
		paths[i] = s.ConfirmedWrite(i)
	}
	return interleavedStats(ctx, n, warmup, paths)
}

// interleavedStats runs the paths interleaved and summarizes each.
func interleavedStats(ctx context.Context, rounds, warmup int, paths []CallFunc) ([]Stats, error) {
	lat, err := Interleaved(ctx, rounds, warmup, paths...)
	if err != nil {
		return nil, err
	}
	out := make([]Stats, len(lat))
	for i := range lat {
		out[i] = Summarize(lat[i])
	}
	return out, nil
}

// httpAs is HTTP with another bearer token.
func (m *MCP) httpAs(ctx context.Context, token string) (CallFunc, error) {
	if m.URL == "" {
		return nil, errors.New("bench: ServeHTTP first")
	}
	tr, err := transport.NewStreamableHTTP(m.URL, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	if err != nil {
		return nil, err
	}
	return m.start(ctx, client.NewClient(tr))
}
