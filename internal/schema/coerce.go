package schema

import (
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
			return nil, &ValidationError{Param: w, Message: "expected Key=Value; parameters: " + s.names()}
		}
		p, ok := s.Prop(k)
		if !ok {
			return nil, &ValidationError{Param: k, Message: "unknown parameter; allowed: " + s.names()}
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
				return nil, &ValidationError{Param: p.Name, Message: "given twice; it takes one " + p.TypeText()}
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
		return &ValidationError{Param: p.Name, Message: fmt.Sprintf("%q is not %s%s", v, p.TypeText(), why)}
	}
	switch typ {
	case "integer":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n, nil
		}
		if IsTimeParam(p.Name) {
			t, err := ParseTime(v, now)
			if err != nil {
				return nil, bad("; for a time use epoch milliseconds, RFC 3339, a date, now, today, yesterday, or 1h/30m/7d ago")
			}
			return t.UnixMilli(), nil
		}
		return nil, bad("")
	case "boolean":
		switch strings.ToLower(v) {
		case "true", "yes", "y", "1", "on":
			return true, nil
		case "false", "no", "n", "0", "off":
			return false, nil
		}
		return nil, bad(" (use true or false)")
	case "number":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, bad("")
		}
		return f, nil
	default: // string
		if IsTimeParam(p.Name) && v != "" {
			if _, err := time.Parse(DateTimeLayout, v); err != nil {
				if t, err := ParseTime(v, now); err == nil {
					if strings.HasSuffix(p.Name, "Date") {
						return t.Format(DateLayout), nil
					}
					return t.Format(DateTimeLayout), nil
				}
			}
		}
		return v, nil
	}
}

// ParseTime reads a point in time: RFC 3339, "2006-01-02 15:04:05",
// "2006-01-02", "now", "today" (midnight), "yesterday" (midnight), or a span
// before now such as "90s", "15m", "1h", "7d", "2w" (an optional leading "-"
// is accepted).
func ParseTime(v string, now time.Time) (time.Time, error) {
	orig := strings.TrimSpace(v)
	v = strings.ToLower(orig)
	loc := now.Location()
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
