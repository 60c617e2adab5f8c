//go:build !linux

package ops

import "context"

// processCollector writes nothing outside Linux: the process_* families
// are read from /proc and Linux system calls.
type processCollector struct{}

var processNames []string

func (processCollector) collect(context.Context, *encoder) {}
