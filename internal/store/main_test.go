package store_test

import (
	"testing"

	"github.com/cccops/cccops/internal/store/pgtest"
)

// One throwaway PostgreSQL server for this binary, started on first use.
func TestMain(m *testing.M) { pgtest.Main(m) }
