package store_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/store"
	"github.com/cccops/cccops/internal/store/storetest"
)

// sqliteOpener opens, per test and key, a file in the test's own folder.
func sqliteOpener() storetest.Open {
	var mu sync.Mutex
	dirs := map[*testing.T]string{}
	return func(t *testing.T, key string, opt store.Options) store.Store {
		mu.Lock()
		dir, ok := dirs[t]
		if !ok {
			dir = t.TempDir()
			dirs[t] = dir
		}
		mu.Unlock()
		s, err := store.OpenSQLite(filepath.Join(dir, key+".db"), opt)
		if err != nil {
			t.Fatalf("OpenSQLite: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

func TestSQLiteConformance(t *testing.T) { storetest.Run(t, sqliteOpener()) }

// The child half of TestSQLiteTwoProcessesRaceOnOneFile: the test binary
// run again, on the same file, as a second process.
func TestSQLiteHelperProcess(t *testing.T) {
	if os.Getenv("CCC_STORE_HELPER") != "sqlite-race" {
		t.Skip("run by TestSQLiteTwoProcessesRaceOnOneFile as its second process")
	}
	s, err := store.OpenSQLite(os.Getenv("CCC_STORE_FILE"), store.Options{Now: func() time.Time { return storetest.Epoch }})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(2)
	}
	fmt.Println("READY")
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(2)
	}
	var at int64
	fmt.Sscanf(line, "go %d", &at)
	time.Sleep(time.Until(time.Unix(0, at)))
	res := race(s, "child")
	b, _ := json.Marshal(res)
	fmt.Println("RESULT", string(b))
	s.Close()
	os.Exit(0)
}

type raceResult struct {
	Won      []string // request ids this process moved
	Lost     int      // moves refused with a ConflictError showing the other's win
	Taken    int      // calls the shared bucket let through
	Problems []string
}

const (
	raceRequests = 200
	raceBucket   = 60
	raceTakes    = 80 // per process
)

// race settles every request and draws on one bucket, as fast as it can:
// the parent from the first request on, the child from the last one back,
// so they meet on the requests between and both win some. Each pauses a
// little between rounds: SQLite's busy wait is not fair, and a process
// that never leaves the write lock free would starve the other (which then
// waits up to the busy timeout; it would not win wrongly).
func race(s store.Store, me string) raceResult {
	var res raceResult
	ctx := context.Background()
	for i := range raceRequests {
		n := i
		if me == "child" {
			n = raceRequests - 1 - i
		}
		id := fmt.Sprintf("r%03d", n)
		r, err := s.Move(ctx, id, []store.State{store.Pending}, store.Approved, store.Change{By: me, Approver: me})
		var ce *store.ConflictError
		switch {
		case err == nil && r.By == me:
			res.Won = append(res.Won, id)
		case errors.As(err, &ce) && ce.Current.State == store.Approved && ce.Current.By != me:
			res.Lost++
		default:
			res.Problems = append(res.Problems, fmt.Sprintf("%s: %v %+v", id, err, r))
		}
		time.Sleep(300 * time.Microsecond)
		if i < raceTakes {
			l, _, err := s.Take(ctx, []store.Bucket{{Key: "shared", N: raceBucket, Per: time.Hour}})
			if err != nil {
				res.Problems = append(res.Problems, "take: "+err.Error())
			} else if l == -1 {
				res.Taken++
			}
		}
	}
	return res
}

func TestSQLiteTwoProcessesRaceOnOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	s, err := store.OpenSQLite(path, store.Options{Now: func() time.Time { return storetest.Epoch }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for i := range raceRequests {
		if err := s.Create(ctx, storetest.NewRequest(fmt.Sprintf("r%03d", i), storetest.Epoch, time.Hour)); err != nil {
			t.Fatal(err)
		}
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestSQLiteHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "CCC_STORE_HELPER=sqlite-race", "CCC_STORE_FILE="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	next := func(prefix string) string {
		for lines.Scan() {
			if rest, ok := strings.CutPrefix(lines.Text(), prefix); ok {
				return rest
			}
			if strings.HasPrefix(lines.Text(), "ERROR") {
				t.Fatalf("child: %s", lines.Text())
			}
		}
		t.Fatalf("child ended before it said %q: %v", prefix, lines.Err())
		return ""
	}
	next("READY")
	// Both start at one instant, a little ahead, so that they overlap.
	at := time.Now().Add(200 * time.Millisecond)
	if _, err := fmt.Fprintf(stdin, "go %d\n", at.UnixNano()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(at))
	mine := race(s, "parent")
	var theirs raceResult
	if err := json.Unmarshal([]byte(strings.TrimSpace(next("RESULT "))), &theirs); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}

	for _, p := range append(mine.Problems, theirs.Problems...) {
		t.Error(p)
	}
	if got := len(mine.Won) + len(theirs.Won); got != raceRequests {
		t.Errorf("parent won %d and child won %d of %d requests: want every request won exactly once", len(mine.Won), len(theirs.Won), raceRequests)
	}
	if mine.Lost != len(theirs.Won) || theirs.Lost != len(mine.Won) {
		t.Errorf("losses do not mirror wins: parent lost %d (child won %d), child lost %d (parent won %d)",
			mine.Lost, len(theirs.Won), theirs.Lost, len(mine.Won))
	}
	for _, ids := range []struct {
		who string
		ids []string
	}{{"parent", mine.Won}, {"child", theirs.Won}} {
		for _, id := range ids.ids {
			if r, err := s.Get(ctx, id); err != nil || r.By != ids.who {
				t.Errorf("%s won %s but the file says %+v %v", ids.who, id, r, err)
			}
		}
	}
	if got := mine.Taken + theirs.Taken; got != raceBucket {
		t.Errorf("the shared bucket of %d let through %d calls (parent %d, child %d)", raceBucket, got, mine.Taken, theirs.Taken)
	}
	t.Logf("parent won %d, child won %d; bucket: parent %d, child %d", len(mine.Won), len(theirs.Won), mine.Taken, theirs.Taken)
	if len(mine.Won) == 0 || len(theirs.Won) == 0 {
		t.Errorf("one process won nothing: the two did not race (parent %d, child %d)", len(mine.Won), len(theirs.Won))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("store file mode %v, want 0600 (%v)", fi.Mode().Perm(), err)
	}
	for _, side := range []string{"-wal", "-shm"} {
		if fi, err := os.Stat(path + side); err == nil && fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s%s mode %v: readable by others", filepath.Base(path), side, fi.Mode().Perm())
		}
	}
}

func TestSQLiteSchemaIsCreatedOnceWhenManyOpenAFreshFileAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "fresh.db")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := store.OpenSQLite(path, store.Options{})
			if err != nil {
				errs <- err
				return
			}
			errs <- s.Ping(context.Background())
			s.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent open: %v", err)
		}
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version int
	var mode string
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != 1 {
		t.Errorf("schema version %d (%v), want 1", version, err)
	}
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal mode %q (%v), want wal: two processes need it", mode, err)
	}
	// Opening again migrates nothing and keeps the rows.
	s, err := store.OpenSQLite(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Create(context.Background(), storetest.NewRequest("kept", time.Now(), time.Hour)); err != nil {
		t.Fatal(err)
	}
	s2, err := store.OpenSQLite(path, store.Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	if _, err := s2.Get(context.Background(), "kept"); err != nil {
		t.Errorf("a row did not survive reopening: %v", err)
	}
}

func TestSQLiteRefusesAFileItCannotUse(t *testing.T) {
	dir := t.TempDir()
	newer := filepath.Join(dir, "newer.db")
	db, err := sql.Open("sqlite", newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = store.OpenSQLite(newer, store.Options{})
	if err == nil || !strings.Contains(err.Error(), "schema version 99") || !strings.Contains(err.Error(), newer) {
		t.Errorf("open of a file with a newer schema: %v; want an error naming the file and its version", err)
	}

	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database\n", 300)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = store.OpenSQLite(garbage, store.Options{})
	if err == nil || !strings.Contains(err.Error(), "not a usable SQLite file") {
		t.Errorf("open of a file that is not SQLite: %v; want it called not a usable SQLite file", err)
	}

	if _, err := store.OpenSQLite(filepath.Join(dir, "what?.db"), store.Options{}); err == nil {
		t.Error("a file name with '?' was accepted")
	}
}
