package pgtest_test

import (
	"context"
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
