package tools

// The report flow: calls offered, answered and abandoned per interval, with
// the service level and average wait, for a period people name ("today",
// "yesterday", "7d", a date). It reads GetInstanceSummaryReportByInterval or,
// for one skill group, ListSkillGroupSummaryReportsByInterval — through
// Invoke, so each read is gated and audited. Surfaces render the points
// (internal/chart draws them).

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cccops/cccops/internal/policy"
)

// reportTimeLayout is the report time form CCC documents.
const reportTimeLayout = "2006-01-02 15:04:05"

// Period is a report window: [From, To) cut into intervals.
type Period struct {
	Name     string // "today", "yesterday", "7d" or a date
	From, To time.Time
	Interval string // "hour" or "day"
}

// Label is "today 2026-03-02", "7 days 2026-02-24 – 2026-03-02".
func (p Period) Label() string {
	switch p.Name {
	case "7d":
		return "7 days " + p.From.Format("2006-01-02") + " – " + p.To.Add(-time.Second).Format("2006-01-02")
	case "today", "yesterday":
		return p.Name + " " + p.From.Format("2006-01-02")
	}
	return p.From.Format("Mon 2006-01-02")
}

// Zone is the time zone the period is in: "CST (UTC+08:00)".
func (p Period) Zone() string {
	name, off := p.From.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("%s (UTC%s%02d:%02d)", name, sign, off/3600, off%3600/60)
}

// PeriodNames are the words ParsePeriod takes besides a date.
var PeriodNames = []string{"today", "yesterday", "7d"}

// ParsePeriod is the package's ParsePeriod in the call center's zone (see
// Zone), the zone CCC reads a report's date-time text in: "today" is the
// call center's day, whatever the zone of the machine the bot runs on.
func (r *Registry) ParsePeriod(name, interval string, now time.Time) (Period, error) {
	return ParsePeriod(name, interval, now.In(r.Zone()))
}

// ParsePeriod reads "today", "yesterday", "7d" or a date (2006-01-02) in
// now's time zone; interval is "hour", "day" or empty (hours for one day,
// days for seven).
func ParsePeriod(name, interval string, now time.Time) (Period, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		name = "today"
	}
	mid := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	var p Period
	switch name {
	case "today":
		p = Period{Name: name, From: mid, To: now, Interval: "hour"}
	case "yesterday":
		p = Period{Name: name, From: mid.AddDate(0, 0, -1), To: mid, Interval: "hour"}
	case "7d", "week":
		p = Period{Name: "7d", From: mid.AddDate(0, 0, -6), To: now, Interval: "day"}
	default:
		d, err := time.ParseInLocation("2006-01-02", name, now.Location())
		if err != nil {
			return p, &Error{Kind: KindInvalidArgs, Param: "period", Message: fmt.Sprintf("%q is not a period; use today, yesterday, 7d or a date such as %s", name, mid.AddDate(0, 0, -2).Format("2006-01-02"))}
		}
		if d.After(now) {
			return p, &Error{Kind: KindInvalidArgs, Param: "period", Message: fmt.Sprintf("%s is in the future; use today, yesterday, 7d or a past date", name)}
		}
		to := d.AddDate(0, 0, 1)
		if to.After(now) {
			to = now
		}
		p = Period{Name: d.Format("2006-01-02"), From: d, To: to, Interval: "hour"}
		if d.Equal(mid) {
			p.Name = "today"
		}
	}
	switch strings.ToLower(interval) {
	case "":
	case "hour", "hourly", "h":
		p.Interval = "hour"
	case "day", "daily", "d":
		p.Interval = "day"
	default:
		return p, &Error{Kind: KindInvalidArgs, Param: "interval", Message: fmt.Sprintf("interval=%s: use interval=hour or interval=day", interval)}
	}
	if !p.To.After(p.From) {
		p.To = p.From.Add(time.Minute) // just after midnight: an empty window, which the report says
	}
	return p, nil
}

// Figures are the call figures of one interval or a whole window.
type Figures struct {
	Offered   int // inbound calls that reached a queue
	Answered  int // answered by an agent
	Abandoned int // callers who hung up in the queue
	// AbandonedInIVR hung up before reaching a queue (not offered).
	AbandonedInIVR int
	// ServiceLevel is the share of offered calls answered within 20 s, 0–1.
	ServiceLevel float64
	AvgWait      time.Duration // in the queue, over offered calls
	AvgTalk      time.Duration // over answered calls
	Dialed       int           // outbound
	Connected    int           // outbound answered
}

// ServiceLevelText is "78%".
func (f Figures) ServiceLevelText() string { return fmt.Sprintf("%.0f%%", f.ServiceLevel*100) }

// AbandonRate is abandoned over offered, 0–1.
func (f Figures) AbandonRate() float64 {
	if f.Offered == 0 {
		return 0
	}
	return float64(f.Abandoned) / float64(f.Offered)
}

