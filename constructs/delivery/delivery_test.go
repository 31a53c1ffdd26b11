package delivery_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
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
		{"bad accounts and bake", delivery.AlarmCheckProps{Prefix: "p-dev", Account: "1", PipelineAccount: "x", Regions: []string{"eu-west-2"}, BakeMinutes: 181},
			[]string{"Account", "PipelineAccount", "BakeMinutes"}},
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

// A failed delivery and a waiting approval each reach the recipients.
func ExampleNewNotifications() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	app := cfn.NewApp(filepath.Join(dir, "out"))
	stack := awscdk.NewStack(app, jsii.String("pipeline"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("ap-southeast-2")}})
	pipeline := awscodepipeline.Pipeline_FromPipelineArn(stack, jsii.String("Pipeline"), jsii.String("arn:aws:codepipeline:ap-southeast-2:111111111111:brokerage-delivery"))
	delivery.NewNotifications(stack, "Notifications", &delivery.NotificationsProps{
		Prefix: "brokerage-delivery", Emails: []string{"trading-ops@example.com"}, Pipeline: pipeline,
	})
	for _, r := range cfn.Synth(app).Templates["pipeline"].Resources("AWS::Events::Rule") {
		fmt.Println(r.Props["Name"])
	}
	// Output:
	// brokerage-delivery-approval
	// brokerage-delivery-failed
}

// After a wave, wait for it to bake, then stop on any alarm.
func ExampleNewAlarmCheck() {
	step := delivery.NewAlarmCheck(&delivery.AlarmCheckProps{
		Prefix: "brokerage-prod", Account: "111111111111", Regions: []string{"eu-west-2"}, BakeMinutes: 15,
	})
	fmt.Println(*step.Id(), len(*step.Commands()), *(*step.Commands())[0])
	// Output: AlarmCheck 2 echo 'Baking 15 min before checking alarms in eu-west-2'; sleep 900
}
