package ccc

import (
	"strconv"
	"strings"
	"time"
)

// Agent states as CCC reports them (ListAgentStates, ListRealTimeAgent).
// The documented State values of ListAgentStates are ACW, Break, Dialing,
// Ringing, Ready and Talking (help.aliyun.com/document_detail/90007.html);
// Offline is what a signed-out agent shows.
const (
	StateReady   = "Ready"
	StateTalking = "Talking"
	StateACW     = "ACW" // after-call work
	StateBreak   = "Break"
	StateRinging = "Ringing"
	StateDialing = "Dialing"
	StateOffline = "Offline"
)

// States lists every agent state, busy ones first.
var States = []string{StateTalking, StateRinging, StateDialing, StateACW, StateBreak, StateReady, StateOffline}

// BusyStates are the states that tie an agent to a call or its wrap-up.
var BusyStates = []string{StateTalking, StateRinging, StateDialing, StateACW}

// StuckAfter is how long a busy state may be held before it counts as
// abnormal: a call does not ring, dial, talk or wrap up for an hour.
const StuckAfter = time.Hour

// Busy reports whether a state ties the agent to a call (or its wrap-up).
func Busy(state string) bool {
	switch state {
	case StateTalking, StateRinging, StateDialing, StateACW:
		return true
	}
	return false
}

// Abnormal reports whether an agent is stuck in the sense ResetUserStatus
// exists for: a busy state held for StuckAfter or longer. With no RamIdList,
// ResetUserStatus resets exactly these agents.
func Abnormal(state string, held time.Duration) bool {
	return Busy(state) && held >= StuckAfter
}

// ParseStateDuration reads ListAgentStates' StateDuration (seconds, as text).
func ParseStateDuration(s string) (time.Duration, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// StuckRule is the abnormal-state rule in words.
var StuckRule = "a busy state (" + strings.Join(BusyStates, ", ") + ") held " + strings.TrimSuffix(StuckAfter.String(), "0m0s") + " or longer; ResetUserStatus clears it"
