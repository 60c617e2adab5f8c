package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

type instanceDef struct {
	ID, Name, Description, AreaCode, Province, City, Region string
	Agents, ExtraCalls                                      int
}

var instanceDefs = []instanceDef{
	{ID: DefaultInstanceID, Name: "Shanghai customer service", Description: "Inbound support, billing and outbound sales (simulated)", AreaCode: "021", Province: "上海", City: "上海", Region: "cn-shanghai", Agents: 48, ExtraCalls: 180},
	{ID: SecondInstanceID, Name: "Beijing sales line", Description: "Outbound sales and VIP desk (simulated)", AreaCode: "010", Province: "北京", City: "北京", Region: "cn-beijing", Agents: 42, ExtraCalls: 90},
}

var groupDefs = []struct{ Name, Description, Strategy string }{
	{"General", "First line for every inbound call", "LongestIdle"},
	{"Billing", "Invoices, refunds and payment questions", "LongestIdle"},
	{"Technical", "Devices, accounts and outages", "SkillLevel"},
	{"VIP", "Priority desk for premium customers", "SkillLevel"},
	{"Returns", "Returns and exchanges", "RoundRobin"},
	{"OutboundSales", "Outbound campaigns and callbacks", "RoundRobin"},
	{"AfterHours", "Night shift overflow", "LongestIdle"},
}

const outboundGroup = 5 // index of OutboundSales in groupDefs

var customerPrefixes = []string{"138", "139", "135", "186", "158", "177", "150"}

// seedState builds every instance from the seed, anchored to now.
func (s *Sim) seedState(seed int64, now time.Time) {
	s.providers = []*trunkProvider{
		{"cmcc-sip-01", "Active"}, {"unicom-sip-02", "Active"}, {"telecom-sip-03", "Active"}, {"sim-backup-sip", "Active"},
	}
	for i, def := range instanceDefs {
		in := seedInstance(seed, uint64(i+1), def, now, s.providers)
		s.instances = append(s.instances, in)
		s.byID[in.ID] = in
	}
}

