package stacks

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
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

// sessionsWidget is a dashboard text widget listing the sessions the
// region's idle alarms watch: their windows in the market's time zone, the
// watched ones marked, and the next holidays.
func sessionsWidget(ss []config.Session) awscloudwatch.TextWidget {
	var b strings.Builder
	b.WriteString("## Trading sessions\n\nIdle (\"nothing arrived\") alarms page only in the **watched** windows, on trading days, outside holidays. Times are the market's local time.\n\n| Session | Time zone | Days | Windows | Holidays |\n|---|---|---|---|---|\n")
	for _, s := range ss {
		watched := func(t string) string { return "**" + t + " (watched)**" }
		fmt.Fprintf(&b, "| %s (%s) | %s | %s | %s | %d listed, %s to %s |\n", s.Name, s.Market, s.TimeZone, strings.Join(s.Days, " "), s.WindowList(watched), len(s.Holidays), first(s.Holidays), last(s.Holidays))
	}
	return alarms.Text(b.String())
}

func first(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return l[0]
}

func last(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return l[len(l)-1]
}
