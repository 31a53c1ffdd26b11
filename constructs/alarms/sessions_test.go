package alarms_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/brokerage/platform/internal/metricmath"
	"github.com/brokerage/platform/problems"
)

// now is when the test app is synthesized.
var now = cfntest.Now

// markets are sessions in the five time zones the platform's markets trade
// in, each with holidays; the tests below cross their daylight-saving
// transitions.
var markets = []alarms.Session{
	{Name: "us", Market: "NYSE", TimeZone: "America/New_York", Days: weekdays, Holidays: []string{"2027-03-26", "2027-11-25"},
		Windows: []alarms.Window{{Name: "pre", Start: 4 * 60, End: 9*60 + 30}, {Name: "regular", Start: 9*60 + 30, End: 16 * 60, Watch: true}}},
	{Name: "asx", Market: "ASX", TimeZone: "Australia/Sydney", Days: weekdays, Holidays: []string{"2027-03-26", "2027-12-27"},
		Windows: []alarms.Window{{Name: "regular", Start: 10 * 60, End: 16 * 60, Watch: true}}},
	{Name: "nzx", Market: "NZX", TimeZone: "Pacific/Auckland", Days: weekdays, Holidays: []string{"2027-04-26", "2027-10-25"},
		Windows: []alarms.Window{{Name: "regular", Start: 10 * 60, End: 16*60 + 45, Watch: true}}},
	{Name: "lse", Market: "LSE", TimeZone: "Europe/London", Days: weekdays, Holidays: []string{"2027-03-29", "2027-12-27"},
		Windows: []alarms.Window{{Name: "regular", Start: 8 * 60, End: 16*60 + 30, Watch: true}}},
	{Name: "b3", Market: "B3", TimeZone: "America/Sao_Paulo", Days: weekdays, Holidays: []string{"2027-02-08", "2027-11-15"},
		Windows: []alarms.Window{{Name: "regular", Start: 10 * 60, End: 17 * 60, Watch: true}}},
}

var weekdays = []string{"MON", "TUE", "WED", "THU", "FRI"}

var (
	gatedOnce sync.Once
	gated     map[string]metricmath.Alarm // session name -> its consumer queue's idle alarm
)

// idleAlarm synthesizes, once, one stack per market whose alarms watch
// that market's session, and returns the idle alarm of session name.
func idleAlarm(t *testing.T, name string) metricmath.Alarm {
	t.Helper()
	gatedOnce.Do(func() {
		app := cfn.NewApp(t.TempDir())
		for _, s := range markets {
			stack := cfntest.StackIn(app, s.Name, "eu-west-2")
			al := alarms.New(stack, "Alarms", &alarms.Props{Prefix: "p-dev", Now: now, Sessions: []alarms.Session{s},
				Recipients: map[alarms.Severity]alarms.Recipients{alarms.SeverityPage: {Emails: []string{"a@example.com"}}, alarms.SeverityNotify: {Emails: []string{"a@example.com"}}}})
			q := awssqs.NewQueue(stack, jsii.String("Holdings"), nil)
			al.Watch(q, alarms.Target{Kind: alarms.KindConsumerQueue, Label: "holdings", Metrics: alarms.QueueMetrics(*q.QueueName())})
		}
		asm := cfn.Synth(app)
		gated = map[string]metricmath.Alarm{}
		for _, s := range markets {
			for _, r := range asm.Stack(s.Name).Template.Resources("AWS::CloudWatch::Alarm") {
				if r.Props["AlarmName"] == "p-dev-holdings-NumberOfMessagesSent" {
					gated[s.Name] = metricmath.Alarm{Props: r.Props}
				}
			}
		}
	})
	a, ok := gated[name]
	if !ok {
		t.Fatalf("no idle alarm for session %s", name)
	}
	return a
}

// inSession is the oracle, by Go's own zone database: whether the minute
// starting at u is inside the session's watched windows, on a trading day
// that is not a holiday, in the market's local time.
func inSession(s alarms.Session, u time.Time) bool {
	loc, _ := time.LoadLocation(s.TimeZone)
	lt := u.In(loc)
	if !slices.Contains(s.Days, []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}[lt.Weekday()]) || slices.Contains(s.Holidays, lt.Format("2006-01-02")) {
		return false
	}
	m := lt.Hour()*60 + lt.Minute()
	for _, w := range s.Watched() {
		if m >= w[0] && m < w[1] {
			return true
		}
	}
	return false
}

