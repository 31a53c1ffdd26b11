package alarms

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	// Schedules' time zones are checked against the embedded zone
	// database, the same on every machine.
	_ "time/tzdata"

	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/valid"
)

// severityOfTopic reads a severity from an alarm topic's name (TopicName).
func severityOfTopic(name string) (Severity, bool) {
	for _, sev := range Severities {
		if strings.HasSuffix(name, TopicName("", sev)) {
			return sev, true
		}
	}
	return "", false
}

var (
	cronPattern = regexp.MustCompile(`^cron\((\d{1,2}) (\d{1,2}) \? \* ([A-Z,]+) \*\)$`)
	atPattern   = regexp.MustCompile(`^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$`)
)

// checkSchedule says what is wrong with one session schedule's expression,
// time zone and target; it returns the alarm names it targets.
func checkSchedule(props map[string]any) (action string, names []string, out []string) {
	expr, _ := props["ScheduleExpression"].(string)
	if m := cronPattern.FindStringSubmatch(expr); m != nil {
		min, _ := strconv.Atoi(m[1])
		hour, _ := strconv.Atoi(m[2])
		if min > 59 || hour > 23 {
			out = append(out, fmt.Sprintf("cron %q has no such time of day", expr))
		}
		for _, d := range strings.Split(m[3], ",") {
			if !strings.Contains("SUN,MON,TUE,WED,THU,FRI,SAT", d) || len(d) != 3 {
				out = append(out, fmt.Sprintf("cron %q has an unknown day %q (want SUN to SAT)", expr, d))
			}
		}
	} else if m := atPattern.FindStringSubmatch(expr); m != nil {
		if _, err := time.Parse("2006-01-02T15:04:05", m[1]); err != nil {
			out = append(out, fmt.Sprintf("at() %q is not a date and time", expr))
		}
	} else {
		out = append(out, fmt.Sprintf("expression %q is neither cron(M H ? * DAYS *) nor at(YYYY-MM-DDTHH:MM:SS)", expr))
	}
	zone, _ := props["ScheduleExpressionTimezone"].(string)
	if _, err := time.LoadLocation(zone); err != nil || zone == "" || zone == "Local" {
		out = append(out, fmt.Sprintf("time zone %q is not an IANA time zone", zone))
	}
	if fw, _ := props["FlexibleTimeWindow"].(map[string]any); fw["Mode"] != "OFF" {
		out = append(out, fmt.Sprintf("flexible time window %v, want OFF (the day's calls are a minute apart)", fw["Mode"]))
	}
	target, _ := props["Target"].(map[string]any)
	arn := cfn.ARN(target["Arn"])
	if action = universalTargetAction(arn); action == "" {
		return "", nil, append(out, fmt.Sprintf("target %q is not one of CloudWatch's enableAlarmActions, disableAlarmActions or setAlarmState", arn))
	}
	var in struct {
		AlarmNames []string
		AlarmName  string
		StateValue string
	}
	input, _ := target["Input"].(string)
	if err := json.Unmarshal([]byte(input), &in); err != nil {
		return action, nil, append(out, fmt.Sprintf("input %q is not JSON: %v", input, err))
	}
	names = in.AlarmNames
	if action == ActionSetState {
		names = []string{in.AlarmName}
		if in.StateValue != "OK" {
			out = append(out, fmt.Sprintf("sets state %q, want OK (re-arming)", in.StateValue))
		}
	}
	if len(names) == 0 || len(names) > 100 {
		out = append(out, fmt.Sprintf("names %d alarms, want 1 to 100", len(names)))
	}
	return action, names, out
}

// universalTargetAction is the CloudWatch action of the schedules that a
// Scheduler target ARN calls (UniversalTarget, in any partition; a partition
// token, as cfn.ARN writes it, is "*"), or "".
func universalTargetAction(arn string) string {
	rest, ok := strings.CutPrefix(arn, "arn:")
	partition, rest, _ := strings.Cut(rest, ":")
	if !ok || !valid.Partition(partition) && partition != "*" {
		return ""
	}
	for _, a := range []string{ActionEnable, ActionDisable, ActionSetState} {
		if rest == strings.TrimPrefix(UniversalTarget("", a), "arn::") {
			return a
		}
	}
	return ""
}

