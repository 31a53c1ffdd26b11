package api_test

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/api"
	"github.com/brokerage/platform/internal/cfn"
)

// One account-wide logging role per region, and a gateway routing two
// services to their https backends.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	app := cfn.NewApp(dir)
	stack := awscdk.NewStack(app, jsii.String("uk"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-2")}})
	api.NewAccount(stack, "ApiGatewayAccount")
	api.New(stack, "Public", &api.Props{
		Name: "brokerage-prod-public", RateLimit: 500, BurstLimit: 1000,
		Services: []api.Service{
			{Name: "orders", BasePath: "orders", Backend: api.Backend{Type: api.BackendHTTP, URL: "https://orders.example.com"}},
			{Name: "holdings", BasePath: "holdings", Backend: api.Backend{Type: api.BackendHTTP, URL: "https://holdings.example.com"}},
		},
	})

	stage := cfn.Synth(app).Templates["uk"].Resources("AWS::ApiGateway::Stage")[0]
	fmt.Println(stage.Props["StageName"], stage.Props["TracingEnabled"])
	// Output: v1 true
}
