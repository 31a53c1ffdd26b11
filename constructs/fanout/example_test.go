package fanout_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/fanout"
	"github.com/brokerage/platform/internal/cfn"
)

// The primary region receives the broker's executions and fans them out.
func ExampleNewIngest() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	code := filepath.Join(dir, "code")
	os.Mkdir(code, 0o755)
	os.WriteFile(filepath.Join(code, "bootstrap"), []byte("compiled redistributor"), 0o755)

	app := cfn.NewApp(filepath.Join(dir, "out"))
	stack := awscdk.NewStack(app, jsii.String("ingest"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("ap-southeast-2")}})
	fanout.NewIngest(stack, "Fanout", &fanout.IngestProps{
		Prefix:             "brokerage-prod",
		BrokerAccounts:     []string{"222222222222"},
		FIFO:               true,
		DestinationRegions: []string{"ap-southeast-2", "eu-west-2", "sa-east-1"},
		RedistributorCode:  awslambda.Code_FromAsset(jsii.String(code), nil),
	})

	topic := cfn.Synth(app).Templates["ingest"].Resources("AWS::SNS::Topic")[0]
	fmt.Println(topic.Props["TopicName"], topic.Props["FifoTopic"])
	// Output: brokerage-prod-trade-executions.fifo true
}

// Every region gets a queue per consumer, subscribed across regions.
func ExampleRegional_AddConsumer() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	app := cfn.NewApp(dir)
	stack := awscdk.NewStack(app, jsii.String("uk"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-2")}})
	r := fanout.NewRegional(stack, "Fanout", &fanout.RegionalProps{Prefix: "brokerage-prod", TopicRegion: "ap-southeast-2", FIFO: true})
	r.AddConsumer(&fanout.ConsumerProps{Name: "holdings", TimeoutSeconds: 60, MaxReceiveCount: 5})

	sub := cfn.Synth(app).Templates["uk"].Resources("AWS::SNS::Subscription")[0]
	fmt.Println(sub.Props["Region"], sub.Props["RedrivePolicy"].(map[string]any)["deadLetterTargetArn"])
	// Output: ap-southeast-2 arn:aws:sqs:ap-southeast-2:111111111111:brokerage-prod-fanout-eu-west-2-dlq.fifo
}