// Point is one interval of a report.
type Point struct {
	Start time.Time
	Figures
}

// Report is calls per interval over a period, for an instance or one of
// its skill groups.
type Report struct {
	Instance string
	Group    string // skill group name; empty for the whole instance
	Period   Period
	Points   []Point
	Total    Figures
	// Source names the CCC action the points come from.
	Source string
}

// Empty reports whether no call was offered or dialed in the period.
func (r *Report) Empty() bool {
	return r.Total.Offered == 0 && r.Total.Dialed == 0 && r.Total.AbandonedInIVR == 0
}

// Subject is "ccc-sim-shanghai" or "ccc-sim-shanghai · Billing".
func (r *Report) Subject() string {
	if r.Group != "" {
		return r.Instance + " · " + r.Group
	}
	return r.Instance
}

// Busiest is the interval with the most calls offered.
func (r *Report) Busiest() (Point, bool) {
	var best Point
	ok := false
	for _, p := range r.Points {
		if !ok || p.Offered > best.Offered {
			best, ok = p, true
		}
	}
	return best, ok && best.Offered > 0
}

// Worst is the interval with the lowest service level among those with a
// tenth or more of the busiest interval's calls (a quiet night hour with one
// abandoned call is not the story), the one with more abandons on a tie.
func (r *Report) Worst() (Point, bool) {
	busiest, ok := r.Busiest()
	if !ok {
		return Point{}, false
	}
	worst, found := Point{}, false
	for _, p := range r.Points {
		if p.Offered == 0 || p.Offered*10 < busiest.Offered {
			continue
		}
		if !found || p.ServiceLevel < worst.ServiceLevel || (p.ServiceLevel == worst.ServiceLevel && p.Abandoned > worst.Abandoned) {
			worst, found = p, true
		}
	}
	return worst, found
}

// IntervalLabel is how a point's start reads: "10:00" or "Mon 03-02".
func (r *Report) IntervalLabel(p Point) string {
	if r.Period.Interval == "day" {
		return p.Start.Format("Mon 01-02")
	}
	if r.Period.To.Sub(r.Period.From) > 25*time.Hour {
		return p.Start.Format("Mon 15:04")
	}
	return p.Start.Format("15:04")
}

// Summary is what a person would quote: totals, service level, waits, the
// busiest and the worst interval. An empty period says so.
func (r *Report) Summary() string {
	head := fmt.Sprintf("%s, %s (%s)", r.Subject(), r.Period.Label(), r.Period.Zone())
	if r.Empty() {
		return head + ": no calls in this period, so there is nothing to chart."
	}
	t := r.Total
	s := fmt.Sprintf("%s: %d calls offered, %d answered, %d abandoned (%.0f%%); service level %s answered within 20 s; average wait %s, average talk %s.",
		head, t.Offered, t.Answered, t.Abandoned, t.AbandonRate()*100, t.ServiceLevelText(), FormatHeld(t.AvgWait), FormatHeld(t.AvgTalk))
	if b, ok := r.Busiest(); ok && len(r.Points) > 1 {
		s += fmt.Sprintf(" Busiest %s: %s with %d offered.", r.Period.Interval, r.IntervalLabel(b), b.Offered)
	}
	if w, ok := r.Worst(); ok && len(r.Points) > 1 && w.ServiceLevel < t.ServiceLevel {
		s += fmt.Sprintf(" Worst service level %s at %s (%d abandoned, average wait %s).", w.ServiceLevelText(), r.IntervalLabel(w), w.Abandoned, FormatHeld(w.AvgWait))
	}
	if t.Dialed > 0 {
		s += fmt.Sprintf(" Outbound: %d dialed, %d connected.", t.Dialed, t.Connected)
	}
	return s
}

// CallReport reads calls per interval over the period for the instance or,
// when group is set (a skill group name or id), for that skill group.
func (r *Registry) CallReport(ctx context.Context, p policy.Principal, instance string, period Period, group string) (*Report, error) {
	if instance == "" {
		instance = r.cfg.DefaultInstance
	}
	// CCC reads the date-time text in the call center's zone, and the
	// report's labels say that zone.
	period.From, period.To = period.From.In(r.Zone()), period.To.In(r.Zone())
	rep := &Report{Instance: instance, Period: period}
	args := map[string]any{"InstanceId": instance, "StartTime": period.From.Format(reportTimeLayout),
		"EndTime": period.To.Format(reportTimeLayout), "Interval": strings.ToUpper(period.Interval[:1]) + period.Interval[1:]}
	var rows []map[string]any
	if group == "" {
		rep.Source = "GetInstanceSummaryReportByInterval"
		data, err := r.readOK(ctx, p, rep.Source, args)
		if err != nil {
			return nil, err
		}
		obj, _ := data["InstanceTimeIntervalReport"].(map[string]any)
		rows = maps(obj["IntervalList"])
	} else {
		id, name, err := r.skillGroupID(ctx, p, instance, group)
		if err != nil {
			return nil, err
		}
		rep.Group, rep.Source = name, "ListSkillGroupSummaryReportsByInterval"
		args["SkillGroupIds"] = id
		list, _, err := r.listPages(ctx, p, rep.Source, args, "PagedSkillGroupSummaryReport", "List")
		if err != nil {
			return nil, err
		}
		for _, g := range list {
			if str(g, "SkillGroupId") == id {
				rows = maps(g["IntervalList"])
			}
		}
	}
	for _, row := range rows {
		pt := Point{Figures: figures(row)}
		if ts, err := time.ParseInLocation(reportTimeLayout, str(row, "Timestamp"), period.From.Location()); err == nil {
			pt.Start = ts
		}
		rep.Points = append(rep.Points, pt)
	}
	rep.Total = sumFigures(rep.Points)
	return rep, nil
}

