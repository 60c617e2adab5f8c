package mcp

import (
	"context"
	"io"
	"strings"
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

func TestLineKind(t *testing.T) {
	for line, want := range map[string][2]bool{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}`:            {true, false},
		`{"method":"tools/call","params":{"a":[1,2]},"id":"x","jsonrpc":"2.0"}`: {true, false},
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`:                {false, false},
		`{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text"}]}}`:       {false, true},
		`{"jsonrpc":"2.0","id":7,"error":{"code":-1}}`:                          {false, true},
		`{"jsonrpc":"2.0","id":null,"error":{"code":-1}}`:                       {false, false},
		`not json`: {false, false},
		`[1,2]`:    {false, false},
	} {
		req, resp := lineKind([]byte(line))
		if req != want[0] || resp != want[1] {
			t.Errorf("lineKind(%s) = %v,%v, want %v,%v", line, req, resp, want[0], want[1])
		}
	}
}
