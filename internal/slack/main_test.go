package slack

import (
	"testing"

	"go.uber.org/goleak"
)

// Every background job, Socket Mode loop and test server must be gone when
// the tests end; idle keep-alive connections of HTTP clients may remain
// (their read and write loops), nothing else blocked on the network.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
	)
}
