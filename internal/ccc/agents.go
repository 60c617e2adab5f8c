package ccc

import (
	"strconv"
	"strings"
	"time"
)

// Agent states as CCC reports them (ListAgentStates, ListRealTimeAgent).
const (
	StateReady   = "Ready"
	StateTalking = "Talking"
	StateWorking = "Working" // after-call work
	StateBreak   = "Break"
	StateRinging = "Ringing"
	StateDialing = "Dialing"
	StateOffline = "Offline"
)

// StuckAfter is how long a busy state may be held before it counts as
// abnormal: a call does not ring, dial, talk or wrap up for an hour.
const StuckAfter = time.Hour

// Busy reports whether a state ties the agent to a call (or its wrap-up).
func Busy(state string) bool {
	switch state {
	case StateTalking, StateRinging, StateDialing, StateWorking:
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