func seedInstance(seed int64, stream uint64, def instanceDef, now time.Time, providers []*trunkProvider) *instance {
	r := newRNG(seed, stream)
	in := &instance{
		ID: def.ID, Name: def.Name, Description: def.Description, Region: def.Region,
		TenantID:   r.digits(8),
		DomainName: strings.TrimPrefix(def.ID, "ccc-"),
		Created:    now.AddDate(0, -14-int(stream), -3).Truncate(time.Second),
		Owner:      "1" + r.digits(15), DirectoryID: r.uuid(), StorageBucket: "ccc-sim-recordings-" + def.Region,
		MaxOnlineAgents: 100,
		callByID:        map[string]*call{},
		trunks:          map[string][]trunkConfig{},
		ext:             map[string][]serviceExt{},
		shifts:          map[string][]span{},
		breaks:          map[string][]span{},
		extraLog:        map[string][]stateLog{},
	}
	// Roles.
	in.roles = []*role{
		{ID: r.uuid(), Name: "Admin", Description: "Manages the call center", Privileges: []string{"ManageUsers", "ManageSkillGroups", "ViewReports"}},
		{ID: r.uuid(), Name: "Operator", Description: "Supervises agents and reads reports", Privileges: []string{"ViewReports", "MonitorCalls"}},
		{ID: r.uuid(), Name: "Agent", Description: "Answers and places calls", Privileges: []string{"AnswerCalls"}},
	}
	// Skill groups.
	for _, g := range groupDefs {
		in.groups = append(in.groups, &skillGroup{ID: r.uuid(), Name: g.Name, Description: g.Description, RoutingStrategy: g.Strategy})
	}
	// Contact flows with versions.
	flowDefs := []struct{ Name, Desc, Type string }{
		{"MainIVR", "Welcome, menu and routing to skill groups", "MAIN_FLOW"},
		{"AfterHoursIVR", "Night message and voicemail", "MAIN_FLOW"},
		{"OutboundCallback", "Flow for callbacks and campaigns", "MAIN_FLOW"},
		{"QueueMusic", "Music and position announcements while waiting", "SUB_FLOW"},
	}
	for fi, fd := range flowDefs {
		f := &contactFlow{ID: r.uuid(), Name: fd.Name, Description: fd.Desc, Type: fd.Type}
		nv := 2 + fi%2
		for v := 1; v <= nv; v++ {
			ver := &flowVersion{
				ID: r.uuid(), Version: strconv.Itoa(v), Description: fmt.Sprintf("%s revision %d", fd.Name, v),
				Canvas:         fmt.Sprintf(`{"flow":%q,"version":%d,"nodes":["Start","Menu","Queue"]}`, fd.Name, v),
				Content:        fmt.Sprintf(`<flow name=%q version="%d"><start/><menu/><queue/></flow>`, fd.Name, v),
				LastModified:   now.Add(-time.Duration(30-v*7-fi) * 24 * time.Hour).Truncate(time.Second),
				LastModifiedBy: "alice", Status: "Archived",
			}
			f.versions = append(f.versions, ver)
		}
		applied := f.versions[nv-2]
		if fi%2 == 0 {
			applied = f.versions[nv-1]
		} else {
			f.versions[nv-1].Status = "Draft"
			f.versions[nv-1].LockedBy = "bob"
		}
		applied.Status = "Published"
		f.Applied = applied.ID
		in.flows = append(in.flows, f)
	}
	in.appraise = &contactFlow{ID: r.uuid(), Name: "SatisfactionSurvey", Description: "Asks the caller to rate the call after hang-up", Type: "APPRAISE_FLOW"}
	in.appraise.versions = []*flowVersion{{ID: r.uuid(), Version: "1", Description: "Press 1 to 5", Status: "Published",
		Content: "Please rate this call from 1 (poor) to 5 (excellent).", LastModified: now.Add(-40 * 24 * time.Hour).Truncate(time.Second), LastModifiedBy: "alice"}}
	in.appraise.Applied = in.appraise.versions[0].ID
	in.notice = "The survey plays after the agent hangs up."

	// Phone numbers: 12 per instance.
	usages := []string{"Bidirection", "Bidirection", "Inbound", "Outbound"}
	for i := 0; i < 12; i++ {
		n := &phoneNumber{
			ID: r.uuid(), Number: def.AreaCode + "6" + r.digits(7), Usage: usages[i%len(usages)],
			Province: def.Province, City: def.City, Trunks: 10 + 5*(i%3), RemainingTime: 3000 + r.IntN(50000),
			Description: fmt.Sprintf("%s line %d", def.City, i+1),
		}
		n.AllowOutbound = n.Usage != "Inbound"
		n.TestOnly = i == 11
		if n.Usage != "Outbound" {
			n.FlowID = in.flows[i%3].ID
		}
		g1 := i % len(in.groups)
		n.SkillGroupIDs = []string{in.groups[g1].ID}
		if i%3 == 0 {
			n.SkillGroupIDs = append(n.SkillGroupIDs, in.groups[(g1+3)%len(in.groups)].ID)
		}
		in.numbers = append(in.numbers, n)
		if n.AllowOutbound {
			for _, gid := range n.SkillGroupIDs {
				g := in.group(gid)
				g.OutboundNumberIDs = append(g.OutboundNumberIDs, n.ID)
			}
		}
	}
	// Agents.
	for i := 0; i < def.Agents; i++ {
		name := loginNames[i]
		u := &user{
			UserID: r.uuid(), RamID: "22" + r.digits(14), LoginName: name,
			DisplayName: strings.ToUpper(name[:1]) + name[1:] + " " + familyNames[r.IntN(len(familyNames))],
			Email:       name + "@" + in.DomainName + ".example.com", Phone: r.phone(r.pick(customerPrefixes), 8),
			Extension: fmt.Sprintf("80%02d%03d", stream, i+1), Department: groupDefs[i%len(groupDefs)].Name,
			Primary: i == 0,
		}
		switch {
		case i == 0:
			u.Roles = []string{in.roles[0].ID}
		case i == 1 || i == 2:
			u.Roles = []string{in.roles[1].ID, in.roles[2].ID}
		default:
			u.Roles = []string{in.roles[2].ID}
		}
		g := i % len(in.groups)
		u.Skills = append(u.Skills, skillLevel{ID: r.uuid(), GroupID: in.groups[g].ID, Level: 1 + r.IntN(10)})
		if r.chance(0.5) {
			g2 := (g + 1 + r.IntN(len(in.groups)-1)) % len(in.groups)
			u.Skills = append(u.Skills, skillLevel{ID: r.uuid(), GroupID: in.groups[g2].ID, Level: 1 + r.IntN(10)})
		}
		in.users = append(in.users, u)
	}
	// Trunks, config, SMS, extensions, devices.
	for gi, g := range in.groups {
		a, b := providers[gi%len(providers)], providers[(gi+1)%len(providers)]
		in.trunks[g.ID] = []trunkConfig{{Provider: a.Name, Primary: true}, {Provider: b.Name, Primary: false}}
		in.config = append(in.config, configItem{"skillgroup", g.ID, "MaxQueueLength", strconv.Itoa(20 + 10*gi)})
	}
	for _, kv := range [][2]string{
		{"MaxRingingSeconds", "30"}, {"AfterCallWorkSeconds", "45"}, {"AutoAnswer", "false"}, {"RecordingEnabled", "true"},
		{"DualTrackRecording", "true"}, {"SatisfactionSurvey", "enabled"}, {"QueueMaxWaitSeconds", "300"}, {"BusinessHours", "00:00-24:00"},
	} {
		in.config = append(in.config, configItem{"instance", in.ID, kv[0], kv[1]})
	}
	for i, sc := range []struct {
		Name, Desc string
		Scenario   int
	}{{"SurveyInvite", "Text survey after a call", 1}, {"MissedCall", "Sorry we missed your call", 2}, {"Appointment", "Appointment reminder", 3}} {
		in.sms = append(in.sms, &smsConfig{ID: int64(100*stream) + int64(i+1), Name: sc.Name, Description: sc.Desc, Scenario: sc.Scenario,
			SignName: "CCCSim", TemplateCode: fmt.Sprintf("SMS_%d", 24000000+int(stream)*1000+i), Extra: "{}",
			Created: now.AddDate(0, -6, 0).Truncate(time.Second), Modified: now.AddDate(0, -1, -i).Truncate(time.Second)})
	}
	in.ext["Satisfaction"] = []serviceExt{{"Satisfaction survey", "9901"}}
	in.ext["Voicemail"] = []serviceExt{{"Voicemail", "9902"}}
	in.ext["Transfer"] = []serviceExt{{"Supervisor desk", "9903"}, {"Billing desk", "9904"}}
	for i := 0; i < 12; i++ {
		u := in.users[i]
		ram, _ := strconv.ParseInt(u.RamID, 10, 64)
		in.devices = append(in.devices, &device{ID: int64(stream)*1000 + int64(i+1), RamID: ram, BrowserVersion: fmt.Sprintf("Chrome %d.0", 118+i%4),
			ClientIP: fmt.Sprintf("10.%d.%d.%d", stream, i/4, 10+i), ClientPort: strconv.Itoa(50000 + i), IsLogin: 1 - i%3/2,
			LoginTime: now.Add(-time.Duration(1+i) * time.Hour).Truncate(time.Second), Rm: "seeded"})
	}

	seedAgentsAndCalls(in, r, def, now)
	return in
}

