package policy

import (
	"context"
	"sync"
	"testing"
	"time"
)

// The observer (metrics) sees every record even with auditing off, with
// its time set and never with the raw arguments.
func TestObserveSeesEveryRecordWithoutArgs(t *testing.T) {
	var mu sync.Mutex
	var seen []Record
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	g, err := New(Config{Secret: []byte("observe-test-secret-0123456789"), Now: func() time.Time { return at },
		Observe: func(r Record) { mu.Lock(); seen = append(seen, r); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	p := Principal{ID: "mcp:obs", Surface: "mcp"}
	read := Call{Principal: p, Action: "ListUsers", Args: map[string]any{"InstanceId": "i1", "Caller": "+8613800001234"}, InstanceID: "i1"}
	tk, ok := g.Admit(context.Background(), read, nil).(*Ticket)
	if !ok {
		t.Fatal("a read was not admitted")
	}
	tk.Done(context.Background(), Outcome{LatencyMS: 7})
	unknown := Call{Principal: p, Action: "DropEverything", Args: map[string]any{"InstanceId": "i1"}, InstanceID: "i1"}
	if _, ok := g.Admit(context.Background(), unknown, nil).(*Refusal); !ok {
		t.Fatal("an unknown action was not refused")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 {
		t.Fatalf("observer saw %d records, want 2 (ok, refused): %+v", len(seen), seen)
	}
	if seen[0].Result != ResultOK || seen[0].LatencyMS != 7 || seen[0].Action != "ListUsers" {
		t.Errorf("first record %+v, want the read's ok with 7 ms", seen[0])
	}
	if seen[1].Result != ResultRefused || seen[1].ErrorCode != CodeDenied || seen[1].Decision != Deny {
		t.Errorf("second record %+v, want a denied refusal", seen[1])
	}
	for _, r := range seen {
		if r.Args != nil {
			t.Errorf("the observer got raw arguments: %v", r.Args)
		}
		if !r.Time.Equal(at) {
			t.Errorf("record time %v, want the gate's clock %v", r.Time, at)
		}
	}
}
