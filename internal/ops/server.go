package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/cccops/cccops/internal/store"
)

// Server serves the ops handler on an address of its own (--ops-addr).
type Server struct {
	ln   net.Listener
	hs   *http.Server
	done chan error
}

// Start listens on addr and serves h there until Shutdown.
func Start(addr string, h http.Handler, logger *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s for the operations endpoints: %w", addr, err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{ln: ln, done: make(chan error, 1), hs: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      20 * time.Second, // a scrape is bounded at 10 s
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}}
	go func() { s.done <- s.hs.Serve(ln) }()
	return s, nil
}

// Addr is the address it listens on (with the port the system chose for :0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Shutdown stops serving, letting requests in flight finish until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.hs.Shutdown(ctx)
	if err != nil {
		_ = s.hs.Close()
	}
	if serr := <-s.done; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

// Setup finishes the metrics of an opened product and builds its handler:
// the pending gauge reads st, /readyz pings st and dials the CCC endpoint
// (scheme://host[:port], ccc.Client.Endpoint), and /metrics wants token
// (CCC_METRICS_TOKEN; empty: loopback clients only).
func Setup(m *Metrics, st store.Store, endpoint, token string, logger *slog.Logger) (http.Handler, error) {
	check, err := DialCheck(endpoint)
	if err != nil {
		return nil, err
	}
	m.WatchPending(st, logger)
	return Handler(Config{Metrics: m, Store: st, Backend: check, MetricsToken: token, Logger: logger})
}

// Loopback reports whether a listen address (host:port) only accepts
// connections from this machine.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	return loopbackHost(host)
}
