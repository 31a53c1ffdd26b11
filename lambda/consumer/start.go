package consumer

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// DefaultNamespace is the CloudWatch namespace of a Processor's metrics
// (Applied, Duplicates, GapHeldSeconds; dimension FunctionName).
const DefaultNamespace = "Brokerage/Consumer"

// The environment variables Start reads; the fan-out's consumer construct
// sets them on the Lambda it runs.
const (
	EnvIdempotencyTable = "IDEMPOTENCY_TABLE" // the idempotency table's name (key "id", TTL "expiresAt")
	EnvSequenceTable    = "SEQUENCE_TABLE"    // the sequence table's name (key "account")
	EnvNamespace        = "METRICS_NAMESPACE" // unset: DefaultNamespace
)

// Start runs handle as the Lambda's SQS handler: the tables and the
// metrics namespace from the environment, the AWS configuration from
// Lambda's. It does not return; without a table's name it exits with a
// message saying which.
//
//	func main() { consumer.Start(apply, consumer.Options{}) }
func Start(handle Handler, opts Options) {
	p, err := fromEnvironment(context.Background(), handle, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
	lambda.Start(p.Handle)
}

func fromEnvironment(ctx context.Context, handle Handler, opts Options) (*Processor, error) {
	idempotency, sequence := os.Getenv(EnvIdempotencyTable), os.Getenv(EnvSequenceTable)
	if idempotency == "" || sequence == "" {
		return nil, fmt.Errorf("%s and %s must name the idempotency and sequence tables (got %q, %q)", EnvIdempotencyTable, EnvSequenceTable, idempotency, sequence)
	}
	if opts.Namespace == "" {
		opts.Namespace = os.Getenv(EnvNamespace)
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	return New(NewDynamoStore(dynamodb.NewFromConfig(cfg), idempotency, sequence), handle, opts), nil
}

// TableName is the name of the team's table that the environment variable
// env holds (the fan-out's Consumer.AddTable sets it). Without it the
// Lambda exits with a message naming env.
//
//	func main() { consumer.Start(apply(consumer.TableName("HOLDINGS_TABLE")), consumer.Options{}) }
func TableName(env string) string {
	table, err := tableName(env)
	if err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
	return table
}

func tableName(env string) (string, error) {
	if table := os.Getenv(env); table != "" {
		return table, nil
	}
	return "", fmt.Errorf("%s must name the table the executions apply to", env)
}
