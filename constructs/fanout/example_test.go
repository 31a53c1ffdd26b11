package fanout_test

import (
	"fmt"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/fanout"
)

// A fan-out from Sydney to London, watched in both regions. The
// redistributor is built from this module; the regional half takes its
// names and ordering from the ingest.
func ExampleNewIngest() {
	app := awscdk.NewApp(nil)
	in := func(region string) awscdk.Stack {
		return awscdk.NewStack(app, jsii.String(region), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String(region)}})
	}
	sydney, london := in("ap-southeast-2"), in("eu-west-2")
	ops := map[alarms.Severity]alarms.Recipients{alarms.SeverityPage: {Emails: []string{"oncall@example.com"}}, alarms.SeverityNotify: {Emails: []string{"ops@example.com"}}}

	ingest := fanout.NewIngest(sydney, "Fanout", &fanout.IngestProps{
		BrokerAccounts:     []string{"222222222222"},
		BrokerRoles:        []string{"arn:aws:iam::222222222222:role/order-publisher"},
		FIFO:               true,
		DestinationRegions: []string{"eu-west-2"},
		Alarms:             alarms.New(sydney, "Alarms", &alarms.Props{Recipients: ops}),
	})
	regional := ingest.RegionalProps()
	regional.Alarms = alarms.New(london, "Alarms", &alarms.Props{Recipients: ops})
	fanout.NewRegional(london, "Fanout", regional).AddConsumer(&fanout.ConsumerProps{Name: "emails"})

	uk := app.Synth(nil).GetStackByName(jsii.String("eu-west-2")).Template().(map[string]any)
	var queues []string
	for _, r := range uk["Resources"].(map[string]any) {
		r := r.(map[string]any)
		props, _ := r["Properties"].(map[string]any)
		switch {
		case r["Type"] == "AWS::SQS::Queue":
			queues = append(queues, props["QueueName"].(string))
		case r["Type"] == "AWS::SNS::Subscription" && props["Protocol"] == "sqs":
			fmt.Println("subscribed across regions to the topic in", props["Region"])
		}
	}
	sort.Strings(queues)
	fmt.Println(queues)
	// Output:
	// subscribed across regions to the topic in ap-southeast-2
	// [emails-dlq.fifo emails.fifo]
}

// A consumer the fan-out runs: a Go Lambda built on lambda/consumer (here
// the platform's reference holdings consumer), with its records' tables,
// a table of its own and its alarms.
func ExampleConsumer_AddTable() {
	app := awscdk.NewApp(nil)
	in := func(region string) awscdk.Stack {
		return awscdk.NewStack(app, jsii.String(region), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String(region)}})
	}
	sydney, london := in("ap-southeast-2"), in("eu-west-2")
	ops := map[alarms.Severity]alarms.Recipients{alarms.SeverityPage: {Emails: []string{"oncall@example.com"}}, alarms.SeverityNotify: {Emails: []string{"ops@example.com"}}}
	ingest := fanout.NewIngest(sydney, "Fanout", &fanout.IngestProps{
		BrokerAccounts: []string{"222222222222"}, BrokerRoles: []string{"arn:aws:iam::222222222222:role/trade-publisher"},
		FIFO: true, DestinationRegions: []string{"eu-west-2"},
		Alarms: alarms.New(sydney, "Alarms", &alarms.Props{Recipients: ops}),
	})
	regional := ingest.RegionalProps()
	regional.Alarms = alarms.New(london, "Alarms", &alarms.Props{Recipients: ops})

	holdings := fanout.NewRegional(london, "Fanout", regional).AddConsumer(&fanout.ConsumerProps{
		Name: "holdings", TimeoutSeconds: 60, Handler: fanout.ModuleLambda("lambda/holdings"),
	})
	holdings.AddTable("Holdings", &fanout.TableProps{Env: "HOLDINGS_TABLE", PartitionKey: "account", SortKey: "symbol"})

	uk := app.Synth(nil).GetStackByName(jsii.String("eu-west-2")).Template().(map[string]any)
	var tables []string
	for _, r := range uk["Resources"].(map[string]any) {
		r := r.(map[string]any)
		props, _ := r["Properties"].(map[string]any)
		switch r["Type"] {
		case "AWS::DynamoDB::Table":
			key := ""
			for _, k := range props["KeySchema"].([]any) {
				key += " " + k.(map[string]any)["AttributeName"].(string)
			}
			tables = append(tables, "table keyed by"+key)
		case "AWS::Lambda::EventSourceMapping":
			fmt.Println("the handler reads its queue, reporting", props["FunctionResponseTypes"])
		}
	}
	sort.Strings(tables)
	fmt.Println(tables)
	// Output:
	// the handler reads its queue, reporting [ReportBatchItemFailures]
	// [table keyed by account table keyed by account symbol table keyed by id]
}