// skillGroupID resolves a skill group name (any case) or id.
func (r *Registry) skillGroupID(ctx context.Context, p policy.Principal, instance, group string) (string, string, error) {
	data, err := r.readOK(ctx, p, "ListSkillGroups", map[string]any{"InstanceId": instance})
	if err != nil {
		return "", "", err
	}
	var names []string
	for _, g := range maps(data["SkillGroups"]) {
		id, name := str(g, "SkillGroupId"), str(g, "SkillGroupName")
		if strings.EqualFold(name, group) || id == group {
			return id, name, nil
		}
		names = append(names, name)
	}
	return "", "", &Error{Kind: KindInvalidArgs, Tool: "list_skill_groups", Param: "group",
		Message: fmt.Sprintf("no skill group on %s is named %q; groups: %s", instance, group, strings.Join(names, ", "))}
}

// figures reads one report row (instance or skill group shape).
func figures(row map[string]any) Figures {
	in, _ := row["Inbound"].(map[string]any)
	out, _ := row["Outbound"].(map[string]any)
	f := Figures{
		Offered:        int(fnum(in, "CallsOffered", "InComingQueueOfQueueCount")),
		Answered:       int(fnum(in, "CallsHandled", "AnsweredByAgentOfQueueCount")),
		Abandoned:      int(fnum(in, "CallsAbandonedInQueue", "AbandonedInQueueOfQueueCount")),
		AbandonedInIVR: int(fnum(in, "CallsAbandonedInIVR")),
		ServiceLevel:   fnum(in, "ServiceLevel20"),
		AvgTalk:        secs(fnum(in, "AverageTalkTime")),
		Dialed:         int(fnum(out, "CallsDialed")),
		Connected:      int(fnum(out, "CallsAnswered")),
	}
	if _, ok := in["AverageWaitTime"]; ok {
		f.AvgWait = secs(fnum(in, "AverageWaitTime"))
	} else if f.Offered > 0 {
		f.AvgWait = secs(fnum(in, "TotalWaitTime", "QueueWaitTimeDuration") / float64(f.Offered))
	}
	if f.ServiceLevel > 1 { // some accounts report percent
		f.ServiceLevel /= 100
	}
	return f
}

// sumFigures adds intervals: counts add, the service level and the average
// wait are weighted by calls offered, the talk time by calls answered.
func sumFigures(pts []Point) Figures {
	var t Figures
	var sl, wait, talk float64
	for _, p := range pts {
		t.Offered += p.Offered
		t.Answered += p.Answered
		t.Abandoned += p.Abandoned
		t.AbandonedInIVR += p.AbandonedInIVR
		t.Dialed += p.Dialed
		t.Connected += p.Connected
		sl += p.ServiceLevel * float64(p.Offered)
		wait += p.AvgWait.Seconds() * float64(p.Offered)
		talk += p.AvgTalk.Seconds() * float64(p.Answered)
	}
	if t.Offered > 0 {
		t.ServiceLevel = sl / float64(t.Offered)
		t.AvgWait = secs(wait / float64(t.Offered))
	}
	if t.Answered > 0 {
		t.AvgTalk = secs(talk / float64(t.Answered))
	}
	return t
}

func secs(s float64) time.Duration { return time.Duration(math.Round(s)) * time.Second }

// fnum reads the first of the keys that holds a number (JSON numbers or
// numeric strings, which some report fields are).
func fnum(m map[string]any, keys ...string) float64 {
	for _, k := range keys {
		switch v := m[k].(type) {
		case json.Number:
			if f, err := v.Float64(); err == nil {
				return f
			}
		case float64:
			return v
		case int:
			return float64(v)
		case int64:
			return float64(v)
		case string:
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				return f
			}
		}
	}
	return 0
}

// maps returns the objects of a list value.
func maps(v any) []map[string]any {
	list, _ := v.([]any)
	out := make([]map[string]any, 0, len(list))
	for _, it := range list {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
