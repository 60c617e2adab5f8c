package sim

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

var satisfactionDesc = map[int]string{0: "", 1: "Very dissatisfied", 2: "Dissatisfied", 3: "Neutral", 4: "Satisfied", 5: "Very satisfied"}

func recordingFiles(in *instance, c *call) []M {
	if c.Recording == 0 {
		return nil
	}
	base := M{"AgentId": c.AgentID, "AgentName": c.AgentName, "ContactId": c.ContactID, "Duration": c.TalkSec + c.HoldSec,
		"StartTime": ms(c.answerAt()), "CallingNumber": c.Caller, "CalledNumber": c.Callee, "ContactType": c.Type,
		"InstanceId": in.ID, "QualityCheckTaskId": "", "QualityCheckTid": ""}
	dir := fmt.Sprintf("%s/%s/", in.ID, c.Start.Format("2006/01/02"))
	if c.Recording == 1 {
		m := cloneM(base)
		m["FileName"], m["FilePath"], m["Channel"], m["FileDescription"] = c.ContactID+".wav", dir, "mix", "Single-track recording"
		return []M{m}
	}
	var out []M
	for _, ch := range []string{"left", "right"} {
		m := cloneM(base)
		m["FileName"], m["FilePath"], m["Channel"] = c.ContactID+"-"+ch+".wav", dir, ch
		m["FileDescription"] = "Dual-track recording, " + map[string]string{"left": "agent", "right": "customer"}[ch] + " channel"
		out = append(out, m)
	}
	return out
}

