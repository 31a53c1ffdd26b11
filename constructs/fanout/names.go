package fanout

import (
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/regions"
)

// DefaultSubject names what flows through a fan-out whose props name
// nothing (IngestProps.Subject).
const DefaultSubject = "messages"

// Names are a fan-out's physical names. They are deterministic so that a
// regional stack can refer to the topic and the delivery dead-letter queues
// in the topic's region by ARN, without cross-region exports; the ingest
// stack deploys first. Take them from IngestProps.Names or
// RegionalProps.Names, which apply the defaults.
type Names struct {
	// Prefix starts every name ("" for none), e.g. "brokerage-prod".
	Prefix string
	// Subject names what flows, e.g. "trade-executions".
	Subject string
	// FIFO ends the queue and topic names in .fifo.
	FIFO bool
}

// name is part after the prefix and a hyphen (none without a prefix),
// with the FIFO suffix.
func (n Names) name(part string) string {
	s := strings.TrimPrefix(n.Prefix+"-"+part, "-")
	if n.FIFO {
		return s + ".fifo"
	}
	return s
}

// Topic is the fan-out topic's name.
func (n Names) Topic() string { return n.name(n.Subject) }

// IngestQueue is the queue the senders send to.
func (n Names) IngestQueue() string { return n.name(n.Subject + "-ingest") }

// IngestDLQ holds what the redistributor could not publish (on the FIFO
// path, the operators' parking queue).
func (n Names) IngestDLQ() string { return n.name(n.Subject + "-ingest-dlq") }

// DeliveryDLQ is the topic-region queue that holds what the topic could not
// deliver to one region. SNS requires a subscription's dead-letter queue in
// the subscription's (that is, the topic's) region.
func (n Names) DeliveryDLQ(region string) string { return n.name("fanout-" + region + "-dlq") }

// ConsumerQueue is a consumer's queue in each region.
func (n Names) ConsumerQueue(consumer string) string { return n.name(consumer) }

// ConsumerDLQ is a consumer's dead-letter queue in each region.
func (n Names) ConsumerDLQ(consumer string) string { return n.name(consumer + "-dlq") }

// words is the subject in descriptions: "trade executions".
func (n Names) words() string { return strings.ReplaceAll(n.Subject, "-", " ") }

// keyAlias is the alias of a key of the fan-out: alias/<prefix>/<subject>-<use>.
func (n Names) keyAlias(use string) string {
	return strings.Replace("alias/"+n.Prefix+"/"+n.Subject+"-"+use, "//", "/", 1)
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
		if regions.OptIn(r) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
