package schema

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Time formats the CCC API uses for string-typed time parameters of report
// actions. Integer-typed times are milliseconds since the Unix epoch.
const (
	DateTimeLayout = "2006-01-02 15:04:05"
	DateLayout     = "2006-01-02"
)

// IsTimeParam reports whether a parameter name holds a point in time.
func IsTimeParam(name string) bool {
	switch name {
	case "StartTime", "StopTime", "EndTime", "StartDate", "EndDate", "CallStartTime", "RecordTime":
		return true
	}
	return false
}

// Coerce turns Key=Value words into typed JSON arguments following the
// schema: integers, booleans, arrays (comma-separated or repeated keys), and
// for time parameters RFC 3339, a date, "now", "today", "yesterday", or a
// relative span such as "1h", "30m", "7d" (that long before now). Keys match
// case-insensitively and are returned in their exact CCC spelling. The error
// names the parameter and the expected type.
func Coerce(s *Schema, words []string, now time.Time) (map[string]any, error) {
	out := map[string]any{}
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, problem(w, fmt.Sprintf("%s: expected Key=Value; this tool takes %s", strconv.Quote(clip(w)), s.names()))
		}
		p, ok := s.Prop(k)
		if !ok {
			return nil, problem(k, fmt.Sprintf("%s: no such parameter; this tool takes %s. Remove it or use one of those names", clip(k), s.names()))
		}
		v = strings.TrimSpace(unquote(v))
		switch p.Type {
		case "array":
			prev, _ := out[p.Name].([]any)
			for _, part := range strings.Split(v, ",") {
				part = strings.TrimSpace(part)
				if part == "" {
					continue
				}
				x, err := scalar(p, p.Items, part, now)
				if err != nil {
					return nil, err
				}
				prev = append(prev, x)
			}
			out[p.Name] = prev
		default:
			if _, dup := out[p.Name]; dup {
				return nil, problem(p.Name, fmt.Sprintf("%s: given twice, but it takes one value (%s); keep one", p.Name, p.TypeText()))
			}
			x, err := scalar(p, p.Type, v, now)
			if err != nil {
				return nil, err
			}
			out[p.Name] = x
		}
	}
	return out, nil
}

func unquote(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 {
		for _, q := range []string{`"`, `'`, "“”", "‘’"} {
			open, close := q, q
			if len([]rune(q)) == 2 {
				open, close = string([]rune(q)[0]), string([]rune(q)[1])
			}
			if strings.HasPrefix(v, open) && strings.HasSuffix(v, close) && len(v) >= len(open)+len(close) {
				return v[len(open) : len(v)-len(close)]
			}
		}
	}
	return v
}

func scalar(p *Prop, typ, v string, now time.Time) (any, error) {
	bad := func(why string) error {
		return problem(p.Name, fmt.Sprintf("%s: %s is not %s%s", p.Name, strconv.Quote(clip(v)), p.TypeText(), why))
	}
	if p.Time {
		// Times stay text (or a number) here: the registry reads them all
		// with one parser, in the instance's zone (NormalizeTimes).
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n, nil
		}
		return v, nil
	}
	switch typ {
	case "integer":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n, nil
		}
		return nil, bad("; send a whole number")
	case "boolean":
		switch strings.ToLower(v) {
		case "true", "yes", "y", "1", "on":
			return true, nil
		case "false", "no", "n", "0", "off":
			return false, nil
		}
		return nil, bad("; use true or false")
	case "number":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, bad("")
		}
		return f, nil
	default: // string
		return v, nil
	}
}

// Bounds of an epoch-milliseconds time: 1973-03-03 to 2286-11-20. Below,
// a number is most likely epoch seconds (today's are about 1.8e9), which
// must never be read as milliseconds of January 1970.
const (
	minEpochMS = 100_000_000_000
	maxEpochMS = 10_000_000_000_000
)

// TimeFormsHint says which forms a time takes.
const TimeFormsHint = "epoch milliseconds, RFC 3339, 2006-01-02 15:04:05 or a date (in the call center's zone), or 1h/30m/7d/today/yesterday"

// NormalizeTimes converts every time argument, in place, to what CCC
// receives — epoch milliseconds for integer times, "2006-01-02 15:04:05"
// (or "2006-01-02" for dates) for text times — reading epoch ms (a number
// or digits), RFC 3339, date-time text and dates in loc, and relative forms
// before now. Epoch seconds are refused with a hint, and so is a range
// whose end comes before its start. This is the one time parser of every
// surface.
func (s *Schema) NormalizeTimes(args map[string]any, now time.Time, loc *time.Location) error {
	if loc == nil {
		loc = now.Location()
	}
	var probs problems
	at := map[string]time.Time{}
	for i := range s.Props {
		p := &s.Props[i]
		v, ok := args[p.Name]
		if !p.Time || !ok {
			continue
		}
		tm, err := readTime(p, v, now, loc)
		if err != nil {
			probs.add(p.Name, err.Error())
			continue
		}
		at[p.Name] = tm
		switch {
		case p.Type == "integer":
			args[p.Name] = tm.UnixMilli()
		case strings.HasSuffix(p.Name, "Date"):
			args[p.Name] = tm.In(loc).Format(DateLayout)
		default:
			args[p.Name] = tm.In(loc).Format(DateTimeLayout)
		}
	}
	for _, pair := range [][2]string{{"StartTime", "StopTime"}, {"StartTime", "EndTime"}, {"StartDate", "EndDate"}} {
		from, ok1 := at[pair[0]]
		to, ok2 := at[pair[1]]
		if ok1 && ok2 && to.Before(from) {
			probs.add(pair[1], fmt.Sprintf("%s (%s) is before %s (%s); give an end after the start",
				pair[1], to.In(loc).Format(DateTimeLayout), pair[0], from.In(loc).Format(DateTimeLayout)))
		}
	}
	if len(probs.list) > 0 {
		return probs.err()
	}
	return nil
}

