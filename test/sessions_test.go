package test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/google/go-cmp/cmp"
)

// severityOf is the severity an alarm routes to, read from its actions: the
// topic it names (by Ref in its stack, by ARN in the region's other stacks).
func severityOf(tmpl cfn.Template, r cfn.Resource) string {
	acts, _ := r.Props["AlarmActions"].([]any)
	if len(acts) != 1 {
		return fmt.Sprintf("%d actions", len(acts))
	}
	name := ""
	if id := cfn.Ref(acts[0]); id != "" {
		topic, _ := tmpl.Resource(id)
		name, _ = topic.Props["TopicName"].(string)
	} else {
		arn := cfn.ARN(acts[0])
		name = arn[strings.LastIndex(arn, ":")+1:]
	}
	if strings.HasSuffix(name, "-alarms-page") {
		return "page"
	}
	if strings.HasSuffix(name, "-alarms") {
		return "notify"
	}
	return "topic " + name
}

// alarmsBySeverity lists a stack's alarm names (metric and composite) by severity.
func alarmsBySeverity(tmpl cfn.Template) map[string][]string {
	out := map[string][]string{}
	for _, typ := range []string{"AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"} {
		for _, r := range tmpl.Resources(typ) {
			sev := severityOf(tmpl, r)
			out[sev] = append(out[sev], r.Props["AlarmName"].(string))
		}
	}
	return out
}

func TestEveryCatalogueAlarmHasOneSeverity(t *testing.T) {
	if got := alarms.CheckSeverities(); len(got) != 0 {
		t.Fatalf("catalogue severities:\n%s", strings.Join(got, "\n"))
	}
	ks := alarms.Catalogue[alarms.KindAPIStage]
	was := ks.Alarms[1].Severity
	ks.Alarms[1].Severity = ""
	defer func() { ks.Alarms[1].Severity = was }()
	want := []string{`api-stage: alarm 5XXError has severity "", want one of page, notify`}
	if diff := cmp.Diff(want, alarms.CheckSeverities()); diff != "" {
		t.Errorf("a Spec without a severity (-want +got):\n%s", diff)
	}
}

// The alarms that page are what the runbook promises: arrivals in any
// dead-letter queue, executions not reaching a region, the redistributor's
// and functions' failures and throttles, API 5xx and 4xx (throttling, 429)
// shares, and backlogs (age and depth); they always act. Everything else
// notifies.
func TestPageAlarmsAreTheUrgentOnesAndAlwaysAct(t *testing.T) {
	for _, stack := range dev.Order {
		tmpl := dev.Templates[stack]
		for _, r := range append(tmpl.Resources("AWS::CloudWatch::Alarm"), tmpl.Resources("AWS::CloudWatch::CompositeAlarm")...) {
			if severityOf(tmpl, r) == "page" && r.Props["ActionsEnabled"] == false {
				t.Errorf("%s: page alarm %s has its actions off", stack, r.Props["AlarmName"])
			}
		}
	}
	page := func(stack string) []string {
		var out []string
		for _, n := range alarmsBySeverity(dev.Templates[stack])["page"] {
			out = append(out, strings.TrimPrefix(n, "brokerage-dev-"))
		}
		sort.Strings(out)
		return out
	}
	wantIngest := []string{
		"delivery-dlq-ap-southeast-2-ApproximateNumberOfMessagesVisible", "delivery-dlq-eu-west-2-ApproximateNumberOfMessagesVisible", "delivery-dlq-sa-east-1-ApproximateNumberOfMessagesVisible",
		"fanout-not-reaching-ap-southeast-2", "fanout-not-reaching-eu-west-2", "fanout-not-reaching-sa-east-1",
		"fanout-topic-NumberOfNotificationsFailedToRedriveToDlq", "fanout-topic-NumberOfNotificationsRedrivenToDlq",
		"ingest-ApproximateAgeOfOldestMessage", "ingest-ApproximateNumberOfMessagesVisible", "ingest-dlq-ApproximateNumberOfMessagesVisible",
		"redistributor-Errors", "redistributor-PublishFailures", "redistributor-Retries", "redistributor-Throttles",
	}
	if diff := cmp.Diff(wantIngest, page("brokerage-dev-ap-southeast-2-ingest")); diff != "" {
		t.Errorf("ingest page alarms (-want +got):\n%s", diff)
	}
	var wantRegional []string
	for _, c := range []string{"buying-power", "execution-emails", "holdings"} {
		wantRegional = append(wantRegional, c+"-ApproximateAgeOfOldestMessage", c+"-ApproximateNumberOfMessagesVisible", c+"-dlq-ApproximateNumberOfMessagesVisible")
	}
	wantRegional = append(wantRegional, "api-internal-4XXError", "api-internal-5XXError", "api-public-4XXError", "api-public-5XXError")
	sort.Strings(wantRegional)
	if diff := cmp.Diff(wantRegional, page("brokerage-dev-eu-west-2-regional")); diff != "" {
		t.Errorf("regional page alarms (-want +got):\n%s", diff)
	}
}

