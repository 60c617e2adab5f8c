package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

func registerReportHandlers() {
	register("GetInstanceSummaryReport", func(s *Sim, in *instance, a *args) (M, *apiError) {
		from, to, err := timeWindow(s, a, "StartTime", "EndTime")
		if err != nil {
			return nil, err
		}
		return M{"InstanceSummaryReport": newReportCtx(s, in).instanceReport(from, to)}, nil
	})
	register("GetInstanceSummaryReportSinceMidnight", func(s *Sim, in *instance, a *args) (M, *apiError) {
		now := s.now()
		r := newReportCtx(s, in).instanceReport(midnight(now), now)
		r["Timestamp"] = fmtTime(now)
		return M{"InstanceSummaryReport": r}, nil
	})
	register("GetInstanceSummaryReportByInterval", func(s *Sim, in *instance, a *args) (M, *apiError) {
		from, to, err := timeWindow(s, a, "StartTime", "EndTime")
		if err != nil {
			return nil, err
		}
		cuts, err := intervals(from, to, a.str("Interval"))
		if err != nil {
			return nil, err
		}
		rc := newReportCtx(s, in)
		out := []looseM{}
		for i := 0; i+1 < len(cuts); i++ {
			r := rc.instanceReport(maxTime(cuts[i], from), cuts[i+1])
			r["Timestamp"] = fmtTime(cuts[i])
			out = append(out, r)
		}
		return M{"InstanceTimeIntervalReport": M{"InstanceId": in.ID, "IntervalList": M{"InstanceSummaryReport": out}}}, nil
	})

	agentReports := func(s *Sim, in *instance, a *args, from, to time.Time, cuts []time.Time, stamp bool) (M, *apiError) {
		users, err := reportUsers(in, a)
		if err != nil {
			return nil, err
		}
		return subjectReports(s, in, a, users, from, to, cuts, stamp, "Agent", "AgentId",
			func(u *user) string { return u.UserID }, (*reportCtx).agentReport), nil
	}
	register("ListAgentSummaryReports", func(s *Sim, in *instance, a *args) (M, *apiError) {
		from, to, err := timeWindow(s, a, "StartTime", "EndTime")
		if err != nil {
			return nil, err
		}
		return agentReports(s, in, a, from, to, nil, false)
	})
	register("ListAgentSummaryReportsSinceMidnight", func(s *Sim, in *instance, a *args) (M, *apiError) {
		now := s.now()
		return agentReports(s, in, a, midnight(now), now, nil, true)
	})
	register("ListAgentSummaryReportsByInterval", func(s *Sim, in *instance, a *args) (M, *apiError) {
		from, to, err := timeWindow(s, a, "StartTime", "EndTime")
		if err != nil {
			return nil, err
		}
		cuts, err := intervals(from, to, a.str("Interval"))
		if err != nil {
			return nil, err
		}
		return agentReports(s, in, a, from, to, cuts, false)
	})

	groupReports := func(s *Sim, in *instance, a *args, csv string, from, to time.Time, cuts []time.Time, stamp bool) (M, *apiError) {
		groups, err := reportGroups(in, csv)
		if err != nil {
			return nil, err
		}
		return subjectReports(s, in, a, groups, from, to, cuts, stamp, "SkillGroup", "SkillGroupId",
			func(g *skillGroup) string { return g.ID }, (*reportCtx).groupReport), nil
	}
	register("ListSkillGroupSummaryReports", func(s *Sim, in *instance, a *args) (M, *apiError) {
		from, to, err := timeWindow(s, a, "StartTime", "EndTime")
		if err != nil {
			return nil, err
		}
		return groupReports(s, in, a, a.str("SkillGroupIds"), from, to, nil, false)
	})
	register("ListSkillGroupSummaryReportsSinceMidnight", func(s *Sim, in *instance, a *args) (M, *apiError) {
		now := s.now()
		return groupReports(s, in, a, a.str("SkillGroups"), midnight(now), now, nil, true)
	})
	register("ListSkillGroupSummaryReportsByInterval", func(s *Sim, in *instance, a *args) (M, *apiError) {
		from, to, err := timeWindow(s, a, "StartTime", "EndTime")
		if err != nil {
			return nil, err
		}
		cuts, err := intervals(from, to, a.str("Interval"))
		if err != nil {
			return nil, err
		}
		return groupReports(s, in, a, a.str("SkillGroupIds"), from, to, cuts, false)
	})
	register("GenerateAgentStatisticReport", func(s *Sim, in *instance, a *args) (M, *apiError) {
		from, err := parseTime(s, "StartDate", a.str("StartDate"))
		if err != nil {
			return nil, err
		}
		to, err := parseTime(s, "EndDate", a.str("EndDate"))
		if err != nil {
			return nil, err
		}
		from, to = midnight(from), midnight(to).AddDate(0, 0, 1)
		if !to.After(from) {
			return nil, invalidParam("EndDate", "it must not be before StartDate")
		}
		users := in.users
		if id := a.str("AgentId"); id != "" {
			u, err := in.mustUser(id)
			if err != nil {
				return nil, err
			}
			users = []*user{u}
		}
		type row struct {
			u   *user
			day time.Time
		}
		var rows []row
		for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
			for _, u := range users {
				rows = append(rows, row{u, d})
			}
		}
		pn, ps := a.page()
		rc := newReportCtx(s, in)
		out := []looseM{}
		for _, r := range pageOf(rows, pn, ps) {
			rep := rc.agentReport(r.u, r.day, r.day.AddDate(0, 0, 1))
			ov := rep["Overall"].(looseM)
			rep["RecordDate"] = r.day.Format("2006-01-02")
			for _, k := range []string{"AverageReadyTime", "MaxReadyTime", "OccupancyRate", "TotalBreakTime", "TotalLoggedInTime", "TotalReadyTime"} {
				rep[k] = ov[k]
			}
			out = append(out, rep)
		}
		return M{"DataList": M{"List": M{"GenerateAgentStatistic": out}, "PageNumber": pn, "PageSize": ps, "TotalCount": len(rows)}}, nil
	})

	register("ListAgentStates", func(s *Sim, in *instance, a *args) (M, *apiError) {
		users, err := reportUsers(in, a)
		if err != nil {
			return nil, err
		}
		state := a.str("State")
		var sel []*user
		for _, u := range users {
			if state == "" || strings.EqualFold(u.State, state) {
				sel = append(sel, u)
			}
		}
		pn, ps := a.page()
		out := []M{}
		now := s.now()
		for _, u := range pageOf(sel, pn, ps) {
			out = append(out, M{"AgentId": u.UserID, "AgentName": u.DisplayName, "LoginName": u.LoginName, "Dn": u.Extension,
				"InstanceId": in.ID, "State": u.State, "StateDuration": strconv.Itoa(int(now.Sub(u.Since).Seconds()))})
		}
		return M{"Data": M{"List": M{"RealTimeAgentState": out}, "PageNumber": pn, "PageSize": ps, "TotalCount": len(sel)}}, nil
	})
	register("ListAgentStateLogs", func(s *Sim, in *instance, a *args) (M, *apiError) {
		ram := strconv.FormatInt(a.int("RamId", 0), 10)
		u := in.userByRam(ram)
		if u == nil {
			return nil, notFound("RamId", ram, in.ID)
		}
		from, to := fromMS(a.int("StartTime", 0)), fromMS(a.int("EndTime", 0))
		var sel []stateLog
		for _, l := range s.stateLogs(in, u) {
			if !l.At.Before(from) && l.At.Before(to) {
				sel = append(sel, l)
			}
		}
		pn, ps := a.page()
		ramN := a.int("RamId", 0)
		out := []M{}
		for _, l := range pageOf(sel, pn, ps) {
			out = append(out, M{"RamId": ramN, "InstanceId": in.ID, "State": l.State, "StateCode": l.Code, "StateTime": ms(l.At),
				"ContactId": l.ContactID, "ConnectId": l.ContactID, "CounterParty": l.Counter, "SkillGroupIds": l.GroupID})
		}
		return M{"AgentStateLogPage": M{"List": out, "PageNumber": pn, "PageSize": ps, "TotalCount": len(sel)}}, nil
	})
	register("ListSkillGroupStates", func(s *Sim, in *instance, a *args) (M, *apiError) {
		groups, err := reportGroups(in, a.str("SkillGroupIds"))
		if err != nil {
			return nil, err
		}
		pn, ps := a.page()
		now := s.now()
		out := []M{}
		for _, g := range pageOf(groups, pn, ps) {
			var logged, ready, talking, working, breaking, longest int
			for _, u := range in.users {
				if !hasSkill(u, g.ID) || u.State == StateOffline {
					continue
				}
				logged++
				switch u.State {
				case StateReady:
					ready++
				case StateTalking, StateDialing, StateRinging:
					talking++
					longest = max(longest, int(now.Sub(u.Since).Seconds()))
				case StateACW:
					working++
				case StateBreak:
					breaking++
				}
			}
			waiting := 0
			if ready == 0 && logged > 0 {
				waiting = 1 + len(g.ID)%3
			}
			out = append(out, M{"SkillGroupId": g.ID, "SkillGroupName": g.Name, "InstanceId": in.ID, "LoggedInAgents": logged,
				"ReadyAgents": ready, "TalkingAgents": talking, "WorkingAgents": working, "BreakingAgents": breaking,
				"WaitingCalls": waiting, "LongestCall": longest})
		}
		return M{"Data": M{"List": M{"RealTimeSkillGroupState": out}, "PageNumber": pn, "PageSize": ps, "TotalCount": len(groups)}}, nil
	})
	register("ListCallMeasureSummaryReports", func(s *Sim, in *instance, a *args) (M, *apiError) {
		kind, err := intervalType(a)
		if err != nil {
			return nil, err
		}
		now := s.now()
		out := []M{}
		if kind == "day" {
			for d := midnight(now).AddDate(0, 0, -7); !d.After(now); d = d.AddDate(0, 0, 1) {
				m := measure(s, d, d.AddDate(0, 0, 1), "")
				m["Year"], m["Month"], m["Day"] = strconv.Itoa(d.Year()), strconv.Itoa(int(d.Month())), strconv.Itoa(d.Day())
				out = append(out, m)
			}
		} else {
			for d := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location()).AddDate(0, -1, 0); !d.After(now); d = d.AddDate(0, 1, 0) {
				m := measure(s, d, d.AddDate(0, 1, 0), "")
				m["Year"], m["Month"], m["Day"] = strconv.Itoa(d.Year()), strconv.Itoa(int(d.Month())), ""
				out = append(out, m)
			}
		}
		return M{"CallMeasureSummaryReportList": M{"CallMeasureSummaryReport": out}}, nil
	})
	register("GetCallMeasureSummaryReport", func(s *Sim, in *instance, a *args) (M, *apiError) {
		loc := s.now().Location()
		y, mo := int(a.int("Year", 0)), int(a.int("Month", 0))
		if mo < 1 || mo > 12 {
			return nil, invalidParam("Month", "use 1 to 12, got %d", mo)
		}
		var from, to time.Time
		day := 0
		kind, err := intervalType(a)
		if err != nil {
			return nil, err
		}
		switch kind {
		case "day":
			day = int(a.int("Day", 0))
			if !a.has("Day") {
				return nil, missingParam("Day")
			}
			if day < 1 || day > 31 {
				return nil, invalidParam("Day", "use 1 to 31, got %d", day)
			}
			from = time.Date(y, time.Month(mo), day, 0, 0, 0, 0, loc)
			to = from.AddDate(0, 0, 1)
		case "month":
			from = time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, loc)
			to = from.AddDate(0, 1, 0)
		}
		sum := measure(s, from, to, "")
		sum["Year"], sum["Month"], sum["Day"] = y, mo, day
		var nums []string
		seen := map[string]bool{}
		for _, i := range s.instances {
			for _, n := range i.numbers {
				if !seen[n.Number] {
					seen[n.Number] = true
					nums = append(nums, n.Number)
				}
			}
		}
		pn, ps := a.page()
		rows := []M{}
		for _, n := range pageOf(nums, pn, ps) {
			m := measure(s, from, to, n)
			m["Year"], m["Month"], m["Day"], m["Number"] = y, mo, day, n
			rows = append(rows, m)
		}
		return M{"SummaryReport": sum, "NumberReports": M{"List": M{"NumberReport": rows}, "PageNumber": pn, "PageSize": ps, "TotalCount": len(nums)}}, nil
	})
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// measure counts calls and billed minutes over every instance, optionally
// for one of our numbers.
func measure(s *Sim, from, to time.Time, number string) M {
	var inC, inMin, outC, outMin int
	for _, in := range s.instances {
		for _, c := range in.callsBetween(from, to) {
			if number != "" && c.Number != number {
				continue
			}
			minutes := (c.duration() + 59) / 60
			if c.Type == "Inbound" {
				inC++
				inMin += minutes
			} else {
				outC++
				outMin += minutes
			}
		}
	}
	return M{"InboundCount": inC, "InboundDurationByMinute": inMin, "OutboundCount": outC, "OutboundDurationByMinute": outMin}
}

