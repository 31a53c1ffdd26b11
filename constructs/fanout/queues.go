package fanout

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/keys"
	"github.com/brokerage/platform/internal/suppress"
	"github.com/brokerage/platform/problems"
)

// DLQRetention is how long every dead-letter queue keeps a message: the SQS
// maximum, longer than the source queues' retention, as AWS recommends.
const DLQRetention = 14 * 24 // hours

// QueueRetention is how long a working queue with a dead-letter queue keeps
// a message. A queue that stalls instead (cfn.OrderingStall) keeps its
// messages for DLQRetention, the SQS maximum: a stalled account's
// executions must outlast the time it takes to unblock it, and nothing
// else keeps them.
const QueueRetention = 4 * 24 // hours

type queueSpec struct {
	name              string
	fifo              bool
	key               awskms.IKey
	removal           awscdk.RemovalPolicy
	visibilitySeconds float64
	deadLetter        awssqs.IQueue // nil: this queue is a dead-letter queue, unless ordering says otherwise
	maxReceiveCount   float64
	// ordering declares a policy that replaces the dead-letter queue
	// (cfn.OrderingStall: a working queue without one; cfn.OrderingParking: a
	// queue an operator parks messages in).
	ordering string
	// unreferencedDLQ, for a dead-letter queue that no queue of its stack
	// names (cdk-nag's AwsSolutions-SQS3 cannot see its source), says what
	// it is the dead-letter queue of.
	unreferencedDLQ string
	// maxMessageBytes caps a message's size (SQS's MaximumMessageSize);
	// 0 leaves SQS's default.
	maxMessageBytes float64
	// overrides replace the props built from the fields above (a
	// consumer's QueueProps, its decided fields refused before).
	overrides *awssqs.QueueProps
}

// newQueue builds a TLS-only, KMS-encrypted queue. With a deadLetter it is a
// working queue; without, it is a dead-letter queue kept for 14 days.
func newQueue(scope constructs.Construct, id string, s queueSpec) awssqs.Queue {
	props := &awssqs.QueueProps{
		QueueName:           jsii.String(s.name),
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: s.key,
		DataKeyReuse:        awscdk.Duration_Hours(jsii.Number(1)),
		EnforceSSL:          jsii.Bool(true),
		RemovalPolicy:       s.removal,
		RetentionPeriod:     awscdk.Duration_Hours(jsii.Number(DLQRetention)),
	}
	if s.fifo {
		props.Fifo = jsii.Bool(true)
		// Per-group de-duplication and throughput: each account is its own group,
		// so high-throughput FIFO scales with the number of accounts.
		props.DeduplicationScope = awssqs.DeduplicationScope_MESSAGE_GROUP
		props.FifoThroughputLimit = awssqs.FifoThroughputLimit_PER_MESSAGE_GROUP_ID
	}
	if s.deadLetter != nil || s.ordering == cfn.OrderingStall { // a working queue
		props.VisibilityTimeout = awscdk.Duration_Seconds(jsii.Number(s.visibilitySeconds))
		if s.ordering != cfn.OrderingStall {
			props.RetentionPeriod = awscdk.Duration_Hours(jsii.Number(QueueRetention))
		}
	}
	if s.maxMessageBytes > 0 {
		props.MaxMessageSizeBytes = jsii.Number(s.maxMessageBytes)
	}
	if s.deadLetter != nil {
		props.DeadLetterQueue = &awssqs.DeadLetterQueue{Queue: s.deadLetter, MaxReceiveCount: jsii.Number(s.maxReceiveCount)}
	}
	override(props, s.overrides)
	q := awssqs.NewQueue(scope, jsii.String(id), props)
	if s.ordering != "" {
		q.Node().DefaultChild().(awscdk.CfnResource).AddMetadata(jsii.String(cfn.OrderingMetadata), s.ordering)
	}
	findings := suppress.Resource(q)
	switch {
	case s.ordering == cfn.OrderingStall:
		why := "Ordering policy: a failing message stalls its message group here instead of moving to a dead-letter queue, which would let the group's later messages overtake it (SQS developer guide, dead-letter queues and FIFO); the queue's age alarm pages and the runbook says how to unblock it."
		findings.Nag("Serverless-SQSRedrivePolicy", why).Nag("AwsSolutions-SQS3", why)
	case s.ordering == cfn.OrderingParking:
		why := "Parking queue of a stalling queue: an operator moves a message here to unblock its group; alarmed on the first arrival, 14-day retention. A dead-letter queue of its own would only move the same messages again."
		findings.Nag("Serverless-SQSRedrivePolicy", why).Nag("AwsSolutions-SQS3", why)
	case s.deadLetter == nil:
		findings.Nag("Serverless-SQSRedrivePolicy", "This queue is a dead-letter queue (14-day retention, alarmed on the first arrival); a dead-letter queue of its own would only move the same messages again.")
	}
	if s.unreferencedDLQ != "" {
		findings.Nag("AwsSolutions-SQS3", s.unreferencedDLQ)
	}
	findings.Record()
	return q
}

