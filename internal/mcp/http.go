package mcp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/cccops/cccops/internal/policy"
)

// HTTP defaults.
const (
	DefaultPath        = "/mcp"
	DefaultMaxBody     = 1 << 20 // 1 MiB
	DefaultSessionIdle = 30 * time.Minute
	minTokenLen        = 16
)

// HTTPConfig configures the streamable HTTP transport.
type HTTPConfig struct {
	// Path of the endpoint (default /mcp).
	Path string
	// Tokens maps a token name to its bearer token; a request with that
	// token runs as principal "mcp:<name>". Every request needs one.
	Tokens map[string]string
	// AllowedOrigins lists the browser origins (scheme://host[:port]) that
	// may call; a request with any other Origin header is refused (403).
	AllowedOrigins []string
	// SessionIdle ends a session unused this long (default 30 minutes).
	SessionIdle time.Duration
	// MaxBody is the largest request body accepted (default 1 MiB).
	MaxBody int64
	// Now is the clock of session expiry (tests).
	Now func() time.Time
	// OAuth, when set, authenticates the bearer tokens that are not in
	// Tokens (which may then be empty) and serves its metadata.
	OAuth BearerAuth
}

// HTTPHandler is the hardened streamable HTTP endpoint: Origin check,
// bearer authentication, body cap, sessions bound to the principal that
// created them and expiring when idle, panics turned into 500s; mcp-go's
// own DNS-rebinding (Host) protection stays on behind it.
type HTTPHandler struct {
	s        *Server
	cfg      HTTPConfig
	tokens   []namedToken
	origins  map[string]bool
	sessions *sessionStore
	inner    *server.StreamableHTTPServer
	mux      *http.ServeMux
}

type namedToken struct {
	name string
	sum  [32]byte
}

