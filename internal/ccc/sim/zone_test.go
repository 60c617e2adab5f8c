package sim

import (
	"testing"
	"time"
)

// callsByHour counts the seeded calls of the default instance by the clock
// hour they started at in loc, and returns their contact ids in order.
func callsByHour(s *Sim, loc *time.Location) (hours [24]int, ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.byID[DefaultInstanceID].calls {
		hours[c.Start.In(loc).Hour()]++
		ids = append(ids, c.ContactID+"@"+c.Start.UTC().Format(time.RFC3339))
	}
	return hours, ids
}

// A call center's day is its own: a simulator on a machine in New York or in
// UTC seeds the same calls at the same instants, with the lines busiest at
// 10:00 and 15:00 in the call center's zone and quiet at night there.
func TestTheDayIsTheCallCentersWhateverTheMachinesZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("EST", -5*3600)
	}
	at := func(loc *time.Location) func() time.Time { return func() time.Time { return fixedNow.In(loc) } }

	shanghai, want := callsByHour(New(Options{Now: at(time.UTC)}), DefaultZone)
	_, got := callsByHour(New(Options{Now: at(ny)}), DefaultZone)
	if len(got) != len(want) {
		t.Fatalf("%d calls seen from New York, %d from UTC", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("call %d: %s seen from New York, %s from UTC", i, got[i], want[i])
		}
	}
	busy := func(h [24]int, zone string) {
		t.Helper()
		if h[10] < 3*h[3] || h[15] < 3*h[3] {
			t.Errorf("%s: calls at 10:00 %d, 15:00 %d, 03:00 %d; want the peaks in the call center's day", zone, h[10], h[15], h[3])
		}
	}
	busy(shanghai, "Asia/Shanghai")

	// Another call center's zone moves its day with it.
	utc, _ := callsByHour(New(Options{Now: at(ny), Zone: time.UTC}), time.UTC)
	busy(utc, "a call center in UTC")
}

// The incident of today 11:00 is an hour of the call center's clock, in a
// zone half an hour off UTC's hours too: its callers wait and hang up in
// the queue, and the hourly report's intervals start on the zone's hours.
func TestIncidentHourAndReportHoursInAZoneOffUTCsHours(t *testing.T) {
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		kolkata = time.FixedZone("IST", 5*3600+1800)
	}
	for _, loc := range []*time.Location{DefaultZone, kolkata} {
		now := time.Date(2025, 3, 12, 15, 30, 0, 0, loc)
		s := New(Options{Now: func() time.Time { return now.UTC() }, Zone: loc})
		from := time.Date(2025, 3, 12, 11, 0, 0, 0, loc)
		s.mu.Lock()
		abandoned := 0
		for _, c := range s.byID[DefaultInstanceID].calls {
			if !c.Start.Before(from) && c.Start.Before(from.Add(time.Hour)) && c.Disposition == "AbandonedInQueue" {
				abandoned++
			}
		}
		s.mu.Unlock()
		if abandoned < 15 {
			t.Errorf("%s: %d callers abandoned in the queue in the 11:00 incident", loc, abandoned)
		}
		hours, err := intervals(from.Add(20*time.Minute), from.Add(3*time.Hour), "hour")
		if err != nil || len(hours) == 0 || !hours[0].Equal(from) || hours[len(hours)-1].Minute() != 0 {
			t.Errorf("%s: hourly intervals from 11:20 are %v", loc, hours)
		}
	}
}
