package docs

import "sync"

// Glossary describes parameters that mean the same thing in every action.
// Where an action uses a name differently (another type or meaning), an entry
// in Overrides wins.
var Glossary = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"InstanceId":                 "Instance ID (list_instances_of_user).",
		"PageNumber":                 "Page, from 1.",
		"PageSize":                   "Rows per page.",
		"UserId":                     "Agent user ID (not the RAM ID or the login name). Find it with list_users or find_users.",
		"SkillGroupId":               "Skill group ID. Find it with list_skill_groups.",
		"RoleId":                     "Role IDs to give the agent. Find them with list_roles.",
		"SkillLevel":                 "Skill level per skill group, in the same order as SkillGroupId.",
		"StartTime":                  "Start: epoch ms, date-time, date, or 1h/7d/today.",
		"StopTime":                   "End, after the start; same forms.",
		"ContactId":                  "ID of one call (contact). Find it with list_call_detail_records.",
		"ContactFlowId":              "Contact flow (IVR) ID. Find it with list_contact_flows.",
		"AgentIds":                   "Agent IDs to include as a JSON array string, e.g. [\"a1\",\"a2\"]. Empty means all.",
		"SkillGroupIds":              "Skill group IDs to include as a JSON array string, e.g. [\"sg1\"]. Empty means all.",
		"Interval":                   "One report row per slot of this length.",
		"PhoneNumberId":              "ID of a number bound to the instance. Find it with list_phone_numbers.",
		"CallingNumber":              "Filter by the calling (caller) number.",
		"CalledNumber":               "Filter by the called number.",
		"CalleeNumber":               "Phone number to be called.",
		"CandidateNumber":            "Caller IDs to choose from, numbers bound to the instance.",
		"Callee":                     "Phone number of the person to call.",
		"Count":                      "How many caller IDs to return.",
		"Canvas":                     "Flow designer layout (JSON) of the contact flow.",
		"Content":                    "Flow logic (JSON) of the contact flow.",
		"Channel":                    "Which track of a dual-track recording to fetch; omit for the default.",
		"DisplayName":                "Agent's display name.",
		"Email":                      "Agent's email address.",
		"Phone":                      "Agent's own phone number.",
		"PrivateOutboundNumberId":    "Phone number ID reserved as this agent's personal caller ID.",
		"OutboundPhoneNumberId":      "Phone number IDs used as caller IDs. Find them with list_phone_numbers.",
		"AllowPrivateOutboundNumber": "Let agents call out from their personal number.",
		"RoutingStrategy":            "How the group hands calls to its agents.",
		"Usage":                      "What the number is for: Inbound, Outbound or Bidirection.",
		"PhoneNumbers":               "Recipient phone numbers, comma-separated.",
		"Acid":                       "ID of the call the survey is about.",
	}
})

