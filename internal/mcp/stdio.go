package mcp

import (
	"context"
	"io"
	"log"
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
	return ss.Listen(ctx, &drainingReader{r: in, s: s, ctx: ctx}, out)
}

// drainingReader holds back the end of input until the tool calls already
// read have finished: mcp-go cancels every running request when its input
// ends, so a client that writes its requests and closes stdin (a pipe, a
// script) would otherwise get "canceled" for all of them. ctx (a signal)
// still ends the wait at once.
type drainingReader struct {
	r   io.Reader
	s   *Server
	ctx context.Context
}

// drainQuiet is how long no call may be running before input is let end;
// it covers requests read but not yet dispatched to a handler.
const drainQuiet = 250 * time.Millisecond

func (d *drainingReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err == io.EOF {
		d.s.waitIdle(d.ctx, drainQuiet)
	}
	return n, err
}

// waitIdle returns once no tool call has run for quiet, or ctx ends. Calls
// are bounded by the registry's call timeout, so this ends too.
func (s *Server) waitIdle(ctx context.Context, quiet time.Duration) {
	t := time.NewTicker(quiet / 5)
	defer t.Stop()
	idleSince := time.Now()
	for {
		if s.inflight.Load() > 0 {
			idleSince = time.Now()
		} else if time.Since(idleSince) >= quiet {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
