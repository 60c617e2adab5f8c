package sim

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cccops/cccops/internal/ccc"
)

func TestUsersAndSkillGroupsWriteThenRead(t *testing.T) {
	srv := startSim(t, Options{})
	f := newFixture(t, srv.Sim)
	c := newAKClient(t, DefaultAccessKeyID, DefaultAccessKeySecret)
	in := DefaultInstanceID

	// CreateUser shows in ListUsers and GetUser.
	a := send(t, c, srv.Addr, mustReq(t, "CreateUser", map[string]any{"InstanceId": in, "LoginName": "newbie", "DisplayName": "New Bie",
		"Email": "newbie@example.com", "RoleId": f.alice.Roles, "SkillGroupId": []string{f.general.ID}, "SkillLevel": []int64{4}}))
	expectOK(t, a, "CreateUser")
	id := str(a.Body, "UserId")
	if u := listUsers(t, c, srv)["newbie"]; u == nil || str(u, "UserId") != id {
		t.Fatalf("ListUsers does not show the new user")
	}
	a = send(t, c, srv.Addr, mustReq(t, "GetUser", map[string]any{"InstanceId": in, "UserId": id}))
	expectOK(t, a, "GetUser")
	if str(a.Body, "User", "Detail", "DisplayName") != "New Bie" || len(items(a.Body, "User", "SkillLevels", "SkillLevel")) != 1 {
		t.Fatalf("GetUser: %s", a.Raw)
	}
	expectErr(t, send(t, c, srv.Addr, mustReq(t, "CreateUser", map[string]any{"InstanceId": in, "LoginName": "newbie", "DisplayName": "x",
		"Email": "x@example.com", "RoleId": f.alice.Roles})), 409, "AlreadyExists.User")

	// RemoveUsers removes.
	expectOK(t, send(t, c, srv.Addr, mustReq(t, "RemoveUsers", map[string]any{"InstanceId": in, "UserId": []string{f.zoe.UserID, id}})), "RemoveUsers")
	users := listUsers(t, c, srv)
	if users["zoe"] != nil || users["newbie"] != nil || users["alice"] == nil {
		t.Fatalf("RemoveUsers: zoe=%v newbie=%v", users["zoe"] != nil, users["newbie"] != nil)
	}
	expectErr(t, send(t, c, srv.Addr, mustReq(t, "GetUser", map[string]any{"InstanceId": in, "UserId": id})), 404, "NotExists.UserId")

	// Skill group create / modify / delete show in ListSkillGroups.
	groups := func() map[string]map[string]any {
		a := send(t, c, srv.Addr, mustReq(t, "ListSkillGroups", map[string]any{"InstanceId": in}))
		expectOK(t, a, "ListSkillGroups")
		out := map[string]map[string]any{}
		for _, g := range items(a.Body, "SkillGroups", "SkillGroup") {
			out[str(g, "SkillGroupId")] = g
		}
		return out
	}
	a = send(t, c, srv.Addr, mustReq(t, "CreateSkillGroup", map[string]any{"InstanceId": in, "Name": "Escalations", "UserId": []string{f.alice.UserID, f.bob.UserID}, "SkillLevel": []int64{1, 2}}))
	expectOK(t, a, "CreateSkillGroup")
	gid := str(a.Body, "SkillGroupId")
	if g := groups()[gid]; g == nil || str(g, "SkillGroupName") != "Escalations" || num(g, "UserCount") != 2 {
		t.Fatalf("new group: %v", g)
	}
	expectOK(t, send(t, c, srv.Addr, mustReq(t, "ModifySkillGroup", map[string]any{"InstanceId": in, "SkillGroupId": gid, "Name": "Escalations2", "Description": "renamed"})), "ModifySkillGroup")
	if g := groups()[gid]; str(g, "SkillGroupName") != "Escalations2" || str(g, "SkillGroupDescription") != "renamed" {
		t.Fatalf("modified group: %v", g)
	}
	expectOK(t, send(t, c, srv.Addr, mustReq(t, "DeleteSkillGroup", map[string]any{"InstanceId": in, "SkillGroupId": gid})), "DeleteSkillGroup")
	if g := groups()[gid]; g != nil {
		t.Fatal("deleted group still listed")
	}
	a = send(t, c, srv.Addr, mustReq(t, "ListSkillGroupsOfUser", map[string]any{"InstanceId": in, "UserId": f.alice.UserID}))
	for _, sl := range items(a.Body, "SkillLevels", "SkillLevel") {
		if str(sl, "Skill", "SkillGroupId") == gid {
			t.Fatal("alice still has the deleted group")
		}
	}
}