// Overrides describe a parameter whose meaning depends on the action.
var Overrides = sync.OnceValue(func() map[string]map[string]string {
	return map[string]map[string]string{
		"GetConfig": {
			"Name":       "Name of the setting to read.",
			"ObjectType": "Kind of object the setting belongs to, such as the instance, a skill group or an agent.",
			"ObjectId":   "ID of that object; omit for instance-wide settings.",
		},
		"ListConfig": {
			"ConfigItem": "Names of the settings to read.",
		},
		"GetServiceExtensions": {
			"ServiceType": "Kind of service whose extensions to list.",
		},
		"RequestLoginInfo": {
			"UserId": "Agent to sign in; omit for the agent of the calling RAM user.",
		},
		"LaunchShortMessageAppraise": {
			"ContactType":  "Direction of the call the survey is about (integer code).",
			"PhoneNumbers": "Customer number to text the survey to.",
			"SkillGroupId": "Skill group that handled the call.",
		},
		"GetTURNCredentials": {
			"UserName": "Login name of the agent who needs the relay.",
		},
		"ModifyPrimaryTrunksOfSkillGroup": {
			"PrimaryProviderName": "Trunk provider names to make primary. Find them with list_trunk_providers.",
		},
		"DisableTrunkProviders": {
			"ProviderName": "Trunk provider names to disable. Find them with list_trunk_providers.",
		},
		"ListIvrTrackingDetail": {
			"ContactId": "Trace only this call.",
		},
		"CreateContactFlow": {
			"Name":        "Name of the new contact flow, unique in the instance.",
			"Description": "Short description of the flow.",
			"Type":        "Kind of contact flow, as the flow designer names it.",
		},
		"CommitContactFlowVersionModification": {
			"ContactFlowVersionId": "Unpublished version to save into. Find it with list_contact_flows.",
		},
		"PublishContactFlowVersion": {
			"ContactFlowVersionId": "Version to publish. Find it with list_contact_flows.",
			"UseTianGong":          "Publish through the TianGong flow engine instead of the default one.",
		},
		"AddPhoneNumber": {
			"PhoneNumber":   "Number to bind, one bought in the CCC console.",
			"ContactFlowId": "Contact flow that answers calls to the number.",
		},
		"ModifyPhoneNumber": {
			"ContactFlowId": "Contact flow that answers calls to the number.",
			"SkillGroupId":  "Skill groups that may use the number as caller ID.",
		},
		"ListPhoneNumbers": {
			"OutboundOnly": "true: only numbers that may dial out; false: all numbers.",
		},
		"GetNumberRegionInfo": {
			"Number": "Phone number to look up.",
		},
		"PickGlobalOutboundNumbers": {
			"SkillGroupId": "Skill groups whose caller IDs may be used.",
			"IsVirtual":    "Also consider virtual (privacy) numbers.",
		},
		"PickOutboundNumbers": {
			"Count": "How many caller IDs to return.",
		},
		"AddBulkPhoneNumbers": {
			"PhoneNumber":   "Numbers to bind, bought in the CCC console.",
			"ContactFlowId": "Contact flow that answers calls to the numbers.",
			"SkillGroupId":  "Skill groups that may use the numbers as caller ID.",
		},
		"CallOnlinePrivacyNumber": {
			"TelA": "First party's phone number.",
			"TelB": "Second party's phone number.",
		},
		"ModifyPrivacyNumberCallDetail": {
			"CallId":    "Call ID of the privacy-number call.",
			"ContactId": "CCC contact ID to attach to it.",
		},
		"StartBack2BackCall": {
			"Caller":           "Number rung first, usually the agent's phone.",
			"Callee":           "Number rung once the caller answers.",
			"CallCenterNumber": "Instance number shown as caller ID.",
			"WorkflowId":       "Contact flow to run for the call.",
		},
		"DialEx": {
			"Caller":     "Caller ID shown to the callee, a number of the instance.",
			"RoutPoint":  "Route point of the flow that handles the call. Find it with get_route_point.",
			"Provider":   "Trunk provider to dial through.",
			"AnswerMode": "How the answered call is handled (integer code of the service).",
		},
		"CreateSkillGroup": {
			"Name":        "Name of the new skill group.",
			"Description": "Short description of the group.",
			"UserId":      "Agents to put in the group.",
			"SkillLevel":  "Skill level of each agent, in the same order as UserId.",
		},
		"DeleteSkillGroup": {
			"SkillGroupId": "Skill group to delete.",
		},
		"ModifySkillGroup": {
			"Name":        "New name of the group.",
			"Description": "New description of the group.",
			"UserId":      "Full list of agents of the group after the change.",
			"SkillLevel":  "Skill level of each agent, in the same order as UserId.",
		},
		"ListSkillGroups": {
			"SkillGroupId":   "Only these skill group IDs.",
			"SkillGroupName": "Only skill groups with these names.",
		},
		"ModifySkillGroupOutboundNumbers": {
			"OperationType":         "Whether to add or remove the numbers (integer code of the service).",
			"OutboundPhoneNumberId": "Phone number IDs to add or remove.",
		},
		"RemoveUsersFromSkillGroup": {
			"UserId": "Agents to remove from the group.",
		},
		"CreateUser": {
			"LoginName":    "Login name of the new RAM user and agent.",
			"SkillGroupId": "Skill groups to put the agent in.",
		},
		"RemoveUsers": {
			"UserId": "Agents to remove from the instance.",
		},
		"ModifyUser": {
			"UserId":       "Agent to change.",
			"SkillGroupId": "Full list of the agent's skill groups after the change.",
		},
		"AssignUsers": {
			"UserRamId":    "RAM user IDs to turn into agents.",
			"SkillGroupId": "Skill groups to put the agents in.",
		},
		"ResetUserStatus": {
			"RamIdList": "RAM IDs of the agents to reset. Find them with list_users.",
		},
		"FindUsers": {
			"Criteria": "Search text matched against agent names and logins.",
		},
		"ListAgentEvents": {
			"RamId": "RAM IDs of the agents. Find them with list_users.",
			"Event": "Event names to include; omit for all.",
		},
		"ModifySkillGroupOfUser": {
			"UserId":       "Agent to change.",
			"SkillGroupId": "Full list of the agent's skill groups after the change.",
		},
		"GetUserByExtension": {
			"Extension": "Extension number of the agent.",
		},
		"DownloadRecording": {
			"FileName": "Recording file name. Find it with list_recordings_by_contact_id.",
		},
		"ListRecordingOfDualTrack": {
			"AgentId":   "Filter by agent ID.",
			"ConnectId": "Filter by connection ID of a call leg.",
		},
		"ListCallDetailRecords": {
			"ContactId":          "Only this call.",
			"ContactType":        "Filter by call direction or kind, such as Inbound or Outbound.",
			"ContactDisposition": "Filter by how the call ended, such as Success or NoAnswer.",
			"Criteria":           "Extra filters as a JSON string.",
			"OrderBy":            "Field to sort the records by.",
			"PhoneNumber":        "Filter by a calling or called number.",
			"WithRecording":      "true: only calls that have a recording.",
		},
		"GetConversationDetailByContactId": {
			"ContactId": "Call whose transcript to read. Find it with list_call_detail_records.",
		},
		"ListRecentCallRecords": {
			"Criteria": "Extra filters as a JSON string.",
		},
		"GenerateAgentStatisticReport": {
			"AgentId":   "Only this agent; omit for all agents.",
			"StartDate": "First day: a date (2019-10-01), or 7d/yesterday/today.",
			"EndDate":   "Last day, not before the first; same forms.",
		},
		"GetInstanceSummaryReport":           reportPeriod(),
		"GetInstanceSummaryReportByInterval": reportPeriod(),
		"ListAgentStates": {
			"SkillGroupId": "Only agents of this skill group.",
			"AgentIds":     "Agent IDs (RAM IDs) to include, at most 50. Empty means all.",
			"State":        "Only agents in this state; omit for all.",
		},
		"ListAgentStateLogs": {
			"RamId":     "RAM ID of the agent. Find it with list_users.",
			"StartTime": "Start: epoch ms, date-time, date, or 1h/7d/today.",
			"EndTime":   "End, after the start; same forms.",
		},
		"ListAgentSummaryReports":                reportPeriod(),
		"ListAgentSummaryReportsByInterval":      reportPeriod(),
		"ListSkillGroupSummaryReports":           reportPeriod(),
		"ListSkillGroupSummaryReportsByInterval": reportPeriod(),
		"ListAgentSummaryReportsSinceMidnight": {
			"AgentIds": "Agent IDs as a JSON array string, at most 100. Empty means all.",
		},
		"ListSkillGroupSummaryReportsSinceMidnight": {
			"SkillGroups": "Skill group IDs as a JSON array string. Empty means all groups.",
		},
		"ListCallMeasureSummaryReports": {
			"IntervalType": "Monthly: one row per month; Daily: one row per day.",
		},
		"GetCallMeasureSummaryReport": {
			"IntervalType": "Monthly: totals for the month; Daily: totals for one day.",
			"Year":         "Year of the report, e.g. 2019.",
			"Month":        "Month of the report, 1 to 12.",
			"Day":          "Day of the month; needed when IntervalType is Daily.",
		},
		"AddAgentDevice": {
			"BrowserVersion": "Browser name and version the agent uses.",
			"ClientIp":       "IP address of the agent's computer.",
			"ClientPort":     "Port of the agent's client.",
			"Remark":         "Free-text note.",
		},
		"ModifyAgentDevice": {
			"AgentDeviceId": "Device record to change: the AgentDeviceId that add_agent_device returned (list_agent_devices does not show it).",
			"IsLogin":       "Login flag to store for the device (integer code).",
		},
		"ListAgentDevices": {
			"RamIds": "RAM IDs of the agents, comma-separated; omit for all.",
		},
		"GetRecordOssUploadParam": {
			"FileName": "Name of the file to upload.",
		},
		"SaveWebRTCStats": {
			"CallId":        "Call ID of the WebRTC call.",
			"CallStartTime": "When the call started: epoch ms or date-time.",
			"RecordTime":    "When the statistics were taken: epoch ms or date-time.",
			"CallerNumber":  "Calling number of the call.",
			"CalleeNumber":  "Called number of the call.",
			"Stats":         "WebRTC statistics as a JSON string.",
			"TenantId":      "Tenant ID of the instance, from get_instance.",
			"Uid":           "ID of the user whose browser took the statistics.",
		},
		"CreateVoiceAppraise": {
			"ContactFlowVersionId": "Contact flow version that plays the survey.",
			"Content":              "Survey flow logic (JSON).",
			"IsAppraise":           "true: survey on; false: survey off.",
		},
		"GetSmsConfig": {
			"Scenario": "Scenario codes (integers) whose SMS settings to read.",
		},
		"SendPredefinedShortMessage": {
			"ConfigId":      "SMS configuration to use. Find it with get_sms_config.",
			"TemplateParam": "Values for the template variables, as a JSON string.",
		},
	}
})

