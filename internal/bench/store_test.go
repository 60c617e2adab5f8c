package bench

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/store"
	"github.com/cccops/cccops/internal/store/pgtest"
)

// measureStores runs a tiny store measurement and checks what the stores
// hold afterwards: every client's reads drew on a rate-limit bucket of its
// own in that store, and every confirmed write ended done there — so the
// figures are of the gate and the store doing their work, not of a path
// that skipped them.
func measureStores(t *testing.T, engines []StoreEngine) *StoreFigures {
	t.Helper()
	srv, err := sim.Start("127.0.0.1:0", sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	const clients = 3
	s, err := StartStores(srv, "GetUser", clients, engines)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	z := StoreSizes{Rounds: 10, Warmup: 8, Clients: clients, Calls: 30, Runs: 2, Writes: 6, Shared: true}
	f, err := s.Measure(context.Background(), z)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Read) != len(engines) || len(f.Load) != len(engines) || len(f.Shared) != len(engines) || len(f.Write) != len(engines) {
		t.Fatalf("figures for %d/%d/%d/%d engines, want %d", len(f.Read), len(f.Load), len(f.Shared), len(f.Write), len(engines))
	}
	writeWarmup := max(z.Warmup/4, 5)
	for i, e := range engines {
		if f.Engines[i] != e.Name {
			t.Errorf("engine %d is called %q, want %q", i, f.Engines[i], e.Name)
		}
		if f.Read[i].N != z.Rounds || f.Read[i].P50 <= 0 || f.Read[i].P99 < f.Read[i].P50 {
			t.Errorf("%s: read latency %+v from %d rounds", e.Name, f.Read[i], z.Rounds)
		}
		if l := f.Load[i]; l.Calls != z.Calls || l.Clients != clients || l.PerSec <= 0 || l.Latency.P50 <= 0 {
			t.Errorf("%s: throughput %+v, want %d calls by %d clients", e.Name, l, z.Calls, clients)
		}
		if l := f.Shared[i]; l.Calls != z.Calls || l.PerSec <= 0 {
			t.Errorf("%s: throughput with one principal %+v, want %d calls", e.Name, l, z.Calls)
		}
		if f.Write[i].N != z.Writes || f.Write[i].P50 <= 0 {
			t.Errorf("%s: write latency %+v from %d writes", e.Name, f.Write[i], z.Writes)
		}
		c, err := e.Store.(store.Counter).Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// One bucket per reading client and one for the writer.
		if c.Buckets != clients+1 {
			t.Errorf("%s: the store holds %d rate-limit buckets, want %d (one per client, one for the writer)", e.Name, c.Buckets, clients+1)
		}
		if got, want := c.Requests[store.Done], z.Writes+writeWarmup; got != want || len(c.Requests) != 1 {
			t.Errorf("%s: requests by state %v, want %d done and nothing else", e.Name, c.Requests, want)
		}
	}
	return f
}

func TestStoreFiguresOnMemoryAndSQLite(t *testing.T) {
	mem := store.NewMemory(store.Options{})
	defer mem.Close()
	lite, err := store.OpenSQLite(filepath.Join(t.TempDir(), "load.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	measureStores(t, []StoreEngine{{"memory", mem}, {"sqlite", lite}})
}

func TestStoreFiguresOnPostgres(t *testing.T) {
	pg, err := store.OpenPostgres(pgtest.NewDatabase(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	mem := store.NewMemory(store.Options{})
	defer mem.Close()
	measureStores(t, []StoreEngine{{"memory", mem}, {"postgres", pg}})
}
