// Package pgtest runs a throwaway PostgreSQL server for a test binary: the
// real engine, started from the server installed on the machine, never a
// mock. One server per test binary, one database per test.
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		url := pgtest.NewDatabase(t) // skips when no server is installed
//		...
//	}
//
// The server starts on the first NewDatabase (a binary whose PostgreSQL
// tests are filtered out by -run pays nothing): initdb into a temporary
// folder, postgres on a free 127.0.0.1 port with its socket in that folder,
// as the postgres user (through runuser) when the tests run as root. It is
// stopped, and its folder removed, when the tests end — and, should the
// test binary die without stopping it (a -timeout panic, kill -9), by a
// watchdog that notices the binary is gone.
//
// Where no server is installed, NewDatabase skips the test with a message
// saying what to install; with CCC_REQUIRE_POSTGRES=1 (CI) it fails it
// instead. A server that is installed but does not start always fails.
//
// The server runs with fsync off: it holds test data only.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// RequireEnv is the variable that turns a missing server from a skip into
// a failure.
const RequireEnv = "CCC_REQUIRE_POSTGRES"

// BinDirEnv names the folder of initdb, pg_ctl and postgres to use instead
// of looking for them (pg_config --bindir, /usr/lib/postgresql/*/bin, PATH).
const BinDirEnv = "CCC_PG_BINDIR"

var (
	mu       sync.Mutex
	started  bool // Start was called
	srv      *server
	startErr error
	missing  string // why no server can be run here (not installed)
	dbCount  int
)

type server struct {
	bin     string // folder of initdb, pg_ctl, postgres
	dir     string // temporary folder: data, socket, log
	port    int
	asUser  string // "postgres" when running as root, else ""
	watchIn io.WriteCloser
	admin   *pgx.Conn
}

// Main is a whole TestMain: it runs the tests and stops the server.
func Main(m *testing.M) {
	stop := Start(m)
	code := m.Run()
	stop()
	os.Exit(code)
}

// Start readies a server for the test binary; call it from TestMain and
// call stop after m.Run. The server itself starts on first use.
func Start(*testing.M) (stop func()) {
	mu.Lock()
	started = true
	mu.Unlock()
	return func() {
		mu.Lock()
		defer mu.Unlock()
		if srv != nil {
			srv.stop()
			srv = nil
		}
	}
}

// NewDatabase creates an empty database on the test server and returns its
// URL (postgres://postgres@127.0.0.1:PORT/NAME?sslmode=disable; the server
// trusts loopback, so any password in the URL is accepted and ignored).
func NewDatabase(t testing.TB) string {
	t.Helper()
	s := ensure(t)
	mu.Lock()
	dbCount++
	name := fmt.Sprintf("t%03d_%s", dbCount, sanitize(t.Name()))
	if len(name) > 60 {
		name = name[:60]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := s.admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	mu.Unlock()
	if err != nil {
		t.Fatalf("pgtest: CREATE DATABASE %s: %v", name, err)
	}
	return s.url(name)
}

// Port is the test server's port (starting it if need be).
func Port(t testing.TB) int { return ensure(t).port }

func ensure(t testing.TB) *server {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if !started {
		t.Fatal("pgtest: call pgtest.Start (or pgtest.Main) from TestMain, so that the server is stopped when the tests end")
	}
	if srv == nil && startErr == nil && missing == "" {
		srv, startErr = start()
	}
	if missing != "" {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("PostgreSQL is required here (%s=1) but %s", RequireEnv, missing)
		}
		t.Skipf("skipped: %s (set %s=1 to make this a failure)", missing, RequireEnv)
	}
	if startErr != nil {
		t.Fatalf("pgtest: the PostgreSQL server is installed but did not start: %v", startErr)
	}
	return srv
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

func sanitize(s string) string {
	return strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(s), "_"), "_")
}

