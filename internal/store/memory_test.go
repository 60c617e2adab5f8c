package store_test

import (
	"sync"
	"testing"

	"github.com/cccops/cccops/internal/store"
	"github.com/cccops/cccops/internal/store/storetest"
)

// sharedMemory is a second handle on one Memory: memory has no second
// process, so both handles are the same store; closing one leaves it open.
type sharedMemory struct{ *store.Memory }

func (sharedMemory) Close() error { return nil }

func TestMemoryConformance(t *testing.T) {
	var mu sync.Mutex
	stores := map[*testing.T]map[string]*store.Memory{}
	storetest.Run(t, func(t *testing.T, key string, opt store.Options) store.Store {
		mu.Lock()
		defer mu.Unlock()
		if stores[t] == nil {
			stores[t] = map[string]*store.Memory{}
		}
		if m := stores[t][key]; m != nil {
			return sharedMemory{m}
		}
		m := store.NewMemory(opt)
		stores[t][key] = m
		t.Cleanup(func() { m.Close() })
		return m
	})
}
