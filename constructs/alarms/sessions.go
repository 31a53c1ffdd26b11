package alarms

// Idle alarms ("nothing arrived for 15 minutes") page inside trading
// sessions and are silent outside them. The session gate is part of each
// idle alarm's own evaluation, so it cannot drift from the alarm: no
// schedule turns actions on and off, and a deployment during a session
// changes nothing about whether the alarm acts.
//
// The alarm is a metric math alarm. CloudWatch's time functions "take the
// period and range of the time series and return a new non-sparse time
// series where each value is based on its timestamp", and TIME_SERIES(x)
// "returns a non-sparse time series where every value is set to a scalar
// argument"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html);
// AWS's Incident Detection and Response guide suppresses an alarm the same
// way, IF((DAY(m1) == 2 && HOUR(m1) >= 1 && HOUR(m1) < 3), 0, m1)
// (https://docs.aws.amazon.com/IDR/latest/userguide/suppress-alarms-tutorial-suppress.html).
// DAY and HOUR are in UTC and know no time zone, so the gate works on
// EPOCH, the datapoint's UTC timestamp in seconds, and adds the market's UTC
// offset, which changes at the daylight-saving transitions Go's zone
// database (embedded: time/tzdata) gives for the calendar's horizon:
//
//	t       EPOCH(TIME_SERIES(0))                      every minute's timestamp, even with no data at all
//	wk<i>   L - 604800*FLOOR(L/604800), L = t + offset - 4 days
//	                                                   seconds since Monday 00:00 in session i's time zone
//	open<i> (wk<i> in a watched window of a trading day) > (t in a holiday)
//	silent  (open0||open1...) * (1 - (m >= t*0+threshold))
//
// The metric m is sparse: SQS, for one, publishes nothing for a queue idle
// for hours (SQS developer guide, "Available CloudWatch metrics for Amazon
// SQS"). When a comparison operator is used between two time series and
// only one has a value for a timestamp, CloudWatch treats the missing value
// as 0 (the metric math page above), so comparing m with the non-sparse
// series t*0+threshold gives 0 for every minute without an arrival, with or
// without data; only comparisons are documented to do that, so the gate
// relies on nothing else about missing values. The alarm fires
// when silent is 1 for its M of N minutes (15 of 15): only inside a
// session, after 15 silent minutes there, and at the close it returns to OK
// by itself. An alarm may hold 10 metrics and 10 expressions, and an
// expression 2,048 characters (PutMetricAlarm's MetricDataQuery,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html):
// CheckGate refuses a gate that does not fit.

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	// Time zones and their transitions come from the embedded zone
	// database, the same on every machine.
	_ "time/tzdata"

	"github.com/brokerage/platform/problems"
)

// Session is a market's trading session as the alarms need it.
type Session struct {
	Name, Market string
	// TimeZone is a canonical IANA zone, e.g. America/New_York.
	TimeZone string
	// Days are SUN..SAT.
	Days    []string
	Windows []Window
	// Holidays are YYYY-MM-DD in the time zone, on trading days.
	Holidays []string
}

// Window is part of a trading day, in minutes after midnight in the
// session's time zone; Watch makes silence in it an outage.
type Window struct {
	Name       string
	Start, End int
	Watch      bool
}

// Watched merges the session's contiguous watched windows into spans.
func (s Session) Watched() [][2]int {
	var out [][2]int
	for _, w := range s.Windows {
		if !w.Watch {
			continue
		}
		if n := len(out); n > 0 && out[n-1][1] == w.Start {
			out[n-1][1] = w.End
			continue
		}
		out = append(out, [2]int{w.Start, w.End})
	}
	return out
}

// CalendarEnd is the last day the session's holidays are known for: 31
// December of its last holiday's year (exchanges publish their calendars a
// year at a time). ok is false when it lists no holiday.
func (s Session) CalendarEnd() (end time.Time, ok bool) {
	for _, h := range s.Holidays {
		d, err := time.Parse("2006-01-02", h)
		if err == nil && d.Year() >= end.Year() {
			end, ok = time.Date(d.Year(), 12, 31, 0, 0, 0, 0, time.UTC), true
		}
	}
	return end, ok
}