func (s *server) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// findBin returns the folder holding initdb, pg_ctl and postgres, or why
// there is none.
func findBin() (string, string) {
	var candidates []string
	if dir, ok := os.LookupEnv(BinDirEnv); ok {
		candidates = []string{dir}
	} else if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	if _, ok := os.LookupEnv(BinDirEnv); !ok {
		dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
		candidates = append(candidates, dirs...)
		if p, err := exec.LookPath("initdb"); err == nil {
			if real, err := filepath.EvalSymlinks(p); err == nil {
				candidates = append(candidates, filepath.Dir(real))
			}
		}
	}
	for _, dir := range candidates {
		ok := true
		for _, exe := range []string{"initdb", "pg_ctl", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, exe)); err != nil || fi.IsDir() {
				ok = false
			}
		}
		if ok {
			return dir, ""
		}
	}
	if dir, ok := os.LookupEnv(BinDirEnv); ok {
		return "", fmt.Sprintf("no PostgreSQL server in %s=%s (no initdb, pg_ctl and postgres there)", BinDirEnv, dir)
	}
	return "", "no PostgreSQL server is installed (no initdb, pg_ctl and postgres in `pg_config --bindir`, /usr/lib/postgresql/*/bin or PATH): install it (Debian: apt-get install postgresql)"
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// testSettings are the server settings for test data: nothing is synced
// to disk.
const testSettings = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"

func start() (*server, error) { return startWith(testSettings) }

// startWith starts a server with settings added to its command line.
func startWith(settings string) (*server, error) {
	bin, why := findBin()
	if bin == "" {
		missing = why
		return nil, nil
	}
	s := &server{bin: bin}
	dir, err := os.MkdirTemp("", "cccops-pg-")
	if err != nil {
		return nil, err
	}
	s.dir = dir
	if os.Geteuid() == 0 {
		// initdb and postgres refuse to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root, the server must run as the user postgres, and there is none: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s.asUser = "postgres"
	}
	if err := s.watchdog(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if out, err := s.run("initdb", "-D", s.data(), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		s.stop()
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	for attempt := 0; ; attempt++ {
		if s.port, err = freePort(); err != nil {
			s.stop()
			return nil, err
		}
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 %s -c max_connections=300",
			s.port, s.dir, settings)
		out, err := s.run("pg_ctl", "-D", s.data(), "-o", opts, "-l", filepath.Join(s.dir, "log"), "-w", "-t", "120", "start")
		if err == nil {
			break
		}
		if attempt == 2 {
			log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
			s.stop()
			return nil, fmt.Errorf("pg_ctl start: %v: %s\nserver log:\n%s", err, out, tail(string(log), 2000))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if s.admin, err = pgx.Connect(ctx, s.url("postgres")); err != nil {
		s.stop()
		return nil, fmt.Errorf("connecting to the test server: %v", err)
	}
	return s, nil
}

func (s *server) data() string { return filepath.Join(s.dir, "data") }

// command builds a server command, run as the postgres user when root.
func (s *server) command(exe string, args ...string) *exec.Cmd {
	path := filepath.Join(s.bin, exe)
	var cmd *exec.Cmd
	if s.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.asUser, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = s.dir // the postgres user may not enter the test's folder
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd
}

func (s *server) run(exe string, args ...string) (string, error) {
	out, err := s.command(exe, args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// watchdog starts a shell that stops the server and removes its folder as
// soon as this process's end closes the shell's stdin — whether stop ran
// or the binary died.
func (s *server) watchdog() error {
	ctl := fmt.Sprintf("%q -D %q -m immediate stop", filepath.Join(s.bin, "pg_ctl"), s.data())
	if s.asUser != "" {
		ctl = "runuser -u " + s.asUser + " -- " + ctl
	}
	script := fmt.Sprintf(`read _; [ -f %q ] && %s >/dev/null 2>&1; rm -rf %q`, filepath.Join(s.data(), "postmaster.pid"), ctl, s.dir)
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // not killed with the test's process group by ^C before it cleans up
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the watchdog: %v", err)
	}
	go cmd.Wait()
	s.watchIn = in
	return nil
}

func (s *server) stop() {
	if s.admin != nil {
		s.admin.Close(context.Background())
	}
	if _, err := os.Stat(filepath.Join(s.data(), "postmaster.pid")); err == nil {
		s.run("pg_ctl", "-D", s.data(), "-m", "fast", "-w", "-t", "60", "stop")
	}
	if s.watchIn != nil {
		s.watchIn.Close() // the watchdog removes the folder
		s.watchIn = nil
		for range 100 { // wait for it, so the folder is gone when the tests end
			if _, err := os.Stat(s.dir); errors.Is(err, os.ErrNotExist) {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	os.RemoveAll(s.dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
