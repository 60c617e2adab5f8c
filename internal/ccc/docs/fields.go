package docs

// FieldKind says how the value of a response field reads, so a text
// rendering can show it in human units while structured content keeps the
// raw value.
type FieldKind string

const (
	// EpochMillis is a point in time, milliseconds since the Unix epoch.
	EpochMillis FieldKind = "epoch-ms"
	// Seconds is a duration in whole seconds.
	Seconds FieldKind = "seconds"
	// Minutes is a duration in whole minutes.
	Minutes FieldKind = "minutes"
	// OffsetMillis is a duration in milliseconds (an offset into a call).
	OffsetMillis FieldKind = "ms"
	// TimeText is a point in time CCC already writes as text; shown as is.
	TimeText FieldKind = "time-text"
)

// ResponseFields classifies the time and duration fields of the responses,
// keyed "Name/type" with the JSON type the spec file gives the field (a name
// can mean different things with different types: StartTime is epoch ms as
// an integer, text as a string). The list is derived from the spec file
// (internal/ccc/spec): every response field whose name looks like a time or
// a duration is either here or in NotTimes, and internal/ccc/docs tests fail
// when the spec holds one that is neither. Units are those of the CCC
// 2017-07-05 reference pages (call and report durations in seconds, the
// call measure report in minutes) and of the simulator, which follows them.
var ResponseFields = map[string]FieldKind{
	// Points in time.
	"StartTime/integer":   EpochMillis, // calls, recordings, IVR tracking
	"StopTime/integer":    EpochMillis, // IVR tracking
	"EventTime/integer":   EpochMillis, // agent events
	"StateTime/integer":   EpochMillis, // agent state logs
	"LoginTime/integer":   EpochMillis, // agent devices
	"CreatedTime/integer": EpochMillis, // instances

	"StartTime/string":      TimeText, // call events: "2006-01-02 15:04:05"
	"TimeStamp/string":      TimeText,
	"Timestamp/string":      TimeText,
	"FirstLogInTime/string": TimeText,
	"LastLogOutTime/string": TimeText,
	"LastModified/string":   TimeText,
	"DateCreated/string":    TimeText,
	"GmtCreate/string":      TimeText,
	"GmtModified/string":    TimeText,
	"RecordDate/string":     TimeText,
	"Expires/string":        TimeText,

	// Durations of a call or an agent state, in seconds.
	"Duration/integer":           Seconds,
	"TalkTime/integer":           Seconds,
	"HoldTime/integer":           Seconds,
	"RingTime/integer":           Seconds,
	"QueueTime/integer":          Seconds,
	"WorkTime/integer":           Seconds,
	"LongestCall/integer":        Seconds,
	"StateDuration/string":       Seconds, // ListAgentStates sends it as text
	"MaxTalkTime/string":         Seconds, // some summary reports send it as text
	"MaxWorkTime/string":         Seconds,
	"AverageDialingTime/integer": Seconds,
	"AverageHoldTime/integer":    Seconds,
	"AverageReadyTime/integer":   Seconds,
	"AverageRingTime/integer":    Seconds,
	"AverageTalkTime/integer":    Seconds,
	"AverageWaitTime/integer":    Seconds,
	"AverageWorkTime/integer":    Seconds,
	"MaxDialingTime/integer":     Seconds,
	"MaxHoldTime/integer":        Seconds,
	"MaxReadyTime/integer":       Seconds,
	"MaxRingTime/integer":        Seconds,
	"MaxTalkTime/integer":        Seconds,
	"MaxWaitTime/integer":        Seconds,
	"MaxWorkTime/integer":        Seconds,
	"TotalBreakTime/integer":     Seconds,
	"TotalDialingTime/integer":   Seconds,
	"TotalHoldTime/integer":      Seconds,
	"TotalLoggedInTime/integer":  Seconds,
	"TotalReadyTime/integer":     Seconds,
	"TotalRingTime/integer":      Seconds,
	"TotalTalkTime/integer":      Seconds,
	"TotalWaitTime/integer":      Seconds,
	"TotalWorkTime/integer":      Seconds,

	"QueueWaitTimeDuration/integer":                     Seconds,
	"QueueMaxWaitTimeDuration/integer":                  Seconds,
	"AnsweredByAgentOfQueueWaitTimeDuration/integer":    Seconds,
	"AnsweredByAgentOfQueueMaxWaitTimeDuration/integer": Seconds,

	// The call measure report counts minutes.
	"InboundDurationByMinute/integer":  Minutes,
	"OutboundDurationByMinute/integer": Minutes,

	// Transcript phrases: where in the call, in milliseconds.
	"Begin/integer": OffsetMillis,
	"End/integer":   OffsetMillis,
}

// NotTimes are response fields whose names look like a time or a duration
// but are not shown with units, and why.
var NotTimes = map[string]string{
	"RemainingTime/integer":  "a phone number's remaining quota; the reference gives no unit",
	"StorageMaxDays/integer": "a count of days, shown as the number it is",
	"LastModifiedBy/string":  "a person, not a time",
	"LoginName/string":       "an agent's login, not a time",
	"IsLogin/integer":        "a flag (1 = signed in), not a time",
}

// FieldKindOf returns the kind of a response field with the spec's JSON
// type, or "" when it is neither a time nor a duration.
func FieldKindOf(name, typ string) FieldKind {
	return ResponseFields[name+"/"+typ]
}

// UntrustedFields are response fields whose text comes from outside the
// call center's operators — from callers and customers (transcripts, their
// feedback, what they keyed or said in the IVR) or free text anyone may
// write. Text renderings fence them as data (OWASP LLM01).
var UntrustedFields = map[string]string{
	"Words":      "what a caller or agent said, from the transcript",
	"Feedback":   "the customer's own words after a call",
	"InputData":  "what a caller keyed or said in the IVR",
	"OutputData": "IVR output built from the caller's input",
	"Remark":     "free text stored with a device",
	"ExtraAttr":  "free attributes attached to a call",
	"Extra":      "free text of an SMS configuration",
}
