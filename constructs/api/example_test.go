package api_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/api"
)

// One account-wide logging role per region, and a gateway routing two
// services to their https backends, its stage watched.
func ExampleNew() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("uk"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-2")}})
	al := alarms.New(stack, "Alarms", &alarms.Props{Recipients: map[alarms.Severity]alarms.Recipients{
		alarms.SeverityPage: {Emails: []string{"oncall@example.com"}}, alarms.SeverityNotify: {Emails: []string{"ops@example.com"}}}})
	gw := api.New(stack, "Public", &api.Props{
		Name: "shop-public", Alarms: al, RateLimit: 500, BurstLimit: 1000, Account: api.NewAccount(stack, "ApiGatewayAccount", nil),
		Services: []api.Service{
			{Name: "orders", BasePath: "orders", Backend: api.Backend{Type: api.BackendHTTP, URL: "https://orders.example.com"}},
			{Name: "holdings", BasePath: "holdings", Backend: api.Backend{Type: api.BackendHTTP, URL: "https://holdings.example.com"}},
		},
	})

	app.Synth(nil)
	fmt.Println(gw.Name, gw.StageName)
	// Output: shop-public v1
}
