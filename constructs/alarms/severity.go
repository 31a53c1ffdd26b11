package alarms

import (
	"strings"
)

// Severity is who an alarm wakes: each alarm has exactly one, and each
// severity has its own alarm topic per region.
type Severity string

// The severities. Page: something is lost, stalled or refused now (a
// dead-letter arrival, executions not reaching a region, a failing
// redistributor or function, 5xx from an API, throttling, a growing
// backlog, nothing arriving during a trading session). Notify: everything
// else.
const (
	SeverityPage   Severity = "page"
	SeverityNotify Severity = "notify"
)

// Severities lists the severities, most urgent first.
var Severities = []Severity{SeverityPage, SeverityNotify}

// Idle reports whether the alarm means "nothing arrived": missing data is
// breaching, so it fires whenever nothing flows, which outside trading
// sessions is the normal state. With Props.Sessions, an idle alarm's own
// expression keeps it quiet outside them (sessions.go).
func (s Spec) Idle() bool { return s.TreatMissingData == "breaching" }

func joinSeverities() string {
	names := make([]string, len(Severities))
	for i, s := range Severities {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
