package policy

import (
	"sort"

	"github.com/cccops/cccops/internal/ccc/spec"
)

// Short names keep the table below readable.
const (
	read        = spec.AccessRead
	secret      = spec.AccessSecret
	write       = spec.AccessWrite
	destructive = spec.AccessDestructive
	external    = spec.AccessExternal
)

// accessTable is the reviewed access class of every CCC 2017-07-05 action.
// It is the only place the project decides how risky an action is: the
// registry, the annotations shown to MCP clients and the gate all read it.
//
// It started as the spec file's proposal. Each entry was reviewed against
// what the action does; where the proposal was kept despite a reasonable
// argument for another class, the comment says why. No entry differs from
// the proposal today (TestAccessTableMatchesSpecProposal lists the
// differences, so a future change is a visible, deliberate edit).
var accessTable = map[string]spec.Access{
	// config
	"GetConfig":            read,
	"ListConfig":           read,
	"GetServiceExtensions": read,
	"RefreshToken":         secret, // hands back a fresh session token for the workbench
	"RequestLoginInfo":     secret, // returns the sign-in payload an agent's softphone uses
	// LaunchAppraise plays the satisfaction survey to a live caller, and
	// LaunchShortMessageAppraise texts customers: both reach people.
	"LaunchAppraise":             external,
	"LaunchShortMessageAppraise": external,
	"GetTURNCredentials":         secret, // user name and password of the media relay
	"GetTURNServerList":          read,
	"ListTrunkProviders":         read,
	"ListTrunksOfSkillGroup":     read,
	// Rewiring a skill group's trunks changes how live calls leave the
	// building; switching off a provider can stop all outbound calls.
	"ModifyPrimaryTrunksOfSkillGroup": destructive,
	"DisableTrunkProviders":           destructive,

	// contactflow
	"ListIvrTrackingDetail": read,
	"CreateContactFlow":     write,
	// Committing a modification saves a draft version of a flow; callers
	// only hear it after PublishContactFlowVersion, which is destructive.
	// Kept as write for that reason.
	"CommitContactFlowVersionModification": write,
	"GetRoutePoint":                        read,
	"ListContactFlows":                     read,
	"PublishContactFlowVersion":            destructive, // replaces the IVR callers hear

	// roles
	"ListRoles": read,

	// numbers
	"AddPhoneNumber":    write,
	"RemovePhoneNumber": destructive,
	"ModifyPhoneNumber": destructive,
	"ListPhoneNumbers":  read,
	// The three Pick* actions only compute which caller id to use; they
	// neither place a call nor reserve the number, so they stay read.
	"GetNumberRegionInfo":           read,
	"PickGlobalOutboundNumbers":     read,
	"PickLocalNumber":               read,
	"PickOutboundNumbers":           read,
	"AddBulkPhoneNumbers":           write,
	"CallOnlinePrivacyNumber":       external, // bridges two real phones through a virtual number
	"ListOutboundPhoneNumberOfUser": read,
	"ModifyPrivacyNumberCallDetail": destructive, // rewrites the contact id stored on a call record

	// calls: both ring real phones and are billed.
	"StartBack2BackCall": external,
	"DialEx":             external,

	// skillgroups
	"CreateSkillGroup":                write,
	"DeleteSkillGroup":                destructive,
	"ModifySkillGroup":                destructive,
	"ListSkillGroups":                 read,
	"ListSkillGroupsOfUser":           read,
	"ListUsersOfSkillGroup":           read,
	"ModifySkillGroupOutboundNumbers": destructive,
	"RemoveUsersFromSkillGroup":       destructive,
	"ListTransferableSkillGroups":     read,

	// agents
	"CreateUser":  write,
	"RemoveUsers": destructive,
	"ModifyUser":  destructive,
	"GetUser":     read,
	"ListUsers":   read,
	// AssignUsers imports existing RAM users as agents; it adds, and takes
	// nothing away, so write.
	"AssignUsers":       write,
	"ListRealTimeAgent": read,
	// ResetUserStatus forces agents out of their current state; with no
	// RamIdList it resets every agent of the instance, mid-call or not.
	"ResetUserStatus":        destructive,
	"FindUsers":              read,
	"ListAgentEvents":        read,
	"ModifySkillGroupOfUser": destructive,
	"GetUserByExtension":     read,
	"ListInstancesOfUser":    read,

	// recordings: DownloadRecording and DownloadAllTypeRecording return a
	// short-lived signed link to a customer's recording. That link is a
	// capability, not an account credential, so the class stays read; the
	// adapters still must not post recordings into shared channels.
	"DownloadRecording":         read,
	"ListRecordingsByContactId": read,
	"DownloadAllTypeRecording":  read,
	"ListRecordingOfDualTrack":  read,

	// reports: all read. GenerateAgentStatisticReport computes a report and
	// returns it; nothing is stored, despite the verb.
	"ListCallDetailRecords":                     read,
	"GetConversationDetailByContactId":          read,
	"ListRecentCallRecords":                     read,
	"GenerateAgentStatisticReport":              read,
	"GetInstanceSummaryReport":                  read,
	"GetInstanceSummaryReportByInterval":        read,
	"GetInstanceSummaryReportSinceMidnight":     read,
	"ListAgentStates":                           read,
	"ListAgentStateLogs":                        read,
	"ListAgentSummaryReports":                   read,
	"ListAgentSummaryReportsByInterval":         read,
	"ListAgentSummaryReportsSinceMidnight":      read,
	"ListSkillGroupStates":                      read,
	"ListSkillGroupSummaryReports":              read,
	"ListSkillGroupSummaryReportsByInterval":    read,
	"ListSkillGroupSummaryReportsSinceMidnight": read,
	"ListCallMeasureSummaryReports":             read,
	"ListCallEventDetailByContactId":            read,
	"GetCallMeasureSummaryReport":               read,

	// diagnostics: AddAgentDevice and SaveWebRTCStats append telemetry.
	"AddAgentDevice":          write,
	"ModifyAgentDevice":       destructive, // flips an agent device's signed-in state
	"ListAgentDevices":        read,
	"GetRecordOssUploadParam": secret, // a signed upload policy for the recordings bucket
	"SaveWebRTCStats":         write,

	// instances
	"GetInstance": read,

	// appraise: CreateVoiceAppraise switches the survey on for a flow
	// version that is not yet live (it must still be published), so write.
	"CreateVoiceAppraise": write,
	"ListVoiceAppraise":   read,

	// sms
	"GetSmsConfig":               read,
	"SendPredefinedShortMessage": external,
}

// AccessOf returns the reviewed access class of a CCC action. An action the
// table does not know yields "", which the gate always denies.
func AccessOf(action string) spec.Access { return accessTable[action] }

// AccessTable returns a copy of the whole table, action name → class.
func AccessTable() map[string]spec.Access {
	out := make(map[string]spec.Access, len(accessTable))
	for k, v := range accessTable {
		out[k] = v
	}
	return out
}

// ActionsOf lists, sorted, the actions of one class.
func ActionsOf(a spec.Access) []string {
	var out []string
	for k, v := range accessTable {
		if v == a {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// validAccess reports whether a is one of the five classes.
func validAccess(a spec.Access) bool {
	for _, x := range spec.Accesses {
		if x == a {
			return true
		}
	}
	return false
}
