package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"strconv"
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
	t.onFirstList = s.firstList
	return ss.Listen(ctx, &drainingReader{r: in, t: t, ctx: ctx, max: drainMax}, &trackingWriter{w: out, t: t})
}

// OnFirstList sets f to run once, in its own goroutine, when the answer to
// the first tools/list over stdio has been written: the point where a
// client has what it needs and the start is over.
func (s *Server) OnFirstList(f func()) { s.firstList = f }

// drainMax bounds how long the end of input waits for answers; a call is
// bounded by the registry's call timeout and a confirmation by its wait, so
// this is a backstop only.
const drainMax = 3 * time.Minute

// requestTracker remembers the ids of the client's requests read and
// crosses them off as their answers are written: mcp-go cancels every
// running request when its input ends, so a client that writes its
// requests and closes stdin (a pipe, a script) would otherwise get
// "canceled" for all of them. Only requests mcp-go will answer by id are
// remembered: a line it cannot parse is answered with id null, and waiting
// for it would hold the exit until drainMax.
type requestTracker struct {
	mu      sync.Mutex
	open    map[string]int // request id → requests with that id still unanswered
	n       int
	changed chan struct{}

	listID      string // id of the first tools/list request, once read
	onFirstList func() // run when that request has been answered
}

func newRequestTracker() *requestTracker {
	return &requestTracker{open: map[string]int{}, changed: make(chan struct{})}
}

func (t *requestTracker) read(id, method string) {
	t.mu.Lock()
	if method == "tools/list" && t.listID == "" && t.onFirstList != nil {
		t.listID = id
	}
	t.open[id]++
	t.n++
	t.signal()
	t.mu.Unlock()
}

func (t *requestTracker) answered(id string) {
	t.mu.Lock()
	if id == t.listID && t.onFirstList != nil {
		go t.onFirstList()
		t.onFirstList = nil
	}
	if t.open[id] > 0 {
		t.open[id]--
		t.n--
		if t.open[id] == 0 {
			delete(t.open, id)
		}
		t.signal()
	}
	t.mu.Unlock()
}

func (t *requestTracker) signal() {
	close(t.changed)
	t.changed = make(chan struct{})
}

func (t *requestTracker) state() (int, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n, t.changed
}

// idKey is a JSON-RPC id in one form for both directions: mcp-go echoes
// the id it decoded (a string, or a number as float64). Other ids are not
// tracked.
func idKey(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return "s:" + x, true
	case float64:
		return "n:" + strconv.FormatFloat(x, 'g', -1, 64), true
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return "", false
		}
		return idKey(f)
	}
	return "", false
}

// requestKey is the id mcp-go will answer a client line with, if it will:
// the line must decode as mcp-go decodes it (a JSON object whose jsonrpc
// and method are strings), name a method, carry a string or number id, and
// not be a response. mcp-go answers anything it cannot parse with id null.
func requestKey(line []byte) (string, bool) {
	id, _, ok := request(line)
	return id, ok
}

// request is requestKey with the request's method.
func request(line []byte) (string, string, bool) {
	var m struct {
		JSONRPC string `json:"jsonrpc"`
		Method  string `json:"method"`
		ID      any    `json:"id"`
		Result  any    `json:"result"`
	}
	if json.Unmarshal(line, &m) != nil || m.Method == "" || m.Result != nil {
		return "", "", false
	}
	id, ok := idKey(m.ID)
	return id, m.Method, ok
}

// responseKey is the id of an answer written to the client (id, then
// result or error, no method). It reads top-level keys only and stops at
// "result" or "error", which mcp-go writes after "id", so a large tool
// result is not parsed a second time.
func responseKey(line []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(line))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", false
	}
	var id any
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", false
		}
		key, _ := t.(string)
		switch key {
		case "method":
			return "", false
		case "id":
			if err := dec.Decode(&id); err != nil {
				return "", false
			}
		case "result", "error":
			return idKey(id)
		default:
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return "", false
			}
		}
	}
	return "", false
}

// lines feeds complete lines of a byte stream to f, keeping a partial tail.
type lines struct{ tail []byte }

func (l *lines) feed(p []byte, f func([]byte)) {
	if len(l.tail) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.tail = append(l.tail, p...)
			return
		}
		l.tail = append(l.tail, p[:i]...)
		f(l.tail)
		l.tail = l.tail[:0]
		p = p[i+1:]
	}
	// Whole lines are read where they lie; only a partial last line is
	// copied (a tools/list answer is not copied to be looked at).
	for {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.tail = append(l.tail[:0], p...)
			return
		}
		f(p[:i])
		p = p[i+1:]
	}
}

// drainingReader remembers the requests it passes on and holds back the
// end of input until each has been answered (or ctx ends, or drainMax
// passes).
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
			if id, method, ok := request(line); ok {
				d.t.read(id, method)
			}
		})
	}
	if err == io.EOF {
		if len(d.buf.tail) > 0 { // a last request without a newline
			if id, method, ok := request(d.buf.tail); ok {
				d.t.read(id, method)
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
		if id, ok := responseKey(line); ok {
			w.t.answered(id)
		}
	})
	w.mu.Unlock()
	return n, err
}
