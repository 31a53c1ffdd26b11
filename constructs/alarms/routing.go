package alarms

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/brokerage/platform/internal/cfn"
)

// checkAlarmSeverities reports the alarms of s that do not act on exactly
// one severity's topic, and those with their actions off: an alarm that
// should be quiet at times (idle alarms outside their sessions) says so in
// its own expression, never by switching its actions off.
func checkAlarmSeverities(s cfn.Stack) (out []Finding) {
	topics := map[string]string{} // the template's topics' names, by logical ID
	for _, r := range s.Template.Resources("AWS::SNS::Topic") {
		topics[r.LogicalID], _ = r.Props["TopicName"].(string)
	}
	// An action is a topic of the template (a reference) or an ARN; an
	// alarm topic's name (TopicName) ends in its severity's suffix.
	severityOf := func(v any) (Severity, bool) {
		name := topics[cfn.Ref(v)]
		if arn := cfn.ARN(v); arn != "" {
			name = cfn.ARNName(arn)
		}
		for _, sev := range Severities {
			if strings.HasSuffix(name, TopicName("", sev)) {
				return sev, true
			}
		}
		return "", false
	}
	for _, typ := range []string{"AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"} {
		for _, r := range s.Template.Resources(typ) {
			sevs := map[Severity]bool{}
			var unknown []string
			for _, key := range []string{"AlarmActions", "OKActions"} {
				acts, _ := r.Props[key].([]any)
				for _, a := range acts {
					if sev, ok := severityOf(a); ok {
						sevs[sev] = true
					} else {
						unknown = append(unknown, fmt.Sprint(a))
					}
				}
			}
			if len(sevs) != 1 || len(unknown) > 0 {
				got := slices.Sorted(maps.Keys(sevs))
				out = append(out, findingOn(s, r, GapSeverity, fmt.Sprintf("alarm %s has severities %v (actions on other topics: %d), want exactly one of %s", r.LogicalID, got, len(unknown), joinSeverities())))
			}
			if r.Props["ActionsEnabled"] == false {
				out = append(out, findingOn(s, r, GapActionsOff, fmt.Sprintf("alarm %s has its actions off: every alarm acts, and an idle alarm is quiet outside its sessions by its own expression", r.LogicalID)))
			}
		}
	}
	return out
}
