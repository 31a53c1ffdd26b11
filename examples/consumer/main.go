// Command consumer runs a holdings consumer in London on the fan-out from
// Sydney: the team writes how one execution changes an account's holdings
// (holdings/main.go); the fanout construct runs it on the consumer queue,
// once per execution and in each account's sequence, with its tables and
// alarms.
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
	sydney := awscdk.NewStack(app, jsii.String("trades-sydney"), env("ap-southeast-2"))
	london := awscdk.NewStack(app, jsii.String("trades-london"), env("eu-west-2"))
	ops := map[alarms.Severity]alarms.Recipients{
		alarms.SeverityPage: {Emails: []string{"oncall@example.com"}}, alarms.SeverityNotify: {Emails: []string{"ops@example.com"}},
	}
	ingest := fanout.NewIngest(sydney, "Fanout", &fanout.IngestProps{
		Subject: "trades", FIFO: true, DestinationRegions: []string{"eu-west-2"},
		BrokerAccounts: []string{"222222222222"}, BrokerRoles: []string{"arn:aws:iam::222222222222:role/trade-publisher"},
		Alarms: alarms.New(sydney, "Alarms", &alarms.Props{Recipients: ops}),
	})
	london.AddDependency(sydney, jsii.String("subscribes to the fan-out topic"))
	regional := ingest.RegionalProps()
	regional.Alarms = alarms.New(london, "Alarms", &alarms.Props{Recipients: ops})
	r := fanout.NewRegional(london, "Fanout", regional)

	holdings := r.AddConsumer(&fanout.ConsumerProps{Name: "holdings", TimeoutSeconds: 60, Handler: fanout.GoCode("./holdings")})
	// The team's own table, which the handler updates in the transaction
	// that records each execution applied.
	holdings.AddTable("Holdings", &fanout.TableProps{Env: "HOLDINGS_TABLE", PartitionKey: "account", SortKey: "symbol"})
}
