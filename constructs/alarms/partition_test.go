package alarms_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
)

// In a region of another partition (cdk.json targets aws-cn too), the ARNs
// the construct writes itself, the alarms' for dashboards, the scheduler
// role's and the schedules' targets, are that partition's.
func TestARNsFollowTheStacksPartition(t *testing.T) {
	app := cfn.NewApp(t.TempDir())
	stack := cfntest.StackIn(app, "cn", "cn-north-1")
	al := alarms.New(stack, "Alarms", &alarms.Props{Prefix: "brokerage-dev", Label: "regional",
		Recipients: map[alarms.Severity]alarms.Recipients{
			alarms.SeverityPage:   {PagerURL: "https://pager.example.com/hook"},
			alarms.SeverityNotify: {Emails: []string{"trading-ops@example.com"}},
		},
		Sessions: []alarms.Session{{Name: "asx", Market: "ASX", TimeZone: "Australia/Sydney", Days: []string{"MON"},
			Windows: []alarms.Window{{Name: "regular", Start: 10 * 60, End: 16 * 60, Watch: true}}}},
	})
	queue := awssqs.NewQueue(stack, jsii.String("Holdings"), nil)
	al.Watch(queue, alarms.Target{Kind: alarms.KindConsumerQueue, Label: "holdings", Metrics: alarms.QueueMetrics(*queue.QueueName())})
	if len(al.ScheduleIdleAlarms()) == 0 {
		t.Fatal("no schedules: the test needs an idle alarm")
	}
	for _, arn := range al.AlarmARNs {
		if !strings.HasPrefix(arn, "arn:aws-cn:cloudwatch:cn-north-1:111111111111:alarm:brokerage-dev-") {
			t.Errorf("alarm ARN %s, want arn:aws-cn:cloudwatch:cn-north-1:...", arn)
		}
	}
	tmpl := cfn.Synth(app).Templates["cn"]
	for _, s := range tmpl.Resources("AWS::Scheduler::Schedule") {
		target, _ := s.Props["Target"].(map[string]any)
		if arn, _ := target["Arn"].(string); !strings.HasPrefix(arn, "arn:aws-cn:scheduler:::aws-sdk:cloudwatch:") {
			t.Errorf("schedule %s targets %v, want arn:aws-cn:scheduler:::aws-sdk:cloudwatch:...", s.LogicalID, target["Arn"])
		}
	}
	policies := 0
	for _, p := range tmpl.Resources("AWS::IAM::Policy") {
		for _, st := range cfn.Statements(p.Props["PolicyDocument"]) {
			for _, r := range cfn.Strings(st["Resource"]) {
				if strings.Contains(r, ":alarm:") {
					policies++
					if !strings.HasPrefix(r, "arn:aws-cn:cloudwatch:") {
						t.Errorf("%s may act on %s, want an aws-cn alarm ARN", p.LogicalID, r)
					}
				}
			}
		}
	}
	if policies == 0 {
		t.Error("no policy names the idle alarms")
	}
	if got := alarms.AlarmARN("cn-northwest-1", "111111111111", "a"); got != "arn:aws-cn:cloudwatch:cn-northwest-1:111111111111:alarm:a" {
		t.Errorf("AlarmARN in cn-northwest-1 = %s", got)
	}
}
