// Package nagtest synthesizes an example app as `cdk synth` would, with
// the cdk-nag packs the platform is held to, and fails the test on any
// unsuppressed finding.
package nagtest

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Check builds an app with build, applies cdk-nag's AWS Solutions and
// Serverless packs, synthesizes it with aws-cdk-lib's validation (the
// constructs' own rules run as a validation plugin: a violation fails
// the synthesis) and fails t on every cdk-nag error or warning.
func Check(t *testing.T, build func(awscdk.App)) {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	build(app)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewServerlessChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	app.Synth(nil)
	findings := assertions.Match_StringLikeRegexp(jsii.String("(AwsSolutions|Serverless)-"))
	stacks := 0
	for _, child := range *app.Node().Children() {
		if !*awscdk.Stack_IsStack(child) {
			continue
		}
		stack := awscdk.Stack_Of(child)
		stacks++
		a := assertions.Annotations_FromStack(stack)
		for _, m := range append(*a.FindError(jsii.String("*"), findings), *a.FindWarning(jsii.String("*"), findings)...) {
			t.Errorf("%s %s: %v", *stack.StackName(), *m.Id, m.Entry.Data)
		}
	}
	if !t.Failed() {
		t.Logf("%d stacks synthesized, no cdk-nag finding", stacks)
	}
}
