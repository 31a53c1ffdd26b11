package cfn_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// A stack's region comes from its environment in the manifest, whatever its
// name; an environment-agnostic stack has none.
func TestSynthRecordsEachStacksRegion(t *testing.T) {
	app := cfn.NewApp(filepath.Join(t.TempDir(), "out"))
	for name, region := range map[string]string{"my-broker-dev-eu-west-2-regional": "eu-west-2", "agnostic": ""} {
		props := &awscdk.StackProps{}
		if region != "" {
			props.Env = &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String(region)}
		}
		s := awscdk.NewStack(app, jsii.String(name), props)
		awssqs.NewCfnQueue(s, jsii.String("Queue"), &awssqs.CfnQueueProps{})
	}
	got := cfn.Synth(app).Stacks
	slices.SortFunc(got, func(a, b cfn.Stack) int { return strings.Compare(a.Name, b.Name) })
	want := []cfn.Stack{{ID: "agnostic", Name: "agnostic"}, {ID: "my-broker-dev-eu-west-2-regional", Name: "my-broker-dev-eu-west-2-regional", Account: "111111111111", Region: "eu-west-2"}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(cfn.Stack{}, "Template", "TemplatePath", "ConfigFields", "Paths")); diff != "" {
		t.Errorf("stacks (-want +got):\n%s", diff)
	}
}

// A stack looked up by a name the assembly lacks panics, naming it: a
// misspelled name would otherwise read as an empty stack and pass checks.
func TestAssemblyStackPanicsOnAnUnknownName(t *testing.T) {
	a := &cfn.Assembly{Stacks: []cfn.Stack{{Name: "uk"}}}
	if got := a.Stack("uk").Name; got != "uk" {
		t.Errorf("Stack(uk) = %q", got)
	}
	defer func() {
		if r := recover(); !strings.Contains(fmt.Sprint(r), `"ukk"`) {
			t.Errorf("Stack(ukk) recovered %v, want a panic naming the stack", r)
		}
	}()
	a.Stack("ukk")
}

// cdk-nag writes a resource's references as <id> and <id.attribute>: an
// appliesTo built from NagName matches only when it writes them the same way.
func TestNagNameWritesReferencesAsCdkNag(t *testing.T) {
	arn := map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"}, ":logs:eu-west-2:111111111111:*"}}}
	if got, want := cfn.NagName(arn), "arn:<AWS::Partition>:logs:eu-west-2:111111111111:*"; got != want {
		t.Errorf("cfn.NagName(%v) = %q, want %q", arn, got, want)
	}
	logs := map[string]any{"Fn::Join": []any{"", []any{map[string]any{"Fn::GetAtt": []any{"Logs", "Arn"}}, ":*"}}}
	if got, want := cfn.NagName(logs), "<Logs.Arn>:*"; got != want {
		t.Errorf("cfn.NagName(%v) = %q, want %q", logs, got, want)
	}
}

func TestARNFields(t *testing.T) {
	const topic = "arn:aws:sns:ap-southeast-2:111111111111:app-dev-fanout.fifo"
	if got := cfn.ARNName(topic); got != "app-dev-fanout.fifo" {
		t.Errorf("ARNName = %q", got)
	}
	if got := cfn.ARNRegion(topic); got != "ap-southeast-2" {
		t.Errorf("ARNRegion = %q", got)
	}
	if got := cfn.ARNRegion("sns:ap-southeast-2:topic"); got != "" {
		t.Errorf("ARNRegion of a non-ARN = %q, want none", got)
	}
}