// HTTPHandler builds the HTTP endpoint. It refuses to build one without
// tokens.
func (s *Server) HTTPHandler(cfg HTTPConfig) (*HTTPHandler, error) {
	if len(cfg.Tokens) == 0 && cfg.OAuth == nil {
		return nil, errors.New("HTTP mode needs at least one bearer token: set CCC_MCP_TOKENS=name=token or --tokens-file")
	}
	if cfg.Path == "" {
		cfg.Path = DefaultPath
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = DefaultSessionIdle
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &HTTPHandler{s: s, cfg: cfg, origins: map[string]bool{}}
	names := make([]string, 0, len(cfg.Tokens))
	for n := range cfg.Tokens {
		names = append(names, n)
	}
	sort.Strings(names)
	seen := map[[sha256.Size]byte]string{}
	for _, n := range names {
		tok := cfg.Tokens[n]
		if err := checkToken(n, tok); err != nil {
			return nil, err
		}
		sum := sha256.Sum256([]byte(tok))
		if other, dup := seen[sum]; dup {
			return nil, fmt.Errorf("tokens %q and %q are the same; give each client its own", other, n)
		}
		seen[sum] = n
		h.tokens = append(h.tokens, namedToken{name: n, sum: sum})
	}
	var origins []string
	for _, o := range cfg.AllowedOrigins {
		if strings.TrimSpace(o) == "*" {
			return nil, errors.New("--allowed-origins does not take *: name each browser origin, e.g. http://localhost:6274")
		}
		if o = normOrigin(o); o != "" && !h.origins[o] {
			h.origins[o] = true
			origins = append(origins, o)
		}
	}
	h.sessions = &sessionStore{m: map[string]*sessionEntry{}, idle: cfg.SessionIdle, now: cfg.Now}
	opts := []server.StreamableHTTPOption{
		server.WithEndpointPath(cfg.Path),
		server.WithSessionIdManagerResolver(h.sessions),
		server.WithSessionIdleTTL(cfg.SessionIdle),
		server.WithStreamableHTTPLogger(s.log),
	}
	if len(origins) > 0 {
		// The same normalized list as the 403 check, so a browser allowed
		// through also gets its Access-Control-Allow-Origin header.
		opts = append(opts, server.WithStreamableHTTPCORS(
			server.WithCORSAllowedOrigins(origins...),
			server.WithCORSAllowedHeaders("Authorization", "Content-Type", "Mcp-Session-Id", "Mcp-Protocol-Version", "Mcp-Method", "Mcp-Name", "Last-Event-ID"),
			server.WithCORSExposedHeaders("Mcp-Session-Id", "WWW-Authenticate"),
		))
	}
	h.inner = server.NewStreamableHTTPServer(s.mcp, opts...)
	h.mux = http.NewServeMux()
	h.mux.Handle(cfg.Path, h.inner)
	return h, nil
}

// Shutdown ends every session and stops the idle sweeper; call it before
// shutting down the http.Server so long-lived streams let go.
func (h *HTTPHandler) Shutdown(ctx context.Context) error { return h.inner.Shutdown(ctx) }

// ServeHTTP applies the hardening in order, then hands over to mcp-go.
func (h *HTTPHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.s.log.Error("panic in HTTP handler", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			httpError(w, http.StatusInternalServerError, "internal server error; try again, and report it if it repeats")
		}
	}()
	if h.cfg.OAuth != nil && h.cfg.OAuth.ServeMetadata(w, r) {
		return
	}
	if r.URL.Path != h.cfg.Path {
		httpError(w, http.StatusNotFound, "not found; the MCP endpoint is "+h.cfg.Path)
		return
	}
	if o := r.Header.Get("Origin"); o != "" && !h.origins[normOrigin(o)] {
		httpError(w, http.StatusForbidden, "origin not allowed; the operator can add it with --allowed-origins")
		return
	}
	if r.Method == http.MethodOptions {
		// A CORS preflight carries no credentials; only allowed origins got here.
		h.mux.ServeHTTP(w, r)
		return
	}
	p, status := h.authenticate(r)
	if status != 0 && h.cfg.OAuth != nil {
		var ok bool
		if p, ok = h.cfg.OAuth.Authenticate(w, r); !ok {
			return
		}
		status = 0
	}
	if status != 0 {
		challenge := `Bearer realm="cccops"`
		msg := "missing bearer token: send Authorization: Bearer <token>"
		if status == http.StatusUnauthorized && r.Header.Get("Authorization") != "" {
			challenge += `, error="invalid_token"`
			msg = "invalid bearer token"
		}
		w.Header().Set("WWW-Authenticate", challenge)
		httpError(w, status, msg)
		return
	}
	r = r.WithContext(WithPrincipal(r.Context(), p))
	if r.Method == http.MethodPost {
		if r.ContentLength > h.cfg.MaxBody {
			httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", h.cfg.MaxBody))
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, h.cfg.MaxBody+1))
		if err != nil {
			httpError(w, http.StatusBadRequest, "could not read the request body")
			return
		}
		if int64(len(body)) > h.cfg.MaxBody {
			httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", h.cfg.MaxBody))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if id := r.Header.Get(server.HeaderKeySessionID); id != "" {
		if err := h.sessions.check(id, p.ID); err != nil {
			httpError(w, http.StatusNotFound, "unknown or expired session; start a new one with initialize")
			return
		}
		if r.Method == http.MethodDelete {
			defer h.sessions.remove(id)
		}
	}
	h.mux.ServeHTTP(w, r)
}

func httpError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg+"\n")
}