// silentMinutes evaluates the alarm's expression, with no datapoint at all
// (a queue idle for hours publishes none), for every minute of the week
// starting at from.
func silentMinutes(t *testing.T, a metricmath.Alarm, from time.Time, minutes int) []float64 {
	t.Helper()
	ts := make([]int64, minutes)
	for i := range ts {
		ts[i] = from.Add(time.Duration(i) * time.Minute).Unix()
	}
	v, err := a.Values(metricmath.Data{}, ts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// For every minute of the weeks around each market's daylight-saving
// transitions (both ways), a holiday and an ordinary week, the alarm's own
// expression is 1 exactly inside the session's watched window, in the
// market's local time. São Paulo has had no daylight saving time since
// 2019: its offset must stay at UTC-3 across the dates it once changed.
func TestGateFollowsEachMarketsClockAcrossDaylightSaving(t *testing.T) {
	weeks := map[string][]string{ // Mondays (UTC) of weeks to check
		"us":  {"2027-03-08", "2027-03-15", "2027-03-22", "2027-11-01", "2027-11-08", "2027-11-22"},
		"asx": {"2027-03-22", "2027-03-29", "2027-04-05", "2027-09-27", "2027-10-04"},
		"nzx": {"2027-03-29", "2027-04-05", "2027-04-26", "2027-09-20", "2027-09-27"},
		"lse": {"2027-03-22", "2027-03-29", "2027-10-25", "2027-11-01"},
		"b3":  {"2027-02-08", "2027-02-15", "2027-10-18", "2027-11-01", "2027-11-15"},
	}
	for _, s := range markets {
		t.Run(s.Name, func(t *testing.T) {
			a := idleAlarm(t, s.Name)
			for _, w := range weeks[s.Name] {
				// From the Sunday before, UTC, for 8 days: every local
				// Monday to Friday of that week in any time zone.
				from, _ := time.Parse("2006-01-02", w)
				from = from.AddDate(0, 0, -1)
				got := silentMinutes(t, a, from, 8*24*60)
				var wrong []string
				for i, v := range got {
					u := from.Add(time.Duration(i) * time.Minute)
					if want := inSession(s, u); (v == 1) != want || (v != 0 && v != 1) {
						wrong = append(wrong, fmt.Sprintf("%s (%s local): %v, want in session %v", u.Format(time.RFC3339), u.In(must(time.LoadLocation(s.TimeZone))).Format("Mon 15:04"), v, want))
					}
				}
				if len(wrong) > 0 {
					t.Errorf("week of %s: %d minutes wrong, first: %v", w, len(wrong), wrong[:min(3, len(wrong))])
				}
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// The window's first minute is in, the minute before it out; its last
// minute is in, its end out: checked at each market's local open and close
// on the first trading day after each transition.
func TestGateOpensAtTheFirstMinuteAndClosesAfterTheLast(t *testing.T) {
	for _, tc := range []struct {
		session, day string // a local trading day right after a transition
	}{
		{"us", "2027-03-15"}, {"us", "2027-11-08"},
		{"asx", "2027-04-05"}, {"asx", "2027-10-04"},
		{"nzx", "2027-04-05"}, {"nzx", "2027-09-27"},
		{"lse", "2027-03-30"}, {"lse", "2027-11-01"},
		{"b3", "2027-02-22"}, {"b3", "2027-11-08"},
	} {
		t.Run(tc.session+" "+tc.day, func(t *testing.T) {
			s := markets[slices.IndexFunc(markets, func(m alarms.Session) bool { return m.Name == tc.session })]
			if slices.Contains(s.Holidays, tc.day) {
				t.Fatalf("%s is a holiday of %s", tc.day, s.Name)
			}
			loc := must(time.LoadLocation(s.TimeZone))
			d := must(time.ParseInLocation("2006-01-02", tc.day, loc))
			w := s.Watched()[0]
			at := func(minute int) time.Time { return d.Add(time.Duration(minute) * time.Minute) }
			a := idleAlarm(t, s.Name)
			for _, c := range []struct {
				what string
				min  int
				want float64
			}{{"minute before the open", w[0] - 1, 0}, {"first minute", w[0], 1}, {"last minute", w[1] - 1, 1}, {"end", w[1], 0}} {
				if got := silentMinutes(t, a, at(c.min), 1)[0]; got != c.want {
					t.Errorf("%s (%s local, %s UTC): %v, want %v", c.what, at(c.min).Format("15:04"), at(c.min).UTC().Format("15:04"), got, c.want)
				}
			}
		})
	}
}

// The alarm itself: with nothing arriving, it pages once 15 minutes of the
// session have passed in silence, not before; on a holiday and outside the
// session it stays quiet; one arrival a minute keeps it quiet inside.
func TestIdleAlarmPagesAfterFifteenSilentMinutesOfASession(t *testing.T) {
	s := markets[0] // New York, 09:30-16:00
	a := idleAlarm(t, s.Name)
	loc := must(time.LoadLocation(s.TimeZone))
	open := time.Date(2027, 3, 15, 9, 30, 0, 0, loc) // the Monday after the spring transition
	first, ok, err := a.FirstAlarm(metricmath.Data{}, open.Add(-2*time.Hour), open.Add(time.Hour))
	if err != nil || !ok || !first.Equal(open.Add(15*time.Minute)) {
		t.Errorf("with no data, first ALARM at %v (%v, %v), want %v: 15 silent minutes after the open", first.In(loc), ok, err, open.Add(15*time.Minute))
	}
	night := time.Date(2027, 3, 15, 18, 0, 0, 0, loc)
	if at, ok, _ := a.FirstAlarm(metricmath.Data{}, open.Add(7*time.Hour), night.Add(14*time.Hour)); ok {
		t.Errorf("with no data, ALARM at %v outside the session", at.In(loc))
	}
	goodFriday := time.Date(2027, 3, 26, 0, 0, 0, 0, loc)
	if at, ok, _ := a.FirstAlarm(metricmath.Data{}, goodFriday, goodFriday.Add(24*time.Hour)); ok {
		t.Errorf("ALARM at %v on a holiday", at.In(loc))
	}
	busy := metricmath.Data{"NumberOfMessagesSent": {}}
	for m := open.Add(-time.Hour); m.Before(open.Add(7 * time.Hour)); m = m.Add(time.Minute) {
		busy["NumberOfMessagesSent"][m.UTC()] = 3
	}
	if at, ok, _ := a.FirstAlarm(busy, open, open.Add(7*time.Hour)); ok {
		t.Errorf("with arrivals every minute, ALARM at %v", at.In(loc))
	}
	// One quiet stretch of 14 minutes does not page; 15 do.
	quiet := metricmath.Data{"NumberOfMessagesSent": {}}
	for m := open; m.Before(open.Add(7 * time.Hour)); m = m.Add(time.Minute) {
		if gap := m.Sub(open.Add(time.Hour)); gap < 0 || gap >= 14*time.Minute && gap < time.Hour || gap >= time.Hour+15*time.Minute {
			quiet["NumberOfMessagesSent"][m.UTC()] = 1
		}
	}
	at, ok, _ := a.FirstAlarm(quiet, open, open.Add(7*time.Hour))
	if want := open.Add(2*time.Hour + 15*time.Minute); !ok || !at.Equal(want) {
		t.Errorf("after a 14-minute and a 15-minute silence, first ALARM at %v (%v), want %v", at.In(loc), ok, want.In(loc))
	}
}

// Windows that would make the gate wrong, and calendars that run out, are
// refused with the field, the value and what is expected.
func TestSessionsThatTheGateCannotFollowAreRefused(t *testing.T) {
	base := markets[0]
	for _, tc := range []struct {
		name   string
		edit   func(s *alarms.Session)
		days   int
		fields []string
	}{
		{"legacy abbreviation", func(s *alarms.Session) { s.TimeZone = "EST" }, 0, []string{"s[0].timeZone"}},
		{"posix variant", func(s *alarms.Session) { s.TimeZone = "posix/America/New_York" }, 0, []string{"s[0].timeZone"}},
		{"start in the spring gap, end in the autumn overlap", func(s *alarms.Session) {
			s.Days = []string{"SUN"}
			s.Holidays = nil
			s.Windows = []alarms.Window{{Name: "night", Start: 2*60 + 30, End: 60 + 45, Watch: true}}
			s.Windows[0].Start, s.Windows[0].End = 60+30, 2*60+30 // 01:30 repeats in November, 02:30 is skipped in March
		}, 0, []string{"s[0].windows[0].start", "s[0].windows[0].end"}},
		{"window shorter than the evaluation window", func(s *alarms.Session) {
			s.Windows = []alarms.Window{{Name: "auction", Start: 16 * 60, End: 16*60 + 10, Watch: true}}
		}, 0, []string{"s[0].windows"}},
		{"calendar ends within 60 days", func(s *alarms.Session) { s.Holidays = []string{"2026-12-25"} }, alarms.CalendarWarningDays, []string{"s[0].holidays"}},
		{"no calendar where one is required", func(s *alarms.Session) { s.Holidays = nil }, alarms.CalendarWarningDays, []string{"s[0].holidays"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			s.Windows = slices.Clone(base.Windows)
			tc.edit(&s)
			err := alarms.CheckSessions("s", []alarms.Session{s}, now, nil, tc.days)
			perr, ok := err.(*problems.Error)
			if !ok {
				t.Fatalf("CheckSessions = %v, want problems with %v", err, tc.fields)
			}
			if got := perr.Fields(); !slices.Equal(got, tc.fields) {
				t.Errorf("fields %v, want %v:\n%v", got, tc.fields, err)
			}
		})
	}
	if err := alarms.CheckSessions("s", markets, now, nil, alarms.CalendarWarningDays); err != nil {
		t.Errorf("the five markets: %v", err)
	}
}

// An alarm holds at most 10 expressions: five sessions do not fit one gate.
func TestGateOfTooManySessionsIsRefused(t *testing.T) {
	if want := alarms.CheckGate(markets[:4], now); want != "" {
		t.Errorf("four sessions: %s", want)
	}
	if want := alarms.CheckGate(markets, now); want == "" {
		t.Error("five sessions fit, want them refused")
	}
}
