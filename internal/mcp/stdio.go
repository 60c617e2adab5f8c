package mcp

import (
	"context"
	"io"
	"log"

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
	return ss.Listen(ctx, in, out)
}
