package ops

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cccops/cccops/internal/store"
)

// Paths are the paths Handler serves; Mount routes them on a mux.
var Paths = []string{"/healthz", "/readyz", "/metrics"}

// MetricsTokenEnv names the environment variable holding the bearer token
// of /metrics (only from the environment, so it never shows in ps).
const MetricsTokenEnv = "CCC_METRICS_TOKEN"

// Defaults.
const (
	DefaultCheckTimeout = 2 * time.Second                 // each /readyz check
	DefaultReadyCache   = 1 * time.Second                 // /readyz answers from one check this long
	minMetricsToken     = 16                              // like the MCP bearer tokens
	metricsTimeout      = 10 * time.Second                // one scrape
	metricsInFlight     = 4                               // scrapes at once
	metricsRealm        = `Bearer realm="cccops-metrics"` // WWW-Authenticate of a refused scrape
)

// Config sets up Handler.
type Config struct {
	// Metrics is served at /metrics (required).
	Metrics *Metrics
	// Store is pinged by /readyz (required).
	Store store.Store
	// Backend checks that CCC can be reached (DialCheck); nil: not checked.
	Backend func(ctx context.Context) error
	// MetricsToken, when set, is the bearer token /metrics requires from
	// any client. Empty: /metrics answers only loopback clients that name
	// a loopback host (so neither another machine nor a web page that
	// rebinds its DNS name to 127.0.0.1 can read it).
	MetricsToken string
	// CheckTimeout bounds each /readyz check (default 2 s).
	CheckTimeout time.Duration
	// ReadyCache is how long one /readyz result answers every probe
	// (default 1 s), so a flood of probes costs one ping a second.
	ReadyCache time.Duration
	Logger     *slog.Logger
	Now        func() time.Time
}

type handler struct {
	cfg      Config
	tokenSum *[32]byte
	scrapes  chan struct{} // a slot per scrape in flight
	mux      *http.ServeMux

	mu      sync.Mutex // one /readyz check at a time; the others wait for it
	last    time.Time
	lastOK  bool
	lastOut readiness
}

// Handler serves GET /healthz, GET /readyz and GET /metrics; any other
// path is 404. It never writes a secret or a store's address in an answer:
// failures are named in words and their details logged.
func Handler(cfg Config) (http.Handler, error) {
	if cfg.Metrics == nil || cfg.Store == nil {
		return nil, errors.New("ops: Handler needs Metrics and Store")
	}
	if cfg.CheckTimeout <= 0 {
		cfg.CheckTimeout = DefaultCheckTimeout
	}
	if cfg.ReadyCache <= 0 {
		cfg.ReadyCache = DefaultReadyCache
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &handler{cfg: cfg}
	if tok := strings.TrimSpace(cfg.MetricsToken); tok != "" {
		if len(tok) < minMetricsToken {
			return nil, fmt.Errorf("%s is shorter than %d characters; make one with: openssl rand -hex 32", MetricsTokenEnv, minMetricsToken)
		}
		sum := sha256.Sum256([]byte(tok))
		h.tokenSum = &sum
	}
	h.scrapes = make(chan struct{}, metricsInFlight)
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("GET /healthz", h.healthz)
	h.mux.HandleFunc("GET /readyz", h.readyz)
	h.mux.HandleFunc("GET /metrics", h.serveMetrics)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if slices.Contains(Paths, r.URL.Path) {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, r.Method+" is not served here; use GET", http.StatusMethodNotAllowed)
			return
		}
		http.Error(w, "not found; the operations endpoints are /healthz, /readyz and /metrics (GET)", http.StatusNotFound)
	})
	return h, nil
}

// Mount routes Paths on mux to h (the ops handler), for a listener that
// serves something else too.
func Mount(mux *http.ServeMux, h http.Handler) {
	for _, p := range Paths {
		mux.Handle(p, h)
	}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	h.mux.ServeHTTP(w, r)
}

func (h *handler) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readiness is the body of /readyz: "ready" or "unavailable", and each
// check's answer in words ("ok" when it passed).
type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func (h *handler) readyz(w http.ResponseWriter, r *http.Request) {
	ok, out := h.ready(r.Context())
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, out)
}

