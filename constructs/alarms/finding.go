package alarms

import "github.com/brokerage/platform/internal/cfn"

// Gap is what a coverage finding says is missing or wrong.
type Gap string

// The gaps CheckCoverage finds.
const (
	// GapMissingAlarm: a resource lacks an alarm its kind requires.
	GapMissingAlarm Gap = "missing-alarm"
	// GapUnclassified: a resource of an alarmed type has no kind in the
	// catalogue, so nothing decides its alarms.
	GapUnclassified Gap = "unclassified"
	// GapAccountAlarm: a region runs functions but has no account-level
	// concurrency alarm.
	GapAccountAlarm Gap = "account-alarm"
	// GapNoActions: an alarm lacks ALARM or OK actions.
	GapNoActions Gap = "no-actions"
	// GapSeverity: an alarm does not act on exactly one severity's topic.
	GapSeverity Gap = "severity"
	// GapActionsOff: an alarm has its actions off.
	GapActionsOff Gap = "actions-off"
)

// Finding is one gap in the alarms of an app.
type Finding struct {
	Gap Gap
	// Stack is the stack the finding is in, "" for a region's finding.
	Stack string
	// Region is the stack's region, or the region a region's finding is
	// about (a stack without a region stands for its own).
	Region string
	// LogicalID and Type are the resource concerned (the resource without
	// an alarm, the alarm, the schedule); "" for a region's finding.
	LogicalID, Type string
	// Kind is the resource's kind, when it has one; Metric the metric of
	// the missing alarm.
	Kind   Kind
	Metric string
	// Message says what is wrong, for a person.
	Message string
}

// String is the finding as one line: "<stack>: <message>", or the message
// alone for a region's finding.
func (f Finding) String() string {
	if f.Stack == "" {
		return f.Message
	}
	return f.Stack + ": " + f.Message
}

func findingOn(s cfn.Stack, r cfn.Resource, gap Gap, message string) Finding {
	return Finding{Gap: gap, Stack: s.Name, Region: s.Region, LogicalID: r.LogicalID, Type: r.Type, Message: message}
}
