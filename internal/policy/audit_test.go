package policy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{
		"+8613800001234":  "*********1234",
		"13800001234":     "*******1234",
		"138-0000-1234":   "*******1234",
		"95555":           "*5555",
		"1234":            "****",
		"":                "",
		"anonymous":       "****",
		"+86 21 5555 010": "*******5010",
	} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskText(t *testing.T) {
	for in, want := range map[string]string{
		"call 13800001234 now":            "call *******1234 now",
		"call +86 138 0000 1234.":         "call +** *** **** 1234.",
		"tel:138-0000-1234,139-1111-5678": "tel:***-****-1234,***-****-5678",
		`{"phone":"013800001234"}`:        `{"phone":"********1234"}`,
		"agent 1001 waited 123456 ms":     "agent 1001 waited 123456 ms", // short runs stay
		"expired at 2026-03-01T09:05:00Z": "expired at 2026-03-01T09:05:00Z",
		"no digits":                       "no digits",
	} {
		if got := MaskText(in); got != want {
			t.Errorf("MaskText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	in := map[string]any{
		"InstanceId":      "ccc-prod",
		"Caller":          "+8613800001234",
		"Callee":          "13900005678",
		"PhoneNumbers":    "13800001234,13900005678",
		"PhoneNumber":     []any{"02155550100", "02155550101"},
		"CandidateNumber": []string{"4008001234"},
		"TelA":            json.Number("13700001111"),
		"Number":          13600002222,
		"PhoneNumberId":   "pn-1",
		"PageNumber":      2,
		"Email":           "zhang.wei@example.com",
		"Criteria":        `{"phone":"13800001234"}`,
		"BearerToken":     "tok-SECRET",
		"AccessKeySecret": "ak-SECRET",
		"Nested":          map[string]any{"Password": "pw-SECRET", "CalleeNumber": "13812345678"},
	}
	out := Redact(in)
	raw, _ := json.Marshal(out)
	s := string(raw)
	for _, leak := range []string{"SECRET", "13800001234", "13900005678", "02155550100", "4008001234", "13700001111", "13600002222", "13812345678", "zhang.wei"} {
		if strings.Contains(s, leak) {
			t.Errorf("redacted args still hold %q: %s", leak, s)
		}
	}
	for k, want := range map[string]any{
		"Caller": "*********1234", "Callee": "*******5678", "PhoneNumbers": "*******1234,*******5678",
		"TelA": "*******1111", "Number": "*******2222", "PhoneNumberId": "pn-1", "PageNumber": 2,
		"InstanceId": "ccc-prod", "Email": "z***@example.com", "Criteria": `{"phone":"*******1234"}`,
	} {
		if out[k] != want {
			t.Errorf("%s → %v, want %v", k, out[k], want)
		}
	}
	if l, _ := out["PhoneNumber"].([]any); len(l) != 2 || l[0] != "*******0100" {
		t.Errorf("PhoneNumber list → %v", out["PhoneNumber"])
	}
	for _, k := range []string{"BearerToken", "AccessKeySecret"} {
		if _, ok := out[k]; ok {
			t.Errorf("%s kept", k)
		}
	}
	if in["Caller"] != "+8613800001234" {
		t.Error("Redact changed its input")
	}
	if Redact(nil) != nil {
		t.Error("Redact(nil) should stay nil")
	}
}

// TestAuditFileConfirmedAndRefused runs the registry's sequence for one
// confirmed destructive call and one refused confirmation, writing to a
// real audit file, and reads the file back.
func TestAuditFileConfirmedAndRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	af, err := NewAuditFile(path)
	if err != nil {
		t.Fatal(err)
	}
	clk := newClock()
	g := newGate(t, Config{File: mustParse(t, fourEyesPolicy), Audit: af, Now: clk.Now})

	c := Call{Principal: Principal{ID: "bob", Surface: "slack"}, Action: "ResetUserStatus",
		Args: map[string]any{"InstanceId": "ccc-prod", "RamIdList": []any{1001}, "Caller": "+8613800001234", "SecurityToken": "sts-SECRET"}, InstanceID: "ccc-prod"}
	tok, _, err := issue(g, c)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if err := redeem(g, tok, c, Principal{ID: "bob", Surface: "slack"}); err != nil {
		t.Fatal(err)
	}

	// A refused confirmation: someone else tries to use Bob's token.
	tok2, _, _ := issue(g, c)
	other := c
	other.Principal = Principal{ID: "dave", Surface: "slack"}
	rerr := redeem(g, tok2, other, Principal{ID: "dave"})
	var re *Refusal
	if !errors.As(rerr, &re) {
		t.Fatalf("want refusal, got %v", rerr)
	}
	if err := af.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := af.Write([]byte("x")); err == nil {
		t.Error("write after Close succeeded")
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("audit file mode %v, want 0600", fi.Mode().Perm())
	}
	for _, leak := range []string{"SECRET", "8613800001234", "13900005678", tok, tok2} {
		if bytes.Contains(raw, []byte(leak)) {
			t.Errorf("audit file holds %q", leak)
		}
	}
	var recs []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		recs = append(recs, m)
	}
	var results []string
	for _, r := range recs {
		results = append(results, r["result"].(string))
	}
	if got := strings.Join(results, ","); got != "pending,approved,sending,ok,pending,refused" {
		t.Fatalf("audit results %s, want pending,approved,sending,ok,pending,refused", got)
	}
	// One request's lines join by its id and argument digest.
	for _, r := range recs[:4] {
		if r["approval_id"] != recs[0]["approval_id"] || r["args_digest"] != Digest(c.Args) || r["approval_id"] == nil {
			t.Errorf("record %v does not join the pending one %v", r, recs[0])
		}
	}
	ok, refused := recs[3], recs[5]
	for k, want := range map[string]any{"principal": "bob", "action": "ResetUserStatus", "decision": "confirm", "approver": "bob",
		"request_id": "req-1", "result": "ok", "surface": "slack", "args_digest": Digest(c.Args),
		"time": clk.Now().Format(time.RFC3339)} {
		if ok[k] != want {
			t.Errorf("confirmed record %s = %v, want %v", k, ok[k], want)
		}
	}
	args, _ := ok["args"].(map[string]any)
	if args["Caller"] != "*********1234" || args["InstanceId"] != "ccc-prod" {
		t.Errorf("confirmed record args %v", args)
	}
	if refused["result"] != "refused" || refused["error_code"] != RefusedPrincipal || !strings.Contains(refused["reason"].(string), "only the person who asked") {
		t.Errorf("refused record %v", refused)
	}
	if recs[0]["result"] != "pending" {
		t.Errorf("decision record %v", recs[0])
	}

	// Appending: a new AuditFile on the same path keeps old lines.
	af2, err := NewAuditFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g2 := newGate(t, Config{Audit: af2})
	g2.Record(Record{Principal: "local", Action: "ListUsers", Result: "ok"})
	af2.Close()
	raw2, _ := os.ReadFile(path)
	if !bytes.HasPrefix(raw2, raw) || bytes.Count(raw2, []byte("\n")) != 7 {
		t.Errorf("reopening the audit file lost or mangled records")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRecordNeverFailsAndLinesStayWhole(t *testing.T) {
	var logged bytes.Buffer
	g := newGate(t, Config{Audit: failWriter{}, Logger: newTextLogger(&logged)})
	g.Record(Record{Principal: "p", Action: "ListUsers", Args: map[string]any{"Caller": "13800001234"}})
	if !strings.Contains(logged.String(), "audit record could not be written") || strings.Contains(logged.String(), "13800001234") {
		t.Errorf("write failure log: %q", logged.String())
	}

	var buf syncBuffer
	g = newGate(t, Config{Audit: &buf})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				g.Record(Record{Principal: "p", Action: "ListUsers", Reason: strings.Repeat("x", 100*i)})
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 400 {
		t.Fatalf("%d lines, want 400", len(lines))
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("interleaved line %q", l)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