// ready runs the checks in parallel, or answers from the last run when it
// is recent.
func (h *handler) ready(ctx context.Context) (bool, readiness) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now := h.cfg.Now(); !h.last.IsZero() && now.Sub(h.last) < h.cfg.ReadyCache && now.Sub(h.last) >= 0 {
		return h.lastOK, h.lastOut
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.CheckTimeout)
	defer cancel()
	var storeErr, backendErr error
	var wg sync.WaitGroup
	wg.Go(func() { storeErr = h.cfg.Store.Ping(ctx) })
	if h.cfg.Backend != nil {
		wg.Go(func() { backendErr = h.cfg.Backend(ctx) })
	}
	wg.Wait()
	out := readiness{Status: "ready", Checks: map[string]string{"store": "ok"}}
	ok := true
	if storeErr != nil {
		ok = false
		kind, _, _ := strings.Cut(h.cfg.Store.Name(), ":")
		out.Checks["store"] = fmt.Sprintf("the store (%s) did not answer a ping within %s: confirmations, approvals and rate limits cannot be kept, so calls are refused; check the database and the server log", kind, h.cfg.CheckTimeout)
		h.cfg.Logger.Warn("readyz: the store did not answer", "store", h.cfg.Store.Name(), "err", storeErr)
	}
	if h.cfg.Backend != nil {
		out.Checks["backend"] = "ok"
		if backendErr != nil {
			ok = false
			out.Checks["backend"] = fmt.Sprintf("the CCC backend did not accept a connection within %s: tool calls will fail; check the network path to the CCC endpoint (or the simulator) and the server log", h.cfg.CheckTimeout)
			h.cfg.Logger.Warn("readyz: the CCC backend cannot be reached", "err", backendErr)
		}
	}
	if !ok {
		out.Status = "unavailable"
	}
	h.last, h.lastOK, h.lastOut = h.cfg.Now(), ok, out
	return ok, out
}

func (h *handler) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if h.tokenSum != nil {
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sum[:], h.tokenSum[:]) != 1 {
			w.Header().Set("WWW-Authenticate", metricsRealm)
			http.Error(w, "metrics need the bearer token set in "+MetricsTokenEnv+": send Authorization: Bearer <token> (Prometheus: authorization.credentials_file)", http.StatusUnauthorized)
			return
		}
	} else if !loopbackPeer(r) || !loopbackHost(r.Host) {
		http.Error(w, "metrics are served only to clients on this machine (loopback) unless "+MetricsTokenEnv+" is set; set it and give the scraper the token", http.StatusForbidden)
		return
	}
	h.writeMetrics(w, r)
}

// writeMetrics answers a scrape: the registry in the text format, gzipped
// when the client accepts it. A gauge that cannot be read is left out
// (and logged by it) rather than failing the scrape.
func (h *handler) writeMetrics(w http.ResponseWriter, r *http.Request) {
	select {
	case h.scrapes <- struct{}{}:
		defer func() { <-h.scrapes }()
	default:
		w.Header().Set("Retry-After", "1")
		http.Error(w, fmt.Sprintf("%d scrapes are running already; try again in a moment (scrape less often or from fewer Prometheus servers)", metricsInFlight), http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), metricsTimeout)
	defer cancel()
	e := getEncoder()
	defer putEncoder(e)
	h.cfg.Metrics.reg.encode(ctx, e)

	w.Header().Set("Content-Type", ContentType)
	w.Header().Add("Vary", "Accept-Encoding")
	if !acceptsGzip(r.Header.Values("Accept-Encoding")) {
		w.Header().Set("Content-Length", strconv.Itoa(len(e.out)))
		if r.Method != http.MethodHead {
			_, _ = w.Write(e.out)
		}
		return
	}
	w.Header().Set("Content-Encoding", "gzip")
	if r.Method == http.MethodHead {
		return
	}
	gz := gzips.Get().(*gzip.Writer)
	defer gzips.Put(gz)
	gz.Reset(w)
	_, _ = gz.Write(e.out) // a write fails only when the client went away
	_ = gz.Close()
}

var gzips = sync.Pool{New: func() any {
	gz, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return gz
}}

// acceptsGzip reports whether Accept-Encoding accepts gzip: listed with a
// weight above zero, or not listed and * is.
func acceptsGzip(values []string) bool {
	gzipQ, starQ := -1.0, -1.0
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			coding = strings.TrimSpace(coding)
			q := 1.0
			for p := range strings.SplitSeq(params, ";") {
				if k, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
						q = f
					}
				}
			}
			switch {
			case strings.EqualFold(coding, "gzip"):
				gzipQ = q
			case coding == "*":
				starQ = q
			}
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}

func loopbackPeer(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackHost reports whether the Host header names this machine, which
// a page that rebound its own name to 127.0.0.1 cannot forge.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// DialCheck is a backend check for /readyz: a TCP connection to the CCC
// endpoint (scheme://host[:port]) is opened and closed. It shows the
// endpoint (or the simulator) is reachable without spending an API call,
// a rate-limit token or an audit line per probe; it does not prove the
// credentials, which the first call does.
func DialCheck(endpoint string) (func(ctx context.Context) error, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("ops: backend endpoint %q is not scheme://host[:port]", endpoint)
	}
	port := u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	return func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