func TestPublishContactFlowVersionChangesThePublishedVersion(t *testing.T) {
	srv := startSim(t, Options{})
	f := newFixture(t, srv.Sim)
	c := newAKClient(t, DefaultAccessKeyID, DefaultAccessKeySecret)
	applied := func() (string, map[string]string) {
		a := send(t, c, srv.Addr, mustReq(t, "ListContactFlows", map[string]any{"InstanceId": DefaultInstanceID}))
		expectOK(t, a, "ListContactFlows")
		for _, fl := range items(a.Body, "ContactFlows", "ContactFlow") {
			if str(fl, "ContactFlowId") == f.otherFlow.ID {
				st := map[string]string{}
				for _, v := range items(fl, "Versions", "ContactFlowVersion") {
					st[str(v, "Version")] = str(v, "Status")
				}
				return str(fl, "AppliedVersion"), st
			}
		}
		t.Fatal("flow missing")
		return "", nil
	}
	before, _ := applied()
	expectOK(t, send(t, c, srv.Addr, mustReq(t, "PublishContactFlowVersion", map[string]any{"InstanceId": DefaultInstanceID, "ContactFlowVersionId": f.draftVersion.ID})), "Publish")
	after, statuses := applied()
	if after == before || after != f.draftVersion.Version || statuses[after] != "Published" || statuses[before] != "Archived" {
		t.Fatalf("applied %s → %s, statuses %v", before, after, statuses)
	}
	expectErr(t, send(t, c, srv.Addr, mustReq(t, "PublishContactFlowVersion", map[string]any{"InstanceId": DefaultInstanceID, "ContactFlowVersionId": "v-404"})), 404, "NotExists.ContactFlowVersionId")
}

