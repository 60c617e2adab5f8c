package tools

import (
	"errors"

	"github.com/cccops/cccops/internal/ccc"
)

// MayRetry reports whether the same call may pass when tried again in a
// moment: CCC throttled it, timed out or was briefly unavailable, and the
// call is safe to repeat. Surfaces use it to word the next step without
// knowing CCC's error type.
func (e *Error) MayRetry() bool { return e.CCC != nil && e.CCC.Retryable }

// BackendFailure words an error from the CCC backend that reached a
// surface without the registry's Error around it: what failed and what to
// do next. ok is false when err is not a CCC failure.
func BackendFailure(err error) (message, next string, ok bool) {
	var ce *ccc.Error
	if !errors.As(err, &ce) {
		return "", "", false
	}
	return ce.Error(), ce.Hint(), true
}
