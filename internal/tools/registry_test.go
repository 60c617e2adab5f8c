package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/tools"
)

// syncBuf is an audit sink tests can read.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) records(t *testing.T) []policy.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []policy.Record
	for _, line := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		if line == "" {
			continue
		}
		var r policy.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line is not JSON: %q", line)
		}
		out = append(out, r)
	}
	return out
}

type env struct {
	sim   *sim.Server
	reg   *tools.Registry
	gate  *policy.Gate
	audit *syncBuf
}

func newEnv(t *testing.T, pc policy.Config, filter tools.Filter) *env {
	t.Helper()
	return newEnvAt(t, pc, filter, nil)
}

// newEnvAt is newEnv with a fixed clock for the simulator, the gate and the
// registry (tests whose data depends on the time of day); nil: time.Now.
func newEnvAt(t *testing.T, pc policy.Config, filter tools.Filter, now func() time.Time) *env {
	t.Helper()
	srv, err := sim.Start("127.0.0.1:0", sim.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	client := clientFor(t, srv)
	audit := &syncBuf{}
	pc.Audit = audit
	if pc.Secret == nil {
		pc.Secret = []byte("test-secret-of-at-least-32-bytes!!")
	}
	if pc.Now == nil {
		pc.Now = now
	}
	gate, err := policy.New(pc)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := tools.New(tools.Config{Client: client, Gate: gate, DefaultInstance: sim.DefaultInstanceID, Filter: filter, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return &env{sim: srv, reg: reg, gate: gate, audit: audit}
}

func clientFor(t *testing.T, srv *sim.Server) *ccc.Client {
	t.Helper()
	client, err := ccc.New(ccc.Config{Endpoint: srv.URL, Credentials: ccc.Credentials{Mode: ccc.CredAccessKey, AccessKeyID: sim.DefaultAccessKeyID, AccessKeySecret: sim.DefaultAccessKeySecret}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	return client
}

var alice = policy.Principal{ID: "test:alice", Name: "Alice", Surface: "test"}

func TestReadCallShapesResult(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	res, err := e.reg.Invoke(context.Background(), tools.Invocation{CanAsk: true, Principal: alice, Tool: "list_real_time_agent"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != tools.StatusOK || res.RequestID == "" {
		t.Fatalf("result %+v", res)
	}
	for _, k := range []string{"HttpStatusCode", "Success", "Code", "Message"} {
		if _, ok := res.Data()[k]; ok {
			t.Errorf("envelope field %s kept", k)
		}
	}
	users, ok := res.Data()["Data"].([]any)
	if !ok || len(users) < 40 {
		t.Fatalf("Data should be the collapsed list of agents, got %T (%d)", res.Data()["Data"], len(users))
	}
	if e.sim.Count("ListRealTimeAgent") != 1 {
		t.Fatalf("backend calls: %d", e.sim.Count("ListRealTimeAgent"))
	}
	recs := e.audit.records(t)
	if len(recs) != 1 || recs[0].Result != "ok" || recs[0].RequestID != res.RequestID || recs[0].Principal != alice.ID {
		t.Fatalf("audit %+v", recs)
	}
}

func TestLookupIsCaseInsensitive(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	for _, n := range []string{"ListRealTimeAgent", "listrealtimeagent", "LIST_REAL_TIME_AGENT", "list-real-time-agent"} {
		if tl, ok := e.reg.Lookup(n); !ok || tl.Action != "ListRealTimeAgent" {
			t.Errorf("Lookup(%q) failed", n)
		}
	}
	_, err := e.reg.Invoke(context.Background(), tools.Invocation{CanAsk: true, Principal: alice, Tool: "list_agentz"})
	var te *tools.Error
	if !errors.As(err, &te) || te.Kind != tools.KindUnknownTool || !strings.Contains(te.Message, "did you mean") {
		t.Fatalf("got %v", err)
	}
}

// TestDocumentedStateFilterFindsAgents: the schema's State enum and the
// states the backend reports are one set, so filtering by after-call work
// (ACW) finds the agent stuck in it.
func TestDocumentedStateFilterFindsAgents(t *testing.T) {
	e := newEnv(t, policy.Config{}, tools.Filter{})
	res, err := e.reg.Invoke(context.Background(), tools.Invocation{CanAsk: true, Principal: alice, Tool: "list_agent_states", Args: map[string]any{"State": "ACW", "PageSize": 100}})
	if err != nil {
		t.Fatal(err)
	}
	// The rows, not the table's layout: how many others are in ACW with
	// victor depends on the hour, and with one row the State is a column
	// rather than a constant stated above the table.
	data, _ := res.Data()["Data"].(map[string]any)["List"].([]any)
	victor := false
	for _, it := range data {
		row := it.(map[string]any)
		if row["State"] != "ACW" {
			t.Errorf("State=ACW lists %v in %v", row["LoginName"], row["State"])
		}
		victor = victor || row["LoginName"] == "victor"
	}
	if !victor || !strings.Contains(res.Text, "victor") {
		t.Fatalf("State=ACW does not list victor: %s", res.Text)
	}
}