// The counts per stack, as the README states them.
func TestAlarmCountsPerSeverity(t *testing.T) {
	got := map[string]string{}
	for _, stack := range dev.Order {
		by := alarmsBySeverity(dev.Templates[stack])
		got[pinKey(dev, stack)] = fmt.Sprintf("page %d, notify %d, schedules %d", len(by["page"]), len(by["notify"]), len(dev.Templates[stack].Resources("AWS::Scheduler::Schedule")))
		for sev := range by {
			if sev != "page" && sev != "notify" {
				t.Errorf("%s: alarms with %s: %v", stack, sev, by[sev])
			}
		}
	}
	want := map[string]string{
		"us-east-1-edge":          "page 4, notify 11, schedules 0", // with the non-prod buckets' auto-delete function
		"ap-southeast-2-ingest":   "page 15, notify 10, schedules 44",
		"ap-southeast-2-regional": "page 13, notify 10, schedules 48",
		"eu-west-2-regional":      "page 13, notify 12, schedules 48",
		"sa-east-1-regional":      "page 13, notify 12, schedules 48",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alarms per severity and schedules per stack (-want +got):\n%s", diff)
	}
}

var cronFields = regexp.MustCompile(`^cron\((\d+) (\d+) \? \* ([A-Z,]+) \*\)$`)

// schedule is what a session schedule does, as the template says.
type schedule struct {
	Expression, TimeZone, Action string
	Alarms                       []string
}

func schedulesOf(t *testing.T, tmpl cfn.Template) map[string]schedule {
	t.Helper()
	out := map[string]schedule{}
	for _, r := range tmpl.Resources("AWS::Scheduler::Schedule") {
		target := r.Props["Target"].(map[string]any)
		var in struct {
			AlarmNames []string
			AlarmName  string
		}
		if err := json.Unmarshal([]byte(target["Input"].(string)), &in); err != nil {
			t.Fatalf("%s: input: %v", r.LogicalID, err)
		}
		if in.AlarmName != "" {
			in.AlarmNames = []string{in.AlarmName}
		}
		arn := target["Arn"].(string)
		out[r.Props["Name"].(string)] = schedule{r.Props["ScheduleExpression"].(string), r.Props["ScheduleExpressionTimezone"].(string), arn[strings.LastIndex(arn, ":")+1:], in.AlarmNames}
	}
	return out
}

