package sim

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

var phoneRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\+?[0-9]{5,20}$`) })

var regionByPrefix = []struct{ prefix, province, city string }{
	{"021", "上海", "上海"}, {"010", "北京", "北京"}, {"0571", "浙江", "杭州"}, {"020", "广东", "广州"}, {"0755", "广东", "深圳"},
	{"138", "浙江", "杭州"}, {"139", "江苏", "南京"}, {"135", "广东", "深圳"}, {"186", "上海", "上海"}, {"158", "北京", "北京"},
	{"177", "四川", "成都"}, {"150", "湖北", "武汉"},
}

func region(num string) (string, string) {
	n := strings.TrimPrefix(num, "+86")
	for _, r := range regionByPrefix {
		if strings.HasPrefix(n, r.prefix) {
			return r.province, r.city
		}
	}
	return "", ""
}

func regionJSON(num string) M {
	p, c := region(num)
	return M{"Number": num, "Province": p, "City": c}
}

func checkPhone(name, v string) *apiError {
	if !phoneRe().MatchString(v) {
		return invalidParam(name, "a phone number has 5 to 20 digits, got %q", v)
	}
	return nil
}

func checkUsage(v string) *apiError {
	switch v {
	case "Bidirection", "Inbound", "Outbound":
		return nil
	}
	return invalidParam("Usage", "use Bidirection, Inbound or Outbound, got %q", v)
}

func registerNumberHandlers() {
	register("ListPhoneNumbers", func(s *Sim, in *instance, a *args) (M, *apiError) {
		only := a.bool("OutboundOnly", false)
		out := []M{}
		for _, n := range in.numbers {
			if only && !n.AllowOutbound {
				continue
			}
			m := numberJSON(in, n)
			m["NumberCommodityStatus"], m["Assignee"], m["SipTelX"] = 1, "", ""
			out = append(out, m)
		}
		return M{"PhoneNumbers": M{"PhoneNumber": out}}, nil
	})
	addNumber := func(s *Sim, in *instance, num, usage, flowID string, groups []string) *phoneNumber {
		p, c := region(num)
		n := &phoneNumber{ID: s.nextID(""), Number: num, Usage: usage, FlowID: flowID, Province: p, City: c, Trunks: 10,
			RemainingTime: 0, AllowOutbound: usage != "Inbound", SkillGroupIDs: append([]string{}, groups...), Description: "Added through the API"}
		in.numbers = append(in.numbers, n)
		if n.AllowOutbound {
			for _, gid := range groups {
				if g := in.group(gid); g != nil {
					g.OutboundNumberIDs = append(g.OutboundNumberIDs, n.ID)
				}
			}
		}
		return n
	}
	register("AddPhoneNumber", func(s *Sim, in *instance, a *args) (M, *apiError) {
		num, usage, flow := a.str("PhoneNumber"), a.str("Usage"), a.str("ContactFlowId")
		if err := checkPhone("PhoneNumber", num); err != nil {
			return nil, err
		}
		if err := checkUsage(usage); err != nil {
			return nil, err
		}
		if flow != "" {
			if _, err := in.mustFlow(flow); err != nil {
				return nil, err
			}
		}
		if in.numberByValue(num) != nil {
			return nil, errf(409, "AlreadyExists.PhoneNumber", "The number %s already exists in instance %s.", num, in.ID)
		}
		n := addNumber(s, in, num, usage, flow, nil)
		m := numberJSON(in, n)
		delete(m, "SkillGroups")
		delete(m, "Province")
		delete(m, "City")
		return M{"PhoneNumber": m}, nil
	})
	register("AddBulkPhoneNumbers", func(s *Sim, in *instance, a *args) (M, *apiError) {
		usage, flow, err := numberTargets(in, a)
		if err != nil {
			return nil, err
		}
		added, failed, used := []M{}, []string{}, []string{}
		for _, num := range a.list("PhoneNumber") {
			switch {
			case checkPhone("PhoneNumber", num) != nil:
				failed = append(failed, num)
			case in.numberByValue(num) != nil:
				used = append(used, num)
			default:
				m := numberJSON(in, addNumber(s, in, num, usage, flow, a.list("SkillGroupId")))
				delete(m, "Province")
				delete(m, "City")
				added = append(added, m)
			}
		}
		return M{"PhoneNumbers": M{"PhoneNumber": added}, "FailedPhoneNumbers": M{"FailedPhoneNumber": failed},
			"UserdPhoneNumbers": M{"UserdPhoneNumber": used}, "ArrearagePhoneNumbers": M{"ArrearagePhoneNumber": []string{}}}, nil
	})
	register("RemovePhoneNumber", func(s *Sim, in *instance, a *args) (M, *apiError) {
		n, err := in.mustNumber(a.str("PhoneNumberId"))
		if err != nil {
			return nil, err
		}
		for i, o := range in.numbers {
			if o == n {
				in.numbers = append(in.numbers[:i:i], in.numbers[i+1:]...)
				break
			}
		}
		for _, g := range in.groups {
			g.OutboundNumberIDs = without(g.OutboundNumberIDs, n.ID)
		}
		for _, u := range in.users {
			if u.PrivateOutboundNumberID == n.ID {
				u.PrivateOutboundNumberID = ""
			}
		}
		return M{}, nil
	})
	register("ModifyPhoneNumber", func(s *Sim, in *instance, a *args) (M, *apiError) {
		n, err := in.mustNumber(a.str("PhoneNumberId"))
		if err != nil {
			return nil, err
		}
		usage, flow, err := numberTargets(in, a)
		if err != nil {
			return nil, err
		}
		n.Usage, n.AllowOutbound = usage, usage != "Inbound"
		if a.has("ContactFlowId") {
			n.FlowID = flow
		}
		if a.has("SkillGroupId") {
			n.SkillGroupIDs = append([]string{}, a.list("SkillGroupId")...)
		}
		m := numberJSON(in, n)
		delete(m, "Province")
		delete(m, "City")
		return M{"PhoneNumber": m}, nil
	})
	register("GetNumberRegionInfo", func(s *Sim, in *instance, a *args) (M, *apiError) {
		num := a.str("Number")
		if err := checkPhone("Number", num); err != nil {
			return nil, err
		}
		if p, _ := region(num); p == "" {
			return nil, errf(404, "NotExists.Number", "No region is known for number %s.", num)
		}
		return M{"PhoneNumber": regionJSON(num)}, nil
	})
	pairs := func(in *instance, callee string, candidates []string, count int) ([]M, *apiError) {
		if err := checkPhone("CalleeNumber", callee); err != nil {
			return nil, err
		}
		cp, _ := region(callee)
		var local, other []string
		for _, c := range candidates {
			if p, _ := region(c); p == cp && cp != "" {
				local = append(local, c)
			} else {
				other = append(other, c)
			}
		}
		out := []M{}
		for _, c := range append(local, other...) {
			if len(out) >= count {
				break
			}
			out = append(out, M{"Caller": regionJSON(c), "Callee": regionJSON(callee)})
		}
		return out, nil
	}
	candidateNumbers := func(in *instance, a *args) ([]string, *apiError) {
		var out []string
		for _, c := range a.list("CandidateNumber") {
			n := in.numberByValue(c)
			if n == nil {
				return nil, notFound("PhoneNumber", c, in.ID)
			}
			if n.AllowOutbound {
				out = append(out, c)
			}
		}
		return out, nil
	}
	register("PickLocalNumber", func(s *Sim, in *instance, a *args) (M, *apiError) {
		cands, err := candidateNumbers(in, a)
		if err != nil {
			return nil, err
		}
		ps, err := pairs(in, a.str("CalleeNumber"), cands, 1)
		if err != nil {
			return nil, err
		}
		if len(ps) == 0 {
			return nil, errf(200, "NoOutboundNumber", "None of the candidate numbers may place outbound calls.")
		}
		return M{"Data": ps[0]}, nil
	})
	register("PickOutboundNumbers", func(s *Sim, in *instance, a *args) (M, *apiError) {
		cands, err := candidateNumbers(in, a)
		if err != nil {
			return nil, err
		}
		ps, err := pairs(in, a.str("CalleeNumber"), cands, int(max(1, a.int("Count", 1))))
		if err != nil {
			return nil, err
		}
		return M{"DialNumberPairs": M{"DialNumberPair": ps}}, nil
	})
	register("PickGlobalOutboundNumbers", func(s *Sim, in *instance, a *args) (M, *apiError) {
		var cands []string
		for _, gid := range a.list("SkillGroupId") {
			g, err := in.mustGroup(gid)
			if err != nil {
				return nil, err
			}
			for _, id := range g.OutboundNumberIDs {
				if n := in.number(id); n != nil && !contains(cands, n.Number) {
					cands = append(cands, n.Number)
				}
			}
		}
		ps, err := pairs(in, a.str("CalleeNumber"), cands, int(max(1, a.int("Count", 1))))
		if err != nil {
			return nil, err
		}
		return M{"DialNumberPairs": M{"DialNumberPair": ps}}, nil
	})
	register("ListOutboundPhoneNumberOfUser", func(s *Sim, in *instance, a *args) (M, *apiError) {
		u, err := in.mustUser(a.str("UserId"))
		if err != nil {
			return nil, err
		}
		var nums []*phoneNumber
		seen := map[string]bool{}
		add := func(n *phoneNumber) {
			if n != nil && n.AllowOutbound && !seen[n.ID] {
				seen[n.ID] = true
				nums = append(nums, n)
			}
		}
		add(in.number(u.PrivateOutboundNumberID))
		for _, sl := range u.Skills {
			if g := in.group(sl.GroupID); g != nil {
				for _, id := range g.OutboundNumberIDs {
					add(in.number(id))
				}
			}
		}
		pn, ps := a.page()
		page := pageOf(nums, pn, ps)
		list, plain := []M{}, []string{}
		for _, n := range page {
			m := numberJSON(in, n)
			delete(m, "ContactFlow")
			delete(m, "SkillGroups")
			m["PrivateFlag"], m["SipTelX"] = n.ID == u.PrivateOutboundNumberID, ""
			list = append(list, m)
			plain = append(plain, n.Number)
		}
		return M{"OutboundPhoneNumbers": M{"PhoneNumber": list}, "NumberList": M{"Number": plain}}, nil
	})
	register("ModifyPrivacyNumberCallDetail", func(s *Sim, in *instance, a *args) (M, *apiError) {
		c, err := in.mustCall(a.str("ContactId"))
		if err != nil {
			return nil, err
		}
		c.Privacy = a.str("CallId")
		return M{}, nil
	})

	// External actions: they record what would have been sent.
	register("StartBack2BackCall", func(s *Sim, in *instance, a *args) (M, *apiError) {
		return outboundCall(s, in, a, "StartBack2BackCall", a.str("Caller"), a.str("Callee"), a.str("CallCenterNumber"))
	})
	register("DialEx", func(s *Sim, in *instance, a *args) (M, *apiError) {
		if m := a.int("AnswerMode", 0); m < 0 || m > 2 {
			return nil, invalidParam("AnswerMode", "use 0, 1 or 2, got %d", m)
		}
		return outboundCall(s, in, a, "DialEx", a.str("Caller"), a.str("Callee"), "")
	})
	register("CallOnlinePrivacyNumber", func(s *Sim, in *instance, a *args) (M, *apiError) {
		for _, p := range []string{"TelA", "TelB"} {
			if err := checkPhone(p, a.str(p)); err != nil {
				return nil, err
			}
		}
		var telX string
		for _, n := range in.numbers {
			if n.AllowOutbound {
				telX = n.Number
				break
			}
		}
		c := s.newCall(in, "Outbound", a.str("TelA"), a.str("TelB"), telX, nil)
		c.Privacy = telX
		s.recordExternal(in, "CallOnlinePrivacyNumber", a, c.ContactID)
		return M{"Data": M{"CallId": c.ContactID, "TelX": telX, "StatusCode": "000000", "Represent": "Call placed", "DateCreated": fmtTime(c.Start)}}, nil
	})
	register("LaunchAppraise", func(s *Sim, in *instance, a *args) (M, *apiError) {
		c := in.callByID[a.str("Acid")]
		if c == nil {
			return nil, notFound("Acid", a.str("Acid"), in.ID)
		}
		if !c.answered() {
			return nil, errf(200, "Call.NotAnswered", "Call %s was not answered, so there is nobody to survey.", c.ContactID)
		}
		c.SurveyOffered = true
		s.recordExternal(in, "LaunchAppraise", a, c.ContactID)
		return M{}, nil
	})
	register("LaunchShortMessageAppraise", func(s *Sim, in *instance, a *args) (M, *apiError) {
		c := in.callByID[a.str("Acid")]
		if c == nil {
			return nil, notFound("Acid", a.str("Acid"), in.ID)
		}
		if gid := a.str("SkillGroupId"); gid != "" {
			if _, err := in.mustGroup(gid); err != nil {
				return nil, err
			}
		}
		for _, p := range splitList(a.str("PhoneNumbers")) {
			if err := checkPhone("PhoneNumbers", p); err != nil {
				return nil, err
			}
		}
		c.SurveyOffered = true
		s.recordExternal(in, "LaunchShortMessageAppraise", a, c.ContactID)
		return M{}, nil
	})
	register("SendPredefinedShortMessage", func(s *Sim, in *instance, a *args) (M, *apiError) {
		id := a.int("ConfigId", 0)
		var cfg *smsConfig
		for _, c := range in.sms {
			if c.ID == id {
				cfg = c
			}
		}
		if cfg == nil {
			return nil, notFound("ConfigId", strconv.FormatInt(id, 10), in.ID)
		}
		phones := splitList(a.str("PhoneNumbers"))
		if len(phones) == 0 {
			return nil, missingParam("PhoneNumbers")
		}
		for _, p := range phones {
			if err := checkPhone("PhoneNumbers", p); err != nil {
				return nil, err
			}
		}
		s.recordExternal(in, "SendPredefinedShortMessage", a, "")
		return M{"BizId": s.nextID("sms-")}, nil
	})
}

// newCall appends a call record that starts now.
func (s *Sim) newCall(in *instance, typ, caller, callee, number string, agent *user) *call {
	now := s.now().Truncate(time.Second)
	last := int64(2_000_000_000 * int64(stream(in)))
	if n := len(in.calls); n > 0 {
		last, _ = strconv.ParseInt(in.calls[n-1].ContactID, 10, 64)
	}
	for _, c := range in.calls {
		if v, _ := strconv.ParseInt(c.ContactID, 10, 64); v > last {
			last = v
		}
	}
	c := &call{ContactID: strconv.FormatInt(last+1, 10), Type: typ, Caller: caller, Callee: callee, Number: number, Start: now,
		Disposition: "Success", RingSec: 0, seed: uint64(last + 1)}
	if agent != nil {
		c.AgentID, c.AgentRamID, c.AgentName, c.AgentLogin = agent.UserID, agent.RamID, agent.DisplayName, agent.LoginName
		if len(agent.Skills) > 0 {
			if g := in.group(agent.Skills[0].GroupID); g != nil {
				c.GroupID, c.GroupName = g.ID, g.Name
			}
		}
	}
	in.calls = append(in.calls, c)
	sortCalls(in.calls)
	in.callByID[c.ContactID] = c
	return c
}

func (s *Sim) recordExternal(in *instance, action string, a *args, contactID string) {
	s.external = append(s.external, ExternalRecord{Time: s.now(), Action: action, InstanceID: in.ID, Params: a.business(), ContactID: contactID})
}

// outboundCall places a two-legged call: the caller (an agent's phone or
// extension) is rung first, then the callee.
func outboundCall(s *Sim, in *instance, a *args, action, caller, callee, number string) (M, *apiError) {
	if err := checkPhone("Callee", callee); err != nil {
		return nil, err
	}
	var agent *user
	for _, u := range in.users {
		if u.Phone == caller || u.Extension == caller {
			agent = u
		}
	}
	if agent == nil {
		if err := checkPhone("Caller", caller); err != nil {
			return nil, err
		}
	}
	if number != "" && in.numberByValue(number) == nil {
		return nil, notFound("PhoneNumber", number, in.ID)
	}
	if number == "" {
		for _, n := range in.numbers {
			if n.AllowOutbound {
				number = n.Number
				break
			}
		}
	}
	c := s.newCall(in, "Outbound", number, callee, number, agent)
	s.recordExternal(in, action, a, c.ContactID)
	return M{"TaskId": c.ContactID, "StatusCode": "200", "StatusDesc": "Call placed", "TimeStamp": fmtTime(c.Start)}, nil
}

// numberTargets checks what a number is bound to — its Usage, contact flow
// and skill groups — for AddBulkPhoneNumbers and ModifyPhoneNumber.
func numberTargets(in *instance, a *args) (usage, flow string, err *apiError) {
	usage, flow = a.str("Usage"), a.str("ContactFlowId")
	if err := checkUsage(usage); err != nil {
		return "", "", err
	}
	if flow != "" {
		if _, err := in.mustFlow(flow); err != nil {
			return "", "", err
		}
	}
	for _, g := range a.list("SkillGroupId") {
		if _, err := in.mustGroup(g); err != nil {
			return "", "", err
		}
	}
	return usage, flow, nil
}
