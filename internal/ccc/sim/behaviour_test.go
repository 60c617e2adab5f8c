package sim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"go.uber.org/goleak"

	"github.com/cccops/cccops/internal/ccc"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// rawPost signs (or not) a hand-made request, to exercise what the SDK never
// sends: stale timestamps, reused nonces, forged signatures.
func rawPost(t *testing.T, addr string, params map[string]string, secret string) (int, map[string]any) {
	t.Helper()
	if secret != "" {
		params["Signature"] = SignRPC("POST", params, secret)
	}
	form := url.Values{}
	for k, v := range params {
		form.Set(k, v)
	}
	resp, err := http.PostForm("http://"+addr+"/", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func baseParams(nonce string, ts time.Time) map[string]string {
	return map[string]string{
		"Action": "ListRoles", "Version": "2017-07-05", "Format": "JSON", "InstanceId": DefaultInstanceID,
		"AccessKeyId": DefaultAccessKeyID, "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureType": "",
		"SignatureNonce": nonce, "Timestamp": ts.UTC().Format("2006-01-02T15:04:05Z"), "RegionId": "cn-shanghai",
	}
}

func TestAuth(t *testing.T) {
	t.Parallel() // each test starts its own simulator
	srv := startSim(t, Options{})
	req := func() ccc.Request { return mustReq(t, "ListRoles", map[string]any{"InstanceId": DefaultInstanceID}) }

	t.Run("access key through the SDK", func(t *testing.T) {
		expectOK(t, send(t, newAKClient(t, DefaultAccessKeyID, DefaultAccessKeySecret), srv.Addr, req()), "ListRoles")
	})
	t.Run("bearer token through the SDK", func(t *testing.T) {
		expectOK(t, send(t, newTokenClient(t, DefaultBearerToken), srv.Addr, req()), "ListRoles")
	})
	t.Run("unknown bearer token", func(t *testing.T) {
		expectErr(t, send(t, newTokenClient(t, "nope"), srv.Addr, req()), 404, "InvalidBearerToken.NotFound")
	})
	t.Run("unknown access key", func(t *testing.T) {
		expectErr(t, send(t, newAKClient(t, "who", DefaultAccessKeySecret), srv.Addr, req()), 404, "InvalidAccessKeyId.NotFound")
	})
	t.Run("wrong secret", func(t *testing.T) {
		a := send(t, newAKClient(t, DefaultAccessKeyID, "wrong-secret"), srv.Addr, req())
		expectErr(t, a, 400, "SignatureDoesNotMatch")
		if strings.Contains(a.Raw, DefaultAccessKeySecret) || strings.Contains(a.Raw, "wrong-secret") {
			t.Fatal("the error leaks a secret")
		}
	})
	t.Run("tampered parameter", func(t *testing.T) {
		p := baseParams("tamper-1", time.Now())
		p["Signature"] = SignRPC("POST", p, DefaultAccessKeySecret)
		p["InstanceId"] = SecondInstanceID
		status, body := rawPost(t, srv.Addr, p, "")
		if status != 400 || body["Code"] != "SignatureDoesNotMatch" || body["RequestId"] == "" {
			t.Fatalf("got %d %v", status, body)
		}
	})
	t.Run("stale timestamp", func(t *testing.T) {
		status, body := rawPost(t, srv.Addr, baseParams("stale-1", time.Now().Add(-16*time.Minute)), DefaultAccessKeySecret)
		if status != 400 || body["Code"] != "InvalidTimeStamp.Expired" {
			t.Fatalf("got %d %v", status, body)
		}
	})
	t.Run("reused nonce", func(t *testing.T) {
		status, body := rawPost(t, srv.Addr, baseParams("once-1", time.Now()), DefaultAccessKeySecret)
		if status != 200 {
			t.Fatalf("first use: %d %v", status, body)
		}
		status, body = rawPost(t, srv.Addr, baseParams("once-1", time.Now()), DefaultAccessKeySecret)
		if status != 400 || body["Code"] != "SignatureNonceUsed" {
			t.Fatalf("second use: %d %v", status, body)
		}
	})
	t.Run("missing signature", func(t *testing.T) {
		status, body := rawPost(t, srv.Addr, baseParams("nosig-1", time.Now()), "")
		if status != 400 || body["Code"] != "MissingParameter" {
			t.Fatalf("got %d %v", status, body)
		}
	})
	t.Run("wrong version", func(t *testing.T) {
		p := baseParams("ver-1", time.Now())
		p["Version"] = "2020-07-01"
		status, body := rawPost(t, srv.Addr, p, DefaultAccessKeySecret)
		if status != 400 || body["Code"] != "InvalidVersion" {
			t.Fatalf("got %d %v", status, body)
		}
	})
	t.Run("unknown action", func(t *testing.T) {
		a := sendRaw(t, newAKClient(t, DefaultAccessKeyID, DefaultAccessKeySecret), srv.Addr, "DeleteEverything", nil, nil, 0)
		expectErr(t, a, 404, "InvalidAction.NotFound")
	})
}

func TestNonceMemoryIsBounded(t *testing.T) {
	t.Parallel() // each test starts its own simulator
	c := newNonceCache(time.Minute, 3)
	now := time.Now()
	for i := 0; i < 10; i++ {
		if !c.add(strconv.Itoa(i), now) {
			t.Fatalf("nonce %d refused", i)
		}
	}
	if c.len() > 3 {
		t.Fatalf("cache holds %d nonces, cap is 3", c.len())
	}
	if c.add("9", now) {
		t.Fatal("a recent nonce was accepted twice")
	}
	if !c.add("9", now.Add(2*time.Minute)) {
		t.Fatal("an expired nonce is still remembered")
	}
}

func TestValidation(t *testing.T) {
	t.Parallel() // each test starts its own simulator
	srv := startSim(t, Options{})
	f := newFixture(t, srv.Sim)
	c := newAKClient(t, DefaultAccessKeyID, DefaultAccessKeySecret)
	call := func(action string, q map[string]string) answer {
		return sendRaw(t, c, srv.Addr, action, q, nil, 0)
	}
	cases := []struct {
		name, action string
		q            map[string]string
		status       int
		code, names  string
	}{
		{"missing required", "GetUser", map[string]string{"InstanceId": f.inst}, 400, "MissingParameter", "UserId"},
		{"missing required list", "RemoveUsers", map[string]string{"InstanceId": f.inst}, 400, "MissingParameter", "UserId"},
		{"integer expected", "ListUsers", map[string]string{"InstanceId": f.inst, "PageNumber": "one", "PageSize": "10"}, 400, "InvalidParameter", "PageNumber"},
		{"boolean expected", "ListPhoneNumbers", map[string]string{"InstanceId": f.inst, "OutboundOnly": "yes"}, 400, "InvalidParameter", "OutboundOnly"},
		{"list sent flat", "RemoveUsers", map[string]string{"InstanceId": f.inst, "UserId": f.zoe.UserID}, 400, "InvalidParameter", "UserId"},
		{"integer list item", "ResetUserStatus", map[string]string{"InstanceId": f.inst, "RamIdList.1": "x"}, 400, "InvalidParameter", "RamIdList.1"},
		{"page size too big", "ListUsers", map[string]string{"InstanceId": f.inst, "PageNumber": "1", "PageSize": "101"}, 400, "InvalidParameter", "PageSize"},
		{"page size zero", "ListUsers", map[string]string{"InstanceId": f.inst, "PageNumber": "1", "PageSize": "0"}, 400, "InvalidParameter", "PageSize"},
		{"page number past 5000", "ListCallDetailRecords", map[string]string{"InstanceId": f.inst, "PageNumber": "5001", "PageSize": "10"}, 400, "InvalidParameter", "PageNumber"},
		{"unknown instance", "ListRoles", map[string]string{"InstanceId": "ccc-nowhere"}, 404, "NotExists.InstanceId", "ccc-nowhere"},
		{"unknown user", "GetUser", map[string]string{"InstanceId": f.inst, "UserId": "u-404"}, 404, "NotExists.UserId", "u-404"},
		{"unknown skill group", "ListTrunksOfSkillGroup", map[string]string{"InstanceId": f.inst, "SkillGroupId": "g-404"}, 404, "NotExists.SkillGroupId", "g-404"},
		{"unknown phone number", "RemovePhoneNumber", map[string]string{"InstanceId": f.inst, "PhoneNumberId": "n-404"}, 404, "NotExists.PhoneNumberId", "n-404"},
		{"unknown contact flow", "GetRoutePoint", map[string]string{"InstanceId": f.inst, "ContactFlowId": "f-404"}, 404, "NotExists.ContactFlowId", "f-404"},
		{"unknown contact", "ListRecordingsByContactId", map[string]string{"InstanceId": f.inst, "ContactId": "404"}, 404, "NotExists.ContactId", "404"},
		{"unknown RAM id", "ResetUserStatus", map[string]string{"InstanceId": f.inst, "RamIdList.1": "404"}, 404, "NotExists.RamId", "404"},
		{"bad report time", "GetInstanceSummaryReport", map[string]string{"InstanceId": f.inst, "StartTime": "yesterday", "EndTime": "now"}, 400, "InvalidParameter", "StartTime"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := call(tc.action, tc.q)
			expectErr(t, a, tc.status, tc.code)
			if msg := str(a.Body, "Message"); !strings.Contains(msg, tc.names) {
				t.Fatalf("message %q does not name %s", msg, tc.names)
			}
		})
	}
}

func listUsers(t *testing.T, c *sdk.Client, srv *Server) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for page := 1; ; page++ {
		a := send(t, c, srv.Addr, mustReq(t, "ListUsers", map[string]any{"InstanceId": DefaultInstanceID, "PageNumber": page, "PageSize": 100}))
		expectOK(t, a, "ListUsers")
		us := items(a.Body, "Users", "List", "User")
		for _, u := range us {
			out[str(u, "Detail", "LoginName")] = u
		}
		if len(us) < 100 {
			return out
		}
	}
}

