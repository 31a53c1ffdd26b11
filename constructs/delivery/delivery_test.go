package delivery_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/delivery"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/google/go-cmp/cmp"
)

func TestAlarmCheckRejectsBadProps(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props delivery.AlarmCheckProps
		want  []string
	}{
		{"nothing", delivery.AlarmCheckProps{}, []string{"Prefix", "Account", "Regions"}},
		{"bad accounts, qualifier and bake", delivery.AlarmCheckProps{Prefix: "p-dev", Account: "1", PipelineAccount: "x", Qualifier: "not a qualifier", Regions: []string{"eu-west-2"}, BakeMinutes: 181},
			[]string{"Account", "PipelineAccount", "Qualifier", "BakeMinutes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := cfntest.ProblemFields(t, func() { delivery.NewAlarmCheck(&tc.props) })
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNotificationsRejectBadProps(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("s"), nil)
	got := cfntest.ProblemFields(t, func() { delivery.NewNotifications(stack, "N", &delivery.NotificationsProps{}) })
	if diff := cmp.Diff([]string{"Prefix", "Pipeline"}, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

// In the pipeline's account the check reads the alarms itself; in another
// account it goes through that account's CDK bootstrap lookup role.
func TestAlarmCheckReadsOtherAccountsThroughTheLookupRole(t *testing.T) {
	same := delivery.NewAlarmCheck(&delivery.AlarmCheckProps{Prefix: "brokerage-dev", Account: "111111111111", PipelineAccount: "111111111111", Regions: []string{"eu-west-2"}})
	other := delivery.NewAlarmCheck(&delivery.AlarmCheckProps{Prefix: "brokerage-prod", Account: "333333333333", PipelineAccount: "111111111111", Regions: []string{"eu-west-2", "sa-east-1"}, BakeMinutes: 15})
	join := func(p *[]*string) string {
		var s []string
		for _, c := range *p {
			s = append(s, *c)
		}
		return strings.Join(s, "\n")
	}
	if c := join(same.Commands()); strings.Contains(c, "--profile") || !strings.Contains(c, "--region eu-west-2 --alarm-name-prefix brokerage-dev-") || !strings.Contains(c, "sleep 0") {
		t.Errorf("same-account check:\n%s", c)
	}
	c := join(other.Commands())
	for _, want := range []string{
		"sleep 900",
		"profile.stage.role_arn arn:aws:iam::333333333333:role/cdk-hnb659fds-lookup-role-333333333333-eu-west-2",
		"profile.stage.role_arn arn:aws:iam::333333333333:role/cdk-hnb659fds-lookup-role-333333333333-sa-east-1",
		"--profile stage --region sa-east-1 --alarm-name-prefix brokerage-prod-",
	} {
		if !strings.Contains(c, want) {
			t.Errorf("cross-account check lacks %q:\n%s", want, c)
		}
	}
}

// In a region of another partition (cdk.json targets aws-cn too) the check
// reads that partition's alarms, through that partition's lookup role.
func TestAlarmCheckARNsFollowTheRegionsPartition(t *testing.T) {
	same := delivery.NewAlarmCheck(&delivery.AlarmCheckProps{Prefix: "brokerage-dev", Account: "111111111111", Regions: []string{"cn-north-1"}})
	other := delivery.NewAlarmCheck(&delivery.AlarmCheckProps{Prefix: "brokerage-prod", Account: "333333333333", PipelineAccount: "111111111111", Regions: []string{"cn-north-1"}})
	cfntest.Check(t, "same-account check may read", []string{"arn:aws-cn:cloudwatch:cn-north-1:111111111111:alarm:brokerage-dev-*"}, resources(same))
	cfntest.Check(t, "cross-account check may assume", []string{"arn:aws-cn:iam::333333333333:role/cdk-hnb659fds-lookup-role-333333333333-cn-north-1"}, resources(other))
}

// resources lists the resources of a step's role policy statements.
func resources(s pipelines.CodeBuildStep) []string {
	var out []string
	for _, st := range *s.RolePolicyStatements() {
		for _, r := range *st.Resources() {
			out = append(out, *r)
		}
	}
	return out
}

// An account bootstrapped with a qualifier of its own has lookup roles named
// with it.
func TestAlarmCheckAssumesTheLookupRoleOfTheQualifier(t *testing.T) {
	custom := delivery.NewAlarmCheck(&delivery.AlarmCheckProps{Prefix: "brokerage-prod", Account: "333333333333", PipelineAccount: "111111111111", Qualifier: "brkr1234", Regions: []string{"eu-west-2"}})
	cfntest.Check(t, "check with a bootstrap qualifier may assume", []string{"arn:aws:iam::333333333333:role/cdk-brkr1234-lookup-role-333333333333-eu-west-2"}, resources(custom))
}

// A failed delivery and a waiting approval each reach the recipients.
func ExampleNewNotifications() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	app := cfn.NewApp(filepath.Join(dir, "out"))
	stack := cfntest.StackIn(app, "pipeline", "ap-southeast-2")
	pipeline := awscodepipeline.Pipeline_FromPipelineArn(stack, jsii.String("Pipeline"), jsii.String("arn:aws:codepipeline:ap-southeast-2:111111111111:brokerage-delivery"))
	n := delivery.NewNotifications(stack, "Notifications", &delivery.NotificationsProps{
		Prefix: "brokerage-delivery", Emails: []string{"trading-ops@example.com"}, Pipeline: pipeline,
	})
	for _, r := range n.Rules {
		fmt.Println(*r.Name())
	}
	// Output:
	// brokerage-delivery-failed
	// brokerage-delivery-approval
}

// notifications synthesizes a pipeline's notifications once for the tests.
var notifications = sync.OnceValue(func() cfn.Template {
	dir, _ := os.MkdirTemp("", "notifications")
	defer os.RemoveAll(dir)
	app := cfn.NewApp(filepath.Join(dir, "out"))
	stack := cfntest.StackIn(app, "pipeline", "ap-southeast-2")
	pipeline := awscodepipeline.Pipeline_FromPipelineArn(stack, jsii.String("Pipeline"), jsii.String("arn:aws:codepipeline:ap-southeast-2:111111111111:brokerage-delivery"))
	delivery.NewNotifications(stack, "Notifications", &delivery.NotificationsProps{
		Prefix: "brokerage-delivery", Emails: []string{"trading-ops@example.com"}, Pipeline: pipeline,
	})
	return cfn.Synth(app).Templates["pipeline"]
})

// statements returns the policy statements of the resources of typ whose
// principal is the service, as JSON.
func statements(tmpl cfn.Template, typ, property, service string) []string {
	var out []string
	for _, r := range tmpl.Resources(typ) {
		doc, _ := r.Props[property].(map[string]any)
		st, _ := doc["Statement"].([]any)
		for _, s := range st {
			if p, _ := s.(map[string]any)["Principal"].(map[string]any); p["Service"] == service {
				out = append(out, cfntest.JSON(s))
			}
		}
	}
	return out
}

// EventBridge's use of an encrypted topic's key cannot be conditioned on
// aws:SourceArn or aws:SourceAccount (SNS refuses such deliveries); the
// topic policy is where the rules are pinned.
func TestEventBridgeMayUseTheTopicKeyAndOnlyItsRulesMayPublish(t *testing.T) {
	tmpl := notifications()
	key := statements(tmpl, "AWS::KMS::Key", "KeyPolicy", "events.amazonaws.com")
	cfntest.Check(t, "key policy statements for EventBridge", []string{
		`{"Action":["kms:Decrypt","kms:GenerateDataKey*"],"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Resource":"*","Sid":"AllowEventBridgeRules"}`,
	}, key)
	topic := statements(tmpl, "AWS::SNS::TopicPolicy", "PolicyDocument", "events.amazonaws.com")
	if len(topic) != 1 || !strings.Contains(topic[0], `"Condition":{"ArnLike":{"aws:SourceArn":`) || !strings.Contains(topic[0], `:rule/brokerage-delivery-*`) {
		t.Errorf("topic policy statements for EventBridge = %v, want one pinned to the rules brokerage-delivery-* by aws:SourceArn", topic)
	}
}

// A notification EventBridge fails to deliver raises an alarm.
func TestEveryRuleHasAFailedInvocationsAlarm(t *testing.T) {
	got := map[string]any{}
	for _, a := range notifications().Resources("AWS::CloudWatch::Alarm") {
		if a.Props["Namespace"] == "AWS/Events" {
			got[a.Props["MetricName"].(string)+" "+cfntest.JSON(a.Props["Dimensions"])] = len(a.Props["AlarmActions"].([]any)) == 1 && len(a.Props["OKActions"].([]any)) == 1
		}
	}
	cfntest.Check(t, "EventBridge alarms (with ALARM and OK actions)", map[string]any{
		`FailedInvocations [{"Name":"RuleName","Value":"brokerage-delivery-failed"}]`:   true,
		`FailedInvocations [{"Name":"RuleName","Value":"brokerage-delivery-approval"}]`: true,
	}, got)
}

// After a wave, wait for it to bake, then stop on any alarm.
func ExampleNewAlarmCheck() {
	step := delivery.NewAlarmCheck(&delivery.AlarmCheckProps{
		Prefix: "brokerage-prod", Account: "111111111111", Regions: []string{"eu-west-2"}, BakeMinutes: 15,
	})
	fmt.Println(*step.Id(), len(*step.Commands()), *(*step.Commands())[0])
	// Output: AlarmCheck 2 echo 'Baking 15 min before checking alarms in eu-west-2'; sleep 900
}
