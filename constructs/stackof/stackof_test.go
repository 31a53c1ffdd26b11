package stackof_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/stackof"
)

func TestScope(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Stack"), nil)
	child := constructs.NewConstruct(stack, jsii.String("Child"))
	grandchild := constructs.NewConstruct(child, jsii.String("Grandchild"))
	for name, scope := range map[string]constructs.IConstruct{"the stack": stack, "a child": child, "a grandchild": grandchild} {
		if got := stackof.Scope(scope); got != stack {
			t.Errorf("the stack of %s: got %s, want the stack", name, *got.Node().Path())
		}
	}
}
