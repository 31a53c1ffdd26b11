package alarms_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
)

// An alarm of another region, which a dashboard shows by its ARN, is named
// in that region's partition (cdk.json targets aws-cn too).
func TestAlarmARNIsInTheRegionsPartition(t *testing.T) {
	if got := alarms.AlarmARN("cn-northwest-1", "111111111111", "a"); got != "arn:aws-cn:cloudwatch:cn-northwest-1:111111111111:alarm:a" {
		t.Errorf("AlarmARN in cn-northwest-1 = %s", got)
	}
}

// An alarm status widget shows at most 100 alarms: more take more widgets,
// each alarm in exactly one.
func TestAlarmStatusWidgetsHoldAtMostOneHundredAlarms(t *testing.T) {
	app := cfn.NewApp(t.TempDir())
	stack := cfntest.StackIn(app, "uk", "eu-west-2")
	al := alarms.New(stack, "Alarms", &alarms.Props{Prefix: "p-dev",
		Recipients: map[alarms.Severity]alarms.Recipients{alarms.SeverityPage: {Emails: []string{"a@example.com"}}, alarms.SeverityNotify: {Emails: []string{"a@example.com"}}}})
	for i := range 26 {
		q := awssqs.NewQueue(stack, jsii.String(fmt.Sprintf("Q%d", i)), nil)
		al.Watch(q, alarms.Target{Kind: alarms.KindConsumerQueue, Label: fmt.Sprintf("q%d", i), Metrics: alarms.QueueMetrics(*q.QueueName())})
	}
	widgets := al.AlarmStatus("Alarms")
	seen := map[any]int{}
	var titles []string
	for _, w := range cfntest.Widgets(stack, widgets...) {
		props := w.(map[string]any)["properties"].(map[string]any)
		list := props["alarms"].([]any)
		if len(list) > alarms.MaxAlarmsPerWidget {
			t.Errorf("%s shows %d alarms, want at most %d", props["title"], len(list), alarms.MaxAlarmsPerWidget)
		}
		for _, a := range list {
			seen[a]++
		}
		titles = append(titles, props["title"].(string))
	}
	if len(seen) != len(al.Created) || len(al.Created) <= alarms.MaxAlarmsPerWidget {
		t.Errorf("widgets show %d distinct alarms of %d, want all of more than %d", len(seen), len(al.Created), alarms.MaxAlarmsPerWidget)
	}
	for a, n := range seen {
		if n != 1 {
			t.Errorf("%v shown %d times", a, n)
		}
	}
	if want := []string{"Alarms (1 of 2)", "Alarms (2 of 2)"}; !slices.Equal(titles, want) {
		t.Errorf("titles %v, want %v", titles, want)
	}
}