func (in *instance) group(id string) *skillGroup {
	for _, g := range in.groups {
		if g.ID == id {
			return g
		}
	}
	return nil
}

// seedAgentsAndCalls gives every agent a daily shift and a current state,
// then writes the calls each agent handled during its shifts over the last
// seven days, plus calls that never reached an agent.
func seedAgentsAndCalls(in *instance, r rng, def instanceDef, now time.Time) {
	in.seeding = &numberCands{in: map[string][]string{}, out: map[string][]string{}}
	defer func() { in.seeding = nil }()
	horizon := now.Add(-7 * 24 * time.Hour)
	var calls []*call
	offlineEvery := 6 // every 6th agent is off shift
	for i, u := range in.users {
		var offset time.Duration // how long ago today's shift started
		online := i%offlineEvery != 5
		stuck, isStuck := stuckAgents[u.LoginName]
		isStuck = isStuck && stream(in) == 1
		switch {
		case isStuck:
			offset = stuck.For + time.Duration(20+r.IntN(60))*time.Minute
			online = true
		case online:
			offset = time.Duration(30+r.IntN(7*60)) * time.Minute
		default:
			offset = time.Duration(10*60+r.IntN(10*60)) * time.Minute
		}
		shiftLen := 9 * time.Hour
		if isStuck {
			shiftLen = max(shiftLen, offset+time.Hour)
		}
		shifts := rosterShifts(i, online, offset, shiftLen, now, horizon) // dayshape.go
		in.shifts[u.UserID] = shifts
		// Current state.
		switch {
		case isStuck:
			u.State, u.Since = stuck.State, now.Add(-stuck.For).Truncate(time.Second)
		case !online:
			u.State = StateOffline
			u.Since = shifts[len(shifts)-1].to
		default:
			x := r.Float64()
			switch {
			case x < 0.45:
				u.State = StateReady
			case x < 0.70:
				u.State = StateTalking
			case x < 0.82:
				u.State = StateACW
			case x < 0.92:
				u.State = StateBreak
			default:
				u.State = StateRinging
			}
			held := time.Duration(20+r.IntN(600)) * time.Second
			if u.State == StateBreak {
				held = time.Duration(3+r.IntN(20)) * time.Minute
			}
			if u.State == StateRinging {
				held = time.Duration(3+r.IntN(15)) * time.Second
			}
			u.Since = now.Add(-held).Truncate(time.Second)
		}
		if u.State == StateBreak {
			u.BreakCode = "Rest"
		}
		// Calls and breaks within each shift, up to the current state.
		limit := now.Add(-15 * time.Minute)
		if online && u.Since.Add(-5*time.Minute).Before(limit) {
			limit = u.Since.Add(-5 * time.Minute)
		}
		for _, sh := range shifts {
			end := sh.to
			if end.After(limit) {
				end = limit
			}
			mid := sh.from.Add(4*time.Hour + time.Duration(r.IntN(60))*time.Minute)
			brk := span{mid, mid.Add(time.Duration(15+r.IntN(30)) * time.Minute)}
			if brk.to.Before(end) {
				in.breaks[u.UserID] = append(in.breaks[u.UserID], brk)
			} else {
				brk = span{}
			}
			t := sh.from.Add(time.Duration(2+r.IntN(15)) * time.Minute)
			for {
				if !brk.from.IsZero() && !t.Before(brk.from) && t.Before(brk.to) {
					t = brk.to.Add(time.Minute)
				}
				c := agentCall(in, r, u, t)
				stop := c.end().Add(time.Duration(c.WorkSec) * time.Second)
				if stop.After(end) {
					break
				}
				if !brk.from.IsZero() && t.Before(brk.from) && stop.After(brk.from) {
					t = brk.to.Add(time.Minute)
					continue
				}
				if !c.Start.Before(horizon) {
					calls = append(calls, c)
				}
				t = stop.Add(callGap(r, stop))
			}
		}
	}
	// Calls that never reached an agent.
	for i := 0; i < def.ExtraCalls; i++ {
		start := horizon.Add(time.Duration(r.Int64N(int64(now.Add(-20 * time.Minute).Sub(horizon))))).Truncate(time.Second)
		calls = append(calls, unanswered(in, r, start, 40, 0.4, 20, 240))
	}
	calls = shapeDays(in, r, calls, now, horizon) // dayshape.go
	sortCalls(calls)
	base := 2_000_000_000 * int64(stream(in))
	if len(in.callByID) == 0 {
		in.callByID = make(map[string]*call, len(calls))
	}
	for i, c := range calls {
		c.ContactID = strconv.FormatInt(base+int64(i)*7+int64(c.seed%7), 10)
		in.callByID[c.ContactID] = c
	}
	in.calls = calls
}

