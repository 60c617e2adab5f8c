package store

import (
	"fmt"
	"strings"
)

// Open opens the store a setting names: "memory", "sqlite:PATH" or a
// PostgreSQL URL. (The SQL engines land with their own change.)
func Open(setting string, opt Options) (Store, error) {
	s := strings.TrimSpace(setting)
	if s == "" || s == "memory" {
		return NewMemory(opt), nil
	}
	return nil, fmt.Errorf("store: %q is not a store this build knows: use memory", s)
}
