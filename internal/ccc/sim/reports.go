package sim

import (
	"sort"
	"strings"
	"time"
)

// callsBetween returns the calls that started in [from, to), oldest first.
func (in *instance) callsBetween(from, to time.Time) []*call {
	i := sort.Search(len(in.calls), func(i int) bool { return !in.calls[i].Start.Before(from) })
	j := sort.Search(len(in.calls), func(i int) bool { return !in.calls[i].Start.Before(to) })
	if j < i {
		return nil
	}
	return in.calls[i:j]
}

// tally accumulates the figures every report block is computed from.
type tally struct {
	// inbound
	line, ivrAbandoned, queued, queueAbandoned, offered, handled   int
	ringTot, ringMax, talkInTot, talkInMax, workInTot, workInMax   int
	holdInTot, holdInMax, waitTot, waitMax, waitAnsTot, waitAnsMax int
	sl20, sl30                                                     int
	inSurveys, inResponded, inSatisfied                            int
	// outbound
	dialed, answered, dialTot, dialMax, talkOutTot, talkOutMax int
	workOutTot, workOutMax, holdOutTot, holdOutMax             int
	outSurveys, outResponded, outSatisfied                     int
	transfers                                                  int
	// agent time
	loggedIn, ready, readyMax, brk time.Duration
	readyCount                     int
}

func (t *tally) addCall(c *call) {
	if c.Type == "Inbound" {
		t.line++
		if c.Disposition == "AbandonedInIVR" {
			t.ivrAbandoned++
			return
		}
		t.queued++
		t.offered++
		t.waitTot += c.QueueSec
		t.waitMax = max(t.waitMax, c.QueueSec)
		if c.Disposition == "AbandonedInQueue" {
			t.queueAbandoned++
			return
		}
		t.ringTot += c.RingSec
		t.ringMax = max(t.ringMax, c.RingSec)
		if !c.answered() {
			return
		}
		t.handled++
		t.waitAnsTot += c.QueueSec
		t.waitAnsMax = max(t.waitAnsMax, c.QueueSec)
		if c.QueueSec+c.RingSec <= 20 {
			t.sl20++
		}
		if c.QueueSec+c.RingSec <= 30 {
			t.sl30++
		}
		t.talkInTot += c.TalkSec
		t.talkInMax = max(t.talkInMax, c.TalkSec)
		t.workInTot += c.WorkSec
		t.workInMax = max(t.workInMax, c.WorkSec)
		t.holdInTot += c.HoldSec
		t.holdInMax = max(t.holdInMax, c.HoldSec)
		if c.Transferred {
			t.transfers++
		}
		if c.SurveyOffered {
			t.inSurveys++
			if c.Satisfaction > 0 {
				t.inResponded++
				if c.Satisfaction >= 4 {
					t.inSatisfied++
				}
			}
		}
		return
	}
	t.dialed++
	t.dialTot += c.RingSec
	t.dialMax = max(t.dialMax, c.RingSec)
	if !c.answered() {
		return
	}
	t.answered++
	t.talkOutTot += c.TalkSec
	t.talkOutMax = max(t.talkOutMax, c.TalkSec)
	t.workOutTot += c.WorkSec
	t.workOutMax = max(t.workOutMax, c.WorkSec)
	t.holdOutTot += c.HoldSec
	t.holdOutMax = max(t.holdOutMax, c.HoldSec)
	if c.SurveyOffered {
		t.outSurveys++
		if c.Satisfaction > 0 {
			t.outResponded++
			if c.Satisfaction >= 4 {
				t.outSatisfied++
			}
		}
	}
}

func (t *tally) addSegments(segs []segment) {
	for _, sg := range segs {
		d := sg.to.Sub(sg.from)
		if sg.state != StateOffline {
			t.loggedIn += d
		}
		switch sg.state {
		case StateReady:
			t.ready += d
			t.readyCount++
			t.readyMax = max(t.readyMax, d)
		case StateBreak:
			t.brk += d
		}
	}
}

