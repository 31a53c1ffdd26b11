package fanout

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/suppress"
)

// runHandler runs the consumer's handler, a Go Lambda built on package
// lambda/consumer, on its queue: with the idempotency and sequence tables
// the runtime keeps its records in, named to it by the environment
// consumer.Start reads (the tests check the names against the runtime's:
// constructs do not import the Lambdas).
func (r *Regional) runHandler(scope constructs.Construct, cons *Consumer, props *ConsumerProps) {
	p := r.props
	cons.IdempotencyTable = r.consumerTable(scope, "IdempotencyTable", "id", "expiresAt")
	cons.SequenceTable = r.consumerTable(scope, "SequenceTable", "account", "")
	cons.Handler = newQueueFunction(scope, queueFunction{
		id:             "Handler",
		description:    fmt.Sprintf("Processes %s for %s", r.names.words(), props.Name),
		code:           props.Handler,
		timeoutSeconds: float64(props.TimeoutSeconds),
		source:         cons.Queue,
		removal:        p.RemovalPolicy,
		environment: map[string]*string{
			"IDEMPOTENCY_TABLE": cons.IdempotencyTable.TableName(),
			"SEQUENCE_TABLE":    cons.SequenceTable.TableName(),
			"METRICS_NAMESPACE": jsii.String(alarms.ConsumerNamespace),
		},
	})
	r.Key.GrantDecrypt(cons.Handler)
	cons.IdempotencyTable.GrantReadWriteData(cons.Handler)
	cons.SequenceTable.GrantReadWriteData(cons.Handler)
	suppress.Nag(cons.Handler.Role(), "AwsSolutions-IAM5", "aws-cdk-lib's table grant: DynamoDB encrypts and decrypts a table with a customer-managed key with the caller's kms:GenerateDataKey* and kms:ReEncrypt*, granted on the region's consumer key only.", "Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*")
}

// consumerTable is one of a handler's record tables: on demand, encrypted
// with the region's consumer key, with point-in-time recovery, kept or
// deleted as the queues are. ttl, when set, names the attribute DynamoDB
// expires items by: the runtime's idempotency records outlive the 14 days
// SQS keeps a message in any queue or DLQ by a day (consumer.Options'
// Retention), so a redrive from a DLQ is still recognised.
func (r *Regional) consumerTable(scope constructs.Construct, id, key, ttl string) awsdynamodb.Table {
	props := &awsdynamodb.TableProps{
		PartitionKey:  &awsdynamodb.Attribute{Name: jsii.String(key), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:   awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:    awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey: r.Key,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		RemovalPolicy: r.props.RemovalPolicy,
	}
	if ttl != "" {
		props.TimeToLiveAttribute = jsii.String(ttl)
	}
	table := awsdynamodb.NewTable(scope, jsii.String(id), props)
	if r.props.RemovalPolicy == awscdk.RemovalPolicy_RETAIN {
		// Deletion protection as well: a stack update that replaced or
		// dropped the table would fail instead of orphaning the records.
		table.Node().DefaultChild().(awsdynamodb.CfnTable).SetDeletionProtectionEnabled(jsii.Bool(true))
	}
	return table
}
