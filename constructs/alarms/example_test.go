package alarms_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
)

// resources are the synthesized resources of type typ in the stack named
// name, as CloudFormation reads them.
func resources(app awscdk.App, name, typ string) []map[string]any {
	template := app.Synth(nil).GetStackByName(jsii.String(name)).Template().(map[string]any)
	var out []map[string]any
	for _, r := range template["Resources"].(map[string]any) {
		if r := r.(map[string]any); r["Type"] == typ {
			out = append(out, r["Properties"].(map[string]any))
		}
	}
	return out
}

// A region's alarm topic, and the recommended alarms of a consumer queue.
func ExampleAlarms_Watch() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("uk"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-2")}})
	al := alarms.New(stack, "Alarms", &alarms.Props{Prefix: "brokerage-prod", Recipients: map[alarms.Severity]alarms.Recipients{
		alarms.SeverityPage:   {PagerURL: "https://pager.example.com/hook"},
		alarms.SeverityNotify: {Emails: []string{"trading-ops@example.com"}},
	}})
	queue := awssqs.NewQueue(stack, jsii.String("Holdings"), nil)
	al.Watch(queue, alarms.Target{Kind: alarms.KindConsumerQueue, Label: "holdings", Metrics: alarms.QueueMetrics(*queue.QueueName())})

	for _, a := range resources(app, "uk", "AWS::CloudWatch::Alarm") {
		if a["MetricName"] == "ApproximateAgeOfOldestMessage" {
			fmt.Println(a["AlarmName"], a["Threshold"], a["TreatMissingData"])
		}
	}
	// Output: brokerage-prod-holdings-ApproximateAgeOfOldestMessage 300 notBreaching
}

// A region's dashboard: the state of every alarm the construct created,
// then the lines the watched constructs add (a fan-out consumer and a
// gateway add their own when they register).
func ExampleAlarms_Dashboard() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("uk"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-2")}})
	al := alarms.New(stack, "Alarms", &alarms.Props{Recipients: map[alarms.Severity]alarms.Recipients{
		alarms.SeverityPage:   {PagerURL: "https://pager.example.com/hook"},
		alarms.SeverityNotify: {Emails: []string{"trading-ops@example.com"}},
	}})
	queue := awssqs.NewQueue(stack, jsii.String("Holdings"), nil)
	holdings := alarms.QueueMetrics(*queue.QueueName())
	al.Watch(queue, alarms.Target{Kind: alarms.KindConsumerQueue, Label: "holdings", Metrics: holdings})
	al.AddWidgets(alarms.Graph("holdings: arrivals", holdings.Metric("NumberOfMessagesSent", "Sum").Line("arrived")))
	al.Dashboard(stack, "Dashboard", "trading-eu-west-2", "Alarms in eu-west-2")

	for _, d := range resources(app, "uk", "AWS::CloudWatch::Dashboard") {
		fmt.Println(d["DashboardName"])
	}
	// Output: trading-eu-west-2
}