func avg(total, n int) int {
	if n == 0 {
		return 0
	}
	return total / n
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (t *tally) inbound() looseM {
	return looseM{
		"CallsOffered": t.offered, "CallsHandled": t.handled, "HandleRate": ratio(t.handled, t.offered),
		"CallsIncomingLine": t.line, "CallsIncomingIVR": t.line, "CallsAbandonedInIVR": t.ivrAbandoned,
		"CallsIncomingQueue": t.queued, "CallsAbandonedInQueue": t.queueAbandoned,
		"InComingQueueOfQueueCount": t.queued, "AbandonedInQueueOfQueueCount": t.queueAbandoned,
		"AnsweredByAgentOfQueueCount": t.handled, "GiveUpByAgentOfQueueCount": t.offered - t.handled - t.queueAbandoned,
		"OverFlowInQueueOfQueueCount":            0,
		"AnsweredByAgentOfQueueWaitTimeDuration": t.waitAnsTot, "AnsweredByAgentOfQueueMaxWaitTimeDuration": t.waitAnsMax,
		"QueueWaitTimeDuration": t.waitTot, "QueueMaxWaitTimeDuration": t.waitMax,
		"TotalWaitTime": t.waitTot, "MaxWaitTime": t.waitMax, "AverageWaitTime": avg(t.waitTot, t.queued),
		"TotalRingTime": t.ringTot, "MaxRingTime": t.ringMax, "AverageRingTime": avg(t.ringTot, t.offered-t.queueAbandoned),
		"TotalTalkTime": t.talkInTot, "MaxTalkTime": t.talkInMax, "AverageTalkTime": avg(t.talkInTot, t.handled),
		"TotalWorkTime": t.workInTot, "MaxWorkTime": t.workInMax, "AverageWorkTime": avg(t.workInTot, t.handled),
		"TotalHoldTime": t.holdInTot, "MaxHoldTime": t.holdInMax, "AverageHoldTime": avg(t.holdInTot, t.handled),
		"ServiceLevel20": ratio(t.sl20, t.offered), "CallsServiceLevel20": t.sl20, "CallsServiceLevel30": t.sl30,
		"SatisfactionSurveysOffered": t.inSurveys, "SatisfactionSurveysResponded": t.inResponded,
		"SatisfactionIndex": ratio(t.inSatisfied, t.inResponded),
	}
}

func (t *tally) outbound() looseM {
	return looseM{
		"CallsDialed": t.dialed, "CallsAnswered": t.answered, "AnswerRate": ratio(t.answered, t.dialed),
		"TotalDialingTime": t.dialTot, "MaxDialingTime": t.dialMax, "AverageDialingTime": avg(t.dialTot, t.dialed),
		"TotalTalkTime": t.talkOutTot, "MaxTalkTime": t.talkOutMax, "AverageTalkTime": avg(t.talkOutTot, t.answered),
		"TotalWorkTime": t.workOutTot, "MaxWorkTime": t.workOutMax, "AverageWorkTime": avg(t.workOutTot, t.answered),
		"TotalHoldTime": t.holdOutTot, "MaxHoldTime": t.holdOutMax, "AverageHoldTime": avg(t.holdOutTot, t.answered),
		"SatisfactionSurveysOffered": t.outSurveys, "SatisfactionSurveysResponded": t.outResponded,
		"SatisfactionIndex": ratio(t.outSatisfied, t.outResponded),
	}
}

func (t *tally) overall() looseM {
	talk, work, hold := t.talkInTot+t.talkOutTot, t.workInTot+t.workOutTot, t.holdInTot+t.holdOutTot
	n := t.handled + t.answered
	busy := time.Duration(talk+work) * time.Second
	occ := 0.0
	if t.loggedIn > 0 {
		occ = min(1, float64(busy)/float64(t.loggedIn))
	}
	readyAvg := 0
	if t.readyCount > 0 {
		readyAvg = int(t.ready.Seconds()) / t.readyCount
	}
	return looseM{
		"TotalCalls": t.handled + t.dialed, "TotalTalkTime": talk, "MaxTalkTime": max(t.talkInMax, t.talkOutMax), "AverageTalkTime": avg(talk, n),
		"TotalWorkTime": work, "MaxWorkTime": max(t.workInMax, t.workOutMax), "AverageWorkTime": avg(work, n),
		"TotalHoldTime": hold, "MaxHoldTime": max(t.holdInMax, t.holdOutMax), "AverageHoldTime": avg(hold, n),
		"TotalReadyTime": int(t.ready.Seconds()), "MaxReadyTime": int(t.readyMax.Seconds()), "AverageReadyTime": readyAvg,
		"TotalBreakTime": int(t.brk.Seconds()), "TotalLoggedInTime": int(t.loggedIn.Seconds()), "OccupancyRate": occ,
		"OneTransferCalls":           t.transfers,
		"SatisfactionSurveysOffered": t.inSurveys + t.outSurveys, "SatisfactionSurveysResponded": t.inResponded + t.outResponded,
		"SatisfactionIndex": ratio(t.inSatisfied+t.outSatisfied, t.inResponded+t.outResponded),
	}
}

// reportCtx caches each agent's state history for one request.
type reportCtx struct {
	s    *Sim
	in   *instance
	segs map[string][]segment
}

func newReportCtx(s *Sim, in *instance) *reportCtx {
	return &reportCtx{s: s, in: in, segs: map[string][]segment{}}
}

func (rc *reportCtx) agentSegs(u *user, from, to time.Time) []segment {
	all, ok := rc.segs[u.UserID]
	if !ok {
		all = rc.s.segments(rc.in, u, time.Unix(0, 0), rc.s.now().Add(24*time.Hour))
		rc.segs[u.UserID] = all
	}
	var out []segment
	for _, sg := range all {
		a, b := sg.from, sg.to
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if b.After(a) {
			out = append(out, segment{sg.state, a, b})
		}
	}
	return out
}

// tallyFor computes a tally over [from, to) for the calls keep accepts and
// the agent time of users.
func (rc *reportCtx) tallyFor(from, to time.Time, keep func(*call) bool, users []*user) *tally {
	t := &tally{}
	for _, c := range rc.in.callsBetween(from, to) {
		if keep == nil || keep(c) {
			t.addCall(c)
		}
	}
	for _, u := range users {
		t.addSegments(rc.agentSegs(u, from, to))
	}
	return t
}

func (rc *reportCtx) agentReport(u *user, from, to time.Time) looseM {
	t := rc.tallyFor(from, to, func(c *call) bool { return c.AgentID == u.UserID }, []*user{u})
	ids, names := []string{}, []string{}
	for _, sl := range u.Skills {
		if g := rc.in.group(sl.GroupID); g != nil {
			ids, names = append(ids, g.ID), append(names, g.Name)
		}
	}
	ov := t.overall()
	var first, last string
	for _, sg := range rc.agentSegs(u, from, to) {
		if sg.state != StateOffline {
			if first == "" {
				first = fmtTime(sg.from)
			}
			last = fmtTime(sg.to)
		}
	}
	ov["FirstLogInTime"], ov["LastLogOutTime"] = first, last
	return looseM{
		"AgentId": u.UserID, "AgentName": u.DisplayName, "LoginName": u.LoginName, "InstanceId": rc.in.ID,
		"SkillGroupIds": strings.Join(ids, ","), "SkillGroupNames": strings.Join(names, ","),
		"Inbound": t.inbound(), "Outbound": t.outbound(), "Overall": ov,
	}
}

func (rc *reportCtx) groupReport(g *skillGroup, from, to time.Time) looseM {
	var members []*user
	for _, u := range rc.in.users {
		if hasSkill(u, g.ID) {
			members = append(members, u)
		}
	}
	t := rc.tallyFor(from, to, func(c *call) bool { return c.GroupID == g.ID }, members)
	return looseM{"SkillGroupId": g.ID, "SkillGroupName": g.Name, "InstanceId": rc.in.ID,
		"Inbound": t.inbound(), "Outbound": t.outbound(), "Overall": t.overall()}
}

func (rc *reportCtx) instanceReport(from, to time.Time) looseM {
	t := rc.tallyFor(from, to, nil, rc.in.users)
	return looseM{"InstanceId": rc.in.ID, "Inbound": t.inbound(), "Outbound": t.outbound(), "Overall": t.overall()}
}

func fmtTime(t time.Time) string { return t.Format("2006-01-02 15:04:05") }

// intervals splits [from, to) by the named step.
func intervals(from, to time.Time, step string) ([]time.Time, *apiError) {
	var next func(time.Time) time.Time
	switch strings.ToLower(step) {
	case "", "day":
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
		from = midnight(from)
	case "hour":
		next = func(t time.Time) time.Time { return t.Add(time.Hour) }
		from = clockHour(from)
	case "week":
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
		from = midnight(from)
	case "month":
		next = func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
		from = time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, from.Location())
	default:
		return nil, invalidParam("Interval", "use Hour, Day, Week or Month, got %q", step)
	}
	var out []time.Time
	for t := from; t.Before(to); t = next(t) {
		out = append(out, t)
		if len(out) > 2000 {
			return nil, invalidParam("Interval", "the window holds more than 2000 intervals; use a larger interval or a shorter window")
		}
	}
	return append(out, to), nil
}

// reportUsers picks the agents of an agent report: AgentIds (comma-separated
// user ids, RAM ids or login names) and SkillGroupId filter them.
func reportUsers(in *instance, a *args) ([]*user, *apiError) {
	var users []*user
	want := splitList(a.str("AgentIds"))
	gid := a.str("SkillGroupId")
	if gid != "" {
		if _, err := in.mustGroup(gid); err != nil {
			return nil, err
		}
	}
	for _, u := range in.users {
		if len(want) > 0 && !contains(want, u.UserID) && !contains(want, u.RamID) && !contains(want, u.LoginName) {
			continue
		}
		if gid != "" && !hasSkill(u, gid) {
			continue
		}
		users = append(users, u)
	}
	return users, nil
}

func reportGroups(in *instance, csv string) ([]*skillGroup, *apiError) {
	want := splitList(csv)
	if len(want) == 0 {
		return in.groups, nil
	}
	var out []*skillGroup
	for _, id := range want {
		g, err := in.mustGroup(id)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

func splitList(s string) []string {
	s = strings.Trim(strings.TrimSpace(s), "[]")
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.Trim(strings.TrimSpace(p), `"`)
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
