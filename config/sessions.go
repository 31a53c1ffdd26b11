package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/brokerage/platform/problems"
)

// Session is when a market trades: the idle "nothing arrived" alarms act
// only inside its watched windows, on its trading days, outside its holidays.
type Session struct {
	// Name is 1 to 10 lower-case letters or digits, starting with a letter
	// (alarm labels and dashboards show it), unique, e.g. "us".
	Name string `json:"name"`
	// Market is what trades, for humans (dashboards, the runbook).
	Market string `json:"market"`
	// TimeZone is the canonical IANA time zone of the market's clock, e.g.
	// "America/New_York"; windows and holidays are in it, daylight saving
	// time included (an abbreviation such as EST has none, and is refused).
	TimeZone string `json:"timeZone"`
	// Days are the trading days: MON, TUE, WED, THU, FRI, SAT or SUN, each once.
	Days []string `json:"days"`
	// Windows of the trading day, in order, not overlapping, each within one
	// day (start before end).
	Windows []Window `json:"windows"`
	// Holidays are dates (YYYY-MM-DD) on trading days when the market is
	// closed all day: idle alarms do not act then.
	Holidays []string `json:"holidays,omitempty"`
}

// Window is one part of the trading day, e.g. pre-market, regular, after-hours.
type Window struct {
	// Name, e.g. "regular"; unique within the session.
	Name string `json:"name"`
	// Start as HH:MM (24-hour clock) in the session's time zone.
	Start string `json:"start"`
	// End as HH:MM, after Start on the same day.
	End string `json:"end"`
	// Watch makes silence during the window an outage: the idle alarms act
	// in it. At least one window of a session is watched.
	Watch bool `json:"watch,omitempty"`
}

// WindowList lists the session's windows as "<name> <start>-<end>", each
// watched one passed through watched (e.g. to mark it in a table).
func (s Session) WindowList(watched func(string) string) string {
	ws := make([]string, len(s.Windows))
	for i, w := range s.Windows {
		ws[i] = fmt.Sprintf("%s %s-%s", w.Name, w.Start, w.End)
		if w.Watch {
			ws[i] = watched(ws[i])
		}
	}
	return strings.Join(ws, ", ")
}

// Weekdays are the day names the configuration (and EventBridge Scheduler's
// cron expressions) use, Sunday first as in time.Weekday.
var Weekdays = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

var sessionNamePattern = regexp.MustCompile(`^[a-z][a-z0-9]{0,9}$`)

// ClockMinutes parses HH:MM into minutes after midnight.
func ClockMinutes(s string) (int, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// SessionsOf returns the sessions a region watches: those it names, or every
// configured session when it names none.
func (c *Config) SessionsOf(r Region) []Session {
	if len(r.Sessions) == 0 {
		return c.Sessions
	}
	var out []Session
	for _, s := range c.Sessions {
		if slices.Contains(r.Sessions, s.Name) {
			out = append(out, s)
		}
	}
	return out
}

func (c *Config) validateSessions(l *problems.List) {
	names := map[string]bool{}
	for i, s := range c.Sessions {
		f := fmt.Sprintf("sessions[%d]", i)
		l.Distinct(names, f+".name", s.Name, sessionNamePattern.MatchString(s.Name),
			"1 to 10 lower-case letters or digits, starting with a letter",
			"a name no other session has")
		if strings.TrimSpace(s.Market) == "" {
			l.Add(f+".market", s.Market, "what trades in the session, e.g. \"NYSE and Nasdaq\"")
		}
		// The time zone is the alarms' to judge (alarms.CheckSessions):
		// they turn it into the gate of the idle alarms.
		days := map[string]bool{}
		if len(s.Days) == 0 {
			l.Add(f+".days", "[]", "at least one trading day")
		}
		for j, d := range s.Days {
			l.Distinct(days, fmt.Sprintf("%s.days[%d]", f, j), d, slices.Contains(Weekdays, d), "one of "+strings.Join(Weekdays, ", "), "each day listed once")
		}
		validateWindows(f, s.Windows, l)
		seen := map[string]bool{}
		for j, h := range s.Holidays {
			hf := fmt.Sprintf("%s.holidays[%d]", f, j)
			d, err := time.Parse("2006-01-02", h)
			if !l.Distinct(seen, hf, h, err == nil, "a date as YYYY-MM-DD", "each date listed once") {
				continue
			}
			if len(days) > 0 && !days[Weekdays[d.Weekday()]] {
				l.Add(hf, h, fmt.Sprintf("a trading day (%s); it is a %s", strings.Join(s.Days, ", "), d.Weekday()))
			}
		}
	}
	for i, r := range c.Regions {
		for j, name := range r.Sessions {
			if !names[name] {
				l.Add(fmt.Sprintf("regions[%d].sessions[%d]", i, j), name, "the name of a session in sessions")
			}
		}
	}
}

func validateWindows(f string, ws []Window, l *problems.List) {
	if len(ws) == 0 {
		l.Add(f+".windows", "[]", "at least one window")
		return
	}
	names := map[string]bool{}
	watched := false
	prevEnd, prevName := -1, ""
	for j, w := range ws {
		wf := fmt.Sprintf("%s.windows[%d]", f, j)
		want := "a name no other window of the session has, e.g. \"regular\""
		l.Distinct(names, wf+".name", w.Name, strings.TrimSpace(w.Name) != "", want, want)
		watched = watched || w.Watch
		start, okS := ClockMinutes(w.Start)
		end, okE := ClockMinutes(w.End)
		if !okS {
			l.Add(wf+".start", w.Start, "a time of day as HH:MM, e.g. 09:30")
		}
		if !okE {
			l.Add(wf+".end", w.End, "a time of day as HH:MM, e.g. 16:00")
		}
		if !okS || !okE {
			continue
		}
		switch {
		case end <= start:
			l.Add(wf+".end", w.End, "a time after the window's start "+w.Start+" on the same day")
		case start < prevEnd:
			l.Add(wf+".start", w.Start, fmt.Sprintf("no earlier than the end of the window before it (%s ends at %02d:%02d): windows are in order and do not overlap", prevName, prevEnd/60, prevEnd%60))
		}
		if end > start {
			prevEnd, prevName = end, w.Name
		}
	}
	if !watched {
		l.Add(f+".windows", len(ws), "at least one window with \"watch\": true (when silence is an outage)")
	}
}
