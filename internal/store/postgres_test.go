package store_test

import (
	"context"
	"errors"

	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cccops/cccops/internal/store"
	"github.com/cccops/cccops/internal/store/pgtest"
	"github.com/cccops/cccops/internal/store/storetest"
)

// postgresOpener opens, per test and key, a database of its own on the
// test server; a second open of a key is a second *Postgres (its own pool
// and listener) on that database.
func postgresOpener() storetest.Open {
	var mu sync.Mutex
	urls := map[*testing.T]map[string]string{}
	return func(t *testing.T, key string, opt store.Options) store.Store {
		mu.Lock()
		if urls[t] == nil {
			urls[t] = map[string]string{}
		}
		u, ok := urls[t][key]
		mu.Unlock()
		if !ok {
			u = pgtest.NewDatabase(t)
			mu.Lock()
			urls[t][key] = u
			mu.Unlock()
		}
		s, err := store.OpenPostgres(u, opt)
		if err != nil {
			t.Fatalf("OpenPostgres: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

func TestPostgresConformance(t *testing.T) { storetest.Run(t, postgresOpener()) }

func withPassword(t *testing.T, raw, password string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String()
}

func TestPostgresWaitWakesOnANotificationNotAPoll(t *testing.T) {
	db := pgtest.NewDatabase(t)
	// A poll of an hour: only the notification can wake the wait in time.
	opt := store.Options{PollEvery: time.Hour}
	a, err := store.OpenPostgres(db, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := store.OpenPostgres(db, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	now, _ := b.Now(ctx)

	wait := func(id string) <-chan *store.Request {
		done := make(chan *store.Request, 1)
		go func() {
			r, err := a.Wait(ctx, id, []store.State{store.Pending})
			if err != nil {
				t.Errorf("Wait: %v", err)
			}
			done <- r
		}()
		return done
	}
	settle := func(id string, done <-chan *store.Request) {
		t.Helper()
		time.Sleep(100 * time.Millisecond) // let Wait read the request and sleep
		if _, err := b.Move(ctx, id, []store.State{store.Pending}, store.Approved, store.Change{By: "replica-b"}); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-done:
			if r == nil || r.State != store.Approved || r.By != "replica-b" {
				t.Fatalf("Wait returned %+v", r)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("Wait on handle A did not wake after a Move on handle B: no notification arrived")
		}
	}
	if err := b.Create(ctx, storetest.NewRequest("n1", now, time.Hour)); err != nil {
		t.Fatal(err)
	}
	settle("n1", wait("n1"))

	// The listener's connection dies (a failover, an idle-kill): it comes
	// back and waits still wake.
	if err := b.Create(ctx, storetest.NewRequest("n2", now, time.Hour)); err != nil {
		t.Fatal(err)
	}
	done := wait("n2")
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var killed int
	if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database()`, store.PostgresListenerName).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != 2 {
		t.Errorf("terminated %d listener connections, want 2 (one per store)", killed)
	}
	time.Sleep(time.Second) // the listener reconnects (first retry after 100 ms)
	settle("n2", done)
}

func TestPostgresNameAndErrorsNeverShowThePassword(t *testing.T) {
	const secret = "s3cret-Pa55"
	db := withPassword(t, pgtest.NewDatabase(t), secret) // the test server trusts loopback: any password passes
	s, err := store.OpenPostgres(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, _ := url.Parse(db)
	if want := "postgres://" + u.Host + u.Path; s.Name() != want {
		t.Errorf("Name() = %q, want %q", s.Name(), want)
	}
	if strings.Contains(s.Name(), secret) || strings.Contains(s.Name(), "postgres@") {
		t.Errorf("Name() %q shows credentials", s.Name())
	}
	opened, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatalf("store.Open(%s): %v", s.Name(), err)
	}
	opened.Close()

	missing := *u
	missing.Path = "/no_such_db"
	_, err = store.OpenPostgres(missing.String(), store.Options{})
	if err == nil {
		t.Fatal("a database that does not exist opened")
	}
	for _, want := range []string{"no_such_db", "does not exist", "createdb"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := l.Addr().String()
	l.Close()
	down := *u
	down.Host = closedPort
	_, err = store.OpenPostgres(down.String(), store.Options{})
	if err == nil {
		t.Fatal("a server that is not there opened")
	}
	for _, want := range []string{closedPort, "check that the server runs", "user and password", "database exists"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	bad := "postgres://postgres:" + secret + "@127.0.0.1:notaport/db"
	_, err2 := store.Open(bad, store.Options{})
	if err2 == nil {
		t.Fatal("a URL with a bad port opened")
	}
	_, err3 := store.Open("mysql://root:"+secret+"@db/x", store.Options{})
	for _, e := range []error{err, err2, err3} {
		if e == nil || strings.Contains(e.Error(), secret) {
			t.Errorf("error shows the password: %v", e)
		}
	}
	if err3 == nil || !strings.Contains(err3.Error(), "use memory, sqlite:PATH or postgres://") {
		t.Errorf("unknown store kind: %v", err3)
	}
}

func TestPostgresReplicasStartingAtOnceMigrateOnce(t *testing.T) {
	db := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := store.OpenPostgres(db, store.Options{})
			if err == nil {
				err = s.Ping(context.Background())
				s.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("replica start: %v", err)
		}
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var rows, version int
	if err := conn.QueryRow(ctx, "SELECT count(*), max(version) FROM cccops_schema").Scan(&rows, &version); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || version != 1 {
		t.Errorf("cccops_schema holds %d rows, version %d; want one row, version 1", rows, version)
	}
	// A database migrated by a newer build is refused, not written to.
	if _, err := conn.Exec(ctx, "UPDATE cccops_schema SET version = 99"); err != nil {
		t.Fatal(err)
	}
	_, err = store.OpenPostgres(db, store.Options{})
	if err == nil || !strings.Contains(err.Error(), "schema version 99") {
		t.Errorf("open of a newer schema: %v; want it refused, naming the version", err)
	}
}

func TestPostgresExpiryFollowsTheDatabaseClock(t *testing.T) {
	s, err := store.OpenPostgres(pgtest.NewDatabase(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	dbNow, err := s.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Already past expiry by the database's clock.
	if err := s.Create(ctx, storetest.NewRequest("past", dbNow, -time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err = s.Move(ctx, "past", []store.State{store.Pending}, store.Approved, store.Change{})
	var ce *store.ConflictError
	if !errors.As(err, &ce) || ce.Current.State != store.Expired {
		t.Fatalf("move of a request past expiry by the database clock: %v", err)
	}
	// A wait on a request about to expire wakes when it does (no poll needed).
	if err := s.Create(ctx, storetest.NewRequest("soon", dbNow, 300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	r, err := s.Wait(wctx, "soon", []store.State{store.Pending})
	if err != nil || r.State != store.Expired {
		t.Fatalf("Wait on a request expiring: %+v %v", r, err)
	}
}
