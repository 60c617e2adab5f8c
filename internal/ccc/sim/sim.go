// Package sim is an in-memory look-alike of Alibaba Cloud Call Center (CCC),
// API version 2017-07-05. It speaks the RPC wire exactly as
// alibaba-cloud-sdk-go sends it (POST, parameters in the query string and the
// form body, HMAC-SHA1 signatures or bearer tokens, JSON answers), keeps a
// seeded, realistic call center in memory and answers all 89 actions with the
// response shapes of the embedded spec. It is the backend of every test and the
// default backend of the product when no credentials are configured.
package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Credentials the simulator accepts when Options leave them empty. They are
// not secrets: they only open this local simulator.
const (
	DefaultAccessKeyID     = "sim-access-key-id"
	DefaultAccessKeySecret = "sim-access-key-secret"
	DefaultBearerToken     = "sim-bearer-token"
	// DefaultInstanceID is the first seeded call center.
	DefaultInstanceID = "ccc-sim-shanghai"
	// SecondInstanceID is the second seeded call center.
	SecondInstanceID = "ccc-sim-beijing"
)

// DefaultZone is the zone of both seeded call centers: China Standard Time,
// which has no daylight saving time, so a fixed zone with the same name
// stands in where the machine has no tz database.
var DefaultZone = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("Asia/Shanghai", 8*3600)
}()

// Faults makes the simulator misbehave on purpose. Shares are between 0 and
// 1 and are applied exactly: with ThrottleRate 0.25, one request in four is
// throttled (spread evenly, not at random), so tests can count on them.
type Faults struct {
	Latency         time.Duration // added before every answer
	ThrottleRate    float64       // share answered HTTP 400 Throttling.User
	UnavailableRate float64       // share answered HTTP 503 ServiceUnavailable
	HangRate        float64       // share that hang until HangFor elapses or the client goes away
	HangFor         time.Duration // default 60s
	// Only, when set, limits the faults (latency included) to these
	// actions; other requests are answered normally.
	Only []string
}

// Options configure a simulator. The zero value is usable.
type Options struct {
	Seed         int64             // default 1; the same seed and Now give the same data
	Now          func() time.Time  // default time.Now; the seeded history ends at Now()
	AccessKeys   map[string]string // AccessKey id → secret; default {DefaultAccessKeyID: DefaultAccessKeySecret}
	BearerTokens []string          // default {DefaultBearerToken}
	Faults       Faults
	Logger       *slog.Logger // nil → discard
	// Zone is the call center's zone, as CCC has one per instance: the
	// seeded day (the roster, the busy hours, the incidents), "today" in
	// reports and date-time text in requests and answers are in it, whatever
	// the zone of the machine. Default Asia/Shanghai.
	Zone *time.Location
}

// ExternalRecord is what an external action (a call, an SMS, a survey) would
// have sent to real people.
type ExternalRecord struct {
	Time       time.Time
	Action     string
	InstanceID string
	Params     map[string]string // the request's business parameters (no auth parameters)
	ContactID  string            // the call record it created, if any
}

// Sim is the simulator: an http.Handler with a seeded call center inside.
type Sim struct {
	now    func() time.Time
	log    *slog.Logger
	keys   map[string]string
	tokens map[string]bool
	seed   int64

	closing   chan struct{}
	closeOnce sync.Once

	nonces *nonceCache

	fmu    sync.Mutex
	faults Faults
	accs   [3]float64 // running shares: hang, unavailable, throttle

	cmu    sync.Mutex
	counts map[string]int64

	// mu guards everything below and all instance state. Its first Lock
	// seeds that state (see seededMutex): a process that never calls the
	// simulator never pays for a week of calls.
	mu        seededMutex
	instances []*instance
	byID      map[string]*instance
	external  []ExternalRecord
	providers []*trunkProvider
	reqSeq    uint64
	idSeq     uint64

	shapeIssues []string // answers that did not fit the spec (a simulator bug; tests assert none)
}

// New builds a simulator with its seeded state.
func New(opts Options) *Sim {
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Zone == nil {
		opts.Zone = DefaultZone
	}
	clock, zone := opts.Now, opts.Zone
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if len(opts.AccessKeys) == 0 {
		opts.AccessKeys = map[string]string{DefaultAccessKeyID: DefaultAccessKeySecret}
	}
	if len(opts.BearerTokens) == 0 {
		opts.BearerTokens = []string{DefaultBearerToken}
	}
	s := &Sim{
		now:     func() time.Time { return clock().In(zone) },
		log:     opts.Logger,
		keys:    map[string]string{},
		tokens:  map[string]bool{},
		seed:    opts.Seed,
		closing: make(chan struct{}),
		nonces:  newNonceCache(nonceTTL, maxNonces),
		counts:  map[string]int64{},
		byID:    map[string]*instance{},
	}
	for k, v := range opts.AccessKeys {
		s.keys[k] = v
	}
	for _, t := range opts.BearerTokens {
		s.tokens[t] = true
	}
	s.SetFaults(opts.Faults)
	// The data is anchored to this moment, whenever it is built: the same
	// seed and Now give the same data as if it had been built here.
	seed, now := opts.Seed, s.now()
	s.mu.seed = func() { s.seedState(seed, now) }
	return s
}

