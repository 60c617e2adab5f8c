package sim

import (
	"strconv"
	"testing"
	"time"
)

// fixture names seeded things the tests address.
type fixture struct {
	inst                                 string
	alice, bob, zoe                      *user
	trent                                *user
	general, billing, afterHours, outGrp *skillGroup
	answered, dual                       *call
	flow, otherFlow                      *contactFlow
	draftVersion                         *flowVersion
	number, number2, lastNumber          *phoneNumber
	outboundNumber                       *phoneNumber
	now                                  time.Time
}

func newFixture(t testing.TB, s *Sim) fixture {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.byID[DefaultInstanceID]
	f := fixture{inst: in.ID, now: s.now()}
	f.alice, f.bob, f.zoe, f.trent = in.userByLogin("alice"), in.userByLogin("bob"), in.userByLogin("zoe"), in.userByLogin("trent")
	for _, g := range in.groups {
		switch g.Name {
		case "General":
			f.general = g
		case "Billing":
			f.billing = g
		case "AfterHours":
			f.afterHours = g
		case "OutboundSales":
			f.outGrp = g
		}
	}
	for i := len(in.calls) - 1; i >= 0; i-- {
		c := in.calls[i]
		if c.answered() && c.Recording == 2 && c.Type == "Inbound" && c.Satisfaction > 0 {
			f.answered, f.dual = c, c
			break
		}
	}
	f.flow, f.otherFlow = in.flows[0], in.flows[1]
	for _, v := range f.otherFlow.versions {
		if v.ID != f.otherFlow.Applied {
			f.draftVersion = v
		}
	}
	f.number, f.number2, f.lastNumber = in.numbers[0], in.numbers[1], in.numbers[len(in.numbers)-1]
	for _, n := range in.numbers {
		if n.AllowOutbound {
			f.outboundNumber = n
			break
		}
	}
	if f.alice == nil || f.general == nil || f.answered == nil || f.draftVersion == nil || f.outboundNumber == nil {
		t.Fatal("seed lacks what the tests need")
	}
	return f
}

func ramInt(u *user) int64 { n, _ := strconv.ParseInt(u.RamID, 10, 64); return n }