// weekdays are the days' names, Sunday first as in time.Weekday.
var weekdays = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

const (
	day  = 86400
	week = 7 * day
	// mondayShift makes whole weeks of local seconds start on a Monday:
	// 1970-01-01 was a Thursday, 1970-01-05 a Monday.
	mondayShift = 4 * day
	// CloudWatch's limits for one alarm (see the top of this file).
	maxExpressions      = 10
	maxExpressionLength = 2048
)

// horizon is how far ahead a session's offsets are computed: a year past
// its calendar's end (a year from now without holidays), so that the gate
// stays exact while the calendar is renewed.
func (s Session) horizon(now time.Time) time.Time {
	end, ok := s.CalendarEnd()
	if !ok || end.Before(now) {
		end = now
	}
	return end.AddDate(1, 0, 1)
}

// localSeconds is the expression of the session's local time, less
// mondayShift, in seconds from t (UTC seconds): t plus the UTC offset at
// now, and each change of offset up to the horizon from its instant on.
func (s Session) localSeconds(loc *time.Location, now time.Time) string {
	_, off := now.In(loc).Zone()
	local := fmt.Sprintf("t%+d", off-mondayShift)
	until := s.horizon(now)
	for t, prev := now, off; ; {
		_, end := t.In(loc).ZoneBounds()
		if end.IsZero() || end.After(until) {
			return local
		}
		_, next := end.In(loc).Zone()
		if delta := next - prev; delta != 0 {
			sign := "+"
			if delta < 0 {
				sign = "-"
			}
			local += fmt.Sprintf("%s(t>=%d)*%d", sign, end.Unix(), max(delta, -delta))
		}
		prev, t = next, end
	}
}

