package docs

import "sync"

// Actions holds the title and description of every one of the 89 actions.
// Tool names referred to here are the snake_case of the action names. It is
// built on first use: only the generators read it (the servers start from
// what they generated), so a server does not build it at every start.
var Actions = sync.OnceValue(func() map[string]ActionDoc {
	return map[string]ActionDoc{
		// config
		"GetConfig": {
			Title:       "Read one configuration item",
			Description: "Reads a single named setting of an instance, a skill group or an agent. Use list_config to read several at once.",
		},
		"ListConfig": {
			Title:       "Read several configuration items",
			Description: "Reads several named settings of an instance in one call and returns their name/value pairs.",
		},
		"GetServiceExtensions": {
			Title:       "List service extension numbers",
			Description: "Returns the name and number of the service extensions of an instance for one service type.",
		},
		"RefreshToken": {
			Title:       "Refresh the workbench token",
			Description: "Issues fresh signed token data for the agent workbench of an instance. Returns a credential: treat it as secret and never post it in a channel.",
		},
		"RequestLoginInfo": {
			Title:       "Get agent login information",
			Description: "Returns what an agent workbench needs to sign in: signed data, extension, region and WebRTC/agent server URLs. Contains credentials: keep it private.",
		},
		"LaunchAppraise": {
			Title:       "Start a voice satisfaction survey",
			Description: "Transfers the live call to the voice satisfaction survey so the customer can rate it. External: it acts on a real call; a human must confirm.",
		},
		"LaunchShortMessageAppraise": {
			Title:       "Send a satisfaction survey by SMS",
			Description: "Texts a satisfaction survey to the customer of a finished call. External: it messages real people and costs money; a human must confirm.",
		},
		"GetTURNCredentials": {
			Title:       "Get TURN relay credentials",
			Description: "Returns the user name and password of the TURN media relay for a WebRTC client. Secret: keep the result private.",
		},
		"GetTURNServerList": {
			Title:       "List TURN relay servers",
			Description: "Lists the TURN media relay servers a WebRTC client of the instance may use. Pair with get_turn_credentials.",
		},
		"ListTrunkProviders": {
			Title:       "List trunk providers in use",
			Description: "Lists the telephone trunk providers the account currently uses. Takes no input.",
		},
		"ListTrunksOfSkillGroup": {
			Title:       "List trunks of a skill group",
			Description: "Shows which trunk providers a skill group places its calls through, and which is primary. Get SkillGroupId from list_skill_groups.",
		},
		"ModifyPrimaryTrunksOfSkillGroup": {
			Title:       "Change primary trunks of skill group",
			Description: "Replaces the primary trunk providers a skill group dials out through. Destructive: outbound calls change route at once; a human must confirm.",
		},
		"DisableTrunkProviders": {
			Title:       "Disable trunk providers",
			Description: "Deregisters trunk providers so no call uses them any more. Destructive: calls routed over them fail; a human must confirm.",
		},

		// contactflow
		"ListIvrTrackingDetail": {
			Title:       "Trace a call through the IVR",
			Description: "Returns the IVR nodes calls passed through, filtered by call ID, numbers or time, one page at a time. Use it to see where callers dropped out.",
		},
		"CreateContactFlow": {
			Title:       "Create a contact flow",
			Description: "Creates a new IVR contact flow from its canvas and content. Returns the flow and its first version. Write: adds a flow; a human must confirm.",
		},
		"CommitContactFlowVersionModification": {
			Title:       "Save changes to a flow version",
			Description: "Saves new canvas and content into an unpublished contact flow version. Publish it with publish_contact_flow_version. A human must confirm.",
		},
		"GetRoutePoint": {
			Title:       "Get the route point of a flow",
			Description: "Returns the route point of a contact flow, needed by dial_ex. Get ContactFlowId from list_contact_flows.",
		},
		"ListContactFlows": {
			Title:       "List contact flows",
			Description: "Lists the IVR contact flows of an instance with their versions and bound numbers.",
		},
		"PublishContactFlowVersion": {
			Title:       "Publish a contact flow version",
			Description: "Makes a contact flow version live for every number bound to the flow. Destructive: callers hear the new IVR at once; a human must confirm.",
		},

		// roles
		"ListRoles": {
			Title:       "List roles",
			Description: "Lists the roles of an instance (agent, admin and so on) with their IDs, for create_user and modify_user.",
		},

		// numbers
		"AddPhoneNumber": {
			Title:       "Add a phone number",
			Description: "Binds a purchased number to an instance for inbound, outbound or both, optionally to a contact flow. Write: a human must confirm.",
		},
		"RemovePhoneNumber": {
			Title:       "Remove a phone number",
			Description: "Unbinds a number from the instance. Destructive: calls to it stop reaching the center; a human must confirm. Get PhoneNumberId from list_phone_numbers.",
		},
		"ModifyPhoneNumber": {
			Title:       "Change a phone number",
			Description: "Changes the usage, contact flow or skill groups of a number. Destructive: routing changes at once; a human must confirm.",
		},
		"ListPhoneNumbers": {
			Title:       "List phone numbers",
			Description: "Lists the numbers of an instance with usage, flow and skill groups; set OutboundOnly to see only numbers that may dial out.",
		},
		"GetNumberRegionInfo": {
			Title:       "Look up where a number is from",
			Description: "Returns the province, city and carrier of a phone number.",
		},
		"PickGlobalOutboundNumbers": {
			Title:       "Pick caller IDs for a callee",
			Description: "Chooses caller IDs from the given skill groups that suit the callee's region. Returns caller/callee pairs; nothing is dialed.",
		},
		"PickLocalNumber": {
			Title:       "Pick a local caller ID",
			Description: "From the candidate numbers, returns one in the callee's own area when there is one. Nothing is dialed.",
		},
		"PickOutboundNumbers": {
			Title:       "Pick outbound caller IDs",
			Description: "Chooses up to Count caller IDs for the callee from the candidate numbers. Nothing is dialed.",
		},
		"AddBulkPhoneNumbers": {
			Title:       "Add many phone numbers",
			Description: "Binds several purchased numbers at once, with usage, flow and skill groups. Returns added, failed and in-arrears numbers. Write: a human must confirm.",
		},
		"CallOnlinePrivacyNumber": {
			Title:       "Call via a privacy number",
			Description: "Connects party A and party B through a virtual number so neither sees the other's number. External: rings real phones and costs money; a human must confirm.",
		},
		"ListOutboundPhoneNumberOfUser": {
			Title:       "List an agent's caller IDs",
			Description: "Lists the numbers an agent may dial out from, one page at a time. Get UserId from list_users.",
		},
		"ModifyPrivacyNumberCallDetail": {
			Title:       "Link privacy call to contact ID",
			Description: "Attaches a CCC contact ID to a privacy-number call record. Destructive: rewrites the record; a human must confirm.",
		},

		// calls
		"StartBack2BackCall": {
			Title:       "Start a back-to-back call",
			Description: "Rings the caller first, then connects them to the callee; returns a task ID. External: rings real phones and costs money; a human must confirm.",
		},
		"DialEx": {
			Title:       "Place a call from the back end",
			Description: "Dials the callee from a route point without an agent workbench. External: rings a real phone and costs money; a human must confirm. Get RoutPoint from get_route_point.",
		},

		// skillgroups
		"CreateSkillGroup": {
			Title:       "Create a skill group",
			Description: "Creates a skill group, optionally with agents, levels and caller IDs. Returns the new group ID. Write: a human must confirm.",
		},
		"DeleteSkillGroup": {
			Title:       "Delete a skill group",
			Description: "Deletes a skill group; its agents and numbers lose the link. Destructive: cannot be undone; a human must confirm.",
		},
		"ModifySkillGroup": {
			Title:       "Change a skill group",
			Description: "Replaces the name, routing, members, levels and caller IDs of a skill group. Destructive: lists you send replace the old ones; a human must confirm.",
		},
		"ListSkillGroups": {
			Title:       "List skill groups",
			Description: "Lists the skill groups of an instance with their IDs, optionally filtered by ID or name.",
		},
		"ListSkillGroupsOfUser": {
			Title:       "List an agent's skill groups",
			Description: "Lists the skill groups an agent belongs to, with the agent's level in each. Get UserId from list_users.",
		},
		"ListUsersOfSkillGroup": {
			Title:       "List agents of a skill group",
			Description: "Lists the agents of a skill group with their levels, one page at a time.",
		},
		"ModifySkillGroupOutboundNumbers": {
			Title:       "Change caller IDs of a skill group",
			Description: "Adds or removes outbound numbers of a skill group. Destructive: changes what customers see when agents call; a human must confirm.",
		},
		"RemoveUsersFromSkillGroup": {
			Title:       "Remove agents from a skill group",
			Description: "Takes agents out of a skill group; they stop getting its calls. Destructive: a human must confirm.",
		},
		"ListTransferableSkillGroups": {
			Title:       "List skill groups for transfer",
			Description: "Lists the skill groups a call of this instance may be transferred to.",
		},

		// agents
		"CreateUser": {
			Title:       "Create an agent",
			Description: "Creates an agent and its RAM user with roles (see list_roles) and skill groups; returns the new UserId. Write: a human must confirm.",
		},
		"RemoveUsers": {
			Title:       "Remove agents",
			Description: "Removes agents from the instance. Destructive: they can no longer sign in or take calls; a human must confirm.",
		},
		"ModifyUser": {
			Title:       "Change an agent",
			Description: "Replaces an agent's name, contact data, roles and skill groups. Destructive: lists you send replace the old ones; a human must confirm.",
		},
		"GetUser": {
			Title:       "Get an agent",
			Description: "Returns one agent: name, login, email, RamId, roles and skill levels. Get UserId from list_users or find_users.",
		},
		"ListUsers": {
			Title:       "List agents",
			Description: "Lists the agents of an instance one page at a time, with their UserId, RamId, roles and skill groups.",
		},
		"AssignUsers": {
			Title:       "Import RAM users as agents",
			Description: "Makes existing RAM users agents of the instance, with roles and skill groups. Write: a human must confirm.",
		},
		"ListRealTimeAgent": {
			Title:       "List real-time agent states",
			Description: "Lists every agent of the instance with the current state (ready, break, talking...) and how long they have been in it. Rows name agents by RamId, not UserId (this API version has none there); list_users maps one to the other.",
		},
		"ResetUserStatus": {
			Title:       "Reset stuck agent states",
			Description: "Forces agents out of a stuck state so they can work again. Destructive: interrupts whatever they were doing; a human must confirm. Get RamId from list_users.",
		},
		"FindUsers": {
			Title:       "Search agents",
			Description: "Searches agents by name, login or other criteria, one page at a time.",
		},
		"ListAgentEvents": {
			Title:       "List agent events",
			Description: "Lists sign-in, sign-out, break and other events of agents over a time range. Get RamId from list_users.",
		},
		"ModifySkillGroupOfUser": {
			Title:       "Change an agent's skill groups",
			Description: "Replaces the roles, skill groups and levels of one agent. Destructive: old memberships are dropped; a human must confirm.",
		},
		"GetUserByExtension": {
			Title:       "Find agent by extension",
			Description: "Returns the agent who owns an extension number.",
		},
		"ListInstancesOfUser": {
			Title:       "List my call center instances",
			Description: "Lists the call center instances the caller can use, with their InstanceId. Start here: most tools need an InstanceId.",
		},

		// recordings
		"DownloadRecording": {
			Title:       "Get a recording download link",
			Description: "Returns a temporary download URL for a recording file. Get FileName from list_call_detail_records or list_recordings_by_contact_id.",
		},
		"ListRecordingsByContactId": {
			Title:       "List recordings of a call",
			Description: "Lists the recording files of one call. Get ContactId from list_call_detail_records.",
		},
		"DownloadAllTypeRecording": {
			Title:       "Get all recording links of a call",
			Description: "Returns download URLs for every recording of a call, including dual-track ones.",
		},
		"ListRecordingOfDualTrack": {
			Title:       "List dual-track recordings",
			Description: "Lists dual-track (separate agent and customer) recordings in a time range, one page at a time.",
		},

		// reports
		"ListCallDetailRecords": {
			Title:       "List call detail records",
			Description: "Lists finished calls with numbers, agents, times, outcome and recordings, filtered and one page at a time. The main tool to find a ContactId.",
		},
		"GetConversationDetailByContactId": {
			Title:       "Get a call's transcript",
			Description: "Returns the speech-to-text sentences of one call, one page at a time. Get ContactId from list_call_detail_records.",
		},
		"ListRecentCallRecords": {
			Title:       "List recent calls",
			Description: "Lists recent calls as shown in the agent workbench, one page at a time.",
		},
		"GenerateAgentStatisticReport": {
			Title:       "Agent statistics by date range",
			Description: "Returns per-agent call statistics between two dates, one page at a time.",
		},
		"GetInstanceSummaryReport": {
			Title:       "Instance summary for a period",
			Description: "Returns call-center-wide totals (inbound, outbound, agents) for a time range.",
		},
		"GetInstanceSummaryReportByInterval": {
			Title:       "Instance summary per interval",
			Description: "Returns call-center-wide totals for a time range, split into intervals.",
		},
		"GetInstanceSummaryReportSinceMidnight": {
			Title:       "Instance summary since midnight",
			Description: "Returns call-center-wide totals for today so far.",
		},
		"ListAgentStates": {
			Title:       "List agent states",
			Description: "Lists the current state of agents active in the last few hours, filtered by skill group, agents or state.",
		},
		"ListAgentStateLogs": {
			Title:       "List an agent's state changes",
			Description: "Lists the state changes of one agent in a time range, one page at a time. Get RamId from list_users.",
		},
		"ListAgentSummaryReports": {
			Title:       "Agent summary for a period",
			Description: "Returns per-agent totals (calls, talk time, work time) for a time range.",
		},
		"ListAgentSummaryReportsByInterval": {
			Title:       "Agent summary per interval",
			Description: "Returns per-agent totals for a time range, split into intervals.",
		},
		"ListAgentSummaryReportsSinceMidnight": {
			Title:       "Agent summary since midnight",
			Description: "Returns per-agent totals for today so far.",
		},
		"ListSkillGroupStates": {
			Title:       "List skill group states",
			Description: "Returns the live state of skill groups: agents logged in, ready, talking and callers waiting.",
		},
		"ListSkillGroupSummaryReports": {
			Title:       "Skill group summary for a period",
			Description: "Returns per-skill-group totals (offered, answered, abandoned, service level) for a time range.",
		},
		"ListSkillGroupSummaryReportsByInterval": {
			Title:       "Skill group summary per interval",
			Description: "Returns per-skill-group totals for a time range, split into intervals.",
		},
		"ListSkillGroupSummaryReportsSinceMidnight": {
			Title:       "Skill group summary since midnight",
			Description: "Returns per-skill-group totals for today so far.",
		},
		"ListCallMeasureSummaryReports": {
			Title:       "List call usage by month or day",
			Description: "Returns billed call counts and minutes of the account, per month or per day.",
		},
		"ListCallEventDetailByContactId": {
			Title:       "List events of a call",
			Description: "Returns the timeline of one call: ringing, answer, transfer, hold, hang-up. Get ContactId from list_call_detail_records.",
		},
		"GetCallMeasureSummaryReport": {
			Title:       "Call usage per number",
			Description: "Returns billed call counts and minutes per phone number for one month or one day.",
		},

		// diagnostics
		"AddAgentDevice": {
			Title:       "Register an agent device",
			Description: "Records the browser and network address an agent signs in from, for diagnostics. Write: a human must confirm.",
		},
		"ModifyAgentDevice": {
			Title:       "Change an agent device login",
			Description: "Marks a registered agent device as logged in or out. Destructive: a human must confirm. AgentDeviceId is the id add_agent_device returned: list_agent_devices rows carry no device id in this API version.",
		},
		"ListAgentDevices": {
			Title:       "List agent devices",
			Description: "Lists the devices agents signed in from, optionally for some agents and a time range. Rows name the agent by RamId (list_users maps it to a UserId) and carry no device id.",
		},
		"GetRecordOssUploadParam": {
			Title:       "Get recording upload parameters",
			Description: "Returns a signed policy to upload a recording file to OSS storage. Secret: keep the result private.",
		},
		"SaveWebRTCStats": {
			Title:       "Save WebRTC call statistics",
			Description: "Stores WebRTC quality statistics of a call for later diagnosis. Write: a human must confirm.",
		},

		// instances
		"GetInstance": {
			Title:       "Get a call center instance",
			Description: "Returns one instance: name, status, domain, numbers and admins. Get InstanceId from list_instances_of_user.",
		},

		// appraise
		"CreateVoiceAppraise": {
			Title:       "Set up the voice satisfaction survey",
			Description: "Adds or changes the satisfaction survey of a contact flow version. Write: callers hear it once published; a human must confirm.",
		},
		"ListVoiceAppraise": {
			Title:       "List voice satisfaction surveys",
			Description: "Returns the contact flow that plays the voice satisfaction survey of the instance, with its versions.",
		},

		// sms
		"GetSmsConfig": {
			Title:       "Get SMS settings",
			Description: "Returns the SMS configurations (ID, signature, template) set up for the given scenarios. The ID is the ConfigId of send_predefined_short_message.",
		},
		"SendPredefinedShortMessage": {
			Title:       "Send a predefined SMS",
			Description: "Sends an SMS from a configured template to the given numbers. External: messages real people and costs money; a human must confirm. Get ConfigId from get_sms_config.",
		},
	}
})
