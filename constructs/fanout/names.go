package fanout

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/regions"
)

// Physical names are deterministic so that a regional stack can refer to the
// topic and the delivery dead-letter queues in the primary region by ARN,
// without cross-region exports; the ingest stack deploys first.

func suffix(fifo bool) string {
	if fifo {
		return ".fifo"
	}
	return ""
}

// TopicName is the fan-out topic's name.
func TopicName(prefix string, fifo bool) string {
	return prefix + "-trade-executions" + suffix(fifo)
}

// IngestQueueName is the queue the broker sends to.
func IngestQueueName(prefix string, fifo bool) string {
	return prefix + "-trade-executions-ingest" + suffix(fifo)
}

// DeliveryDLQName is the primary-region queue that holds what the topic could
// not deliver to one region. SNS requires a subscription's dead-letter queue
// in the subscription's (that is, the topic's) region.
func DeliveryDLQName(prefix, region string, fifo bool) string {
	return prefix + "-fanout-" + region + "-dlq" + suffix(fifo)
}

// ConsumerQueueName is a consumer's queue in each region.
func ConsumerQueueName(prefix, consumer string, fifo bool) string {
	return prefix + "-" + consumer + suffix(fifo)
}

// ConsumerDLQName is a consumer's dead-letter queue in each region.
func ConsumerDLQName(prefix, consumer string, fifo bool) string {
	return prefix + "-" + consumer + "-dlq" + suffix(fifo)
}

// arnIn formats the ARN of a named resource in another region of the stack's account.
func arnIn(stack awscdk.Stack, service, region, name string) *string {
	return stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String(service), Region: jsii.String(region), Resource: jsii.String(name)})
}

// SNSPrincipals are the service principals a queue or key in queueRegion must
// trust for deliveries from a topic in topicRegion. SNS needs
// sns.<region>.amazonaws.com when an opt-in region is involved (aws-cdk-lib's
// SqsSubscription always uses the global one); the global principal is kept
// alongside, and every grant is pinned to the topic by aws:SourceArn.
func SNSPrincipals(topicRegion, queueRegion string) []string {
	out := []string{"sns.amazonaws.com"}
	for _, r := range []string{topicRegion, queueRegion} {
		p := "sns." + r + ".amazonaws.com"
		if regions.OptIn(r) && (len(out) == 1 || out[1] != p) {
			out = append(out, p)
		}
	}
	return out
}

// IngestDLQName holds what the redistributor could not publish.
func IngestDLQName(prefix string, fifo bool) string {
	return prefix + "-trade-executions-ingest-dlq" + suffix(fifo)
}
