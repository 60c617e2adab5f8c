package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"
)

// ServeStdio serves one client over a pair of streams (the process's stdin
// and stdout) as the Local principal until ctx ends or input closes. Nothing
// else may write to out: it is the protocol. errLog receives transport
// errors (use stderr).
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer, errLog *log.Logger) error {
	ss := server.NewStdioServer(s.mcp)
	if errLog != nil {
		ss.SetErrorLogger(errLog)
	}
	ss.SetContextFunc(func(ctx context.Context) context.Context { return WithPrincipal(ctx, Local) })
	t := newRequestTracker()
	return ss.Listen(ctx, &drainingReader{r: in, t: t, ctx: ctx, max: drainMax}, &trackingWriter{w: out, t: t})
}

// drainMax bounds how long the end of input waits for answers; a call is
// bounded by the registry's call timeout and a confirmation by its wait, so
// this is a backstop only.
const drainMax = 3 * time.Minute

// requestTracker counts the client's requests read and the answers written:
// mcp-go cancels every running request when its input ends, so a client
// that writes its requests and closes stdin (a pipe, a script) would
// otherwise get "canceled" for all of them.
type requestTracker struct {
	mu      sync.Mutex
	open    int
	changed chan struct{}
}

func newRequestTracker() *requestTracker { return &requestTracker{changed: make(chan struct{})} }

func (t *requestTracker) add(n int) {
	t.mu.Lock()
	t.open += n
	close(t.changed)
	t.changed = make(chan struct{})
	t.mu.Unlock()
}

func (t *requestTracker) state() (int, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.open, t.changed
}

// lineKind reads one JSON-RPC line: a request (method and id), a response
// (id, no method) or neither (a notification, or something unreadable). It
// reads top-level keys only and stops at "result" or "error", which mcp-go
// writes after "id", so a large tool result is not parsed a second time.
func lineKind(line []byte) (request, response bool) {
	dec := json.NewDecoder(bytes.NewReader(line))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false, false
	}
	hasID := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return false, false
		}
		key, _ := t.(string)
		var v json.RawMessage
		switch key {
		case "method":
			if err := dec.Decode(&v); err != nil {
				return false, false
			}
			if hasID {
				return true, false
			}
			// An id may still follow; a method without one is a notification.
			for dec.More() {
				if k, err := dec.Token(); err != nil {
					return false, false
				} else if k == "id" {
					var id json.RawMessage
					if dec.Decode(&id) != nil {
						return false, false
					}
					return string(id) != "null", false
				}
				if dec.Decode(&v) != nil {
					return false, false
				}
			}
			return false, false
		case "id":
			if err := dec.Decode(&v); err != nil {
				return false, false
			}
			hasID = string(v) != "null"
		case "result", "error":
			return false, hasID
		default:
			if err := dec.Decode(&v); err != nil {
				return false, false
			}
		}
	}
	return false, false
}

// lines feeds complete lines of a byte stream to f, keeping a partial tail.
type lines struct{ tail []byte }

func (l *lines) feed(p []byte, f func([]byte)) {
	l.tail = append(l.tail, p...)
	for {
		i := bytes.IndexByte(l.tail, '\n')
		if i < 0 {
			return
		}
		f(l.tail[:i])
		l.tail = l.tail[i+1:]
	}
}

// drainingReader counts the requests it passes on and holds back the end
// of input until each has been answered (or ctx ends, or drainMax passes).
type drainingReader struct {
	r   io.Reader
	t   *requestTracker
	ctx context.Context
	max time.Duration
	buf lines
}

func (d *drainingReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if n > 0 {
		d.buf.feed(p[:n], func(line []byte) {
			if req, _ := lineKind(line); req {
				d.t.add(1)
			}
		})
	}
	if err == io.EOF {
		if len(d.buf.tail) > 0 { // a last request without a newline
			if req, _ := lineKind(d.buf.tail); req {
				d.t.add(1)
			}
			d.buf.tail = nil
		}
		d.wait()
	}
	return n, err
}

func (d *drainingReader) wait() {
	deadline := time.NewTimer(d.max)
	defer deadline.Stop()
	for {
		open, changed := d.t.state()
		if open <= 0 {
			return
		}
		select {
		case <-changed:
		case <-d.ctx.Done():
			return
		case <-deadline.C:
			return
		}
	}
}

// trackingWriter counts the answers written to the client.
type trackingWriter struct {
	w   io.Writer
	t   *requestTracker
	mu  sync.Mutex
	buf lines
}

func (w *trackingWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.mu.Lock()
	w.buf.feed(p[:n], func(line []byte) {
		if _, resp := lineKind(line); resp {
			w.t.add(-1)
		}
	})
	w.mu.Unlock()
	return n, err
}
