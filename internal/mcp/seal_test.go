package mcp

import (
	"testing"
	"time"

	"github.com/cccops/cccops/internal/app"
	"github.com/cccops/cccops/internal/tools"
)

// A confirmation sealed by one server opens on another that shares the
// gate's secret (a restart, another replica), and on no other.
func TestRequestStateSurvivesRestartWithSharedSecret(t *testing.T) {
	a, b := newEnv(t), newEnv(t)
	st := confirmState{Principal: "local", Tool: "reset_user_status", Issued: time.Now().Unix(), Token: "cct1.x.y"}
	sealed := a.srv.seal(st)
	got, err := b.srv.open(sealed)
	if err != nil || got != st {
		t.Fatalf("another server with the same secret: %+v %v", got, err)
	}
	other := newEnv(t, func(c *app.Config, _ *Options) { c.TokenSecret = "a-different-secret-of-32-bytes!!!!" })
	if _, err := other.srv.open(sealed); err == nil {
		t.Fatal("a server with another secret opened the state")
	}
}

// The human is never given longer to answer than the gate's token lives.
func TestConfirmWaitNeverOutlivesTheToken(t *testing.T) {
	e := newEnv(t, confirmWait(2*time.Minute))
	pend := &tools.Pending{ExpiresAt: e.srv.now().Add(time.Minute)}
	if w := e.srv.waitFor(pend); w > time.Minute {
		t.Fatalf("wait %s past a token that expires in 1m", w)
	}
	if w := e.srv.waitFor(&tools.Pending{ExpiresAt: e.srv.now().Add(time.Hour)}); w != 2*time.Minute {
		t.Fatalf("wait %s, want the server's 2m", w)
	}
}
