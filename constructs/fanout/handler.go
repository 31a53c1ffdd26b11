package fanout

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/suppress"
	"github.com/brokerage/platform/problems"
)

// runHandler runs the consumer's handler, a Go Lambda built on package
// lambda/consumer, on its queue: with the idempotency and sequence tables
// the runtime keeps its records in, named to it by the environment
// consumer.Start reads (the tests check the names against the runtime's:
// constructs do not import the Lambdas).
func (r *Regional) runHandler(scope constructs.Construct, cons *Consumer, props *ConsumerProps) {
	cons.IdempotencyTable = r.consumerTable(scope, "IdempotencyTable", &TableProps{PartitionKey: "id"}, "expiresAt")
	cons.SequenceTable = r.consumerTable(scope, "SequenceTable", &TableProps{PartitionKey: "account"}, "")
	cons.env = map[string]*string{
		"IDEMPOTENCY_TABLE": cons.IdempotencyTable.TableName(),
		"SEQUENCE_TABLE":    cons.SequenceTable.TableName(),
		"METRICS_NAMESPACE": jsii.String(alarms.ConsumerNamespace),
	}
	cons.Handler = newQueueFunction(scope, queueFunction{
		id:             "Handler",
		description:    fmt.Sprintf("Processes %s for %s", r.names.words(), props.Name),
		code:           props.Handler,
		timeoutSeconds: float64(props.TimeoutSeconds),
		source:         cons.Queue,
		paused:         props.Paused,
		removal:        r.props.RemovalPolicy,
		environment:    cons.env,
	})
	r.Key.GrantDecrypt(cons.Handler)
	cons.IdempotencyTable.GrantReadWriteData(cons.Handler)
	cons.SequenceTable.GrantReadWriteData(cons.Handler)
	suppress.Nag(cons.Handler.Role(), "AwsSolutions-IAM5", "aws-cdk-lib's table grant: DynamoDB encrypts and decrypts a table with a customer-managed key with the caller's kms:GenerateDataKey* and kms:ReEncrypt*, granted on the region's consumer key only.", "Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*")
}

// consumerTable is one of a handler's tables (its records, or
// Consumer.AddTable's). ttl, when set, names the attribute DynamoDB
// expires items by: the runtime's idempotency records outlive a message
// in the queue and its DLQ (consumer.DefaultRetention), so a redrive from
// the DLQ is still recognised.
func (r *Regional) consumerTable(scope constructs.Construct, id string, keys *TableProps, ttl string) awsdynamodb.Table {
	props := &awsdynamodb.TableProps{
		PartitionKey:  &awsdynamodb.Attribute{Name: jsii.String(keys.PartitionKey), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:   awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:    awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey: r.Key,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		RemovalPolicy: r.props.RemovalPolicy,
	}
	if keys.SortKey != "" {
		props.SortKey = &awsdynamodb.Attribute{Name: jsii.String(keys.SortKey), Type: awsdynamodb.AttributeType_STRING}
	}
	if ttl != "" {
		props.TimeToLiveAttribute = jsii.String(ttl)
	}
	if r.props.RemovalPolicy == awscdk.RemovalPolicy_RETAIN {
		// Deletion protection as well: a stack update that replaced or
		// dropped the table would fail instead of orphaning the records.
		props.DeletionProtection = jsii.Bool(true)
	}
	return awsdynamodb.NewTable(scope, jsii.String(id), props)
}

// TableProps describe a table of a consumer's own (Consumer.AddTable).
type TableProps struct {
	// Env is the environment variable that names the table to the
	// handler, e.g. HOLDINGS_TABLE. Required.
	Env string
	// PartitionKey and SortKey name the key's string attributes; SortKey
	// is optional. PartitionKey is required.
	PartitionKey, SortKey string
}

// AddTable gives the consumer's handler a DynamoDB table for the effects it
// writes with consumer.Write, kept like its records (on demand, the
// region's consumer key, point-in-time recovery, the fan-out's removal
// policy), readable and writable by the handler, and named to it by
// props.Env. It panics when the consumer has no handler or a prop is
// missing.
func (c *Consumer) AddTable(id string, props *TableProps) awsdynamodb.Table {
	l := problems.List{Subject: "fanout.TableProps"}
	if c.Handler == nil {
		l.Add("consumer", c.Name, "a consumer with a handler: the table is its handler's")
	}
	switch {
	case !envName.MatchString(props.Env):
		l.Add("env", props.Env, "an environment variable name: upper-case letters, digits and underscores, starting with a letter")
	case reservedEnv.MatchString(props.Env):
		l.Add("env", props.Env, "a name Lambda does not reserve (AWS_*, LAMBDA_*, _HANDLER and the like)")
	case c.env[props.Env] != nil:
		l.Add("env", props.Env, "a name the handler's environment does not hold yet: "+strings.Join(slices.Sorted(maps.Keys(c.env)), ", "))
	}
	if props.PartitionKey == "" {
		l.Add("partitionKey", props.PartitionKey, "an attribute name")
	}
	if err := l.Err(); err != nil {
		panic(err)
	}
	table := c.regional.consumerTable(c.scope, id, props, "")
	table.GrantReadWriteData(c.Handler)
	c.env[props.Env] = table.TableName()
	c.Handler.AddEnvironment(jsii.String(props.Env), c.env[props.Env], nil)
	return table
}

var (
	envName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	// Lambda's reserved variables
	// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
	reservedEnv = regexp.MustCompile(`^(AWS_.*|LAMBDA_.*|_HANDLER|_X_AMZN_TRACE_ID|TZ)$`)
)