// Users in Australia and New Zealand, the UK and Brazil trade US and
// Australian shares: each region's idle alarms (nothing arriving at its
// queues and gateways) are off outside both sessions, turned on 15 minutes
// (their evaluation window) after each market opens, in the market's own
// time zone, re-armed, turned off at the close and on each holiday.
func TestIdleAlarmsActOnlyInsideTheSessions(t *testing.T) {
	weekdays := "MON,TUE,WED,THU,FRI"
	for _, region := range []string{"ap-southeast-2", "eu-west-2", "sa-east-1"} {
		stack := "brokerage-dev-" + region + "-regional"
		tmpl := dev.Templates[stack]
		var idle []string
		for _, r := range tmpl.Resources("AWS::CloudWatch::Alarm") {
			if r.Props["TreatMissingData"] == "breaching" {
				if r.Props["ActionsEnabled"] != false {
					t.Errorf("%s: idle alarm %s is created with its actions on", stack, r.Props["AlarmName"])
				}
				idle = append(idle, r.Props["AlarmName"].(string))
			} else if r.Props["ActionsEnabled"] == false {
				t.Errorf("%s: alarm %s has its actions off but is not idle", stack, r.Props["AlarmName"])
			}
		}
		sort.Strings(idle)
		wantIdle := []string{"brokerage-dev-api-internal-Count", "brokerage-dev-api-public-Count", "brokerage-dev-buying-power-NumberOfMessagesSent", "brokerage-dev-execution-emails-NumberOfMessagesSent", "brokerage-dev-holdings-NumberOfMessagesSent"}
		if diff := cmp.Diff(wantIdle, idle); diff != "" {
			t.Fatalf("%s: idle alarms (-want +got):\n%s", stack, diff)
		}
		got := schedulesOf(t, tmpl)
		for _, tc := range []struct {
			name string
			want schedule
		}{
			{"us-regional-open", schedule{"cron(45 9 ? * " + weekdays + " *)", "America/New_York", "enableAlarmActions", idle}},
			{"us-regional-rearm1", schedule{"cron(47 9 ? * " + weekdays + " *)", "America/New_York", "setAlarmState", []string{"brokerage-dev-execution-emails-NumberOfMessagesSent"}}},
			{"us-regional-close", schedule{"cron(0 16 ? * " + weekdays + " *)", "America/New_York", "disableAlarmActions", idle}},
			{"us-regional-off20261126", schedule{"at(2026-11-26T09:46:00)", "America/New_York", "disableAlarmActions", idle}},
			{"asx-regional-open", schedule{"cron(15 10 ? * " + weekdays + " *)", "Australia/Sydney", "enableAlarmActions", idle}},
			{"asx-regional-close", schedule{"cron(0 16 ? * " + weekdays + " *)", "Australia/Sydney", "disableAlarmActions", idle}},
			{"asx-regional-off20261228", schedule{"at(2026-12-28T10:16:00)", "Australia/Sydney", "disableAlarmActions", idle}},
		} {
			// Set-like comparison of the alarm names.
			g := got["brokerage-dev-"+tc.name]
			sort.Strings(g.Alarms)
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("%s: schedule %s (-want +got):\n%s", stack, tc.name, diff)
			}
		}
		// Every idle alarm is re-armed once per session.
		rearmed := map[string]int{}
		for _, s := range got {
			if s.Action == "setAlarmState" {
				rearmed[s.Alarms[0]]++
			}
		}
		for _, a := range idle {
			if rearmed[a] != 2 {
				t.Errorf("%s: %s is re-armed %d times, want once per session (2)", stack, a, rearmed[a])
			}
		}
	}
}

// When the US open turns the idle alarms on, in local time for the users of
// each region: the cron in the market's zone follows US daylight saving
// time, and the users' clocks follow theirs (Sydney's runs the other way,
// São Paulo has none).
func TestSessionOpenInTheUsersLocalTime(t *testing.T) {
	open := schedulesOf(t, dev.Templates["brokerage-dev-eu-west-2-regional"])["brokerage-dev-us-regional-open"]
	m := cronFields.FindStringSubmatch(open.Expression)
	if m == nil {
		t.Fatalf("open expression %q", open.Expression)
	}
	hour, _ := strconv.Atoi(m[2])
	minute, _ := strconv.Atoi(m[1])
	market, err := time.LoadLocation(open.TimeZone)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, day := range []string{"2026-07-06", "2026-12-07"} { // a Monday in the northern summer, one in the southern
		d, _ := time.Parse("2006-01-02", day)
		at := time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, market)
		for _, zone := range []string{"Australia/Sydney", "Pacific/Auckland", "Europe/London", "America/Sao_Paulo"} {
			loc, _ := time.LoadLocation(zone)
			got[zone] = append(got[zone], at.In(loc).Format("Mon 15:04"))
		}
	}
	want := map[string][]string{
		"Australia/Sydney":  {"Mon 23:45", "Tue 01:45"},
		"Pacific/Auckland":  {"Tue 01:45", "Tue 03:45"},
		"Europe/London":     {"Mon 14:45", "Mon 14:45"},
		"America/Sao_Paulo": {"Mon 10:45", "Mon 11:45"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("US idle alarms on, local time on 2026-07-06 and 2026-12-07 (-want +got):\n%s", diff)
	}
}

