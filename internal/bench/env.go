// Package bench measures what cccops adds on top of a bare SDK call, and
// how much the whole product can carry, against one CCC simulator: the
// same read made by a raw alibaba-cloud-sdk-go CommonRequest, by ccc.Client,
// by the tool registry, and by the MCP adapter in-process and over
// streamable HTTP. The Go benchmarks of this package and cmd/cccops-load
// both use it, so the numbers they print are made the same way.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/ccc/sim"
	"github.com/cccops/cccops/internal/ccc/spec"
	"github.com/cccops/cccops/internal/policy"
	"github.com/cccops/cccops/internal/store"
	"github.com/cccops/cccops/internal/tools"
)

// Principal is who the measured calls run as.
var Principal = policy.Principal{ID: "bench:load", Name: "Load generator", Surface: "bench"}

// NoLimits turns the gate's per-person rate limits off. The default (600
// calls a minute per person) is a safety net for people; left on, it would
// be the only thing a throughput run measures.
var NoLimits = policy.Limits{Overall: policy.Rate{N: -1}, Class: map[spec.Access]policy.Rate{}}

// Env is one simulator and the product's pieces wired to it the way
// internal/app wires them, except that the gate has no rate limits and the
// audit goes nowhere (the audit sink is a deployment choice, measured
// separately if at all).
type Env struct {
	Sim *sim.Server
	// Process is the simulator's process when it runs in one
	// (Options.Process); Sim is then only a copy of its data.
	Process  *SimProcess
	Client   *ccc.Client
	Gate     *policy.Gate
	Registry *tools.Registry
	// Read is the read call every latency path makes.
	Read Read
	own  bool
}

// Read is one read action with its arguments, in the two forms the
// measured layers take: tool arguments and encoded RPC parameters.
type Read struct {
	Action string
	Tool   string
	Args   map[string]any // tool arguments, InstanceId included
	Params ccc.Params     // exactly what ccc.Client puts on the wire
	Req    ccc.Request
	// Expect is a string every successful answer contains, so a path
	// that silently returned nothing would be caught.
	Expect string
}

// Options configure Start.
type Options struct {
	// Sim is a simulator to use; nil starts a new one on 127.0.0.1:0.
	Sim *sim.Server
	// Process is a simulator process to use instead (StartSimProcess).
	// The Env's Sim is then a copy of its seeded data made in this
	// process, for the ids the reads ask for: it serves nothing and
	// counts nothing.
	Process *SimProcess
	// Action is the read action to measure: "GetUser" (default) or
	// "ListRealTimeAgent".
	Action string
	// Audit receives the gate's audit lines; nil discards them.
	Audit io.Writer
	// Store is the gate's store; nil: a memory store of its own.
	Store store.Store
	// Limits are the gate's rate limits; zero: NoLimits.
	Limits policy.Limits
}

// Start wires an Env.
func Start(o Options) (*Env, error) {
	e := &Env{Sim: o.Sim, Process: o.Process}
	if o.Process != nil {
		e.Sim = &sim.Server{Sim: sim.New(sim.Options{Seed: o.Process.Seed}), URL: o.Process.URL, Addr: o.Process.Addr}
	}
	if e.Sim == nil {
		srv, err := sim.Start("127.0.0.1:0", sim.Options{})
		if err != nil {
			return nil, err
		}
		e.Sim, e.own = srv, true
	}
	fail := func(err error) (*Env, error) {
		e.Close()
		return nil, err
	}
	client, err := ccc.New(ccc.Config{Endpoint: e.Sim.URL, Credentials: SimCredentials()})
	if err != nil {
		return fail(err)
	}
	e.Client = client
	if o.Limits.Overall == (policy.Rate{}) && o.Limits.Class == nil {
		o.Limits = NoLimits
	}
	gate, err := policy.New(policy.Config{
		Secret: []byte("bench-token-secret-not-for-production"),
		Limits: o.Limits, Audit: o.Audit, Store: o.Store,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return fail(err)
	}
	e.Gate = gate
	reg, err := tools.New(tools.Config{Client: client, Gate: gate, DefaultInstance: sim.DefaultInstanceID, Timeout: 30 * time.Second})
	if err != nil {
		return fail(err)
	}
	e.Registry = reg
	if o.Action == "" {
		o.Action = "GetUser"
	}
	if e.Read, err = e.readFor(o.Action); err != nil {
		return fail(err)
	}
	return e, nil
}

// SimCredentials are the simulator's built-in (non-secret) AccessKey.
func SimCredentials() ccc.Credentials {
	return ccc.Credentials{Mode: ccc.CredAccessKey, AccessKeyID: sim.DefaultAccessKeyID, AccessKeySecret: sim.DefaultAccessKeySecret}
}

// Close stops what Start started.
func (e *Env) Close() {
	if e.Client != nil {
		e.Client.Close()
	}
	if e.own && e.Sim != nil {
		e.Sim.Close()
	}
}

func (e *Env) readFor(action string) (Read, error) {
	alice, ok := e.Sim.Agent(sim.DefaultInstanceID, "alice")
	if !ok {
		return Read{}, errors.New("bench: the simulator's seed has no agent alice")
	}
	r := Read{Action: action, Args: map[string]any{"InstanceId": sim.DefaultInstanceID}, Expect: alice.RamID}
	switch action {
	case "GetUser":
		r.Args["UserId"] = alice.UserID
	case "ListRealTimeAgent":
	default:
		return Read{}, fmt.Errorf("bench: measure GetUser or ListRealTimeAgent, not %q", action)
	}
	t, ok := e.Registry.Lookup(action)
	if !ok {
		return Read{}, fmt.Errorf("bench: no tool for %s", action)
	}
	r.Tool = t.Name
	req, _ := ccc.NewRequest(action)
	raw, _ := json.Marshal(r.Args)
	if err := json.Unmarshal(raw, req); err != nil {
		return Read{}, err
	}
	p, err := ccc.Encode(req)
	if err != nil {
		return Read{}, err
	}
	r.Req, r.Params = req, p
	return r, nil
}

// RawSDK returns a path that sends the read with a bare alibaba-cloud-sdk-go
// client and CommonRequest, as a hand-written integration would: no pool,
// no retry, no validation, no policy, no shaping. The SDK client must not be
// shared between goroutines, so each RawSDK path owns one; ask for one per
// goroutine.
func (e *Env) RawSDK() (CallFunc, error) {
	send, err := e.rawSDK()
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		_, err := send(ctx)
		return err
	}, nil
}

