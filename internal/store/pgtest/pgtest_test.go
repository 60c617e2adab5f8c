package pgtest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cccops/cccops/internal/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestEachCallGivesAnEmptyDatabaseOfItsOwn(t *testing.T) {
	ctx := context.Background()
	var names []string
	for range 2 {
		conn, err := pgx.Connect(ctx, pgtest.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var name string
		var tables int
		if err := conn.QueryRow(ctx, `SELECT current_database(), (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')`).Scan(&name, &tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Errorf("database %s has %d tables, want none", name, tables)
		}
		if _, err := conn.Exec(ctx, "CREATE TABLE mine (x int)"); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	if names[0] == names[1] {
		t.Errorf("two calls gave one database %s", names[0])
	}
}

// The child: a test that needs PostgreSQL where none is installed.
func TestHelperNeedsPostgres(t *testing.T) {
	if os.Getenv("PGTEST_HELPER") != "1" {
		t.Skip("run by TestWithoutAServerTestsSkipUnlessRequired")
	}
	pgtest.NewDatabase(t)
	t.Log("REACHED")
}

func TestWithoutAServerTestsSkipUnlessRequired(t *testing.T) {
	run := func(require string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperNeedsPostgres$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "PGTEST_HELPER=1", pgtest.BinDirEnv+"="+t.TempDir(), pgtest.RequireEnv+"="+require)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("")
	if err != nil || !strings.Contains(out, "--- SKIP: TestHelperNeedsPostgres") || !strings.Contains(out, "no PostgreSQL server") {
		t.Errorf("without a server and not required: %v\n%s\nwant a skip that says no server is there", err, out)
	}
	out, err = run("1")
	if err == nil || !strings.Contains(out, "--- FAIL: TestHelperNeedsPostgres") || !strings.Contains(out, "PostgreSQL is required here") {
		t.Errorf("without a server, required: %v\n%s\nwant a failure", err, out)
	}
	if strings.Contains(out, "REACHED") {
		t.Error("the test went on without a server")
	}
}
