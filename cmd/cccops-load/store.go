package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cccops/cccops/internal/bench"
	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/store"
	"github.com/cccops/cccops/internal/store/pgtest"
)

// postgresURLEnv names a PostgreSQL database to measure instead of a
// throwaway server started by the command. The command writes rate-limit
// buckets and done requests there (swept by the store's retention).
const postgresURLEnv = "CCC_LOAD_POSTGRES_URL"

// storeClients is the number of concurrent clients of the store load run,
// the number the goal names.
const storeClients = 8

// quickPostgresWait is how long quick mode waits, once it reaches the
// store figures, for a PostgreSQL server still starting in the background.
const quickPostgresWait = 10 * time.Second

// storeEngines are the engines --stores takes, in the order measured;
// postgres-async is PostgreSQL with synchronous_commit=off, not measured
// unless asked for.
var storeEngines = []string{"memory", "sqlite", "postgres", "postgres-async"}

const defaultStores = "memory,sqlite,postgres"

// storeOptions are the flags of the store figures.
type storeOptions struct {
	list    string
	engines []string // in storeEngines order, memory first whenever there are any
	pgURL   string   // from postgresURLEnv
}

func storeFlags(fs *flag.FlagSet, s *storeOptions) {
	fs.StringVar(&s.list, "stores", defaultStores,
		"stores the gate runs on for the store figures: memory, sqlite (a temp file), postgres (a throwaway local server, or ["+postgresURLEnv+"]), postgres-async (the same with synchronous_commit=off); memory is always measured, as the baseline; none skips the section")
}

func (s *storeOptions) check() error {
	s.engines = nil
	s.pgURL = strings.TrimSpace(os.Getenv(postgresURLEnv))
	list := strings.TrimSpace(s.list)
	if list == "" || list == "none" {
		return nil
	}
	want := map[string]bool{"memory": true}
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimSpace(e)
		if !slices.Contains(storeEngines, e) {
			return fmt.Errorf("--stores %q: %q is not a store; use a list of memory, sqlite, postgres and postgres-async, or none", s.list, e)
		}
		want[e] = true
	}
	for _, e := range storeEngines {
		if want[e] {
			s.engines = append(s.engines, e)
		}
	}
	return nil
}

func (s *storeOptions) has(engine string) bool { return slices.Contains(s.engines, engine) }

// storeSizes derives the store measurement's sizes from the run's.
func (o *options) storeSizes() bench.StoreSizes {
	z := bench.StoreSizes{Rounds: max(o.rounds/2, 10), Clients: storeClients, Calls: max(o.calls/4, storeClients), Runs: 5, Writes: max(o.rounds/2, 10), Shared: true}
	z.Warmup = max(z.Rounds/10, 20)
	if o.quick {
		z.Runs, z.Shared, z.Calls = 2, false, max(o.calls/2, storeClients)
	}
	return z
}

// storeTrips estimates the simulator round trips of the store figures made
// one after another, for the time budget (writes make none).
func (o *options) storeTrips() int {
	z := o.storeSizes()
	n, loads := len(o.store.engines), 1
	if z.Shared {
		loads = 2
	}
	return n * ((z.Rounds + z.Warmup) + loads*(z.Calls+max(z.Clients*10, 100))/z.Clients)
}

// pgStart is a throwaway PostgreSQL server being started.
type pgStart struct {
	done  chan struct{}
	srv   *pgtest.Server
	err   error
	began time.Time
	took  time.Duration
}

// startPostgresEarly starts the throwaway PostgreSQL server in the
// background when quick mode will measure it, so its few seconds of
// initdb and start overlap the sections before; otherwise it returns nil
// and the store figures start it when they reach it. Stop it with stop.
func startPostgresEarly(o *options) *pgStart {
	if !o.quick || !o.store.has("postgres") && !o.store.has("postgres-async") || o.store.pgURL != "" {
		return nil
	}
	return startPostgres()
}

func startPostgres() *pgStart {
	p := &pgStart{done: make(chan struct{}), began: time.Now()}
	go func() {
		defer close(p.done)
		p.srv, p.err = pgtest.StartServer(pgtest.ServerOptions{})
		p.took = time.Since(p.began)
	}()
	return p
}

