package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// issue asks the gate about c without proof and returns the token of the
// pending request it opens (what a surface hands its user).
func issue(g *Gate, c Call) (string, time.Time, error) {
	c.CanAsk = true
	switch a := g.Admit(context.Background(), c, nil).(type) {
	case *Pending:
		return a.Token, a.Request.ExpiresAt, nil
	case *Refusal:
		return "", time.Time{}, a
	}
	return "", time.Time{}, errors.New("the gate did not ask for a confirmation")
}

// redeem comes back with the token and a yes; an admitted call is settled
// as a success at once.
func redeem(g *Gate, tok string, c Call, approver Principal) error {
	switch a := g.Admit(context.Background(), c, &Proof{Token: tok, Approver: approver}).(type) {
	case *Ticket:
		a.Done(context.Background(), Outcome{RequestID: "req-1"})
		return nil
	case *Refusal:
		return a
	case *Pending:
		return errors.New("the gate asked again")
	}
	return errors.New("no admission")
}

func wantRefused(t *testing.T, err error, code string, words ...string) {
	t.Helper()
	var re *Refusal
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want a *Refusal (%s)", err, code)
	}
	if re.Code != code {
		t.Errorf("refusal code %q, want %q (%s)", re.Code, code, re.Message)
	}
	for _, w := range words {
		if !strings.Contains(re.Message, w) {
			t.Errorf("refusal %q does not mention %q", re.Message, w)
		}
	}
}

// redeemID says yes by request id, as Slack does.
func redeemID(g *Gate, id string, c Call, approver Principal) error {
	switch a := g.Admit(context.Background(), c, &Proof{ID: id, Approver: approver}).(type) {
	case *Ticket:
		a.Done(context.Background(), Outcome{RequestID: "req-1"})
		return nil
	case *Refusal:
		return a
	}
	return errors.New("no ticket")
}