// holidayRanges are the UTC spans [start, end) of the session's holidays
// that have not ended by now, each its local day.
func (s Session) holidayRanges(loc *time.Location, now time.Time) [][2]int64 {
	var out [][2]int64
	for _, h := range s.Holidays {
		d, err := time.Parse("2006-01-02", h)
		if err != nil {
			continue
		}
		start, end := dayStart(d.Year(), d.Month(), d.Day(), loc), dayStart(d.Year(), d.Month(), d.Day()+1, loc)
		if end.After(now) {
			out = append(out, [2]int64{start.Unix(), end.Unix()})
		}
	}
	slices.SortFunc(out, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	return out
}

// dayStart is the first instant of a local day: its midnight, or, where
// clocks skip midnight (America/Santiago, Asia/Beirut, Africa/Cairo), the
// end of the gap, for which Go's time.Date gives the day before.
func dayStart(year int, month time.Month, day int, loc *time.Location) time.Time {
	t := time.Date(year, month, day, 0, 0, 0, 0, loc)
	if _, _, d := t.Date(); d != time.Date(year, month, day, 12, 0, 0, 0, loc).Day() {
		_, end := t.ZoneBounds()
		return end
	}
	return t
}

// weekSpans are the watched spans of the trading days in seconds since
// Monday 00:00, local time.
func (s Session) weekSpans() [][2]int {
	var out [][2]int
	for i, name := range weekdays {
		if !slices.Contains(s.Days, name) {
			continue
		}
		monday := (i + 6) % 7 // days after Monday
		for _, w := range s.Watched() {
			out = append(out, [2]int{monday*day + w[0]*60, monday*day + w[1]*60})
		}
	}
	slices.SortFunc(out, func(a, b [2]int) int { return cmp.Compare(a[0], b[0]) })
	return out
}

// gateQuery is one metric math expression of an idle alarm's gate.
type gateQuery struct{ ID, Expression string }

// gate computes the expressions that say, for every minute, whether it is
// inside one of the sessions' watched windows, as of now; the last names
// the result. It assumes sessions that checkSession accepted.
func gate(sessions []Session, now time.Time) (queries []gateQuery, open string) {
	queries = []gateQuery{{"t", "EPOCH(TIME_SERIES(0))"}}
	var opens []string
	for i, s := range sessions {
		loc, err := time.LoadLocation(s.TimeZone)
		if err != nil {
			loc = time.UTC // reported by checkSession
		}
		local := s.localSeconds(loc, now)
		wk := fmt.Sprintf("wk%d", i)
		queries = append(queries, gateQuery{wk, fmt.Sprintf("(%s)-%d*FLOOR((%s)/%d)", local, week, local, week)})
		var in []string
		for _, sp := range s.weekSpans() {
			in = append(in, fmt.Sprintf("(%s>=%d&&%s<%d)", wk, sp[0], wk, sp[1]))
		}
		expr := strings.Join(in, "||")
		if hs := s.holidayRanges(loc, now); len(hs) > 0 {
			var out []string
			for _, h := range hs {
				out = append(out, fmt.Sprintf("(t>=%d&&t<%d)", h[0], h[1]))
			}
			expr = "(" + expr + ")>(" + strings.Join(out, "||") + ")"
		}
		id := fmt.Sprintf("open%d", i)
		queries = append(queries, gateQuery{id, expr})
		opens = append(opens, id)
	}
	return queries, strings.Join(opens, "||")
}

// silentExpression is the gated idle signal of metric query m, whose
// healthy datapoints compare to threshold with comparison (the catalogue's
// breaching comparison, inverted): 1 for a minute inside a session without
// a healthy datapoint, else 0.
func silentExpression(open, comparison string, threshold float64) string {
	healthy := map[string]string{"LessThanThreshold": ">=", "LessThanOrEqualToThreshold": ">", "GreaterThanThreshold": "<=", "GreaterThanOrEqualToThreshold": "<"}[comparison]
	return fmt.Sprintf("(%s)*(1-(m%s(t*0+%s)))", open, healthy, strconv.FormatFloat(threshold, 'f', -1, 64))
}

// CalendarWarningDays is how long before a session's holiday calendar ends
// the platform refuses to synthesize prod (Props.CalendarDays).
const CalendarWarningDays = 60

// CheckSessions reports, as of now, what would make an idle alarm's gate
// wrong for any of the sessions, named prefix[i] (e.g. "sessions[0]"):
//   - a time zone that is not a canonical IANA name with its rules;
//   - a watched window shorter than the idle alarms' evaluation window
//     (IdleEvaluationMinutes with overrides): it could never page;
//   - a watched window's start or end that some trading day before the
//     horizon skips or repeats (a daylight-saving gap or overlap);
//   - with calendarDays > 0, a holiday calendar that ends within
//     calendarDays of now (Session.CalendarEnd), or none at all.
func CheckSessions(prefix string, sessions []Session, now time.Time, overrides map[string]Override, calendarDays int) error {
	l := problems.List{Subject: "configuration"}
	evalMinutes := IdleEvaluationMinutes(overrides)
	for i, s := range sessions {
		checkSession(&l, fmt.Sprintf("%s[%d]", prefix, i), s, now, evalMinutes, calendarDays)
	}
	return l.Err()
}

// CheckGate says what keeps the gate of an alarm that watches all of
// sessions from fitting CloudWatch's limits of one alarm, or "".
func CheckGate(sessions []Session, now time.Time) string {
	queries, open := gate(sessions, now)
	if n := len(queries) + 1; n > maxExpressions {
		return fmt.Sprintf("at most %d sessions per alarm (a region's alarms watch its sessions, the ingest's every session): each takes 2 of the %d expressions a CloudWatch alarm may hold (the gate of %d sessions takes %d)", (maxExpressions-2)/2, maxExpressions, len(sessions), n)
	}
	for _, q := range append(queries, gateQuery{"silent", silentExpression(open, "LessThanThreshold", 1e9)}) {
		if len(q.Expression) > maxExpressionLength {
			return fmt.Sprintf("sessions whose gate fits CloudWatch's %d characters per expression: %s takes %d (fewer holidays or transitions ahead, i.e. a shorter calendar)", maxExpressionLength, q.ID, len(q.Expression))
		}
	}
	return ""
}

// IdleEvaluationMinutes is the longest evaluation window of the idle
// alarms, with overrides.
func IdleEvaluationMinutes(overrides map[string]Override) int {
	longest := 0
	for _, k := range Kinds() {
		for _, s := range Catalogue[k].Alarms {
			if s.Idle() {
				s = overrides[OverrideKey(k, s.Metric)].apply(s)
				longest = max(longest, s.EvaluationPeriods*s.PeriodSeconds/60)
			}
		}
	}
	return longest
}

func checkSession(l *problems.List, field string, s Session, now time.Time, evalMinutes, calendarDays int) {
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil || !canonicalZone(s.TimeZone) {
		l.Add(field+".timeZone", s.TimeZone, "a canonical IANA time zone with its daylight-saving rules, such as America/New_York "+
			"(not an abbreviation like EST, which never changes to daylight time, nor a right/ or posix/ variant)")
		return
	}
	for j, w := range s.Windows {
		if !w.Watch {
			continue
		}
		for _, b := range []struct {
			name string
			min  int
		}{{"start", w.Start}, {"end", w.End}} {
			if d, what := unclearLocalTime(s, loc, now, b.min); what != "" {
				l.Add(fmt.Sprintf("%s.windows[%d].%s", field, j, b.name), fmt.Sprintf("%02d:%02d", b.min/60, b.min%60),
					fmt.Sprintf("a time of day that occurs exactly once on every trading day: on %s it %s in %s", d, what, s.TimeZone))
			}
		}
	}
	for _, sp := range s.Watched() {
		if sp[1]-sp[0] < evalMinutes {
			l.Add(field+".windows", fmt.Sprintf("%02d:%02d-%02d:%02d watched", sp[0]/60, sp[0]%60, sp[1]/60, sp[1]%60),
				fmt.Sprintf("watched windows of at least %d minutes: an idle alarm needs that many silent minutes to fire, so a shorter window would never page", evalMinutes))
		}
	}
	if calendarDays > 0 {
		end, ok := s.CalendarEnd()
		switch {
		case !ok:
			l.Add(field+".holidays", "[]", "the market's holidays: without them the idle alarms page on every holiday")
		case end.Before(now.AddDate(0, 0, calendarDays)):
			l.Add(field+".holidays", "through "+end.Format("2006-01-02"), fmt.Sprintf("a holiday calendar that runs at least %d days past today (%s): add next year's holidays, or the idle alarms page on them", calendarDays, now.Format("2006-01-02")))
		}
	}
}

// canonicalZone tells a canonical IANA name (Area/Location, or UTC) from
// legacy abbreviations (EST, US/Eastern stays a link but is legacy too)
// and the right/ and posix/ variants.
func canonicalZone(name string) bool {
	if name == "UTC" || name == "Etc/UTC" {
		return true
	}
	area, _, ok := strings.Cut(name, "/")
	switch area {
	case "Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific":
		return ok
	}
	return false
}

// unclearLocalTime finds a trading day before the session's horizon on
// which minute (after midnight) does not exist (a daylight-saving gap) or
// exists twice (an overlap), and says which.
func unclearLocalTime(s Session, loc *time.Location, now time.Time, minute int) (string, string) {
	h, m := (minute/60)%24, minute%60
	if minute == 24*60 {
		return "", ""
	}
	y, mo, d := now.In(loc).Date()
	until := s.horizon(now)
	for t := time.Date(y, mo, d, 12, 0, 0, 0, loc); t.Before(until); t = t.AddDate(0, 0, 1) {
		if !slices.Contains(s.Days, weekdays[t.Weekday()]) {
			continue
		}
		y, mo, d := t.Date()
		at := time.Date(y, mo, d, h, m, 0, 0, loc)
		if at.Hour() != h || at.Minute() != m {
			return t.Format("2006-01-02"), "does not exist (clocks skip it)"
		}
		for _, shift := range []time.Duration{-time.Hour, -30 * time.Minute, 30 * time.Minute, time.Hour} {
			o := at.Add(shift)
			if o.Hour() == h && o.Minute() == m && o.Day() == d {
				return t.Format("2006-01-02"), "occurs twice (clocks go back over it)"
			}
		}
	}
	return "", ""
}
