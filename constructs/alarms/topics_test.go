package alarms_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
)

// A stack whose region already has alarm topics sends its alarms to them,
// given as topics, and creates neither topics nor a key of its own.
func TestReusedTopicsReceiveTheAlarms(t *testing.T) {
	app := cfn.NewApp(t.TempDir())
	stack := cfntest.StackIn(app, "uk", "eu-west-2")
	topics := map[alarms.Severity]awssns.ITopic{}
	for _, sev := range alarms.Severities {
		arn := "arn:aws:sns:eu-west-2:111111111111:" + alarms.TopicName("brokerage-dev", sev)
		topics[sev] = awssns.Topic_FromTopicArn(stack, jsii.String("Topic-"+string(sev)), jsii.String(arn))
	}
	al := alarms.New(stack, "Alarms", &alarms.Props{Prefix: "brokerage-dev", Topics: topics})
	queue := awssqs.NewQueue(stack, jsii.String("Holdings"), nil)
	al.Watch(queue, alarms.Target{Kind: alarms.KindConsumerQueue, Label: "holdings", Metrics: alarms.QueueMetrics(*queue.QueueName())})
	tmpl := cfn.Synth(app).Stack("uk").Template
	cfntest.Check(t, "topics and keys created", 0, len(tmpl.Resources("AWS::SNS::Topic"))+len(tmpl.Resources("AWS::KMS::Key")))
	got := map[string]int{}
	for _, a := range tmpl.Resources("AWS::CloudWatch::Alarm") {
		for _, action := range cfn.Strings(a.Props["AlarmActions"]) {
			got[action]++
		}
	}
	if got["arn:aws:sns:eu-west-2:111111111111:brokerage-dev-alarms"] == 0 || got["arn:aws:sns:eu-west-2:111111111111:brokerage-dev-alarms-page"] == 0 || len(got) != 2 {
		t.Errorf("alarm actions %v, want the reused notify and page topics only", got)
	}
}

// Without a prefix the alarms are named after their stack, whose name is
// unique in its account and region as alarm, topic and alias names must be.
func TestNamesDefaultToTheStacksName(t *testing.T) {
	app := cfn.NewApp(t.TempDir())
	stack := cfntest.StackIn(app, "orders-london", "eu-west-2")
	al := alarms.New(stack, "Alarms", &alarms.Props{Recipients: map[alarms.Severity]alarms.Recipients{
		alarms.SeverityPage: {Emails: []string{"oncall@example.com"}}, alarms.SeverityNotify: {Emails: []string{"ops@example.com"}},
	}})
	queue := awssqs.NewQueue(stack, jsii.String("Holdings"), nil)
	al.Watch(queue, alarms.Target{Kind: alarms.KindConsumerQueue, Label: "holdings", Metrics: alarms.QueueMetrics(*queue.QueueName())})
	tmpl := cfn.Synth(app).Stack("orders-london").Template
	for _, typ := range []string{"AWS::CloudWatch::Alarm", "AWS::SNS::Topic"} {
		for _, r := range tmpl.Resources(typ) {
			name, _ := r.Props[map[string]string{"AWS::CloudWatch::Alarm": "AlarmName", "AWS::SNS::Topic": "TopicName"}[typ]].(string)
			if !strings.HasPrefix(name, "orders-london-") {
				t.Errorf("%s %s named %q, want it to start with the stack's name", typ, r.LogicalID, name)
			}
		}
	}
	cfntest.Check(t, "key alias", "alias/orders-london/alarms", tmpl.Resources("AWS::KMS::Alias")[0].Props["AliasName"])
}

// The construct checks its recipients: a notify topic needs one, a
// severity given needs at least one, each address is a plain one and the
// pager an https URL with a host.
func TestRecipientsAreChecked(t *testing.T) {
	s := cfntest.StackIn(cfn.NewApp(t.TempDir()), "s", "eu-west-2")
	for i, tc := range []struct {
		recipients map[alarms.Severity]alarms.Recipients
		want       []string
	}{
		{map[alarms.Severity]alarms.Recipients{alarms.SeverityPage: {PagerURL: "https://pager.example.com/hook"}}, []string{"Recipients[notify]"}},
		{map[alarms.Severity]alarms.Recipients{alarms.SeverityNotify: {}}, []string{"Recipients[notify]"}},
		{map[alarms.Severity]alarms.Recipients{alarms.SeverityNotify: {Emails: []string{"ops"}, PagerURL: "https:///hook"}},
			[]string{"Recipients[notify].Emails[0]", "Recipients[notify].PagerURL"}},
	} {
		got := cfntest.ProblemFields(t, func() { alarms.New(s, fmt.Sprint("Alarms", i), &alarms.Props{Recipients: tc.recipients}) })
		cfntest.Check(t, fmt.Sprint(tc.recipients), tc.want, got)
	}
}