// reportPeriod describes the string time range of the summary reports.
func reportPeriod() map[string]string {
	return map[string]string{
		"StartTime": "Start: date-time, date, epoch ms, or 7d/today.",
		"EndTime":   "End, after the start; same forms.",
	}
}

// Enums are the closed sets of values the CCC API documents. Keys are
// "Action.Param", or "*.Param" for every action with that parameter. Only
// sets found in the CCC 2017-07-05 documentation are listed; a wrong set
// would make valid calls fail.
var Enums = sync.OnceValue(func() map[string][]string {
	return map[string][]string{
		// help.aliyun.com/document_detail/90007.html (ListAgentStates, 2017-07-05)
		// documents ACW, Break, Dialing, Ringing, Ready, Talking. Offline is
		// ours: the service reports signed-out agents as Offline (the
		// simulator does), and filtering by it is how one finds them.
		"ListAgentStates.State": {"ACW", "Break", "Dialing", "Ringing", "Ready", "Talking", "Offline"},
		// Ours, from the simulator, which follows the report pages' examples:
		// the length of each slot of a ...ByInterval report. Not verified
		// against a live service.
		"GetInstanceSummaryReportByInterval.Interval":     {"Hour", "Day", "Week", "Month"},
		"ListAgentSummaryReportsByInterval.Interval":      {"Hour", "Day", "Week", "Month"},
		"ListSkillGroupSummaryReportsByInterval.Interval": {"Hour", "Day", "Week", "Month"},
		// help.aliyun.com/document_detail/63036.html (AddPhoneNumber) and
		// /111185.html (AddBulkPhoneNumbers). Both pages misspell Outbound as
		// "Outboung"; the 2020-07-01 pages for the same field spell it Outbound.
		"AddPhoneNumber.Usage":      {"Inbound", "Outbound", "Bidirection"},
		"AddBulkPhoneNumbers.Usage": {"Inbound", "Outbound", "Bidirection"},
		// help.aliyun.com/document_detail/95671.html (ListCallMeasureSummaryReports)
		// and /95670.html (GetCallMeasureSummaryReport).
		"ListCallMeasureSummaryReports.IntervalType": {"Monthly", "Daily"},
		"GetCallMeasureSummaryReport.IntervalType":   {"Monthly", "Daily"},
	}
})

