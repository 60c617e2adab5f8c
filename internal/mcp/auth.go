package mcp

import (
	"net/http"

	"github.com/cccops/cccops/internal/policy"
)

// BearerAuth checks the bearer tokens that are not static tokens (OAuth
// access tokens; internal/oauth implements it) and serves what a client
// needs to get one.
type BearerAuth interface {
	// ServeMetadata answers the well-known documents it publishes and
	// reports whether r was for one; they are public (no token, any Origin).
	ServeMetadata(w http.ResponseWriter, r *http.Request) bool
	// Authenticate returns the principal of r's bearer token, or writes
	// the refusal (401 or 403 with its WWW-Authenticate challenge) and
	// returns false.
	Authenticate(w http.ResponseWriter, r *http.Request) (policy.Principal, bool)
}
