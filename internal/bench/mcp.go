package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/cccops/cccops/internal/mcp"
	"github.com/cccops/cccops/internal/tools"
)

// MCPToken is the bearer token the measured HTTP endpoint accepts. It only
// opens a loopback listener that lives as long as one measurement.
const MCPToken = "bench-load-token-loopback-only-0123456789"

// MCP is the MCP adapter on the Env's registry, served in-process and over
// streamable HTTP on a loopback port.
type MCP struct {
	Server *mcp.Server
	URL    string // streamable HTTP endpoint, empty until ServeHTTP

	env     *Env
	handler *mcp.HTTPHandler
	hs      *http.Server
	mu      sync.Mutex
	clients []*client.Client
}

// NewMCP builds the MCP server over the Env's registry.
func (e *Env) NewMCP() (*MCP, error) {
	srv, err := mcp.New(mcp.Options{Registry: e.Registry, Backend: "the load command's simulator", Version: "bench"})
	if err != nil {
		return nil, err
	}
	return &MCP{Server: srv, env: e}, nil
}

// ServeHTTP starts the hardened streamable HTTP handler on 127.0.0.1.
func (m *MCP) ServeHTTP() error {
	return m.serveHTTP(mcp.HTTPConfig{Tokens: map[string]string{"load": MCPToken}})
}

// serveHTTP serves the MCP handler built with cfg on a new loopback port.
func (m *MCP) serveHTTP(cfg mcp.HTTPConfig) error {
	h, err := m.Server.HTTPHandler(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	m.handler = h
	m.hs = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = m.hs.Serve(ln) }()
	m.URL = "http://" + ln.Addr().String() + mcp.DefaultPath
	return nil
}

// Close ends every client session, then the HTTP server.
func (m *MCP) Close() {
	m.mu.Lock()
	cs := m.clients
	m.clients = nil
	m.mu.Unlock()
	for _, c := range cs {
		_ = c.Close()
	}
	if m.hs != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = m.handler.Shutdown(ctx)
		stopServer(ctx, m.hs)
	}
}

// InProcess returns a path through a real mcp-go client connected to the
// server in this process: JSON-RPC framing, tools/call dispatch, the
// adapter's rendering, then the registry.
func (m *MCP) InProcess(ctx context.Context) (CallFunc, error) {
	c, err := client.NewInProcessClient(m.Server.MCP())
	if err != nil {
		return nil, err
	}
	return m.start(ctx, c)
}

// InProcessLegacy is InProcess with the client held to the protocol
// versions before 2026-07-28 (mcp-go's WithLegacyProtocolOnly): one
// initialize handshake, and requests without the per-request _meta that the
// stateless protocol has the client encode and the server decode on every
// call. mcp-go's client speaks 2026-07-28 when the server does, as ours
// does; many clients in use still speak the earlier versions.
func (m *MCP) InProcessLegacy(ctx context.Context) (CallFunc, error) {
	c := client.NewClient(transport.NewInProcessTransport(m.Server.MCP()), client.WithLegacyProtocolOnly())
	call, err := m.start(ctx, c)
	if err != nil {
		return nil, err
	}
	if v := c.ProtocolVersion(); mcpgo.IsModernProtocol(v) {
		return nil, fmt.Errorf("bench: the legacy client negotiated protocol %s", v)
	}
	return call, nil
}

// Floor returns the floor under InProcess: the same mcp-go client, in
// process, against a bare mcp-go server that serves the same tool
// definition with a handler that only makes RawSDK's call and answers with
// its body as the structured content and, as the text, what our server
// renders for the same read (rendered once, here). The call is sent from a
// goroutine of its own, as ccc.Client sends it. No registry, gate,
// validation, shaping or adapter runs per call, so InProcess / Floor is
// what cccops adds to an MCP call, and Floor / RawSDK what mcp-go's client
// and server cost to carry an answer of this size.
func (m *MCP) Floor(ctx context.Context) (CallFunc, error) {
	e := m.env
	st := m.Server.MCP().GetTool(e.Read.Tool)
	if st == nil {
		return nil, fmt.Errorf("bench: the MCP server lists no tool %s", e.Read.Tool)
	}
	res, err := e.Registry.Invoke(ctx, tools.Invocation{CanAsk: true, Principal: Principal, Tool: e.Read.Tool, Args: e.Read.Args})
	if err != nil {
		return nil, err
	}
	if res.Status != tools.StatusOK {
		return nil, fmt.Errorf("bench: %s answered %s, not a result", e.Read.Tool, res.Status)
	}
	text := res.Text
	send, err := e.rawSDK()
	if err != nil {
		return nil, err
	}
	floor := server.NewMCPServer("cccops", "bench", server.WithTitle(mcp.Title), server.WithToolCapabilities(false))
	floor.AddTool(st.Tool, func(ctx context.Context, _ mcpgo.CallToolRequest) (*mcpgo.CallToolResult, error) {
		// From a goroutine of its own, as ccc.Client sends: the SDK's
		// nonce costs more the deeper the caller's stack is, and an MCP
		// handler sits deep.
		var (
			body []byte
			err  error
		)
		done := make(chan struct{})
		go func() {
			defer close(done)
			body, err = send(ctx)
		}()
		<-done
		if err != nil {
			return mcpgo.NewToolResultError(err.Error()), nil
		}
		return &mcpgo.CallToolResult{Content: []mcpgo.Content{mcpgo.NewTextContent(text)},
			StructuredContent: json.RawMessage(body), RawStructuredContent: body}, nil
	})
	c, err := client.NewInProcessClient(floor)
	if err != nil {
		return nil, err
	}
	return m.start(ctx, c)
}

// HTTP returns a path through its own streamable HTTP session (one client,
// one session, one keep-alive connection pool): ask for one per concurrent
// client.
func (m *MCP) HTTP(ctx context.Context) (CallFunc, error) {
	if m.URL == "" {
		return nil, errors.New("bench: ServeHTTP first")
	}
	tr, err := transport.NewStreamableHTTP(m.URL, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + MCPToken}))
	if err != nil {
		return nil, err
	}
	return m.start(ctx, client.NewClient(tr))
}

func (m *MCP) start(ctx context.Context, c *client.Client) (CallFunc, error) {
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	var init mcpgo.InitializeRequest
	init.Params.ClientInfo = mcpgo.Implementation{Name: "cccops-load", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("initialize: %w", err)
	}
	m.mu.Lock()
	m.clients = append(m.clients, c)
	m.mu.Unlock()
	r := m.env.Read
	return func(ctx context.Context) error {
		var req mcpgo.CallToolRequest
		req.Params.Name = r.Tool
		req.Params.Arguments = r.Args
		res, err := c.CallTool(ctx, req)
		if err != nil {
			return fmt.Errorf("tools/call: %w", err)
		}
		text := resultText(res)
		if res.IsError || !strings.Contains(text, r.Expect) {
			return fmt.Errorf("tools/call %s: isError=%v: %.200s", r.Tool, res.IsError, text)
		}
		return nil
	}, nil
}

func resultText(res *mcpgo.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcpgo.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// stopServer shuts hs down, and closes what a shutdown that ran out of time
// left open: http.Server.Shutdown waits for a connection that was accepted
// but has sent no request yet until it is 5 s old, and returns at its
// deadline with that connection and its goroutine still there.
func stopServer(ctx context.Context, hs *http.Server) {
	if err := hs.Shutdown(ctx); err != nil {
		_ = hs.Close()
	}
}