// checkRouting reports every alarm that does not route to exactly one
// severity's topic, every alarm with its actions off that is not an idle
// alarm turned on and off by session schedules (enable, disable and re-arm),
// and every schedule that is broken or targets an alarm the stack does not
// have as an idle alarm.
func checkRouting(stacks []cfn.Stack) []Finding {
	var out []Finding
	for _, s := range stacks {
		problems, idle, alarms := checkAlarmSeverities(s)
		out = append(out, problems...)
		out = append(out, checkIdleSchedules(s, idle, alarms)...)
	}
	return out
}

// topicSeverities maps a template's alarm topics, by logical ID, to their
// severities.
func topicSeverities(t cfn.Template) map[string]Severity {
	topics := map[string]Severity{}
	for _, r := range t.Resources("AWS::SNS::Topic") {
		if n, ok := r.Props["TopicName"].(string); ok {
			if sev, ok := severityOfTopic(n); ok {
				topics[r.LogicalID] = sev
			}
		}
	}
	return topics
}

// checkAlarmSeverities reports the alarms of s that do not act on exactly
// one severity's topic, and those with their actions off that are not idle
// alarms. It returns the names of the idle alarms with their actions off,
// and every alarm.
func checkAlarmSeverities(s cfn.Stack) (out []Finding, idle map[string]bool, alarms []cfn.Resource) {
	topics := topicSeverities(s.Template)
	severityOf := func(v any) (Severity, bool) {
		if id := cfn.Ref(v); id != "" {
			sev, ok := topics[id]
			return sev, ok
		}
		if arn := cfn.ARN(v); arn != "" {
			return severityOfTopic(arn[strings.LastIndex(arn, ":")+1:])
		}
		return "", false
	}
	idle = map[string]bool{} // alarm names with actions off, breaching on missing data
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
				var got []string
				for sev := range sevs {
					got = append(got, string(sev))
				}
				sort.Strings(got)
				out = append(out, findingOn(s, r, GapSeverity, fmt.Sprintf("alarm %s has severities %v (actions on other topics: %d), want exactly one of %s", r.LogicalID, got, len(unknown), joinSeverities())))
			}
			alarms = append(alarms, r)
			if r.Props["ActionsEnabled"] == false {
				if r.Props["TreatMissingData"] != "breaching" {
					out = append(out, findingOn(s, r, GapActionsOff, fmt.Sprintf("alarm %s has its actions off but is not an idle alarm: only idle alarms act by session, every other alarm always acts", r.LogicalID)))
				}
				name, _ := r.Props["AlarmName"].(string)
				idle[name] = true
			}
		}
	}
	return out, idle, alarms
}

// checkIdleSchedules reports the schedules of s that target anything but
// idle alarms with their actions off, and the idle alarms that are not
// enabled, disabled and re-armed by schedules every day.
func checkIdleSchedules(s cfn.Stack, idle map[string]bool, alarms []cfn.Resource) []Finding {
	var out []Finding
	seen := map[string]map[string]bool{ActionEnable: {}, ActionDisable: {}, ActionSetState: {}}
	for _, r := range s.Template.Resources("AWS::Scheduler::Schedule") {
		action, targets, problems := checkSchedule(r.Props)
		for _, p := range problems {
			out = append(out, findingOn(s, r, GapSchedule, "schedule "+r.LogicalID+": "+p))
		}
		for _, n := range targets {
			if !idle[n] {
				out = append(out, findingOn(s, r, GapSchedule, fmt.Sprintf("schedule %s: targets %q, which is not an idle alarm of the stack with its actions off", r.LogicalID, n)))
			}
			if expr, _ := r.Props["ScheduleExpression"].(string); action == ActionDisable && !strings.HasPrefix(expr, "cron(") {
				continue // a holiday's: the close is what turns them off every day
			}
			if action != "" {
				seen[action][n] = true
			}
		}
	}
	for _, r := range alarms {
		n, _ := r.Props["AlarmName"].(string)
		if !idle[n] {
			continue
		}
		for _, a := range []string{ActionEnable, ActionDisable, ActionSetState} {
			if !seen[a][n] {
				out = append(out, findingOn(s, r, GapUnscheduled, fmt.Sprintf("idle alarm %s has its actions off but no daily schedule calls %s on it", n, a)))
			}
		}
	}
	return out
}
