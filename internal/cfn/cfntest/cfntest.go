// Package cfntest holds the small helpers the template tests share: find a
// resource by construct path, compare with a cmp.Diff message, stand in for
// compiled Lambda code, read a props validation panic and make a stack.
package cfntest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/problems"
	"github.com/google/go-cmp/cmp"
)

// Get returns the resource of the stack's template at the construct path
// suffix, or fails the test.
func Get(t testing.TB, a *cfn.Assembly, stack, path string) cfn.Resource {
	t.Helper()
	r, err := a.Stack(stack).Template.ByPath(path)
	if err != nil {
		t.Fatalf("%s: %v", stack, err)
	}
	return r
}

// Check reports a difference between want and got as a cmp.Diff.
func Check(t testing.TB, what string, want, got any) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

// JSON is v as compact JSON, for substring checks of policy documents.
func JSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Widgets are the dashboard body entries ws render in scope's stack, as
// a dashboard there holds them (references as ${id}, cfn.Joined).
func Widgets(scope constructs.IConstruct, ws ...awscloudwatch.IWidget) []any {
	stack := awscdk.Stack_Of(scope)
	id := fmt.Sprintf("WidgetsProbe%d", len(*stack.Node().Children()))
	d := awscloudwatch.NewDashboard(stack, jsii.String(id), &awscloudwatch.DashboardProps{Widgets: &[]*[]awscloudwatch.IWidget{&ws}})
	body := stack.Resolve(d.Node().DefaultChild().(awscloudwatch.CfnDashboard).DashboardBody())
	var decoded struct{ Widgets []any }
	_ = json.Unmarshal([]byte(cfn.Joined(body)), &decoded)
	return decoded.Widgets
}

// Now is the instant test apps are synthesized at (stacks.PlatformProps.Now,
// alarms.Props.Now), so that the idle alarms' session gates, which start
// from it, give the same templates every day.
var Now = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// StandInCode creates dir/code holding a stand-in `bootstrap`: templates see
// only the asset's hash, so tests need no compiled Lambda.
func StandInCode(dir string) string {
	code := filepath.Join(dir, "code")
	if err := os.MkdirAll(code, 0o755); err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(code, "bootstrap"), []byte("stand-in"), 0o755); err != nil {
		panic(err)
	}
	return code
}

// StandIn is stacks.PlatformProps.ConsumerCode for tests: every Lambda's
// code is the stand-in in dir (StandInCode), a new asset per function.
func StandIn(dir string) func(string) awslambda.Code {
	return func(string) awslambda.Code { return awslambda.Code_FromAsset(jsii.String(dir), nil) }
}

// AnyCode is stacks.PlatformProps.ConsumerCode for tests whose templates'
// code does not matter: the stand-in of one temporary directory per test
// binary (Lambda takes no inline code for provided.al2023).
func AnyCode(string) awslambda.Code { return awslambda.Code_FromAsset(jsii.String(anyCode()), nil) }

var anyCode = sync.OnceValue(func() string {
	dir, err := os.MkdirTemp("", "cfntest-code")
	if err != nil {
		panic(err)
	}
	return StandInCode(dir)
})

// ProblemFields runs f, which must panic with a *problems.Error (a
// construct's props validation), and returns the fields it names.
func ProblemFields(t testing.TB, f func()) (fields []string) {
	t.Helper()
	defer func() {
		r := recover()
		var perr *problems.Error
		if e, ok := r.(error); !ok || !errors.As(e, &perr) {
			t.Fatalf("recovered %v, want a *problems.Error panic", r)
		}
		fields = perr.Fields()
	}()
	f()
	return nil
}

// StackIn is a stack of the test account (111111111111) in region, the
// environment most template tests build in.
func StackIn(app awscdk.App, id, region string) awscdk.Stack {
	return awscdk.NewStack(app, jsii.String(id), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String(region)}})
}