// wait returns the server once started, or ok=false when it is still
// starting after patience (0: wait as long as it takes).
func (p *pgStart) wait(ctx context.Context, patience time.Duration) (srv *pgtest.Server, err error, ok bool) {
	var timeout <-chan time.Time
	if patience > 0 {
		t := time.NewTimer(patience)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-p.done:
		return p.srv, p.err, true
	case <-timeout:
		return nil, nil, false
	case <-ctx.Done():
		return nil, ctx.Err(), true
	}
}

// stop stops the server, waiting for a start under way to finish first.
func (p *pgStart) stop() {
	if p == nil {
		return
	}
	<-p.done
	if p.srv != nil {
		p.srv.Stop()
	}
}

// storeFigures measures the gate and its store on each engine: one read
// (the same tools/call as the sections before) over streamable HTTP with
// the rate limit in the store, one client at a time and with 8 clients,
// and one confirmed write at the gate. Engines take turns throughout, and
// every figure is reported as a ratio to memory.
func storeFigures(ctx context.Context, o *options, srv *sim.Server, early *pgStart, r *report) error {
	if len(o.store.engines) == 0 {
		return nil
	}
	began := time.Now()
	var engines []bench.StoreEngine
	var notes []string
	// Undone last first: the stores close, then their folder and server go.
	var undo []func()
	defer func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}()
	pg := &pgSource{o: o, p: early, early: early != nil}
	if pg.p == nil && (o.store.has("postgres") || o.store.has("postgres-async")) && o.store.pgURL == "" {
		pg.p = startPostgres()
		undo = append(undo, pg.p.stop)
	}
	for _, name := range o.store.engines {
		var st store.Store
		var err error
		switch name {
		case "memory":
			st = store.NewMemory(store.Options{})
		case "sqlite":
			dir, derr := os.MkdirTemp("", "cccops-load-store-")
			if derr != nil {
				return derr
			}
			undo = append(undo, func() { os.RemoveAll(dir) })
			st, err = store.OpenSQLite(filepath.Join(dir, "state.db"), store.Options{})
			notes = append(notes, "sqlite: a new file in the temp folder; the store's settings (WAL, synchronous=NORMAL, busy timeout)")
		case "postgres", "postgres-async":
			url, note, why, uerr := pg.database(ctx, name == "postgres-async")
			if uerr != nil {
				return uerr
			}
			if why != "" {
				r.notMeasured("store figures on "+name, why)
				continue
			}
			notes = append(notes, name+": "+note)
			st, err = store.OpenPostgres(url, store.Options{})
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		undo = append(undo, func() { _ = st.Close() })
		engines = append(engines, bench.StoreEngine{Name: name, Store: st})
	}
	s, err := bench.StartStores(srv, o.action, storeClients, engines)
	if err != nil {
		return err
	}
	defer s.Close()
	z := o.storeSizes()
	f, err := s.Measure(ctx, z)
	if err != nil {
		return err
	}

	ratio := func(a, b time.Duration) string { return fmt.Sprintf("%.2f", bench.Ratio(a, b)) }
	added := func(i int, a, b time.Duration) string {
		if i == 0 {
			return "(baseline)"
		}
		d, sign := a-b, "+"
		if d < 0 {
			sign, d = "−", -d
		}
		return sign + us(d)
	}
	read := f.Read[0]
	r.section(fmt.Sprintf("Gate + store: one %s over MCP streamable HTTP, the rate limit taken in the store, 1 client, %d interleaved rounds after %d warm-up (ratio = store / memory)",
		o.action, z.Rounds, z.Warmup))
	r.row("  store", "p50", "p99", "p50 ratio", "p99 ratio", "adds at p50")
	for i, st := range f.Read {
		r.row("  "+f.Engines[i], us(st.P50), us(st.P99), ratio(st.P50, read.P50), ratio(st.P99, read.P99), added(i, st.P50, read.P50))
	}
	loadRows := func(title string, res []bench.ThroughputResult) {
		base := res[0]
		r.section(fmt.Sprintf("Gate + store: the same read with %d clients, %s, %d calls per store in %d interleaved runs (ratio = store / memory)", z.Clients, title, base.Calls, z.Runs))
		r.row("  store", "calls/s", "p50", "p99", "calls/s ratio", "p50 ratio", "p99 ratio", "adds at p50")
		for i, l := range res {
			r.row("  "+f.Engines[i], fmt.Sprintf("%.0f", l.PerSec), us(l.Latency.P50), us(l.Latency.P99),
				fmt.Sprintf("%.2f", l.PerSec/base.PerSec), ratio(l.Latency.P50, base.Latency.P50), ratio(l.Latency.P99, base.Latency.P99), added(i, l.Latency.P50, base.Latency.P50))
		}
	}
	loadRows("one principal (bearer token) each", f.Load)
	if f.Shared != nil {
		loadRows("all one principal (one rate-limit bucket)", f.Shared)
	}
	write := f.Write[0]
	r.section(fmt.Sprintf("Gate + store: one confirmed write at the gate (Take, Create, Get ×2, Move ×3: pending → approved → sending → done; no CCC call), %d interleaved", z.Writes))
	r.row("  store", "p50", "p99", "p50 ratio", "p99 ratio", "writes/s (1 client)")
	for i, st := range f.Write {
		r.row("  "+f.Engines[i], us(st.P50), us(st.P99), ratio(st.P50, write.P50), ratio(st.P99, write.P99), fmt.Sprintf("%.0f", float64(time.Second)/float64(st.Avg)))
	}
	// Lines without a tab do not change the columns above.
	for _, n := range notes {
		fmt.Fprintf(r.w, "  %s\n", n)
	}
	fmt.Fprintf(r.w, "  (the store figures took %v)\n", time.Since(began).Round(100*time.Millisecond))

	load := f.Load[0]
	for i := 1; i < len(f.Engines); i++ {
		if f.Engines[i] == "postgres-async" {
			continue // a what-if, not a setting the store runs with
		}
		one, eight := f.Read[i].P50-read.P50, f.Load[i].Latency.P50-load.Latency.P50
		r.goal("store read cost at p50, "+f.Engines[i], one <= time.Millisecond && eight <= time.Millisecond,
			fmt.Sprintf("%s (1 client), %s (8 clients) over memory", added(i, f.Read[i].P50, read.P50), added(i, f.Load[i].Latency.P50, load.Latency.P50)), "≤ +1 ms")
		r.goal("store throughput over HTTP, 8 clients, "+f.Engines[i], f.Load[i].PerSec >= 1000,
			fmt.Sprintf("%.0f calls/s (memory %.0f)", f.Load[i].PerSec, load.PerSec), "≥ 1000 calls/s")
	}
	return nil
}