func stream(in *instance) int {
	for i, d := range instanceDefs {
		if d.ID == in.ID {
			return i + 1
		}
	}
	return 9
}

// numberCands caches the candidates of inboundNumber and outboundNumber
// while an instance is seeded, when its numbers cannot change; the picks,
// and so the data, are the same as without it.
type numberCands struct{ in, out map[string][]string }

func inboundNumber(in *instance, r rng, groupID string) string {
	if in.seeding != nil {
		cands, ok := in.seeding.in[groupID]
		if !ok {
			cands = inboundCands(in, groupID)
			in.seeding.in[groupID] = cands
		}
		return r.pick(cands)
	}
	return r.pick(inboundCands(in, groupID))
}

func inboundCands(in *instance, groupID string) []string {
	var cands []string
	for _, n := range in.numbers {
		if n.Usage == "Outbound" {
			continue
		}
		for _, g := range n.SkillGroupIDs {
			if g == groupID {
				cands = append(cands, n.Number)
			}
		}
	}
	if len(cands) == 0 {
		for _, n := range in.numbers {
			if n.Usage != "Outbound" {
				cands = append(cands, n.Number)
			}
		}
	}
	return cands
}

func outboundNumber(in *instance, r rng, groupID string) string {
	if in.seeding != nil {
		cands, ok := in.seeding.out[groupID]
		if !ok {
			cands = outboundCands(in, groupID)
			in.seeding.out[groupID] = cands
		}
		return r.pick(cands)
	}
	return r.pick(outboundCands(in, groupID))
}