// copyTemplate is a deep copy to break.
func copyTemplate(t *testing.T, tmpl cfn.Template) cfn.Template {
	t.Helper()
	b, err := json.Marshal(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	var out cfn.Template
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// A broken schedule, an alarm without a severity or with two, a page alarm
// with its actions off, or an idle alarm nothing turns on each fail the
// coverage check, naming the stack and what is wrong.
func TestCoverageFailsOnBrokenSchedulesAndSeverities(t *testing.T) {
	const stack = "brokerage-dev-eu-west-2-regional"
	byName := func(tmpl cfn.Template, typ, prop, value string) map[string]any {
		for _, r := range tmpl.Resources(typ) {
			if r.Props[prop] == value {
				return r.Props
			}
		}
		t.Fatalf("no %s with %s %s", typ, prop, value)
		return nil
	}
	tests := []struct {
		name   string
		break_ func(tmpl cfn.Template)
		want   string
	}{
		{"hour out of range", func(tmpl cfn.Template) {
			byName(tmpl, "AWS::Scheduler::Schedule", "Name", "brokerage-dev-us-regional-open")["ScheduleExpression"] = "cron(45 29 ? * MON,TUE,WED,THU,FRI *)"
		}, `cron "cron(45 29 ? * MON,TUE,WED,THU,FRI *)" has no such time of day`},
		{"unknown day", func(tmpl cfn.Template) {
			byName(tmpl, "AWS::Scheduler::Schedule", "Name", "brokerage-dev-us-regional-close")["ScheduleExpression"] = "cron(0 16 ? * MON,FRY *)"
		}, `has an unknown day "FRY"`},
		{"bad time zone", func(tmpl cfn.Template) {
			byName(tmpl, "AWS::Scheduler::Schedule", "Name", "brokerage-dev-asx-regional-open")["ScheduleExpressionTimezone"] = "Australia/Sidney"
		}, `time zone "Australia/Sidney" is not an IANA time zone`},
		{"bad holiday", func(tmpl cfn.Template) {
			byName(tmpl, "AWS::Scheduler::Schedule", "Name", "brokerage-dev-asx-regional-off20261228")["ScheduleExpression"] = "at(2026-12-32T10:16:00)"
		}, `at() "at(2026-12-32T10:16:00)" is not a date and time`},
		{"a schedule names an alarm the stack does not have", func(tmpl cfn.Template) {
			target := byName(tmpl, "AWS::Scheduler::Schedule", "Name", "brokerage-dev-us-regional-rearm1")["Target"].(map[string]any)
			target["Input"] = `{"AlarmName":"brokerage-dev-holdings-NumberOfMessagesSnet","StateValue":"OK"}`
		}, `targets "brokerage-dev-holdings-NumberOfMessagesSnet", which is not an idle alarm of the stack`},
		{"the close schedule is gone", func(tmpl cfn.Template) {
			res := tmpl["Resources"].(map[string]any)
			for id, r := range res {
				if p, _ := r.(map[string]any)["Properties"].(map[string]any); p["Name"] == "brokerage-dev-us-regional-close" || p["Name"] == "brokerage-dev-asx-regional-close" {
					delete(res, id)
				}
			}
		}, "idle alarm brokerage-dev-holdings-NumberOfMessagesSent has its actions off but no daily schedule calls disableAlarmActions on it"},
		{"an alarm without a severity", func(tmpl cfn.Template) {
			a := byName(tmpl, "AWS::CloudWatch::Alarm", "AlarmName", "brokerage-dev-holdings-ApproximateAgeOfOldestMessage")
			a["AlarmActions"] = []any{"arn:aws:sns:eu-west-2:111111111111:somebody-else"}
			a["OKActions"] = a["AlarmActions"]
		}, "has severities [] (actions on other topics: 2), want exactly one of page, notify"},
		{"an alarm with two severities", func(tmpl cfn.Template) {
			a := byName(tmpl, "AWS::CloudWatch::Alarm", "AlarmName", "brokerage-dev-api-public-Latency")
			page := byName(tmpl, "AWS::CloudWatch::Alarm", "AlarmName", "brokerage-dev-api-public-5XXError")
			a["OKActions"] = page["OKActions"]
		}, "has severities [notify page] (actions on other topics: 0), want exactly one of page, notify"},
		{"a page alarm with its actions off", func(tmpl cfn.Template) {
			byName(tmpl, "AWS::CloudWatch::Alarm", "AlarmName", "brokerage-dev-api-public-5XXError")["ActionsEnabled"] = false
		}, "has its actions off but is not an idle alarm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl := copyTemplate(t, dev.Templates[stack])
			tc.break_(tmpl)
			got := lines(alarms.CheckCoverage([]cfn.Stack{{Name: stack, Region: dev.Regions[stack], Template: tmpl}}))
			if !strings.Contains(got, tc.want) || !strings.Contains(got, stack) {
				t.Errorf("coverage problems lack %q:\n%s", tc.want, got)
			}
		})
	}
	if got := alarms.CheckCoverage([]cfn.Stack{{Name: stack, Region: dev.Regions[stack], Template: dev.Templates[stack]}}); len(got) != 0 {
		t.Errorf("the unbroken stack has problems:\n%s", lines(got))
	}
}

// The scheduler's role may turn actions on and off and set the state of
// exactly the stack's idle alarms, nothing else, and only for schedules of
// this account.
func TestSchedulerRoleMayTouchOnlyTheIdleAlarms(t *testing.T) {
	tmpl := dev.Templates["brokerage-dev-eu-west-2-regional"]
	var policies []string
	for _, p := range tmpl.Resources("AWS::IAM::Policy") {
		if strings.Contains(cfn.Ref(p.Props["Roles"].([]any)[0]), "SessionSchedulerRole") {
			for _, st := range cfn.Statements(p.Props["PolicyDocument"]) {
				policies = append(policies, js(st))
			}
		}
	}
	var arns []any
	for _, a := range []string{"api-internal-Count", "api-public-Count", "buying-power-NumberOfMessagesSent", "execution-emails-NumberOfMessagesSent", "holdings-NumberOfMessagesSent"} {
		arns = append(arns, "arn:aws:cloudwatch:eu-west-2:111111111111:alarm:brokerage-dev-"+a)
	}
	want := []string{js(map[string]any{"Action": []any{"cloudwatch:DisableAlarmActions", "cloudwatch:EnableAlarmActions", "cloudwatch:SetAlarmState"}, "Effect": "Allow", "Resource": arns})}
	if diff := cmp.Diff(want, policies); diff != "" {
		t.Errorf("scheduler role's statements (-want +got):\n%s", diff)
	}
	role, err := tmpl.ByPath("Alarms/SessionSchedulerRole/Resource")
	if err != nil {
		t.Fatal(err)
	}
	trust := js(role.Props["AssumeRolePolicyDocument"])
	for _, want := range []string{`"Service":"scheduler.amazonaws.com"`, `"aws:SourceAccount":"111111111111"`} {
		if !strings.Contains(trust, want) {
			t.Errorf("trust policy lacks %s: %s", want, trust)
		}
	}
}