func TestResetUserStatusIsSeenByEveryStateRead(t *testing.T) {
	t.Parallel() // each test starts its own simulator
	srv := startSim(t, Options{})
	c := newAKClient(t, DefaultAccessKeyID, DefaultAccessKeySecret)
	var stuck, normal []AgentInfo
	for _, ag := range srv.Agents(DefaultInstanceID) {
		if ag.Abnormal {
			stuck = append(stuck, ag)
		} else if ag.State != StateOffline {
			normal = append(normal, ag)
		}
	}
	if len(stuck) < 3 {
		t.Fatalf("the seed should leave several agents stuck, has %d", len(stuck))
	}
	rt := func() map[string]string {
		a := send(t, c, srv.Addr, mustReq(t, "ListRealTimeAgent", map[string]any{"InstanceId": DefaultInstanceID}))
		expectOK(t, a, "ListRealTimeAgent")
		out := map[string]string{}
		for _, u := range items(a.Body, "Data", "User") {
			out[str(u, "RamId")] = str(u, "State")
		}
		return out
	}
	states := func() map[string]string {
		a := send(t, c, srv.Addr, mustReq(t, "ListAgentStates", map[string]any{"InstanceId": DefaultInstanceID, "PageSize": 100}))
		expectOK(t, a, "ListAgentStates")
		out := map[string]string{}
		for _, u := range items(a.Body, "Data", "List", "RealTimeAgentState") {
			out[str(u, "LoginName")] = str(u, "State")
		}
		return out
	}
	before := rt()
	for _, s := range stuck {
		if before[s.RamID] != s.State {
			t.Fatalf("%s shows %s, seeded %s", s.LoginName, before[s.RamID], s.State)
		}
	}
	// Named reset: only the first stuck agent.
	first := stuck[0]
	ram, _ := strconv.ParseInt(first.RamID, 10, 64)
	expectOK(t, send(t, c, srv.Addr, mustReq(t, "ResetUserStatus", map[string]any{"InstanceId": DefaultInstanceID, "RamIdList": []int64{ram}})), "ResetUserStatus")
	after := rt()
	if after[first.RamID] != StateReady || after[stuck[1].RamID] != stuck[1].State {
		t.Fatalf("named reset: %s is %s, %s is %s", first.LoginName, after[first.RamID], stuck[1].LoginName, after[stuck[1].RamID])
	}
	// Blanket reset: every remaining abnormal agent, and nobody else.
	expectOK(t, send(t, c, srv.Addr, mustReq(t, "ResetUserStatus", map[string]any{"InstanceId": DefaultInstanceID})), "ResetUserStatus")
	after, st := rt(), states()
	for _, s := range stuck {
		if after[s.RamID] != StateReady || st[s.LoginName] != StateReady {
			t.Errorf("%s still %s / %s after the reset", s.LoginName, after[s.RamID], st[s.LoginName])
		}
	}
	for _, n := range normal {
		if after[n.RamID] != before[n.RamID] {
			t.Errorf("%s was in a normal state %s and changed to %s", n.LoginName, before[n.RamID], after[n.RamID])
		}
	}
	// The state log ends with the reset.
	now := fixedNow
	a := send(t, c, srv.Addr, mustReq(t, "ListAgentStateLogs", map[string]any{"InstanceId": DefaultInstanceID, "RamId": ram,
		"StartTime": now.Add(-time.Hour).UnixMilli(), "EndTime": now.Add(time.Minute).UnixMilli(), "PageNumber": 1, "PageSize": 100}))
	expectOK(t, a, "ListAgentStateLogs")
	logs := items(a.Body, "AgentStateLogPage", "List")
	if len(logs) == 0 || str(logs[len(logs)-1], "State") != StateReady || str(logs[len(logs)-1], "StateCode") != "Reset" {
		t.Fatalf("state log does not end with the reset: %v", logs)
	}
}

// A simulator builds its week of data on the first request, not in New (a
// server that is never asked pays nothing), and the data is the one New's
// moment gives, however late the first request comes.
func TestSeedsOnTheFirstRequestAsOfNew(t *testing.T) {
	clock := fixedNow
	s := New(Options{Seed: 3, Now: func() time.Time { return clock }})
	if s.instances != nil {
		t.Fatal("New seeded the state")
	}
	clock = clock.Add(5 * time.Hour) // the first request comes later
	late := s.Agents(DefaultInstanceID)
	clock = fixedNow
	eager := New(Options{Seed: 3, Now: func() time.Time { return clock }}).Agents(DefaultInstanceID)
	if len(late) != 48 || len(late) != len(eager) {
		t.Fatalf("%d agents, %d eagerly", len(late), len(eager))
	}
	for i := range late {
		if late[i].UserID != eager[i].UserID || !late[i].Since.Equal(eager[i].Since) || late[i].State != eager[i].State {
			t.Fatalf("agent %d: %+v seeded late, %+v at once", i, late[i], eager[i])
		}
	}
}
