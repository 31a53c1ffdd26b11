package test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/metricmath"
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

// The alarms that page are what the runbook promises: arrivals in any
// dead-letter queue, executions not reaching a region, the redistributor's
// and functions' failures and throttles, API 5xx and 4xx (throttling, 429)
// shares, backlogs (age and depth), and nothing arriving during a trading
// session; they always act. Everything else notifies.
func TestPageAlarmsAreTheUrgentOnesAndAlwaysAct(t *testing.T) {
	for _, s := range dev.Stacks {
		stack, tmpl := s.Name, s.Template
		for _, r := range append(tmpl.Resources("AWS::CloudWatch::Alarm"), tmpl.Resources("AWS::CloudWatch::CompositeAlarm")...) {
			if severityOf(tmpl, r) == "page" && r.Props["ActionsEnabled"] == false {
				t.Errorf("%s: page alarm %s has its actions off", stack, r.Props["AlarmName"])
			}
		}
	}
	page := func(stack string) []string {
		var out []string
		for _, n := range alarmsBySeverity(dev.Stack(stack).Template)["page"] {
			out = append(out, strings.TrimPrefix(n, cfg.Prefix()+"-"))
		}
		sort.Strings(out)
		return out
	}
	// Derived from the configuration: a region's and a consumer's alarms.
	ingest, regional := cfg.Prefix()+"-"+cfg.PrimaryRegion+"-ingest", cfg.Prefix()+"-"+cfg.Regions[1].Name+"-regional"
	wantIngest := []string{
		"fanout-topic-NumberOfMessagesPublished", "fanout-topic-NumberOfNotificationsDelivered",
		"fanout-topic-NumberOfNotificationsFailedToRedriveToDlq", "fanout-topic-NumberOfNotificationsRedrivenToDlq",
		"ingest-ApproximateAgeOfOldestMessage", "ingest-ApproximateNumberOfMessagesVisible", "ingest-NumberOfMessagesSent", "ingest-dlq-ApproximateNumberOfMessagesVisible",
		"redistributor-Errors", "redistributor-PublishFailures", "redistributor-ReceiveCount", "redistributor-Retries", "redistributor-Throttles",
	}
	for _, r := range cfg.RegionNames() {
		wantIngest = append(wantIngest, "delivery-dlq-"+r+"-ApproximateNumberOfMessagesVisible", "fanout-not-reaching-"+r)
	}
	sort.Strings(wantIngest)
	if diff := cmp.Diff(wantIngest, page(ingest)); diff != "" {
		t.Errorf("ingest page alarms (-want +got):\n%s", diff)
	}
	var wantRegional []string
	for _, c := range cfg.Fanout.Consumers {
		wantRegional = append(wantRegional, c.Name+"-ApproximateAgeOfOldestMessage", c.Name+"-ApproximateNumberOfMessagesVisible", c.Name+"-NumberOfMessagesSent", c.Name+"-dlq-ApproximateNumberOfMessagesVisible")
		if c.Handler != "" {
			wantRegional = append(wantRegional, c.Name+"-handler-Errors", c.Name+"-handler-Throttles", c.Name+"-handler-GapHeldSeconds")
		}
	}
	for _, g := range cfg.API.Gateways {
		wantRegional = append(wantRegional, "api-"+g.Name+"-4XXError", "api-"+g.Name+"-5XXError", "api-"+g.Name+"-Count")
	}
	sort.Strings(wantRegional)
	if diff := cmp.Diff(wantRegional, page(regional)); diff != "" {
		t.Errorf("regional page alarms (-want +got):\n%s", diff)
	}
}

// Each stack's idle alarms (nothing arriving at its queues, topic and
// gateways) are gated by the sessions its region watches, as configured:
// evaluated with no data at all for every minute of a week, their own
// expression pages exactly inside the watched windows of those sessions,
// in each market's time zone, outside their holidays, and nowhere else.
func TestIdleAlarmsAreGatedByTheirRegionsSessions(t *testing.T) {
	watching := map[string][]config.Session{cfg.PrimaryRegion + "-ingest": cfg.Sessions}
	for _, r := range cfg.Regions {
		watching[r.Name+"-regional"] = cfg.SessionsOf(r)
	}
	// A week with a US holiday (Thanksgiving) and, on its Monday, none.
	from := time.Date(2027, 11, 21, 0, 0, 0, 0, time.UTC)
	ts := make([]int64, 8*24*60)
	for i := range ts {
		ts[i] = from.Add(time.Duration(i) * time.Minute).Unix()
	}
	for _, s := range dev.Stacks {
		stack := s.Name
		sessions, watches := watching[pinKey(s)]
		idle := 0
		for _, r := range s.Template.Resources("AWS::CloudWatch::Alarm") {
			if r.Props["TreatMissingData"] != "breaching" {
				continue
			}
			idle++
			if !watches {
				t.Errorf("%s: idle alarm %s in a stack that watches no session", stack, r.Props["AlarmName"])
				continue
			}
			got, err := metricmath.Alarm{Props: r.Props}.Values(metricmath.Data{}, ts)
			if err != nil {
				t.Fatalf("%s: %s: %v", stack, r.Props["AlarmName"], err)
			}
			wrong := 0
			for i, v := range got {
				if want := inAnySession(sessions, time.Unix(ts[i], 0)); (v == 1) != want {
					wrong++
				}
			}
			if wrong > 0 {
				t.Errorf("%s: %s is silent-and-gated in %d minutes of the week that are not exactly its region's watched session minutes", stack, r.Props["AlarmName"], wrong)
			}
		}
		if watches && idle == 0 {
			t.Errorf("%s: no idle alarm", stack)
		}
	}
}

// inAnySession says, by Go's zone database, whether the minute at u is in
// a watched window of one of the sessions, on a trading day that is not
// one of its holidays, in its market's local time.
func inAnySession(sessions []config.Session, u time.Time) bool {
	for _, s := range sessions {
		loc, err := time.LoadLocation(s.TimeZone)
		if err != nil {
			panic(err)
		}
		lt := u.In(loc)
		if !slices.Contains(s.Days, config.Weekdays[lt.Weekday()]) || slices.Contains(s.Holidays, lt.Format("2006-01-02")) {
			continue
		}
		m := lt.Hour()*60 + lt.Minute()
		for _, w := range s.Windows {
			start, _ := config.ClockMinutes(w.Start)
			end, _ := config.ClockMinutes(w.End)
			if w.Watch && m >= start && m < end {
				return true
			}
		}
	}
	return false
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

// An alarm without a severity or with two, or any alarm with its actions
// off, fails the coverage check, naming the stack and what is wrong.
func TestCoverageFailsOnBrokenSeveritiesAndMutedAlarms(t *testing.T) {
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
		}, "has its actions off"},
		{"an idle alarm with its actions off", func(tmpl cfn.Template) {
			byName(tmpl, "AWS::CloudWatch::Alarm", "AlarmName", "brokerage-dev-holdings-NumberOfMessagesSent")["ActionsEnabled"] = false
		}, "has its actions off"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := dev.Stack(stack)
			s.Template = copyTemplate(t, s.Template)
			tc.break_(s.Template)
			got := lines(alarms.CheckCoverage([]cfn.Stack{s}))
			if !strings.Contains(got, tc.want) || !strings.Contains(got, stack) {
				t.Errorf("coverage problems lack %q:\n%s", tc.want, got)
			}
		})
	}
	if got := alarms.CheckCoverage([]cfn.Stack{dev.Stack(stack)}); len(got) != 0 {
		t.Errorf("the unbroken stack has problems:\n%s", lines(got))
	}
}