func cloneM(m M) M {
	out := make(M, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func cdrJSON(in *instance, c *call, recent bool) M {
	agents := []M{}
	if c.AgentID != "" {
		ag := M{"AgentId": c.AgentID, "Satisfaction": strconv.Itoa(c.Satisfaction), "Feedback": c.Feedback}
		if recent {
			ag["AgentName"], ag["ContactId"], ag["SkillGroupName"] = c.AgentName, c.ContactID, c.GroupName
			ag["StartTime"], ag["QueueTime"], ag["RingTime"] = ms(c.Start), c.QueueSec, c.RingSec
			ag["TalkTime"], ag["HoldTime"], ag["WorkTime"] = c.TalkSec, c.HoldSec, c.WorkSec
		}
		agents = append(agents, ag)
	}
	recs := []M{}
	for _, r := range recordingFiles(in, c) {
		if !recent {
			r = trimmed(r, "AgentId", "AgentName", "ContactId", "Duration", "FileDescription", "FileName", "QualityCheckTaskId", "QualityCheckTid", "StartTime")
		} else {
			delete(r, "QualityCheckTaskId")
			delete(r, "QualityCheckTid")
		}
		recs = append(recs, r)
	}
	m := M{
		"ContactId": c.ContactID, "ContactType": c.Type, "ContactDisposition": c.Disposition, "InstanceId": in.ID,
		"CallingNumber": c.Caller, "CalledNumber": c.Callee, "StartTime": ms(c.Start), "Duration": c.duration(),
		"AgentNames": c.AgentName, "SkillGroupNames": c.GroupName, "Satisfaction": c.Satisfaction,
		"SatisfactionDesc": satisfactionDesc[c.Satisfaction], "Feedback": c.Feedback,
		"Agents": M{"CallDetailAgent": agents}, "Recordings": M{"Recording": recs},
	}
	if recent {
		m["ExtraAttr"] = ""
	} else {
		m["SkillGroupIdList"] = c.GroupID
	}
	return m
}

// matchCriteria reads the Criteria parameter: plain text searched in the
// numbers, agent and skill group names and contact id, or a JSON object whose
// string values are all searched that way.
func matchCriteria(crit string) func(*call) bool {
	crit = strings.TrimSpace(crit)
	if crit == "" {
		return func(*call) bool { return true }
	}
	var terms []string
	if strings.HasPrefix(crit, "{") {
		for _, m := range criteriaValue().FindAllStringSubmatch(crit, -1) {
			if m[1] != "" {
				terms = append(terms, strings.ToLower(m[1]))
			}
		}
	} else {
		terms = []string{strings.ToLower(crit)}
	}
	return func(c *call) bool {
		hay := strings.ToLower(strings.Join([]string{c.ContactID, c.Caller, c.Callee, c.AgentName, c.AgentLogin, c.GroupName, c.Type, c.Disposition}, " "))
		for _, t := range terms {
			if !strings.Contains(hay, t) {
				return false
			}
		}
		return true
	}
}

func registerCallHandlers() {
	register("ListCallDetailRecords", func(s *Sim, in *instance, a *args) (M, *apiError) {
		from, to := msRange(s, a, "StartTime", "StopTime")
		crit := matchCriteria(a.str("Criteria"))
		phone, cid, ctype, disp := a.str("PhoneNumber"), a.str("ContactId"), a.str("ContactType"), a.str("ContactDisposition")
		withRec := a.bool("WithRecording", false)
		var sel []*call
		for _, c := range in.callsBetween(from, to) {
			if (phone != "" && c.Caller != phone && c.Callee != phone) || (cid != "" && c.ContactID != cid) ||
				(ctype != "" && !strings.EqualFold(c.Type, ctype)) || (disp != "" && !strings.EqualFold(c.Disposition, disp)) ||
				(withRec && c.Recording == 0) || !crit(c) {
				continue
			}
			sel = append(sel, c)
		}
		if !strings.EqualFold(a.str("OrderBy"), "asc") {
			rev := make([]*call, len(sel))
			for i, c := range sel {
				rev[len(sel)-1-i] = c
			}
			sel = rev
		}
		pn, ps := a.page()
		out := []M{}
		for _, c := range pageOf(sel, pn, ps) {
			out = append(out, cdrJSON(in, c, false))
		}
		return M{"CallDetailRecords": M{"List": M{"CallDetailRecord": out}, "PageNumber": pn, "PageSize": ps, "TotalCount": len(sel)}}, nil
	})
	register("ListRecentCallRecords", func(s *Sim, in *instance, a *args) (M, *apiError) {
		now := s.now()
		from, to := now.Add(-24*time.Hour), now.Add(time.Minute)
		if a.has("StartTime") {
			from = fromMS(a.int("StartTime", 0))
		}
		if a.has("StopTime") {
			to = fromMS(a.int("StopTime", 0))
		}
		crit := matchCriteria(a.str("Criteria"))
		var sel []*call
		calls := in.callsBetween(from, to)
		for i := len(calls) - 1; i >= 0; i-- {
			if crit(calls[i]) {
				sel = append(sel, calls[i])
			}
		}
		pn, ps := a.page()
		out := []M{}
		for _, c := range pageOf(sel, pn, ps) {
			out = append(out, cdrJSON(in, c, true))
		}
		return M{"CallDetailRecords": M{"List": M{"CallDetailRecord": out}, "PageNumber": pn, "PageSize": ps, "TotalCount": len(sel)}}, nil
	})
	register("ListCallEventDetailByContactId", func(s *Sim, in *instance, a *args) (M, *apiError) {
		c, err := in.mustCall(a.str("ContactId"))
		if err != nil {
			return nil, err
		}
		type ev struct {
			at          time.Time
			name, agent string
			dur         int
			status      string
		}
		var evs []ev
		agent := c.AgentLogin
		mode := "Inbound"
		if c.Type == "Outbound" {
			mode = "Outbound"
			evs = append(evs, ev{c.Start, "Dialing", agent, c.RingSec, "Dialing"})
		} else {
			evs = append(evs, ev{c.Start, "EnterIVR", "", c.IVRSec, "IVR"})
			if c.Disposition != "AbandonedInIVR" {
				evs = append(evs, ev{c.Start.Add(time.Duration(c.IVRSec) * time.Second), "EnterQueue", "", c.QueueSec, "Queuing"})
			}
			if c.AgentID != "" {
				evs = append(evs, ev{c.Start.Add(time.Duration(c.IVRSec+c.QueueSec) * time.Second), "Ringing", agent, c.RingSec, "Ringing"})
			}
		}
		if c.answered() {
			evs = append(evs, ev{c.answerAt(), "Answered", agent, c.TalkSec + c.HoldSec, "Talking"})
			if c.HoldSec > 0 {
				evs = append(evs, ev{c.answerAt().Add(time.Duration(c.TalkSec/2) * time.Second), "Hold", agent, c.HoldSec, "Held"})
			}
		}
		hangUper := "Customer"
		if c.seed%3 == 0 && c.answered() {
			hangUper = "Agent"
		}
		evs = append(evs, ev{c.end(), "Released", agent, 0, "Released"})
		out := []M{}
		for _, e := range evs {
			out = append(out, M{"TimeStamp": fmtTime(e.at), "Event": e.name, "AgentName": e.agent, "Duration": e.dur, "Status": e.status,
				"CallMode": mode, "DetailData": M{"EventType": e.name, "HangUper": hangUper, "Helper": "", "SkillGroup": c.GroupName,
					"SatisfactionalResearch": satisfactionDesc[c.Satisfaction]}})
		}
		release := c.Disposition
		return M{"Data": M{"CallType": c.Type, "Caller": c.Caller, "Callee": c.Callee, "StartTime": fmtTime(c.Start),
			"PrivacyNumber": c.Privacy, "ReleaseAgent": c.AgentLogin, "ReleaseReason": release, "Events": M{"CallEventDetail": out}}}, nil
	})
	register("GetConversationDetailByContactId", func(s *Sim, in *instance, a *args) (M, *apiError) {
		c, err := in.mustCall(a.str("ContactId"))
		if err != nil {
			return nil, err
		}
		phrases := transcript(c)
		pn, ps := a.page()
		return M{"DataList": M{"List": M{"QualityCheckPhrase": pageOf(phrases, pn, ps)}, "PageNumber": pn, "PageSize": ps, "TotalCount": len(phrases)}}, nil
	})

	// Recordings.
	register("ListRecordingsByContactId", func(s *Sim, in *instance, a *args) (M, *apiError) {
		c, err := in.mustCall(a.str("ContactId"))
		if err != nil {
			return nil, err
		}
		recs := recordingFiles(in, c)
		if recs == nil {
			recs = []M{}
		}
		return M{"Recordings": M{"Recording": recs}}, nil
	})
	register("DownloadRecording", func(s *Sim, in *instance, a *args) (M, *apiError) {
		name := a.str("FileName")
		c := in.callByID[strings.SplitN(strings.TrimSuffix(name, ".wav"), "-", 2)[0]]
		if c == nil || c.Recording == 0 {
			return nil, notFound("FileName", name, in.ID)
		}
		for _, r := range recordingFiles(in, c) {
			if r["FileName"] == name {
				return M{"MediaDownloadParam": M{"FileName": name, "SignatureUrl": signedURL(s, in, name)}}, nil
			}
		}
		return nil, notFound("FileName", name, in.ID)
	})
	register("DownloadAllTypeRecording", func(s *Sim, in *instance, a *args) (M, *apiError) {
		c, err := in.mustCall(a.str("ContactId"))
		if err != nil {
			return nil, err
		}
		ch := a.str("Channel")
		out := []M{}
		for _, r := range recordingFiles(in, c) {
			if ch != "" && r["Channel"] != ch {
				continue
			}
			name := r["FileName"].(string)
			out = append(out, M{"FileName": name, "SignatureUrl": signedURL(s, in, name)})
		}
		return M{"MediaDownloadParamList": M{"MediaDownloadParam": out}}, nil
	})
	register("ListRecordingOfDualTrack", func(s *Sim, in *instance, a *args) (M, *apiError) {
		from, to := fromMS(a.int("StartTime", 0)), fromMS(a.int("StopTime", 0))
		agent, called, calling, connect := a.str("AgentId"), a.str("CalledNumber"), a.str("CallingNumber"), a.str("ConnectId")
		var sel []M
		for _, c := range in.callsBetween(from, to) {
			if c.Recording != 2 || (agent != "" && c.AgentID != agent) || (called != "" && c.Callee != called) ||
				(calling != "" && c.Caller != calling) || (connect != "" && c.ContactID != connect) {
				continue
			}
			for _, r := range recordingFiles(in, c) {
				delete(r, "QualityCheckTaskId")
				delete(r, "QualityCheckTid")
				sel = append(sel, r)
			}
		}
		pn, ps := a.page()
		return M{"Recordings": M{"List": M{"Recording": pageOf(sel, pn, ps)}, "PageNumber": pn, "PageSize": ps, "TotalCount": len(sel)}}, nil
	})
	register("ListIvrTrackingDetail", func(s *Sim, in *instance, a *args) (M, *apiError) {
		from, to := msRange(s, a, "StartTime", "StopTime")
		cid, called, calling := a.str("ContactId"), a.str("CalledNumber"), a.str("CallingNumber")
		var sel []M
		for _, c := range in.callsBetween(from, to) {
			if c.Type != "Inbound" || (cid != "" && c.ContactID != cid) || (called != "" && c.Callee != called) || (calling != "" && c.Caller != calling) {
				continue
			}
			sel = append(sel, ivrNodes(in, c)...)
		}
		pn, ps := a.page()
		return M{"IvrTrackingDetails": M{"List": M{"IvrTrackingDetail": pageOf(sel, pn, ps)}, "PageNumber": pn, "PageSize": ps, "TotalCount": len(sel)}}, nil
	})
}

func signedURL(s *Sim, in *instance, name string) string {
	exp := s.now().Add(time.Hour).Unix()
	sig := SignRPC("GET", map[string]string{"file": name, "exp": strconv.FormatInt(exp, 10)}, in.TenantID)
	return fmt.Sprintf("https://%s.oss-%s.aliyuncs.com.invalid/%s/%s?Expires=%d&Signature=%s", in.StorageBucket, in.Region, in.ID, name, exp, strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(sig))
}

func ivrNodes(in *instance, c *call) []M {
	flow := "MainIVR"
	if n := in.numberByValue(c.Callee); n != nil {
		if f := in.flow(n.FlowID); f != nil {
			flow = f.Name
		}
	}
	nodes := []struct{ name, typ, desc string }{{"Start", "Start", "Call entered the flow"}, {"Welcome", "Play", "Played the welcome message"}, {"Menu", "Menu", "Asked for a menu choice"}}
	if c.Disposition != "AbandonedInIVR" {
		nodes = append(nodes, struct{ name, typ, desc string }{"ToQueue", "Transfer", "Transferred to skill group " + c.GroupName})
	}
	out := []M{}
	step := time.Duration(c.IVRSec) * time.Second / time.Duration(len(nodes))
	for i, nd := range nodes {
		at := c.Start.Add(step * time.Duration(i))
		status, input, output := "Success", "", ""
		if nd.typ == "Menu" {
			input = strconv.Itoa(1 + int(c.seed%4))
		}
		if nd.typ == "Transfer" {
			output = c.GroupID
		}
		if c.Disposition == "AbandonedInIVR" && i == len(nodes)-1 {
			status = "Hangup"
		}
		out = append(out, M{"ContactId": c.ContactID, "CalledNumber": c.Callee, "CallingNumber": c.Caller, "FlowName": flow,
			"NodeName": nd.name, "NodeType": nd.typ, "Description": nd.desc, "InputData": input, "OutputData": output,
			"StartTime": ms(at), "StopTime": ms(at.Add(step)), "Status": status, "TenantId": in.TenantID, "DeviceID": "ivr-" + strconv.Itoa(int(c.seed%16))})
	}
	return out
}

var agentLines = []string{
	"Thank you for calling, my name is %s. How can I help you today?",
	"I understand. Let me pull up your account.",
	"Could you confirm the phone number on the account, please?",
	"Thanks. I can see the order here.",
	"I have fixed that for you; you will get a text message in a few minutes.",
	"Is there anything else I can help you with?",
	"Thank you for your patience. Have a nice day.",
}

var customerLines = []string{
	"Hi, I have a question about my last bill.",
	"My parcel has not arrived yet.",
	"The app keeps logging me out.",
	"Sure, it is the number I am calling from.",
	"Great, that was quick.",
	"No, that is all. Thanks!",
}

// transcript makes a deterministic conversation for an answered call.
func transcript(c *call) []M {
	out := []M{}
	if !c.answered() {
		return out
	}
	r := newRNG(int64(c.seed), 99)
	n := 4 + int(c.seed%6)
	talkMS := c.TalkSec * 1000
	step := talkMS / (n + 1)
	for i := 0; i < n; i++ {
		begin := i * step
		var role, who, words string
		if i%2 == 0 {
			role, who = "Agent", c.AgentLogin
			words = agentLines[min(i/2+r.IntN(2), len(agentLines)-1)]
			if i == 0 {
				words = fmt.Sprintf(agentLines[0], c.AgentName)
			}
		} else {
			role, who = "Customer", c.Caller
			if c.Type == "Outbound" {
				who = c.Callee
			}
			words = customerLines[r.IntN(len(customerLines))]
		}
		out = append(out, M{"Begin": begin, "End": begin + step - 200, "Role": role, "Identity": who, "Words": words})
	}
	return out
}

// criteriaValue picks the string values out of a JSON Criteria; compiled
// on first use.
var criteriaValue = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`:\s*"([^"]*)"`) })
