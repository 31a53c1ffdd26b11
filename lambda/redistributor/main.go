// Command redistributor is the Lambda function that moves trade executions
// from the ingest queue to the fan-out topic, keeping each account's order.
// The handler is package redistribute; this is only its Lambda entry point.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/brokerage/platform/lambda/redistributor/redistribute"
)

func main() {
	cfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	// One attempt per SDK call: the handler retries (package redistribute, Retries).
	client := sns.NewFromConfig(cfg, func(o *sns.Options) { o.RetryMaxAttempts = 1 })
	r := &redistribute.Redistributor{
		TopicARN:     os.Getenv("TOPIC_ARN"),
		Client:       client,
		Namespace:    os.Getenv(redistribute.EnvNamespace), // unset: redistribute.DefaultNamespace
		FunctionName: os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
	}
	lambda.Start(r.Handle)
}