// TestReportsAgreeWithCallDetailRecords: the report actions are computed from
// the same calls ListCallDetailRecords lists.
func TestReportsAgreeWithCallDetailRecords(t *testing.T) {
	srv := startSim(t, Options{})
	c := newAKClient(t, DefaultAccessKeyID, DefaultAccessKeySecret)
	in := DefaultInstanceID
	from, to := fixedNow.Add(-3*24*time.Hour).Truncate(time.Hour), fixedNow
	cdrCount := func(from, to time.Time, extra map[string]any) int64 {
		p := map[string]any{"InstanceId": in, "PageNumber": 1, "PageSize": 1, "StartTime": from.UnixMilli(), "StopTime": to.UnixMilli()}
		for k, v := range extra {
			p[k] = v
		}
		a := send(t, c, srv.Addr, mustReq(t, "ListCallDetailRecords", p))
		expectOK(t, a, "ListCallDetailRecords")
		return num(a.Body, "CallDetailRecords", "TotalCount")
	}
	win := map[string]any{"InstanceId": in, "StartTime": from.Format("2006-01-02 15:04:05"), "EndTime": to.Format("2006-01-02 15:04:05")}

	all := cdrCount(from, to, nil)
	inbound := cdrCount(from, to, map[string]any{"ContactType": "Inbound"})
	outbound := cdrCount(from, to, map[string]any{"ContactType": "Outbound"})
	handledIn := cdrCount(from, to, map[string]any{"ContactType": "Inbound", "ContactDisposition": "Success"})
	ivrAbandoned := cdrCount(from, to, map[string]any{"ContactDisposition": "AbandonedInIVR"})
	if all < 100 || inbound+outbound != all {
		t.Fatalf("records: all %d inbound %d outbound %d", all, inbound, outbound)
	}

	a := send(t, c, srv.Addr, mustReq(t, "GetInstanceSummaryReport", win))
	expectOK(t, a, "GetInstanceSummaryReport")
	r := get(a.Body, "InstanceSummaryReport")
	if num(r, "Inbound", "CallsIncomingLine") != inbound || num(r, "Outbound", "CallsDialed") != outbound ||
		num(r, "Inbound", "CallsHandled") != handledIn || num(r, "Inbound", "CallsAbandonedInIVR") != ivrAbandoned {
		t.Fatalf("instance report %v disagrees with records (in %d out %d handled %d ivr %d)", r, inbound, outbound, handledIn, ivrAbandoned)
	}

	// By interval: the hourly slices add up to the whole.
	b := mustReq(t, "GetInstanceSummaryReportByInterval", win)
	setField(t, b, "Interval", "Hour")
	a = send(t, c, srv.Addr, b)
	expectOK(t, a, "GetInstanceSummaryReportByInterval")
	var sumIn, sumOut int64
	for _, it := range items(a.Body, "InstanceTimeIntervalReport", "IntervalList", "InstanceSummaryReport") {
		sumIn += num(it, "Inbound", "CallsIncomingLine")
		sumOut += num(it, "Outbound", "CallsDialed")
	}
	if sumIn != inbound || sumOut != outbound {
		t.Fatalf("intervals add to %d/%d, records %d/%d", sumIn, sumOut, inbound, outbound)
	}

	// Agents: handled inbound calls add up to the answered inbound records
	// that an agent took.
	p := map[string]any{"PageSize": 100}
	for k, v := range win {
		p[k] = v
	}
	a = send(t, c, srv.Addr, mustReq(t, "ListAgentSummaryReports", p))
	expectOK(t, a, "ListAgentSummaryReports")
	var handled, dialed int64
	for _, r := range items(a.Body, "PagedAgentSummaryReport", "List", "AgentSummaryReport") {
		handled += num(r, "Inbound", "CallsHandled")
		dialed += num(r, "Outbound", "CallsDialed")
	}
	if handled != handledIn || dialed != outbound {
		t.Fatalf("agents handled %d dialed %d; records %d / %d", handled, dialed, handledIn, outbound)
	}

	// Skill groups: calls offered per group add up to the inbound calls that
	// got past the IVR.
	a = send(t, c, srv.Addr, mustReq(t, "ListSkillGroupSummaryReports", p))
	expectOK(t, a, "ListSkillGroupSummaryReports")
	var offered int64
	for _, r := range items(a.Body, "PagedSkillGroupSummaryReport", "List", "SkillGroupSummaryReport") {
		offered += num(r, "Inbound", "CallsOffered")
	}
	if offered != inbound-cdrCount(from, to, map[string]any{"ContactType": "Inbound", "ContactDisposition": "AbandonedInIVR"}) {
		t.Fatalf("groups offered %d, records say %d inbound minus IVR abandons", offered, inbound)
	}

	// Since midnight matches the records since midnight.
	mid := midnight(fixedNow)
	a = send(t, c, srv.Addr, mustReq(t, "GetInstanceSummaryReportSinceMidnight", map[string]any{"InstanceId": in}))
	expectOK(t, a, "since midnight")
	todayIn := cdrCount(mid, fixedNow, map[string]any{"ContactType": "Inbound"})
	if todayIn == 0 || num(a.Body, "InstanceSummaryReport", "Inbound", "CallsIncomingLine") != todayIn {
		t.Fatalf("since midnight: report %d, records %d", num(a.Body, "InstanceSummaryReport", "Inbound", "CallsIncomingLine"), todayIn)
	}
}

