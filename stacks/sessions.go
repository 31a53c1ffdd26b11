package stacks

import (
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/alarms"
)

// AlarmSessions converts the configuration's sessions for the alarms
// construct (times as minutes after midnight).
func AlarmSessions(ss []config.Session) []alarms.Session {
	var out []alarms.Session
	for _, s := range ss {
		as := alarms.Session{Name: s.Name, Market: s.Market, TimeZone: s.TimeZone, Days: s.Days, Holidays: s.Holidays}
		for _, w := range s.Windows {
			start, _ := config.ClockMinutes(w.Start)
			end, _ := config.ClockMinutes(w.End)
			as.Windows = append(as.Windows, alarms.Window{Name: w.Name, Start: start, End: end, Watch: w.Watch})
		}
		out = append(out, as)
	}
	return out
}