// pgSource hands out the PostgreSQL databases measured: the one
// CCC_LOAD_POSTGRES_URL names, or new ones on the throwaway server p
// (started early in quick mode, when early is set; quick mode then waits
// for it only so long).
type pgSource struct {
	o     *options
	p     *pgStart
	early bool
	why   string // set once PostgreSQL is found not measurable
}

// database returns a URL to open and a line about it, or why PostgreSQL
// is not measured. async sets synchronous_commit=off for the store's
// sessions: every commit returns before its WAL reaches the disk.
func (s *pgSource) database(ctx context.Context, async bool) (url, note, why string, err error) {
	if s.why != "" {
		return "", "", s.why, nil
	}
	defer func() { s.why = why }()
	if s.o.store.pgURL != "" {
		url, note = s.o.store.pgURL, "the database "+postgresURLEnv+" names"
	} else {
		patience := time.Duration(0)
		if s.early && s.o.quick {
			patience = quickPostgresWait
		}
		srv, err, ok := s.p.wait(ctx, patience)
		if !ok {
			return "", "", fmt.Sprintf("quick mode skips it: the throwaway server was still starting after %v (run without --quick, or set %s)",
				time.Since(s.p.began).Round(time.Second), postgresURLEnv), nil
		}
		var missing *pgtest.NotInstalledError
		if errors.As(err, &missing) {
			return "", "", missing.Why + ", or set " + postgresURLEnv, nil
		}
		if err != nil {
			return "", "", "", err
		}
		if url, err = srv.NewDatabase(ctx, "cccops_load"); err != nil {
			return "", "", "", err
		}
		note = fmt.Sprintf("a new database on a throwaway local server (started in %v) over 127.0.0.1 TCP", s.p.took.Round(100*time.Millisecond))
	}
	if !async {
		return url, note + ", PostgreSQL's default durability (fsync and synchronous_commit on)", "", nil
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "synchronous_commit=off", note + ", synchronous_commit=off for every store session (what Take alone would pay with SET LOCAL synchronous_commit = off)", "", nil
}
