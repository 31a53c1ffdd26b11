package fanout

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/internal/suppress"
)

type queueFunction struct {
	id, description string
	code            awslambda.Code
	timeoutSeconds  float64
	environment     map[string]*string
	source          awssqs.IQueue
	// removal applies to the function's log group, like the queues it reads:
	// its lines are the record of what failed.
	removal awscdk.RemovalPolicy
	// maxConcurrency caps the event source's concurrent batches; 0 leaves
	// Lambda's default (for a FIFO source, one per active message group).
	maxConcurrency float64
	// paused creates the event source mapping disabled.
	paused bool
}

// newQueueFunction is a Go Lambda (provided.al2023, arm64) fed by an SQS
// queue in batches of 10 with partial batch failure reporting, traced, logging
// to its own log group through a role that may write only there.
func newQueueFunction(scope constructs.Construct, f queueFunction) awslambda.Function {
	logs := awslogs.NewLogGroup(scope, jsii.String(f.id+"Logs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_THREE_MONTHS,
		RemovalPolicy: f.removal,
	})
	// An explicit role instead of AWSLambdaBasicExecutionRole: write to this
	// log group only.
	role := awsiam.NewRole(scope, jsii.String(f.id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String(f.description),
	})
	logs.GrantWrite(role)
	fn := awslambda.NewFunction(scope, jsii.String(f.id), &awslambda.FunctionProps{
		Description:  jsii.String(f.description),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         f.code,
		Timeout:      awscdk.Duration_Seconds(jsii.Number(f.timeoutSeconds)),
		MemorySize:   jsii.Number(256),
		Tracing:      awslambda.Tracing_ACTIVE,
		LogGroup:     logs,
		Role:         role,
		Environment:  &f.environment,
	})
	source := &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(10),
		ReportBatchItemFailures: jsii.Bool(true),
	}
	if f.paused {
		source.Enabled = jsii.Bool(false)
	}
	if f.maxConcurrency > 0 {
		source.MaxConcurrency = jsii.Number(f.maxConcurrency)
	}
	fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(f.source, source))
	suppress.Resource(fn).
		Checkov("CKV_AWS_116", "Invoked synchronously by its SQS event source mapping: failed messages go to the source queue's dead-letter queue.").
		Checkov("CKV_AWS_117", "Calls only AWS service APIs (SNS, SQS, KMS) and reaches no private resource; a VPC would add NAT or endpoints without reducing exposure.").
		Checkov("CKV_AWS_115", "Concurrency is bounded by the SQS event source (its maximum concurrency where one is set, else one batch in flight per FIFO message group); a reservation would fail in accounts with a low quota and throttle the path.").
		Checkov("CKV_AWS_173", "Its environment holds only resource names and ARNs, no secrets.").
		// CDK makes the function depend on its role explicitly as well as
		// through Fn::GetAtt, which cfn-lint reports as redundant.
		CfnLint("W3005").
		Nag("Serverless-LambdaDLQ", "Invoked synchronously by its SQS event source mapping, never asynchronously: failed messages go to the source queue's dead-letter queue through its redrive policy.").
		Record()
	logsResource := logs.Node().DefaultChild().(awscdk.CfnResource)
	suppress.Checkov(logsResource, "CKV_AWS_158", "The function logs message ids and errors, never message bodies; CloudWatch Logs encrypts at rest with its own keys.")
	suppress.Nag(fn, "Serverless-LambdaEventSourceMappingDestination", "SQS event source mappings take no on-failure destination; the source queue's redrive policy moves failed messages to its dead-letter queue.")
	suppress.Subtree(role).
		Nag("AwsSolutions-IAM5", "X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions (active tracing).", "Resource::*").
		Nag("AwsSolutions-IAM5", "The log group's streams are created at run time; the grant is limited to this function's log group.", "Resource::<"+*awscdk.Stack_Of(scope).GetLogicalId(logsResource)+".Arn>:*").
		Record()
	return fn
}
