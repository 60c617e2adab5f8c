package pgtest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a throwaway PostgreSQL server started outside a test binary
// (cmd/cccops-load measures the store on one): the same initdb into a
// temporary folder, free 127.0.0.1 port and postgres user when root as the
// test server, and the same watchdog, so the server is stopped and its
// folder removed even when the process dies without calling Stop.
//
// Unlike the test server it keeps PostgreSQL's own durability settings
// (fsync, synchronous_commit and full_page_writes on) unless NoSync is
// asked for, since what it measures is what a deployment pays.
type Server struct {
	mu sync.Mutex
	s  *server
	n  int
}

// ServerOptions tune StartServer.
type ServerOptions struct {
	// NoSync runs the server with fsync, synchronous_commit and
	// full_page_writes off, as the test server does.
	NoSync bool
}

// NotInstalledError says there is no PostgreSQL server on this machine to
// start, and what to install.
type NotInstalledError struct{ Why string }

func (e *NotInstalledError) Error() string { return e.Why }

// StartServer starts a server and returns when it accepts connections
// (initdb and start take a few seconds). Where no server is installed the
// error is a *NotInstalledError. Call Stop when done.
func StartServer(o ServerOptions) (*Server, error) {
	if bin, why := findBin(); bin == "" {
		return nil, &NotInstalledError{Why: why}
	}
	settings := ""
	if o.NoSync {
		settings = testSettings
	}
	s, err := startWith(settings)
	if err != nil {
		return nil, fmt.Errorf("pgtest: the PostgreSQL server is installed but did not start: %w", err)
	}
	if s == nil { // not installed after all (it vanished since findBin)
		return nil, &NotInstalledError{Why: "no PostgreSQL server is installed"}
	}
	return &Server{s: s}, nil
}

// NewDatabase creates an empty database and returns its URL
// (postgres://postgres@127.0.0.1:PORT/NAME?sslmode=disable; the server
// trusts loopback connections).
func (s *Server) NewDatabase(ctx context.Context, prefix string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.s == nil {
		return "", fmt.Errorf("pgtest: the server is stopped")
	}
	s.n++
	name := fmt.Sprintf("%s_%03d", sanitize(prefix), s.n)
	if len(name) > 60 {
		name = name[:60]
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := s.s.admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgtest: CREATE DATABASE %s: %w", name, err)
	}
	return s.s.url(name), nil
}

// Stop stops the server and removes its folder. It may be called more than
// once.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.s != nil {
		s.s.stop()
		s.s = nil
	}
}