func readTime(p *Prop, v any, now time.Time, loc *time.Location) (time.Time, error) {
	var ms int64
	switch x := v.(type) {
	case string:
		x = strings.TrimSpace(x)
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			t, err := ParseTimeIn(x, now, loc)
			if err != nil {
				return time.Time{}, fmt.Errorf("%s: %s is not a time; send %s", p.Name, strconv.Quote(clip(x)), TimeFormsHint)
			}
			return t, nil
		}
		ms = n
	case json.Number:
		n, err := x.Int64()
		if err != nil {
			return time.Time{}, fmt.Errorf("%s: %s is not a whole number of epoch milliseconds; send %s", p.Name, clip(x.String()), TimeFormsHint)
		}
		ms = n
	case float64:
		if x != float64(int64(x)) {
			return time.Time{}, fmt.Errorf("%s: %v is not a whole number of epoch milliseconds; send %s", p.Name, x, TimeFormsHint)
		}
		ms = int64(x)
	case int64:
		ms = x
	case int:
		ms = int64(x)
	default:
		return time.Time{}, fmt.Errorf("%s: %s is not a time; send %s", p.Name, quote(v), TimeFormsHint)
	}
	switch {
	case ms >= 1_000_000_000 && ms < minEpochMS:
		return time.Time{}, fmt.Errorf("%s: %d looks like epoch seconds (%s); send milliseconds, %d, or a date-time such as %s",
			p.Name, ms, time.Unix(ms, 0).In(loc).Format(DateTimeLayout), ms*1000, time.Unix(ms, 0).In(loc).Format(DateTimeLayout))
	case ms < minEpochMS || ms >= maxEpochMS:
		return time.Time{}, fmt.Errorf("%s: %d is not a time in epoch milliseconds (accepted: 1973 to 2286); send %s", p.Name, ms, TimeFormsHint)
	}
	return time.UnixMilli(ms), nil
}

// ParseTime reads a point in time: RFC 3339, "2006-01-02 15:04:05",
// "2006-01-02", "now", "today" (midnight), "yesterday" (midnight), or a span
// before now such as "90s", "15m", "1h", "7d", "2w" (an optional leading "-"
// is accepted).
func ParseTime(v string, now time.Time) (time.Time, error) {
	return ParseTimeIn(v, now, now.Location())
}

// ParseTimeIn is ParseTime reading text without a zone in loc ("today" is
// midnight in loc).
func ParseTimeIn(v string, now time.Time, loc *time.Location) (time.Time, error) {
	orig := strings.TrimSpace(v)
	v = strings.ToLower(orig)
	now = now.In(loc)
	switch v {
	case "now":
		return now, nil
	case "today", "midnight":
		y, m, d := now.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, loc), nil
	case "yesterday":
		y, m, d := now.AddDate(0, 0, -1).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, loc), nil
	}
	for _, layout := range []string{time.RFC3339, DateTimeLayout, "2006-01-02T15:04:05", DateLayout} {
		if t, err := time.ParseInLocation(layout, strings.ToUpper(orig), loc); err == nil {
			return t, nil
		}
	}
	span := strings.TrimPrefix(strings.TrimSuffix(v, " ago"), "-")
	if len(span) >= 2 {
		unit := span[len(span)-1]
		n, err := strconv.ParseInt(span[:len(span)-1], 10, 64)
		if err == nil && n >= 0 && n < 100000 {
			var step time.Duration
			switch unit {
			case 's':
				step = time.Second
			case 'm':
				step = time.Minute
			case 'h':
				step = time.Hour
			case 'd':
				step = 24 * time.Hour
			case 'w':
				step = 7 * 24 * time.Hour
			default:
				return time.Time{}, fmt.Errorf("unknown time unit %q", unit)
			}
			// Spans are for recent history: at most about ten years back,
			// which also keeps the Duration far from overflowing.
			const maxSpan = 10 * 366 * 24 * time.Hour
			if time.Duration(n) > maxSpan/step {
				return time.Time{}, fmt.Errorf("%q reaches more than ten years back; give a date instead", v)
			}
			d := time.Duration(n) * step
			return now.Add(-d), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time", v)
}