func TestExternalActionsRecordWhatWouldHaveBeenSent(t *testing.T) {
	srv := startSim(t, Options{})
	f := newFixture(t, srv.Sim)
	c := newAKClient(t, DefaultAccessKeyID, DefaultAccessKeySecret)
	before := srv.CallCount(DefaultInstanceID)
	if len(srv.External()) != 0 {
		t.Fatal("fresh simulator already sent something")
	}
	a := send(t, c, srv.Addr, mustReq(t, "StartBack2BackCall", f.validParams("StartBack2BackCall")))
	expectOK(t, a, "StartBack2BackCall")
	a2 := send(t, c, srv.Addr, mustReq(t, "DialEx", f.validParams("DialEx")))
	expectOK(t, a2, "DialEx")
	expectOK(t, send(t, c, srv.Addr, mustReq(t, "SendPredefinedShortMessage", f.validParams("SendPredefinedShortMessage"))), "SMS")
	ext := srv.External()
	if len(ext) != 3 || ext[0].Action != "StartBack2BackCall" || ext[0].Params["Callee"] != "13700004444" || ext[2].Params["PhoneNumbers"] != "13800001111" {
		t.Fatalf("external records: %+v", ext)
	}
	if srv.CallCount(DefaultInstanceID) != before+2 {
		t.Fatalf("calls: %d → %d", before, srv.CallCount(DefaultInstanceID))
	}
	r := send(t, c, srv.Addr, mustReq(t, "ListCallDetailRecords", map[string]any{"InstanceId": DefaultInstanceID, "PageNumber": 1, "PageSize": 10, "ContactId": ext[0].ContactID}))
	expectOK(t, r, "ListCallDetailRecords")
	recs := items(r.Body, "CallDetailRecords", "List", "CallDetailRecord")
	if len(recs) != 1 || str(recs[0], "CalledNumber") != "13700004444" || str(recs[0], "ContactId") != str(a.Body, "TaskId") {
		t.Fatalf("the back-to-back call left no record: %s", r.Raw)
	}
	// A refused external action sends nothing.
	bad := f.validParams("SendPredefinedShortMessage")
	bad["ConfigId"] = 999
	expectErr(t, send(t, c, srv.Addr, mustReq(t, "SendPredefinedShortMessage", bad)), 404, "NotExists.ConfigId")
	if len(srv.External()) != 3 {
		t.Fatal("a refused SMS was recorded as sent")
	}
}

func TestFaultsAndCounters(t *testing.T) {
	srv := startSim(t, Options{Faults: Faults{ThrottleRate: 0.25}})
	c := newAKClient(t, DefaultAccessKeyID, DefaultAccessKeySecret)
	req := func() ccc.Request { return mustReq(t, "ListRoles", map[string]any{"InstanceId": DefaultInstanceID}) }
	if srv.Count("ListRoles") != 0 {
		t.Fatal("counter starts above zero")
	}
	throttled := 0
	for i := 0; i < 20; i++ {
		a := send(t, c, srv.Addr, req())
		switch {
		case a.Status == 400 && a.Code == "Throttling.User":
			throttled++
		case a.Status != 200:
			t.Fatalf("unexpected %d %s", a.Status, a.Code)
		}
	}
	if throttled != 5 || srv.Count("ListRoles") != 20 {
		t.Fatalf("throttled %d of 20 (want 5), counted %d", throttled, srv.Count("ListRoles"))
	}

	srv.SetFaults(Faults{UnavailableRate: 0.5})
	unavailable := 0
	for i := 0; i < 10; i++ {
		if a := send(t, c, srv.Addr, req()); a.Status == 503 && a.Code == "ServiceUnavailable" {
			unavailable++
		}
	}
	if unavailable != 5 {
		t.Fatalf("503 on %d of 10, want 5", unavailable)
	}

	// Refused requests are counted too.
	send(t, newAKClient(t, "nobody", "x"), srv.Addr, mustReq(t, "GetInstance", map[string]any{"InstanceId": DefaultInstanceID}))
	if srv.Count("GetInstance") != 1 || srv.Counts()["ListRoles"] != 30 {
		t.Fatalf("counts: %v", srv.Counts())
	}
	srv.ResetCounts()
	if len(srv.Counts()) != 0 || srv.Count("ListRoles") != 0 {
		t.Fatal("ResetCounts left counts")
	}

	// A hang lasts until the client gives up; Close does not wait for it.
	srv.SetFaults(Faults{HangRate: 1, HangFor: time.Hour})
	a := sendRaw(t, c, srv.Addr, "ListRoles", map[string]string{"InstanceId": DefaultInstanceID}, nil, 300*time.Millisecond)
	if a.Status != -1 {
		t.Fatalf("a hanging request answered: %d %s", a.Status, a.Code)
	}
	srv.SetFaults(Faults{})
	expectOK(t, send(t, c, srv.Addr, req()), "after faults")
}