// EnumMeanings say what enum values mean, where the value alone does not.
var EnumMeanings = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"*.Interval": "Hour, Day, Week or Month: one report row per slot of that length.",
	}
})

// Bounds are integer ranges. ListCallDetailRecords PageNumber ≤ 5000 comes
// from the spec file itself and is applied by the generator.
var Bounds = sync.OnceValue(func() map[string]Bound {
	return map[string]Bound{
		"*.PageNumber": {Min: i64(1)},
		// Every page size the CCC pages document starts at 1. The maximum 100
		// is ours for the pages that do not state one (ListCallDetailRecords
		// among them): it is what the pages that do state one say, and what
		// the simulator enforces for every action.
		"*.PageSize": {Min: i64(1), Max: i64(100)},
		// "PageSize ... max 100": help.aliyun.com/document_detail/90007.html.
		"ListAgentStates.PageSize": {Min: i64(1), Max: i64(100)},
		// "PageSize default 50, max 100": /95670.html.
		"GetCallMeasureSummaryReport.PageSize": {Min: i64(1), Max: i64(100)},
		// "PageNumber and PageSize range 1-100": /92442.html.
		"ListAgentSummaryReportsSinceMidnight.PageSize":   {Min: i64(1), Max: i64(100)},
		"ListAgentSummaryReportsSinceMidnight.PageNumber": {Min: i64(1), Max: i64(100)},
		// "PageNumber and PageSize range 1-100": /92432.html.
		"ListSkillGroupSummaryReportsSinceMidnight.PageSize":   {Min: i64(1), Max: i64(100)},
		"ListSkillGroupSummaryReportsSinceMidnight.PageNumber": {Min: i64(1), Max: i64(100)},
		// /95670.html: Month of the year, Day of the month.
		"GetCallMeasureSummaryReport.Month": {Min: i64(1), Max: i64(12)},
		"GetCallMeasureSummaryReport.Day":   {Min: i64(1), Max: i64(31)},
	}
})
