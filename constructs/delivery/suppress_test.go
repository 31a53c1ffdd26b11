package delivery

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/internal/cfn"
)

// The suppressions name the partition as cdk-nag writes it: fixed by the
// stack's region (with the project's feature flags), or the partition token
// in a stack without one.
func TestSuppressionsNameTheStacksPartition(t *testing.T) {
	app := cfn.NewApp(t.TempDir())
	for region, want := range map[string]string{"ap-southeast-2": "aws", "cn-north-1": "aws-cn", "": "<AWS::Partition>"} {
		env := &awscdk.Environment{Account: jsii.String("111111111111")}
		if region != "" {
			env.Region = jsii.String(region)
		}
		s := awscdk.NewStack(app, jsii.String("s-"+region), &awscdk.StackProps{Env: env})
		if got := nagPartition(s); got != want {
			t.Errorf("nagPartition in %q = %q, want %q", region, got, want)
		}
	}
}