// rawSDK is RawSDK's call, returning the answer's body.
func (e *Env) rawSDK() (func(context.Context) ([]byte, error), error) {
	conf := sdk.NewConfig().WithAutoRetry(false).WithScheme("HTTP")
	sc := &sdk.Client{}
	cred := credentials.NewStaticAKCredentialsProvider(sim.DefaultAccessKeyID, sim.DefaultAccessKeySecret)
	if err := sc.InitWithOptions(ccc.DefaultRegion, conf, cred); err != nil {
		return nil, err
	}
	sc.SetConnectTimeout(ccc.DefaultConnectTimeout)
	sc.SetReadTimeout(ccc.DefaultReadTimeout)
	r := e.Read
	expect := []byte(r.Expect)
	return func(ctx context.Context) ([]byte, error) {
		req := requests.NewCommonRequest()
		req.Method = "POST"
		req.Scheme = "HTTP"
		req.Domain = e.Sim.Addr
		req.Product = ccc.Product
		req.Version = ccc.Version
		req.ApiName = r.Action
		for k, v := range r.Params.Query {
			req.QueryParams[k] = v
		}
		for k, v := range r.Params.Body {
			req.FormParams[k] = v
		}
		resp, err := sc.ProcessCommonRequest(req)
		if err != nil {
			return nil, fmt.Errorf("raw SDK: %s", firstLine(err.Error()))
		}
		body := resp.GetHttpContentBytes()
		if !resp.IsSuccess() || !bytes.Contains(body, expect) {
			return nil, fmt.Errorf("raw SDK: HTTP %d without the expected answer", resp.GetHttpStatus())
		}
		return body, nil
	}, nil
}

// CCC returns a path through ccc.Client.Call: pooled SDK clients, the
// context bound to the request, error typing, retry policy.
func (e *Env) CCC() CallFunc {
	r := e.Read
	expect := []byte(r.Expect)
	return func(ctx context.Context) error {
		body, err := e.Client.Call(ctx, r.Req)
		if err != nil {
			return err
		}
		if !bytes.Contains(body, expect) {
			return errors.New("ccc.Client: the answer lacks the expected agent")
		}
		return nil
	}
}

// Invoke returns a path through the registry: lookup, schema validation,
// decoding, the gate's decision and rate limit, ccc.Client, the audit
// record, and shaping of the result.
func (e *Env) Invoke() CallFunc {
	r := e.Read
	return func(ctx context.Context) error {
		res, err := e.Registry.Invoke(ctx, tools.Invocation{CanAsk: true, Principal: Principal, Tool: r.Tool, Args: r.Args})
		if err != nil {
			return err
		}
		if res.Status != tools.StatusOK || !strings.Contains(res.Text, r.Expect) {
			return fmt.Errorf("registry: status %s without the expected agent", res.Status)
		}
		return nil
	}
}

// firstLine keeps an SDK error short: its later lines hold the request URL,
// which carries the signature.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if i := strings.Index(s, "http://"); i >= 0 {
		s = s[:i] + "…"
	}
	return s
}