// allowSNS lets the topic (and only it) write to the queue, whose ARN is
// queueARN, through SNS (principals, from keys.ServicePrincipals).
// It returns the policy, which a subscription must wait for.
func allowSNS(q awssqs.Queue, queueARN, topicARN *string, principals *[]awsiam.IPrincipal) constructs.IDependable {
	return q.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowFanoutTopic"),
		Principals: principals,
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{queueARN},
		Conditions: &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": topicARN}},
	})).PolicyDependable
}

// checkMaxReceiveCount reports at field a receive count SQS's redrive
// policy refuses (1 to 1000; 0 takes def, what the message calls it).
func checkMaxReceiveCount(l *problems.List, field string, n int, def string) {
	if n < 0 || n > 1000 {
		l.Add(field, n, "a number from 1 to 1000, or 0 for "+def)
	}
}

// ownKey reports at field a key that is not of scope's stack: the
// "nothing lost" rules read a key's policy in the template of the queues
// it encrypts (an imported key is no awskms.Key).
func ownKey(l *problems.List, field string, key awskms.Key, scope constructs.Construct, removal awscdk.RemovalPolicy) {
	if key == nil || scope == nil {
		return
	}
	if stack := awscdk.Stack_Of(scope); *awscdk.Stack_Of(key).Node().Path() != *stack.Node().Path() {
		l.Add(field, *key.Node().Path(), "a key of the stack "+*stack.Node().Path()+" (awskms.NewKey there): the \"nothing lost\" rules read its policy in the template of the queues it encrypts")
	}
	kept := key.Node().DefaultChild().(awscdk.CfnResource).CfnOptions().DeletionPolicy()
	if (removal == "" || removal == awscdk.RemovalPolicy_RETAIN) && kept != awscdk.CfnDeletionPolicy_RETAIN && kept != awscdk.CfnDeletionPolicy_RETAIN_EXCEPT_ON_CREATE {
		l.Add(field, fmt.Sprintf("%s, deletion policy %s", *key.Node().Path(), kept), "a key retained as the queues it encrypts are (RemovalPolicy RETAIN): deleting it would leave what they hold unreadable")
	}
}

// keyForSNS lets SNS encrypt messages for queues under the key, only on
// behalf of the topic.
func keyForSNS(key awskms.Key, topicARN *string, principals *[]awsiam.IPrincipal) {
	keys.AllowService(key, "AllowFanoutTopicDelivery", principals, "ArnEquals", topicARN)
}

// dlqVisibleMessages is both halves' MetricDLQVisibleMessages (see Consumer's).
func dlqVisibleMessages(q awssqs.IQueue, opts *awscloudwatch.MetricOptions) awscloudwatch.IMetric {
	return q.MetricApproximateNumberOfMessagesVisible(alarms.KindDLQ.MetricOptions("ApproximateNumberOfMessagesVisible", opts))
}
