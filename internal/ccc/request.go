// Package ccc owns the Alibaba Cloud Call Center (CCC) API, version
// 2017-07-05: the typed request structs of its 89 actions (generated from the
// embedded spec), their encoding to RPC parameters, and a Client that sends
// them through alibaba-cloud-sdk-go's CommonRequest.
package ccc

//go:generate go run ./gen -o requests_gen.go

import (
	"sort"

	"github.com/cccops/cccops/internal/ccc/spec"
)

// Product and Version identify the API on the wire (the spec's).
const (
	Product = spec.Product
	Version = spec.Version
)

// Request is a typed request of one action: one of the generated
// <Action>Request structs.
type Request interface {
	Action() string
}

// NewRequest returns an empty request for the action, or false when the
// action is not one of the 89.
func NewRequest(action string) (Request, bool) {
	f, ok := requestFactories[action]
	if !ok {
		return nil, false
	}
	return f(), true
}

// ActionNames lists the 89 action names, sorted.
func ActionNames() []string {
	out := make([]string, 0, len(requestFactories))
	for k := range requestFactories {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Spec returns the embedded spec.
func Spec() *spec.Spec { return spec.MustSpec() }

// Ptr returns a pointer to v, for the optional fields of requests.
func Ptr[T any](v T) *T { return &v }
