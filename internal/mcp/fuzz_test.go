package mcp

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// FuzzToolArguments feeds arbitrary JSON as tools/call arguments, and an
// arbitrary request state, into the adapter's one call path. Whatever comes
// in: no panic, always a result, and a destructive tool never reaches the
// backend (nobody confirmed anything).
func FuzzToolArguments(f *testing.F) {
	for _, seed := range []struct{ args, state string }{
		{`{}`, ""},
		{`{"RamIdList":[1,2,3]}`, ""},
		{`{"RamIdList":"1,2"}`, ""},
		{`{"InstanceId":null,"RamIdList":[1e400]}`, ""},
		{`{"PageNumber":1,"PageSize":10}`, ""},
		{`{"PageNumber":-1,"PageSize":"x","Extra":{"a":[]}}`, ""},
		{`{"RamIdList":[1]}`, "cct1.e30.AAAA"},
		{`[1,2]`, "garbage"},
	} {
		f.Add([]byte(seed.args), seed.state)
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, raw []byte, state string) {
		var args map[string]any
		if json.Unmarshal(raw, &args) != nil {
			args = nil
		}
		for _, name := range []string{"reset_user_status", "list_call_detail_records", "remove_users"} {
			rt := mcp.MultiRoundTripParams{RequestState: state}
			res := e.srv.call(context.Background(), name, args, rt)
			if res == nil {
				t.Fatalf("%s: nil result", name)
			}
		}
		for _, action := range []string{"ResetUserStatus", "RemoveUsers"} {
			if n := e.sim.Count(action); n != 0 {
				t.Fatalf("%s reached the backend %d times without a confirmation", action, n)
			}
		}
	})
}
