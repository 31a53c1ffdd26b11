// Command gateway is a REST API in front of one https service, throttled,
// logged, traced and behind AWS's managed WAF rules, with its stage's
// alarms and a dashboard of them.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/api"
)

func main() {
	app := awscdk.NewApp(nil)
	build(app)
	app.Synth(nil)
}

func build(app awscdk.App) {
	stack := awscdk.NewStack(app, jsii.String("shop-api"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-2")},
	})
	al := alarms.New(stack, "Alarms", &alarms.Props{Recipients: map[alarms.Severity]alarms.Recipients{
		alarms.SeverityPage: {Emails: []string{"oncall@example.com"}}, alarms.SeverityNotify: {Emails: []string{"ops@example.com"}},
	}})
	api.New(stack, "Api", &api.Props{
		Alarms: al, RateLimit: 100, BurstLimit: 200, WAF: true, Account: api.NewAccount(stack, "ApiGatewayAccount", &api.AccountProps{ScopedPolicy: true}),
		Services: []api.Service{{Name: "orders", BasePath: "orders", Backend: api.Backend{Type: api.BackendHTTP, URL: "https://orders.example.com"}}},
	})
	al.Dashboard(stack, "Dashboard", "shop-api", "Gateway alarms")
}
