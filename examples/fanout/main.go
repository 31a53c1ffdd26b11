// Command fanout fans messages out from Sydney to a queue per consumer in
// London, with the alarms and the "nothing lost" rules that come with the
// fanout construct, and London's dashboard of them.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/fanout"
)

func main() {
	app := awscdk.NewApp(nil)
	build(app)
	app.Synth(nil)
}

func build(app awscdk.App) {
	env := func(region string) *awscdk.StackProps {
		return &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String(region)}}
	}
	sydney := awscdk.NewStack(app, jsii.String("orders-sydney"), env("ap-southeast-2"))
	london := awscdk.NewStack(app, jsii.String("orders-london"), env("eu-west-2"))
	ops := map[alarms.Severity]alarms.Recipients{
		alarms.SeverityPage: {Emails: []string{"oncall@example.com"}}, alarms.SeverityNotify: {Emails: []string{"ops@example.com"}},
	}

	ingest := fanout.NewIngest(sydney, "Fanout", &fanout.IngestProps{
		Subject: "orders", FIFO: true, DestinationRegions: []string{"eu-west-2"},
		BrokerAccounts: []string{"222222222222"}, BrokerRoles: []string{"arn:aws:iam::222222222222:role/order-publisher"},
		Alarms: alarms.New(sydney, "Alarms", &alarms.Props{Recipients: ops}),
	})
	london.AddDependency(sydney, jsii.String("subscribes to the fan-out topic"))
	regional := ingest.RegionalProps()
	regional.Alarms = alarms.New(london, "Alarms", &alarms.Props{Recipients: ops})
	fanout.NewRegional(london, "Fanout", regional).AddConsumer(&fanout.ConsumerProps{Name: "emails"})
	regional.Alarms.Dashboard(london, "Dashboard", "orders-london", "Alarms in London")
}
