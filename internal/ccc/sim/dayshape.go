package sim

import (
	"time"
)

// The shape of a call center's day. Agents work a clock-anchored roster
// (early, day and late shifts), callers ring by the hour of the day (a
// morning peak, a lunch dip, an afternoon peak, a quiet night), and one hour
// of some days is an incident: callers wait minutes and many hang up. The
// reports are computed from the call records, so every figure in a report
// agrees with ListCallDetailRecords and the agents' state logs.

// load is how busy the lines are at a clock hour, 0 to 1.
var load = [24]float64{
	0.12, 0.10, 0.10, 0.10, 0.10, 0.12, 0.18, 0.35, // 00–07
	0.70, 0.95, 1.00, 0.85, 0.40, 0.50, 0.85, 0.95, // 08–15: peaks at 10 and 15, lunch dip at 12
	0.80, 0.55, 0.35, 0.25, 0.20, 0.15, 0.15, 0.12, // 16–23
}

// loadAt interpolates load between the middles of the hours.
func loadAt(t time.Time) float64 {
	h := float64(t.Hour()) + float64(t.Minute())/60 - 0.5
	if h < 0 {
		h += 24
	}
	i := int(h)
	f := h - float64(i)
	return load[i%24]*(1-f) + load[(i+1)%24]*f
}

// callGap is the pause an agent has between one call and the next: short
// when the lines are busy, long at night.
func callGap(r rng, t time.Time) time.Duration {
	minutes := (8 + r.Float64()*16) / max(loadAt(t), 0.08)
	return time.Duration(minutes * float64(time.Minute))
}

// rosterStart is when agent i's shift starts on the clock (9 hours long).
func rosterStart(i int) time.Duration {
	starts := []float64{7, 7.5, 8, 8.5, 9, 10, 11.5, 12.5}
	h := starts[i%len(starts)]
	return time.Duration(h*float64(time.Hour)) + time.Duration((i*7)%30)*time.Minute
}

// incidents are the hours that went wrong: days before today (0 is today)
// and the local clock hour the trouble started.
var incidents = []struct{ daysAgo, hour int }{{0, 11}, {3, 15}}

// rosterShifts are agent i's shifts over the last week: the roster on the
// days before today, and today the roster shift or, for an agent online now,
// a shift that started at least offset ago and is still running. An agent
// offline now went home before now.
func rosterShifts(i int, online bool, offset, shiftLen time.Duration, now, horizon time.Time) []span {
	day := midnight(now)
	var shifts []span
	for k := 7; k >= 1; k-- {
		from := day.AddDate(0, 0, -k).Add(rosterStart(i))
		to := from.Add(9 * time.Hour)
		if to.Before(horizon) {
			continue
		}
		shifts = append(shifts, span{from, to})
	}
	start := day.Add(rosterStart(i))
	var today span
	switch {
	case online:
		today = span{now.Add(-offset), now.Add(time.Hour)}
		if start.Before(today.from) {
			today.from = start
		}
		if today.to.Sub(today.from) < shiftLen {
			today.to = today.from.Add(shiftLen)
		}
	case start.Add(time.Hour).Before(now):
		today = span{start, start.Add(9 * time.Hour)}
		if latest := now.Add(-offset / 20); today.to.After(latest) { // went home early
			today.to = latest
		}
	}
	if !today.from.IsZero() {
		today.from = today.from.Truncate(time.Second)
		today.to = today.to.Truncate(time.Second)
		for len(shifts) > 0 && shifts[len(shifts)-1].to.After(today.from.Add(-30*time.Minute)) {
			last := &shifts[len(shifts)-1]
			last.to = today.from.Add(-30 * time.Minute)
			if last.to.Sub(last.from) >= time.Hour {
				break
			}
			shifts = shifts[:len(shifts)-1]
		}
		shifts = append(shifts, today)
	}
	return shifts
}

// shapeDays adds what a day's shape needs beyond the agents' own calls:
// queue waits that grow with the load, and the incident hours (long waits
// for the calls that got through, and callers who hung up in the queue).
// A wait moves a call's start, so the agent's side of the
// call — when it rang, was answered and ended — does not move.
func shapeDays(in *instance, r rng, calls []*call, now, horizon time.Time) []*call {
	incidentFrom := make([]time.Time, len(incidents)) // computed once, not per call
	for i, inc := range incidents {
		incidentFrom[i] = atHour(now.AddDate(0, 0, -inc.daysAgo), inc.hour)
	}
	inIncident := func(t time.Time) bool {
		for _, from := range incidentFrom {
			if !t.Before(from) && t.Before(from.Add(time.Hour)) {
				return true
			}
		}
		return false
	}
	wait := func(c *call, extra int) {
		extra = min(extra, 300-c.QueueSec)
		if extra <= 0 || c.Start.Add(-time.Duration(extra)*time.Second).Before(horizon) {
			return
		}
		c.QueueSec += extra
		c.Start = c.Start.Add(-time.Duration(extra) * time.Second)
	}
	// Callers who never reached an agent ring by the hour of the day too.
	var total float64
	for _, w := range load {
		total += w
	}
	for _, c := range calls {
		if c.AgentID != "" {
			continue
		}
		x, h := r.Float64()*total, 0
		for ; h < 23 && x >= load[h]; h++ {
			x -= load[h]
		}
		at := atHour(c.Start, h).Add(time.Duration(r.IntN(3600)) * time.Second)
		if !at.Before(horizon) && at.Before(now.Add(-20*time.Minute)) {
			c.Start = at
		}
	}
	answeredInIncident := map[time.Time]int{}
	for _, c := range calls {
		if c.Type != "Inbound" || !c.answered() {
			continue
		}
		at := c.Start
		switch {
		case inIncident(at):
			wait(c, r.between(70, 280))
			answeredInIncident[clockHour(at)]++
		default:
			// Most callers get through at once; the busier the lines, the
			// more wait long enough to miss the 20 s service level.
			q := r.between(0, 8)
			if r.chance(0.04 + 0.22*loadAt(at)) {
				q = r.between(20, 110)
			}
			c.Start = c.Start.Add(time.Duration(c.QueueSec-q) * time.Second)
			c.QueueSec = q
		}
	}
	// Callers who gave up while the incident lasted: about as many as got
	// through, most after a long wait in the queue.
	for _, inc := range incidents {
		from := atHour(now.AddDate(0, 0, -inc.daysAgo), inc.hour)
		end := from.Add(time.Hour)
		if end.After(now.Add(-20 * time.Minute)) {
			end = now.Add(-20 * time.Minute)
		}
		if !end.After(from) || from.Before(horizon) {
			continue
		}
		n := answeredInIncident[from] * 4 / 5
		for k := 0; k < n; k++ {
			start := from.Add(time.Duration(r.Int64N(int64(end.Sub(from))))).Truncate(time.Second)
			calls = append(calls, unanswered(in, r, start, 30, 0.15, 45, 300)) // seed.go
		}
	}
	return calls
}
