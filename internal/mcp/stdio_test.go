package mcp

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// The end of input is held back until every request read has an answer,
// counting answers across partial writes; notifications and the answers to
// the server's own requests do not count.
func TestDrainingReaderWaitsForAnswers(t *testing.T) {
	tr := newRequestTracker()
	in := strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize"}` + "\n" +
		`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n" +
		`{"jsonrpc":"2.0","id":"x","result":{}}` + "\n" + // a client's answer to a server request
		`{"jsonrpc":"2.0","id":2,"method":"tools/call"}`) // no final newline
	r := &drainingReader{r: in, t: tr, ctx: context.Background(), max: time.Minute}
	w := &trackingWriter{w: io.Discard, t: tr}
	done := make(chan struct{})
	go func() {
		_, _ = io.ReadAll(r)
		close(done)
	}()
	time.Sleep(20 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("input ended before any answer was written")
	default:
	}
	_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":1,"res`))
	_, _ = w.Write([]byte(`ult":{}}` + "\n" + `{"jsonrpc":"2.0","id":9,"method":"elicitation/create"}` + "\n"))
	select {
	case <-done:
		t.Fatal("input ended with request 2 unanswered")
	case <-time.After(20 * time.Millisecond):
	}
	_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":2,"result":{}}` + "\n"))
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("input did not end after every request was answered")
	}
}

func TestDrainingReaderStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := &drainingReader{r: strings.NewReader(`{"id":1,"method":"tools/call"}` + "\n"), t: newRequestTracker(), ctx: ctx, max: time.Hour}
	done := make(chan struct{})
	go func() { _, _ = io.ReadAll(r); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled server kept waiting for answers")
	}
}

func TestRequestAndResponseKeys(t *testing.T) {
	for line, want := range map[string]string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}`:            "n:1",
		`{"method":"tools/call","params":{"a":[1,2]},"id":"x","jsonrpc":"2.0"}`: "s:x",
		`{"jsonrpc":"2.0","id":1.0,"method":"ping"}`:                            "n:1",
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`:                "",
		`{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text"}]}}`:       "",
		// mcp-go cannot parse these and answers with id null.
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"arguments":{"x":NaN}}}`: "",
		`{"jsonrpc":"2.0","id":4,"method":5}`:                                             "",
		`{"jsonrpc":2,"id":4,"method":"ping"}`:                                            "",
		`not json`:                                                                        "",
		`[1,2]`:                                                                           "",
	} {
		got, ok := requestKey([]byte(line))
		if got != want || ok != (want != "") {
			t.Errorf("requestKey(%s) = %q,%v, want %q", line, got, ok, want)
		}
	}
	for line, want := range map[string]string{
		`{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text"}]}}`: "n:7",
		`{"jsonrpc":"2.0","id":"a","error":{"code":-1}}`:                  "s:a",
		`{"jsonrpc":"2.0","id":null,"error":{"code":-32700}}`:             "",
		`{"jsonrpc":"2.0","id":9,"method":"elicitation/create"}`:          "",
		`{"jsonrpc":"2.0","method":"notifications/progress"}`:             "",
	} {
		got, ok := responseKey([]byte(line))
		if got != want || ok != (want != "") {
			t.Errorf("responseKey(%s) = %q,%v, want %q", line, got, ok, want)
		}
	}
}

// A line mcp-go cannot parse (NaN in the arguments) is answered with id
// null; the end of input must not wait for an answer by id that never
// comes. Driven through the real stdio server.
func TestStdioBadLineThenEOFExitsPromptly(t *testing.T) {
	e := newEnv(t)
	in := strings.NewReader(strings.Join([]string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"sh","version":"0"}}}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_agent_states","arguments":{"PageSize":NaN}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_agent_states","arguments":{"PageSize":5}}}`,
	}, "\n") + "\n")
	var out safeBuffer
	done := make(chan error, 1)
	go func() { done <- e.srv.ServeStdio(context.Background(), in, &out, nil) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the server still waits at end of input 20 s after a bad line")
	}
	got := out.String()
	if !strings.Contains(got, `"id":null`) || !strings.Contains(got, `"id":3`) || strings.Contains(got, "canceled") {
		t.Fatalf("answers:\n%s", got)
	}
}

type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The start hook runs once, after the answer to the first tools/list has
// been written (split across writes), and not for other answers.
func TestFirstListHookRunsOnceAfterTheAnswer(t *testing.T) {
	tr := newRequestTracker()
	var out bytes.Buffer
	var mu sync.Mutex
	calls := 0
	fired := make(chan string, 2)
	tr.onFirstList = func() {
		mu.Lock()
		calls++
		mu.Unlock()
		fired <- out.String()
	}
	in := strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize"}` + "\n" +
		`{"jsonrpc":"2.0","id":2,"method":"tools/list"}` + "\n" +
		`{"jsonrpc":"2.0","id":3,"method":"tools/list"}` + "\n")
	r := &drainingReader{r: in, t: tr, ctx: context.Background(), max: time.Minute}
	w := &trackingWriter{w: &out, t: tr}
	go func() { _, _ = io.ReadAll(r) }()
	for {
		tr.mu.Lock()
		n := tr.n
		tr.mu.Unlock()
		if n == 3 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{}}` + "\n"))
	_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":2,"result":{"tools":[`))
	select {
	case <-fired:
		t.Fatal("the hook ran before the tools/list answer was complete")
	case <-time.After(20 * time.Millisecond):
	}
	_, _ = w.Write([]byte(`]}}` + "\n" + `{"jsonrpc":"2.0","id":3,"result":{"tools":[]}}` + "\n"))
	select {
	case seen := <-fired:
		if !strings.Contains(seen, `"id":2,"result":{"tools":[]}}`) {
			t.Fatalf("the hook ran before the answer was written: %q", seen)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the hook did not run after the first tools/list was answered")
	}
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 {
		t.Fatalf("the hook ran %d times, want once", calls)
	}
}
