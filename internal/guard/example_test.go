package guard_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/guard"
)

// The plugin fails a synthesis that would lose messages: here a queue with
// no dead-letter queue.
func ExampleNewPlugin() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "out")
	app := cfn.NewApp(out)
	awscdk.Validations_Of(app).AddPlugins(guard.NewPlugin())
	stack := awscdk.NewStack(app, jsii.String("s"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-2")}})
	awssqs.NewQueue(stack, jsii.String("Orphan"), nil)

	_, violations := cfn.SynthOrViolations(app, out)
	fmt.Println(len(violations) > 0)
	// Output: true
}
