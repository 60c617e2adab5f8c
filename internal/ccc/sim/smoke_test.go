package sim

import (
	"testing"
)

func TestSmoke(t *testing.T) {
	srv := startSim(t, Options{})
	c := newAKClient(t, DefaultAccessKeyID, DefaultAccessKeySecret)
	a := send(t, c, srv.Addr, mustReq(t, "ListRealTimeAgent", map[string]any{"InstanceId": DefaultInstanceID}))
	expectOK(t, a, "ListRealTimeAgent")
	t.Log(len(items(a.Body, "Data", "User")), srv.CallCount(DefaultInstanceID), srv.CallCount(SecondInstanceID))
	t.Log(a.Raw[:600])
}
