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
// the construct writes itself, the alarms' for dashboards, are that
// partition's.
func TestARNsFollowTheStacksPartition(t *testing.T) {
	app := cfn.NewApp(t.TempDir())
	stack := cfntest.StackIn(app, "cn", "cn-north-1")
	al := alarms.New(stack, "Alarms", &alarms.Props{Prefix: "brokerage-dev",
		Recipients: map[alarms.Severity]alarms.Recipients{
			alarms.SeverityPage:   {PagerURL: "https://pager.example.com/hook"},
			alarms.SeverityNotify: {Emails: []string{"trading-ops@example.com"}},
		},
		Sessions: []alarms.Session{{Name: "asx", Market: "ASX", TimeZone: "Australia/Sydney", Days: []string{"MON"},
			Windows: []alarms.Window{{Name: "regular", Start: 10 * 60, End: 16 * 60, Watch: true}}}},
	})
	queue := awssqs.NewQueue(stack, jsii.String("Holdings"), nil)
	al.Watch(queue, alarms.Target{Kind: alarms.KindConsumerQueue, Label: "holdings", Metrics: alarms.QueueMetrics(*queue.QueueName())})
	for _, arn := range al.AlarmARNs {
		if !strings.HasPrefix(arn, "arn:aws-cn:cloudwatch:cn-north-1:111111111111:alarm:brokerage-dev-") {
			t.Errorf("alarm ARN %s, want arn:aws-cn:cloudwatch:cn-north-1:...", arn)
		}
	}
	if got := alarms.AlarmARN("cn-northwest-1", "111111111111", "a"); got != "arn:aws-cn:cloudwatch:cn-northwest-1:111111111111:alarm:a" {
		t.Errorf("AlarmARN in cn-northwest-1 = %s", got)
	}
}
