package pipeline

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/brokerage/platform/stacks"
)

// The bootstrap qualifier is set in one place, the context
// (@aws-cdk/core:bootstrapQualifier, as `cdk bootstrap --qualifier` needs):
// the stages deploy through that bootstrap's roles, and the alarm check
// reads another account's alarms through that bootstrap's lookup roles.
func TestOneBootstrapQualifierForTheStagesAndTheAlarmCheck(t *testing.T) {
	c := *cfg
	c.Pipeline.Stages = []config.PipelineStage{{Name: "prod", Account: "333333333333"}}
	tmp := t.TempDir()
	code := cfntest.StandInCode(tmp)
	app := cfn.NewApp(tmp + "/out")
	app.Node().SetContext(jsii.String("@aws-cdk/core:bootstrapQualifier"), "brkr1234")
	stacks.NewPipeline(app, &stacks.PipelineProps{Config: &c, RedistributorCode: func() awslambda.Code {
		return awslambda.Code_FromAsset(jsii.String(code), nil)
	}})
	all := cfntest.JSON(cfn.Synth(app).Templates[stacks.PipelineStackName(&c)])
	for _, want := range []string{
		":iam::333333333333:role/cdk-brkr1234-deploy-role-333333333333-eu-west-2",
		"arn:aws:iam::333333333333:role/cdk-brkr1234-lookup-role-333333333333-eu-west-2",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the pipeline never names %s", want)
		}
	}
	if strings.Contains(all, "hnb659fds") {
		t.Error("the pipeline names a role of the default qualifier hnb659fds, not the context's brkr1234")
	}
}
