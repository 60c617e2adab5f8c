package bench

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// TestStopServerClosesAConnectionThatSentNothing: a client that connected
// and sent nothing keeps http.Server.Shutdown waiting until the connection
// is 5 s old; when the shutdown's time runs out first, stopServer closes
// it, so no connection (and no goroutine of the server's) outlives it.
func TestStopServerClosesAConnectionThatSentNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan struct{})
	hs := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: time.Hour,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				close(accepted)
			}
		}}
	served := make(chan struct{})
	go func() { defer close(served); _ = hs.Serve(ln) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	<-accepted
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	stopServer(ctx, hs)
	<-served
	// The server's side is closed: the read ends at once. Left open, it
	// would run into this guard instead.
	if err := c.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the connection is still open after stopServer: read gave %v", err)
	}
}
