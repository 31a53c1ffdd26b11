package alarms_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/alarms/alarmstest"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/brokerage/platform/internal/metricmath"
)

// A dead-letter queue's arrival alarm, evaluated as synthesized, pages for
// a message that arrived and was received again within a minute, when no
// sample of the queue's depth ever sees it; a quiet queue, which publishes
// no datapoint at all, does not page.
func TestDLQArrivalAlarmCatchesAMessageDrainedBetweenSamples(t *testing.T) {
	app := cfn.NewApp(t.TempDir())
	stack := cfntest.StackIn(app, "s", "eu-west-2")
	al := alarmstest.New(stack, "p-dev")
	q := awssqs.NewQueue(stack, jsii.String("DLQ"), nil)
	al.Watch(q, alarms.Target{Kind: alarms.KindDLQ, Label: "holdings-dlq", Metrics: alarms.QueueMetrics(*q.QueueName())})
	var arrival *metricmath.Alarm
	for _, r := range cfn.Synth(app).Stack("s").Template.Resources("AWS::CloudWatch::Alarm") {
		if strings.Contains(r.Props["AlarmName"].(string), "ApproximateNumberOfMessagesVisible") {
			arrival = &metricmath.Alarm{Props: r.Props}
		}
	}
	if arrival == nil {
		t.Fatal("no arrival alarm on the dead-letter queue")
	}
	start := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	hour := start.Add(time.Hour)
	if _, paged, err := arrival.FirstAlarm(metricmath.Data{}, start, hour); err != nil || paged {
		t.Errorf("a quiet dead-letter queue pages (%v)", err)
	}
	drained := metricmath.Data{"NumberOfMessagesSent": {start.Add(10 * time.Minute): 1}, "NumberOfMessagesReceived": {start.Add(10 * time.Minute): 1}}
	at, paged, err := arrival.FirstAlarm(drained, start, hour)
	if err != nil || !paged || !at.Equal(start.Add(11*time.Minute)) {
		t.Errorf("a message drained between samples: paged %v at %v (%v), want at 12:11", paged, at, err)
	}
}

// An alarm whose period follows its target's redelivery is held to what
// CloudWatch evaluates with that period, which the overrides' own check
// cannot know: a day of one-minute periods is four days of four-minute ones.
func TestWatchRefusesEvaluationPeriodsTheRedeliveryPeriodMakesTooLong(t *testing.T) {
	app := cfn.NewApp(t.TempDir())
	stack := cfntest.StackIn(app, "s", "eu-west-2")
	over := map[string]alarms.Override{alarms.OverrideKey(alarms.KindConsumer, "GapHeldSeconds"): {EvaluationPeriods: 1440}}
	if err := alarms.CheckOverrides("Overrides", over); err != nil {
		t.Fatalf("with the catalogue's period: %v", err)
	}
	al := alarms.New(stack, "Alarms", &alarms.Props{Prefix: "p-dev", Overrides: over,
		Recipients: map[alarms.Severity]alarms.Recipients{alarms.SeverityPage: {Emails: []string{"a@example.com"}}, alarms.SeverityNotify: {Emails: []string{"a@example.com"}}}})
	target := func(redelivery float64) alarms.Target {
		return alarms.Target{Kind: alarms.KindConsumer, Label: "holdings", Metrics: alarms.ConsumerMetrics("fn"), RedeliverySeconds: redelivery}
	}
	al.Watch(stack, target(0)) // one-minute periods: a day
	got := cfntest.ProblemFields(t, func() { al.Watch(stack, target(180)) })
	if want := []string{`Overrides["consumer/GapHeldSeconds"].evaluationPeriods`}; !slices.Equal(got, want) {
		t.Errorf("problems at %v, want %v", got, want)
	}
}