// seededMutex is the simulator's state lock; the first Lock runs seed
// (once, before locking), so every path to the state — handlers, accessors,
// tests — finds it seeded, and a process that never asks pays nothing.
type seededMutex struct {
	sync.Mutex
	once sync.Once
	seed func()
}

func (m *seededMutex) Lock() {
	m.once.Do(m.seed)
	m.Mutex.Lock()
}

// SetFaults replaces the fault settings; it takes effect on the next request.
func (s *Sim) SetFaults(f Faults) {
	if f.HangFor <= 0 {
		f.HangFor = 60 * time.Second
	}
	s.fmu.Lock()
	s.faults = f
	s.accs = [3]float64{}
	s.fmu.Unlock()
}

// Count returns how many requests named this action were received, whether
// they were answered, faulted or refused.
func (s *Sim) Count(action string) int64 {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return s.counts[action]
}

// Counts returns a copy of all per-action counters.
func (s *Sim) Counts() map[string]int64 {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	out := make(map[string]int64, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// ResetCounts sets every counter back to zero.
func (s *Sim) ResetCounts() {
	s.cmu.Lock()
	s.counts = map[string]int64{}
	s.cmu.Unlock()
}

// External returns, oldest first, what the external actions would have sent.
func (s *Sim) External() []ExternalRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ExternalRecord, len(s.external))
	for i, r := range s.external {
		r.Params = cloneMap(r.Params)
		out[i] = r
	}
	return out
}

// InstanceIDs lists the seeded (and any later) instance ids in order.
func (s *Sim) InstanceIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.instances))
	for i, in := range s.instances {
		out[i] = in.ID
	}
	return out
}

// AgentInfo is a test-side view of one agent.
type AgentInfo struct {
	UserID, RamID, LoginName, DisplayName, Extension string
	State                                            string
	Since                                            time.Time
	Abnormal                                         bool // stuck in a busy state that ResetUserStatus clears
}

// Agent returns the agent with this login name in the instance.
func (s *Sim) Agent(instanceID, loginName string) (AgentInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.byID[instanceID]
	if in == nil {
		return AgentInfo{}, false
	}
	for _, u := range in.users {
		if u.LoginName == loginName {
			return s.agentInfo(u), true
		}
	}
	return AgentInfo{}, false
}

// Agents returns every agent of the instance, in seed order.
func (s *Sim) Agents(instanceID string) []AgentInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.byID[instanceID]
	if in == nil {
		return nil
	}
	out := make([]AgentInfo, 0, len(in.users))
	for _, u := range in.users {
		out = append(out, s.agentInfo(u))
	}
	return out
}

func (s *Sim) agentInfo(u *user) AgentInfo {
	return AgentInfo{UserID: u.UserID, RamID: u.RamID, LoginName: u.LoginName, DisplayName: u.DisplayName,
		Extension: u.Extension, State: u.State, Since: u.Since, Abnormal: u.abnormal(s.now())}
}

// CallCount returns how many call detail records the instance holds.
func (s *Sim) CallCount(instanceID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.byID[instanceID]; in != nil {
		return len(in.calls)
	}
	return 0
}

// Server is a simulator listening on a TCP address.
type Server struct {
	*Sim
	URL  string // http://127.0.0.1:port
	Addr string // 127.0.0.1:port, what the SDK wants as Domain

	srv  *http.Server
	done chan struct{}
	err  error
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves a new
// simulator in the background until Close.
func Start(addr string, opts Options) (*Server, error) {
	// Plain TCP: Go listens with Multipath TCP by default, whose probe
	// and sockets cost every start of an embedded simulator ~0.4 ms, for
	// clients that are tests and processes next to it.
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ccc sim: listen on %s: %w (pick another address or port)", addr, err)
	}
	s := New(opts)
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          nil,
	}
	server := &Server{Sim: s, Addr: ln.Addr().String(), URL: "http://" + ln.Addr().String(), srv: srv, done: make(chan struct{})}
	go func() {
		defer close(server.done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			server.err = err
		}
	}()
	return server, nil
}

// Close stops the server, releases hanging requests and waits for every
// handler and the accept loop to finish.
func (s *Server) Close() error {
	s.Sim.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close()
	}
	<-s.done
	if err == nil {
		err = s.err
	}
	return err
}

// stop releases every request that waits on latency or a hang fault.
func (s *Sim) stop() { s.closeOnce.Do(func() { close(s.closing) }) }

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