func TestCloseReleasesHangingRequests(t *testing.T) {
	srv, err := Start("127.0.0.1:0", Options{Faults: Faults{HangRate: 1, HangFor: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	c := newAKClient(t, DefaultAccessKeyID, DefaultAccessKeySecret)
	done := make(chan answer, 1)
	go func() {
		done <- sendRaw(t, c, srv.Addr, "ListRoles", map[string]string{"InstanceId": DefaultInstanceID}, nil, 0)
	}()
	for srv.Count("ListRoles") == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if a := <-done; a.Status != 503 {
		t.Fatalf("released request got %d %s", a.Status, a.Code)
	}
}

func TestSameSeedSameData(t *testing.T) {
	snap := func(seed int64) string {
		s := New(Options{Seed: seed, Now: func() time.Time { return fixedNow }})
		s.mu.Lock()
		defer s.mu.Unlock()
		var out strings.Builder
		for _, in := range s.instances {
			for _, u := range in.users {
				fmt.Fprintf(&out, "%s|%s|%s|%s|%s|%v\n", u.UserID, u.RamID, u.LoginName, u.State, u.Since, u.Skills)
			}
			for _, c := range in.calls {
				fmt.Fprintf(&out, "%+v\n", *c)
			}
		}
		return out.String()
	}
	a, b, other := snap(7), snap(7), snap(8)
	if a != b {
		t.Fatal("the same seed gave different data")
	}
	if a == other {
		t.Fatal("different seeds gave the same data")
	}
	s := New(Options{Now: func() time.Time { return fixedNow }})
	if got := s.CallCount(DefaultInstanceID); got < 2000 {
		t.Fatalf("first instance has %d call records, want ≥ 2000", got)
	}
	if len(s.Agents(DefaultInstanceID)) < 40 || len(s.Agents(SecondInstanceID)) < 40 {
		t.Fatal("fewer than 40 agents")
	}
	for name, want := range stuckAgents {
		ag, ok := s.Agent(DefaultInstanceID, name)
		if !ok || ag.State != want.State || fixedNow.Sub(ag.Since) != want.For.Truncate(time.Second) {
			t.Errorf("%s: %+v, want %s for %s", name, ag, want.State, want.For)
		}
	}
}

func TestConcurrentClients(t *testing.T) {
	srv := startSim(t, Options{})
	f := newFixture(t, srv.Sim)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			client, err := ccc.New(ccc.Config{Endpoint: srv.URL, Credentials: ccc.Credentials{Mode: ccc.CredAccessKey,
				AccessKeyID: DefaultAccessKeyID, AccessKeySecret: DefaultAccessKeySecret}, MaxAttempts: 1})
			if err != nil {
				errs <- err
				return
			}
			defer client.Close()
			for i := 0; i < 10; i++ {
				var req ccc.Request
				switch i % 4 {
				case 0:
					req = mustReq(t, "ListRealTimeAgent", map[string]any{"InstanceId": f.inst})
				case 1:
					req = mustReq(t, "ListCallDetailRecords", f.validParams("ListCallDetailRecords"))
				case 2:
					req = mustReq(t, "CreateSkillGroup", map[string]any{"InstanceId": f.inst, "Name": fmt.Sprintf("g%d-%d", g, i)})
				default:
					req = mustReq(t, "ResetUserStatus", map[string]any{"InstanceId": f.inst})
				}
				if _, err := client.Call(context.Background(), req); err != nil {
					errs <- fmt.Errorf("%s: %w", req.Action(), err)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := srv.Count("CreateSkillGroup"); n != 8*2 {
		t.Fatalf("CreateSkillGroup counted %d", n)
	}
	srv.mu.Lock()
	groups := len(srv.byID[f.inst].groups)
	srv.mu.Unlock()
	if groups != 7+16 {
		t.Fatalf("%d groups after 16 creations", groups)
	}
}

func BenchmarkNew(b *testing.B) {
	for i := 0; i < b.N; i++ {
		New(Options{Seed: int64(i + 1)})
	}
}

var _ = reflect.DeepEqual