// validParams returns valid parameters for an action, chosen so that each
// destructive action has its own target and the reads find data.
func (f fixture) validParams(action string) map[string]any {
	week := f.now.Add(-7 * 24 * time.Hour)
	p := map[string]any{"InstanceId": f.inst}
	add := func(kv map[string]any) map[string]any {
		for k, v := range kv {
			p[k] = v
		}
		return p
	}
	page := map[string]any{"PageNumber": 1, "PageSize": 10}
	msWindow := map[string]any{"StartTime": week.UnixMilli(), "StopTime": f.now.UnixMilli()}
	strWindow := map[string]any{"StartTime": week.Format("2006-01-02 15:04:05"), "EndTime": f.now.Format("2006-01-02 15:04:05")}
	switch action {
	case "GetConfig":
		return add(map[string]any{"Name": "MaxRingingSeconds", "ObjectType": "instance", "ObjectId": f.inst})
	case "ListConfig", "RefreshToken", "GetTURNServerList", "ListContactFlows", "ListRoles", "ListTransferableSkillGroups",
		"ListRealTimeAgent", "GetInstance", "ListVoiceAppraise", "ListSkillGroups", "GetInstanceSummaryReportSinceMidnight",
		"ListAgentSummaryReportsSinceMidnight", "ListSkillGroupSummaryReportsSinceMidnight", "ListAgentStates", "ListSkillGroupStates":
		return p
	case "GetServiceExtensions":
		return add(map[string]any{"ServiceType": "Transfer"})
	case "RequestLoginInfo":
		return add(map[string]any{"UserId": f.alice.UserID})
	case "LaunchAppraise":
		return add(map[string]any{"Acid": f.answered.ContactID})
	case "LaunchShortMessageAppraise":
		return add(map[string]any{"Acid": f.answered.ContactID, "ContactType": 1, "PhoneNumbers": f.answered.Caller})
	case "GetTURNCredentials":
		return add(map[string]any{"UserName": "alice"})
	case "ListTrunkProviders", "ListInstancesOfUser":
		return map[string]any{}
	case "ListTrunksOfSkillGroup":
		return add(map[string]any{"SkillGroupId": f.general.ID})
	case "ModifyPrimaryTrunksOfSkillGroup":
		return add(map[string]any{"SkillGroupId": f.billing.ID, "PrimaryProviderName": []string{"telecom-sip-03"}})
	case "DisableTrunkProviders":
		return map[string]any{"ProviderName": []string{"sim-backup-sip"}}
	case "ListIvrTrackingDetail":
		return add(map[string]any{"PageNumber": 1, "PageSize": 10, "StartTime": week.UnixMilli(), "StopTime": f.now.UnixMilli()})
	case "CreateContactFlow":
		return add(map[string]any{"Name": "NewFlow", "Type": "MAIN_FLOW", "Canvas": `{"nodes":[]}`, "Content": "<flow/>", "Description": "made by a test"})
	case "CommitContactFlowVersionModification":
		return add(map[string]any{"ContactFlowVersionId": f.flow.Applied, "Canvas": `{"nodes":["Start"]}`, "Content": "<flow><start/></flow>"})
	case "GetRoutePoint":
		return add(map[string]any{"ContactFlowId": f.flow.ID})
	case "PublishContactFlowVersion":
		return add(map[string]any{"ContactFlowVersionId": f.draftVersion.ID})
	case "AddPhoneNumber":
		return add(map[string]any{"PhoneNumber": "02160000001", "Usage": "Bidirection", "ContactFlowId": f.flow.ID})
	case "RemovePhoneNumber":
		return add(map[string]any{"PhoneNumberId": f.lastNumber.ID})
	case "ModifyPhoneNumber":
		return add(map[string]any{"PhoneNumberId": f.number2.ID, "Usage": "Bidirection", "ContactFlowId": f.flow.ID, "SkillGroupId": []string{f.general.ID}})
	case "ListPhoneNumbers":
		return add(map[string]any{"OutboundOnly": false})
	case "GetNumberRegionInfo":
		return add(map[string]any{"Number": f.number.Number})
	case "PickGlobalOutboundNumbers":
		return add(map[string]any{"CalleeNumber": "13800001111", "SkillGroupId": []string{f.general.ID, f.outGrp.ID}, "Count": 2})
	case "PickLocalNumber":
		return add(map[string]any{"CalleeNumber": "13800001111", "CandidateNumber": []string{f.outboundNumber.Number}})
	case "PickOutboundNumbers":
		return add(map[string]any{"CalleeNumber": "13800001111", "CandidateNumber": []string{f.outboundNumber.Number}, "Count": 1})
	case "AddBulkPhoneNumbers":
		return add(map[string]any{"PhoneNumber": []string{"02160000002", "02160000003"}, "Usage": "Inbound", "SkillGroupId": []string{f.general.ID}})
	case "CallOnlinePrivacyNumber":
		return add(map[string]any{"TelA": "13800002222", "TelB": "13900003333"})
	case "ListOutboundPhoneNumberOfUser":
		return add(map[string]any{"UserId": f.alice.UserID, "PageNumber": 1, "PageSize": 10})
	case "ModifyPrivacyNumberCallDetail":
		return add(map[string]any{"ContactId": f.answered.ContactID, "CallId": "privacy-call-1"})
	case "StartBack2BackCall":
		return add(map[string]any{"Caller": f.alice.Phone, "Callee": "13700004444"})
	case "DialEx":
		return add(map[string]any{"Caller": f.alice.Extension, "Callee": "13700005555", "RoutPoint": "rp-1", "AnswerMode": 0})
	case "CreateSkillGroup":
		return add(map[string]any{"Name": "Escalations", "Description": "made by a test", "UserId": []string{f.alice.UserID}, "SkillLevel": []int64{3}})
	case "DeleteSkillGroup":
		return add(map[string]any{"SkillGroupId": f.afterHours.ID})
	case "ModifySkillGroup":
		return add(map[string]any{"SkillGroupId": f.billing.ID, "Name": "Billing", "Description": "Invoices and refunds"})
	case "ListSkillGroupsOfUser":
		return add(map[string]any{"UserId": f.alice.UserID})
	case "ListUsersOfSkillGroup":
		return add(map[string]any{"SkillGroupId": f.general.ID, "PageNumber": 1, "PageSize": 10})
	case "ModifySkillGroupOutboundNumbers":
		return add(map[string]any{"SkillGroupId": f.billing.ID, "OperationType": 1, "OutboundPhoneNumberId": []string{f.outboundNumber.ID}})
	case "RemoveUsersFromSkillGroup":
		return add(map[string]any{"SkillGroupId": f.outGrp.ID, "UserId": []string{f.zoe.UserID}})
	case "CreateUser":
		return add(map[string]any{"LoginName": "newbie", "DisplayName": "New Bie", "Email": "newbie@example.com", "RoleId": f.alice.Roles})
	case "RemoveUsers":
		return add(map[string]any{"UserId": []string{f.zoe.UserID}})
	case "ModifyUser":
		return add(map[string]any{"UserId": f.bob.UserID, "DisplayName": "Bob B.", "Email": "bob@example.com", "Phone": "13811112222", "RoleId": f.bob.Roles})
	case "GetUser":
		return add(map[string]any{"UserId": f.alice.UserID})
	case "ListUsers":
		return add(page)
	case "AssignUsers":
		return add(map[string]any{"UserRamId": []string{"2399999999999999"}, "RoleId": f.alice.Roles, "SkillGroupId": []string{f.general.ID}, "SkillLevel": []int64{5}})
	case "ResetUserStatus":
		return add(map[string]any{"RamIdList": []int64{ramInt(f.trent)}})
	case "FindUsers":
		return add(map[string]any{"Criteria": "a", "PageNumber": 1, "PageSize": 10})
	case "ListAgentEvents":
		return add(map[string]any{"RamId": []string{f.alice.RamID}, "StartTime": week.UnixMilli(), "StopTime": f.now.UnixMilli()})
	case "ModifySkillGroupOfUser":
		return add(map[string]any{"UserId": f.bob.UserID, "RoleId": f.bob.Roles, "SkillGroupId": []string{f.general.ID, f.billing.ID}, "SkillLevel": []int64{2, 4}})
	case "GetUserByExtension":
		return add(map[string]any{"Extension": f.alice.Extension})
	case "DownloadRecording":
		return add(map[string]any{"FileName": f.dual.ContactID + "-left.wav"})
	case "ListRecordingsByContactId", "ListCallEventDetailByContactId":
		return add(map[string]any{"ContactId": f.dual.ContactID})
	case "DownloadAllTypeRecording":
		return add(map[string]any{"ContactId": f.dual.ContactID})
	case "ListRecordingOfDualTrack":
		return add(map[string]any{"PageNumber": 1, "PageSize": 10, "StartTime": week.UnixMilli(), "StopTime": f.now.UnixMilli()})
	case "ListCallDetailRecords":
		add(page)
		return add(msWindow)
	case "GetConversationDetailByContactId":
		return add(map[string]any{"ContactId": f.answered.ContactID, "PageNumber": 1, "PageSize": 20})
	case "ListRecentCallRecords":
		return add(page)
	case "GenerateAgentStatisticReport":
		return add(map[string]any{"StartDate": f.now.AddDate(0, 0, -2).Format("2006-01-02"), "EndDate": f.now.Format("2006-01-02"), "PageNumber": 1, "PageSize": 10})
	case "GetInstanceSummaryReport", "ListAgentSummaryReports", "ListSkillGroupSummaryReports":
		return add(strWindow)
	case "GetInstanceSummaryReportByInterval", "ListAgentSummaryReportsByInterval", "ListSkillGroupSummaryReportsByInterval":
		add(strWindow)
		return add(map[string]any{"Interval": "Day", "PageSize": 3})
	case "ListAgentStateLogs":
		return add(map[string]any{"RamId": ramInt(f.alice), "StartTime": week.UnixMilli(), "EndTime": f.now.UnixMilli(), "PageNumber": 1, "PageSize": 50})
	case "ListCallMeasureSummaryReports":
		return map[string]any{"IntervalType": "Daily"}
	case "GetCallMeasureSummaryReport":
		d := f.now.AddDate(0, 0, -1)
		return map[string]any{"IntervalType": "Daily", "Year": d.Year(), "Month": int(d.Month()), "Day": d.Day(), "PageNumber": 1, "PageSize": 10}
	case "AddAgentDevice":
		return add(map[string]any{"ClientIp": "10.9.9.9", "ClientPort": "50999", "BrowserVersion": "Firefox 128", "Remark": "test"})
	case "ModifyAgentDevice":
		return add(map[string]any{"AgentDeviceId": 1001, "IsLogin": 0})
	case "ListAgentDevices":
		return p
	case "GetRecordOssUploadParam":
		return add(map[string]any{"FileName": "greeting.wav"})
	case "SaveWebRTCStats":
		return add(map[string]any{"CallId": "webrtc-1", "CallStartTime": f.now.UnixMilli(), "CalleeNumber": "13800001111", "CallerNumber": "8001001",
			"RecordTime": f.now.UnixMilli(), "Stats": `{"rtt":42}`, "TenantId": "t1", "Uid": "alice"})
	case "CreateVoiceAppraise":
		return add(map[string]any{"ContactFlowVersionId": f.flow.Applied, "Content": "Rate us from 1 to 5", "IsAppraise": true})
	case "GetSmsConfig":
		return add(map[string]any{"Scenario": []int64{1, 2}})
	case "SendPredefinedShortMessage":
		return add(map[string]any{"ConfigId": 101, "PhoneNumbers": "13800001111", "TemplateParam": `{"name":"Li"}`})
	}
	return nil
}
