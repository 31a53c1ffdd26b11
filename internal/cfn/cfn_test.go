package cfn_test

import (
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
	got := cfn.Synth(app).Stacks()
	slices.SortFunc(got, func(a, b cfn.Stack) int { return strings.Compare(a.Name, b.Name) })
	want := []cfn.Stack{{Name: "agnostic"}, {Name: "my-broker-dev-eu-west-2-regional", Region: "eu-west-2"}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(cfn.Stack{}, "Template")); diff != "" {
		t.Errorf("stacks (-want +got):\n%s", diff)
	}
}
