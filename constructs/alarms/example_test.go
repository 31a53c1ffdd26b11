package alarms_test

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/cfn"
)

// A region's alarm topic, and the recommended alarms of a consumer queue.
func ExampleAlarms_Watch() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	app := cfn.NewApp(dir)
	stack := awscdk.NewStack(app, jsii.String("uk"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-2")}})
	al := alarms.New(stack, "Alarms", &alarms.Props{Prefix: "brokerage-prod", Recipients: map[alarms.Severity]alarms.Recipients{
		alarms.SeverityPage:   {PagerURL: "https://pager.example.com/hook"},
		alarms.SeverityNotify: {Emails: []string{"trading-ops@example.com"}},
	}})
	queue := awssqs.NewQueue(stack, jsii.String("Holdings"), nil)
	al.Watch(queue, alarms.Target{Kind: alarms.KindConsumerQueue, Label: "holdings", Metrics: alarms.QueueMetrics(*queue.QueueName())})

	for _, a := range cfn.Synth(app).Templates["uk"].Resources("AWS::CloudWatch::Alarm") {
		if a.Props["MetricName"] == "ApproximateAgeOfOldestMessage" {
			fmt.Println(a.Props["AlarmName"], a.Props["Threshold"], a.Props["TreatMissingData"])
		}
	}
	// Output: brokerage-prod-holdings-ApproximateAgeOfOldestMessage 300 notBreaching
}

// A region's dashboard: the state of every alarm the construct created,
// then the lines the watched constructs add (a fan-out consumer and a
// gateway add their own when they register).
func ExampleAlarms_Dashboard() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	app := cfn.NewApp(dir)
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

	for _, d := range cfn.Synth(app).Templates["uk"].Resources("AWS::CloudWatch::Dashboard") {
		fmt.Println(d.Props["DashboardName"])
	}
	// Output: trading-eu-west-2
}
