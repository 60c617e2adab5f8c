package pgtest_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cccops/cccops/internal/store/pgtest"
)

// TestStartServerKeepsPostgresDurabilityAndCleansUp: the server the load
// command starts outside a test syncs to disk as a deployment's would,
// hands out databases of their own, and is gone with its folder after Stop.
func TestStartServerKeepsPostgresDurabilityAndCleansUp(t *testing.T) {
	srv, err := pgtest.StartServer(pgtest.ServerOptions{})
	var missing *pgtest.NotInstalledError
	if errors.As(err, &missing) {
		if os.Getenv(pgtest.RequireEnv) == "1" {
			t.Fatalf("PostgreSQL is required here but %v", err)
		}
		t.Skipf("skipped: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	ctx := context.Background()
	a, err := srv.NewDatabase(ctx, "load")
	if err != nil {
		t.Fatal(err)
	}
	b, err := srv.NewDatabase(ctx, "load")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two databases with one URL %s", a)
	}
	conn, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	var fsync, syncCommit, dataDir string
	err = conn.QueryRow(ctx, "SELECT current_setting('fsync'), current_setting('synchronous_commit'), current_setting('data_directory')").Scan(&fsync, &syncCommit, &dataDir)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fsync != "on" || syncCommit != "on" {
		t.Errorf("fsync %s, synchronous_commit %s; want PostgreSQL's defaults (on)", fsync, syncCommit)
	}
	srv.Stop()
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the server's folder %s is still there after Stop (%v)", dataDir, err)
	}
	if _, err := pgx.Connect(ctx, a); err == nil {
		t.Error("the server still accepts connections after Stop")
	}
	srv.Stop() // a second Stop is harmless
}