var _ = fmt.Sprint

// subjectReports pages the subjects of a report (agents or skill groups) and
// renders each over [from, to] — or, with cuts, one row per interval — in
// the Paged<Kind>SummaryReport shape of the spec.
func subjectReports[T any](s *Sim, in *instance, a *args, subjects []T, from, to time.Time, cuts []time.Time, stamp bool,
	kind, idKey string, id func(T) string, report func(*reportCtx, T, time.Time, time.Time) looseM) M {
	pn, ps := a.page()
	rc := newReportCtx(s, in)
	var rows any
	if cuts == nil {
		out := []looseM{}
		for _, x := range pageOf(subjects, pn, ps) {
			r := report(rc, x, from, to)
			if stamp {
				r["Timestamp"] = fmtTime(s.now())
			}
			out = append(out, r)
		}
		rows = M{kind + "SummaryReport": out}
	} else {
		out := []M{}
		for _, x := range pageOf(subjects, pn, ps) {
			list := []looseM{}
			for i := 0; i+1 < len(cuts); i++ {
				r := report(rc, x, maxTime(cuts[i], from), cuts[i+1])
				r["Timestamp"] = fmtTime(cuts[i])
				list = append(list, r)
			}
			out = append(out, M{idKey: id(x), "IntervalList": M{kind + "SummaryReport": list}})
		}
		rows = M{kind + "TimeIntervalReport": out}
	}
	return M{"Paged" + kind + "SummaryReport": M{"List": rows, "PageNumber": pn, "PageSize": ps, "TotalCount": len(subjects)}}
}

// intervalType reads IntervalType as CCC documents it (Daily or Monthly)
// and answers "day" or "month".
func intervalType(a *args) (string, *apiError) {
	switch a.str("IntervalType") {
	case "Daily":
		return "day", nil
	case "Monthly":
		return "month", nil
	}
	return "", invalidParam("IntervalType", "use Daily or Monthly, got %q", a.str("IntervalType"))
}
