package sim

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

func (s *Sim) nextRam() string {
	s.idSeq++
	return "23" + newRNG(s.seed, 7_000_000+s.idSeq).digits(14)
}

// stateLogs is the agent's state history, oldest first: derived from its
// shifts, breaks and calls, then its current state and any resets.
func (s *Sim) stateLogs(in *instance, u *user) []stateLog {
	var logs []stateLog
	now := s.now()
	for _, sh := range in.shifts[u.UserID] {
		logs = append(logs, stateLog{At: sh.from, State: "Login"}, stateLog{At: sh.from.Add(time.Second), State: StateReady})
		if sh.to.Before(now) {
			logs = append(logs, stateLog{At: sh.to, State: "Logout"})
		}
	}
	for _, b := range in.breaks[u.UserID] {
		logs = append(logs, stateLog{At: b.from, State: StateBreak, Code: "Rest"}, stateLog{At: b.to, State: StateReady})
	}
	for _, c := range in.calls {
		if c.AgentID != u.UserID {
			continue
		}
		counter := c.Caller
		if c.Type == "Outbound" {
			counter = c.Callee
		}
		ringAt := c.Start.Add(time.Duration(c.IVRSec+c.QueueSec) * time.Second)
		first := StateRinging
		if c.Type == "Outbound" {
			first = StateDialing
		}
		base := stateLog{ContactID: c.ContactID, Counter: counter, GroupID: c.GroupID}
		add := func(at time.Time, st string) {
			l := base
			l.At, l.State = at, st
			logs = append(logs, l)
		}
		add(ringAt, first)
		if c.answered() {
			add(c.answerAt(), StateTalking)
			add(c.end(), StateACW)
			add(c.end().Add(time.Duration(c.WorkSec)*time.Second), StateReady)
		} else {
			add(c.end(), StateReady)
		}
	}
	if u.State != StateOffline || len(in.shifts[u.UserID]) == 0 {
		logs = append(logs, stateLog{At: u.Since, State: u.State, Code: u.BreakCode})
	}
	logs = append(logs, in.extraLog[u.UserID]...)
	sort.SliceStable(logs, func(i, j int) bool { return logs[i].At.Before(logs[j].At) })
	return logs
}

// segment is a stretch of time an agent spent in one state.
type segment struct {
	state    string
	from, to time.Time
}

// segments turns state logs into stretches, clipped to [from, to).
func (s *Sim) segments(in *instance, u *user, from, to time.Time) []segment {
	logs := s.stateLogs(in, u)
	now := s.now()
	var out []segment
	for i, l := range logs {
		end := now
		if i+1 < len(logs) {
			end = logs[i+1].At
		}
		st := l.State
		if st == "Login" {
			st = StateReady
		}
		if st == "Logout" {
			st = StateOffline
		}
		a, b := l.At, end
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if b.After(a) {
			out = append(out, segment{st, a, b})
		}
	}
	return out
}

// msRange reads a pair of epoch-millisecond parameters; missing ends default
// to seven days ago and now.
func msRange(s *Sim, a *args, fromName, toName string) (time.Time, time.Time) {
	now := s.now()
	from, to := now.Add(-7*24*time.Hour-time.Hour), now.Add(time.Minute)
	if a.has(fromName) {
		from = fromMS(a.int(fromName, 0))
	}
	if a.has(toName) {
		to = fromMS(a.int(toName, 0))
	}
	return from, to
}

// Only the forms the tools' descriptions promise are accepted, so a call
// that passes here is one the descriptions told a model to make; RFC 3339
// text is turned into them by the text surfaces, not accepted raw.
var timeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02"}

// parseTime reads a report time: one of the layouts above (in the call
// center's zone, Options.Zone) or epoch milliseconds.
func parseTime(s *Sim, name, v string) (time.Time, *apiError) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return fromMS(n), nil
	}
	loc := s.now().Location()
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, invalidParam(name, "use a time like 2006-01-02 15:04:05, a date like 2006-01-02, or epoch milliseconds; got %q", v)
}

func timeWindow(s *Sim, a *args, fromName, toName string) (time.Time, time.Time, *apiError) {
	from, err := parseTime(s, fromName, a.str(fromName))
	if err != nil {
		return from, from, err
	}
	to, err := parseTime(s, toName, a.str(toName))
	if err != nil {
		return from, to, err
	}
	if !to.After(from) {
		return from, to, invalidParam(toName, "it must be later than %s", fromName)
	}
	return from, to, nil
}

func midnight(t time.Time) time.Time { return atHour(t, 0) }

// atHour is the clock hour h of t's day in t's zone: not a UTC hour (a
// zone such as Asia/Kolkata is half an hour off those), and not midnight
// plus h hours (a day with a daylight saving change has 23 or 25).
func atHour(t time.Time, h int) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, h, 0, 0, 0, t.Location())
}

// clockHour is the start of t's clock hour.
func clockHour(t time.Time) time.Time { return atHour(t, t.Hour()) }