// authenticate maps the bearer token to a principal. It compares digests in
// constant time against every token, so timing says nothing about which
// token was close.
func (h *HTTPHandler) authenticate(r *http.Request) (policy.Principal, int) {
	auth := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(auth, " ")
	if auth == "" || !ok || !strings.EqualFold(scheme, "Bearer") {
		return policy.Principal{}, http.StatusUnauthorized
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	found := -1
	for i := range h.tokens {
		if subtle.ConstantTimeCompare(sum[:], h.tokens[i].sum[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return policy.Principal{}, http.StatusUnauthorized
	}
	n := h.tokens[found].name
	return policy.Principal{ID: "mcp:" + n, Name: n, Surface: "mcp"}, 0
}

func normOrigin(o string) string {
	return strings.TrimRight(strings.ToLower(strings.TrimSpace(o)), "/")
}

// sessionStore binds each MCP session id to the principal that created it
// and expires sessions left idle. It is also mcp-go's session id manager, so
// the ids it validates are the ids it issued.
type sessionStore struct {
	mu   sync.Mutex
	m    map[string]*sessionEntry
	idle time.Duration
	now  func() time.Time
}

type sessionEntry struct {
	owner string
	last  time.Time
}

var errSession = errors.New("unknown or expired session")

func (ss *sessionStore) check(id, owner string) error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	e, ok := ss.m[id]
	if !ok {
		return errSession
	}
	now := ss.now()
	if now.Sub(e.last) > ss.idle {
		delete(ss.m, id)
		return errSession
	}
	if e.owner != owner {
		return errSession
	}
	e.last = now
	return nil
}

func (ss *sessionStore) remove(id string) {
	ss.mu.Lock()
	delete(ss.m, id)
	ss.mu.Unlock()
}

func (ss *sessionStore) generate(owner string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := "mcp-session-" + hex.EncodeToString(b)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.now()
	for k, e := range ss.m {
		if now.Sub(e.last) > ss.idle {
			delete(ss.m, k)
		}
	}
	ss.m[id] = &sessionEntry{owner: owner, last: now}
	return id
}

// ResolveSessionIdManager gives mcp-go a manager that knows who asks.
func (ss *sessionStore) ResolveSessionIdManager(r *http.Request) server.SessionIdManager {
	m := &boundIDs{ss: ss}
	if r != nil {
		if p, ok := PrincipalFrom(r.Context()); ok {
			m.owner = p.ID
		} else {
			m.anon = true
		}
	}
	return m
}

type boundIDs struct {
	ss    *sessionStore
	owner string
	anon  bool // a request without a principal: never reaches here past the middleware
}

func (b *boundIDs) Generate() string {
	if b.anon {
		return ""
	}
	return b.ss.generate(b.owner)
}

func (b *boundIDs) Validate(id string) (bool, error) {
	if b.anon {
		return false, errSession
	}
	return false, b.ss.check(id, b.owner)
}

func (b *boundIDs) Terminate(id string) (bool, error) {
	b.ss.mu.Lock()
	defer b.ss.mu.Unlock()
	e, ok := b.ss.m[id]
	if !ok {
		return false, nil
	}
	// The idle sweeper calls with no request (owner ""); a client may only
	// end its own sessions.
	if b.owner != "" && e.owner != b.owner {
		return true, nil
	}
	delete(b.ss.m, id)
	return false, nil
}

// ParseTokens reads "name=token,name2=token2" (CCC_MCP_TOKENS).
func ParseTokens(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		if err := addToken(out, part); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// LoadTokensFile reads one name=token per line; blank lines and lines
// starting with # are skipped.
func LoadTokensFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if err := addToken(out, l); err != nil {
			return nil, fmt.Errorf("tokens file %s line %d: %w", path, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	return out, nil
}

// MergeTokens adds b's tokens to a, refusing a name defined twice.
func MergeTokens(a, b map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for _, m := range []map[string]string{a, b} {
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			// addToken refuses a name or a token value seen before, so one
			// token cannot stand for two principals.
			if err := addToken(out, n+"="+m[n]); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// addToken never puts the token itself into an error.
func addToken(out map[string]string, entry string) error {
	name, tok, ok := strings.Cut(strings.TrimSpace(entry), "=")
	name, tok = strings.TrimSpace(name), strings.TrimSpace(tok)
	if !ok || name == "" {
		return errors.New("a token entry is not name=token")
	}
	if err := checkToken(name, tok); err != nil {
		return err
	}
	if _, dup := out[name]; dup {
		return fmt.Errorf("token name %q is defined twice", name)
	}
	for n, t := range out {
		if t == tok {
			return fmt.Errorf("tokens %q and %q are the same; give each client its own", n, name)
		}
	}
	out[name] = tok
	return nil
}

func checkToken(name, tok string) error {
	for _, c := range name {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return fmt.Errorf("token name %q may only use letters, digits, '-', '_' and '.'", name)
		}
	}
	if len(tok) < minTokenLen {
		return fmt.Errorf("the token of %q is shorter than %d characters; make one with: openssl rand -hex 32", name, minTokenLen)
	}
	return nil
}