func outboundCands(in *instance, groupID string) []string {
	var cands []string
	if g := in.group(groupID); g != nil {
		for _, id := range g.OutboundNumberIDs {
			if n := in.number(id); n != nil {
				cands = append(cands, n.Number)
			}
		}
	}
	if len(cands) == 0 {
		for _, n := range in.numbers {
			if n.AllowOutbound {
				cands = append(cands, n.Number)
			}
		}
	}
	return cands
}

func (in *instance) number(id string) *phoneNumber {
	for _, n := range in.numbers {
		if n.ID == id {
			return n
		}
	}
	return nil
}

var feedbacks = []string{"", "", "", "Quick and helpful", "Had to wait too long", "Problem solved", "Agent was friendly", "Still not fixed"}

// agentCall makes one call handled by u, starting at t.
func agentCall(in *instance, r rng, u *user, t time.Time) *call {
	sk := u.Skills[r.IntN(len(u.Skills))]
	g := in.group(sk.GroupID)
	c := &call{Start: t.Truncate(time.Second), AgentID: u.UserID, AgentRamID: u.RamID, AgentName: u.DisplayName, AgentLogin: u.LoginName,
		GroupID: g.ID, GroupName: g.Name, seed: r.Uint64()}
	customer := r.phone(r.pick(customerPrefixes), 8)
	if g.Name == groupDefs[outboundGroup].Name && r.chance(0.8) {
		c.Type = "Outbound"
		c.Number = outboundNumber(in, r, g.ID)
		c.Caller, c.Callee = c.Number, customer
		c.RingSec = r.between(5, 35)
		x := r.Float64()
		switch {
		case x < 0.7:
			c.Disposition = "Success"
		case x < 0.9:
			c.Disposition = "NoAnswer"
		default:
			c.Disposition = "Busy"
			c.RingSec = r.between(1, 5)
		}
	} else {
		c.Type = "Inbound"
		c.Number = inboundNumber(in, r, g.ID)
		c.Caller, c.Callee = customer, c.Number
		c.IVRSec = r.between(8, 45)
		c.QueueSec = r.between(0, 20)
		if r.chance(0.2) {
			c.QueueSec = r.between(20, 120)
		}
		c.RingSec = r.between(2, 15)
		c.Disposition = "Success"
		if r.chance(0.06) {
			c.Disposition = "NoAnswer"
			c.RingSec = 30
		}
	}
	if c.answered() {
		c.TalkSec = r.between(40, 780)
		if r.chance(0.15) {
			c.HoldSec = r.between(10, 90)
		}
		c.WorkSec = r.between(10, 120)
		c.Transferred = c.Type == "Inbound" && r.chance(0.05)
		if r.chance(0.7) {
			c.SurveyOffered = true
			if r.chance(0.6) {
				c.Satisfaction = []int{5, 5, 5, 4, 4, 4, 3, 2, 1}[r.IntN(9)]
				c.Feedback = feedbacks[r.IntN(len(feedbacks))]
			}
		}
		if r.chance(0.85) {
			c.Recording = 1
			if r.chance(0.4) {
				c.Recording = 2
			}
		}
	}
	return c
}

// unanswered is an inbound call at start that never reached an agent: it
// ends in the IVR (within ivrMax seconds) with probability pIVR, else in a
// skill group's queue after queueMin to queueMax seconds.
func unanswered(in *instance, r rng, start time.Time, ivrMax int, pIVR float64, queueMin, queueMax int) *call {
	g := in.groups[r.IntN(len(in.groups))]
	c := &call{Type: "Inbound", Caller: r.phone(r.pick(customerPrefixes), 8), Start: start, seed: r.Uint64(), IVRSec: r.between(5, ivrMax)}
	c.Number = inboundNumber(in, r, g.ID)
	c.Callee = c.Number
	if r.chance(pIVR) {
		c.Disposition = "AbandonedInIVR"
	} else {
		c.Disposition = "AbandonedInQueue"
		c.GroupID, c.GroupName = g.ID, g.Name
		c.QueueSec = r.between(queueMin, queueMax)
	}
	return c
}
