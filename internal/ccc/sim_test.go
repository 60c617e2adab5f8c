package ccc_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc"
	"github.com/cccops/cccops/internal/ccc/sim"
)

// These tests run the real SDK, real signatures and real HTTP against the
// simulator on 127.0.0.1.

func startSim(t *testing.T, f sim.Faults) *sim.Server {
	t.Helper()
	srv, err := sim.Start("127.0.0.1:0", sim.Options{Faults: f})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func simClient(t *testing.T, srv *sim.Server, creds ccc.Credentials, mut ...func(*ccc.Config)) *ccc.Client {
	t.Helper()
	cfg := ccc.Config{Endpoint: srv.URL, Credentials: creds, BaseBackoff: time.Millisecond}
	for _, m := range mut {
		m(&cfg)
	}
	c, err := ccc.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

var simAK = ccc.Credentials{Mode: ccc.CredAccessKey, AccessKeyID: sim.DefaultAccessKeyID, AccessKeySecret: sim.DefaultAccessKeySecret}

func TestSimAccessKeyAndBearer(t *testing.T) {
	srv := startSim(t, sim.Faults{})
	for _, creds := range []ccc.Credentials{simAK, {Mode: ccc.CredBearer, BearerToken: sim.DefaultBearerToken}} {
		c := simClient(t, srv, creds)
		body, err := c.Call(context.Background(), &ccc.ListRealTimeAgentRequest{InstanceId: ccc.Ptr(sim.DefaultInstanceID)})
		if err != nil {
			t.Fatalf("%s: %v", creds.Mode, err)
		}
		var resp struct {
			Success bool
			Data    struct{ User []struct{ RamId string } }
		}
		if err := json.Unmarshal(body, &resp); err != nil || !resp.Success || len(resp.Data.User) < 40 {
			t.Fatalf("%s: %s", creds.Mode, body)
		}
	}
}

func TestSimRejectsBadCredentials(t *testing.T) {
	srv := startSim(t, sim.Faults{})
	for creds, code := range map[ccc.Credentials]string{
		{Mode: ccc.CredAccessKey, AccessKeyID: sim.DefaultAccessKeyID, AccessKeySecret: "wrong-secret"}: "SignatureDoesNotMatch",
		{Mode: ccc.CredAccessKey, AccessKeyID: "nobody", AccessKeySecret: "x"}:                          "InvalidAccessKeyId.NotFound",
	} {
		c := simClient(t, srv, creds)
		_, err := c.Call(context.Background(), &ccc.ListRealTimeAgentRequest{InstanceId: ccc.Ptr(sim.DefaultInstanceID)})
		var e *ccc.Error
		if !errors.As(err, &e) || e.Code != code || e.Retryable || e.HTTPStatus < 400 {
			t.Errorf("got %v (%+v), want %s", err, e, code)
		}
	}
}

func TestSimMissingParameterIsTyped(t *testing.T) {
	srv := startSim(t, sim.Faults{})
	c := simClient(t, srv, simAK)
	_, err := c.Call(context.Background(), &ccc.GetUserRequest{InstanceId: ccc.Ptr(sim.DefaultInstanceID)})
	var e *ccc.Error
	if !errors.As(err, &e) || e.Code != "MissingParameter" && e.Code != "MissingUserId" {
		t.Fatalf("got %v", err)
	}
	if e.Hint() == "" {
		t.Fatalf("no hint for %s", e.Code)
	}
}

func TestSimThrottleRetriesReadsOnly(t *testing.T) {
	srv := startSim(t, sim.Faults{ThrottleRate: 1})
	c := simClient(t, srv, simAK)
	_, err := c.Call(context.Background(), &ccc.ListRealTimeAgentRequest{InstanceId: ccc.Ptr(sim.DefaultInstanceID)})
	var e *ccc.Error
	if !errors.As(err, &e) || e.Code != "Throttling.User" || e.HTTPStatus != 400 {
		t.Fatalf("got %v", err)
	}
	if n := srv.Count("ListRealTimeAgent"); n != 3 {
		t.Fatalf("read sent %d times, want 3 attempts", n)
	}
	_, _ = c.Call(context.Background(), &ccc.ResetUserStatusRequest{InstanceId: ccc.Ptr(sim.DefaultInstanceID)})
	if n := srv.Count("ResetUserStatus"); n != 1 {
		t.Fatalf("destructive action sent %d times", n)
	}
}

func TestSimHangTimesOut(t *testing.T) {
	srv := startSim(t, sim.Faults{HangRate: 1, HangFor: time.Minute})
	c := simClient(t, srv, simAK, func(c *ccc.Config) { c.ReadTimeout = 200 * time.Millisecond })
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := c.Call(ctx, &ccc.ListRealTimeAgentRequest{InstanceId: ccc.Ptr(sim.DefaultInstanceID)})
	var e *ccc.Error
	if !errors.As(err, &e) || e.Code != "Timeout" {
		t.Fatalf("got %v", err)
	}
}
