// Package redistribute moves trade executions from the ingest queue to the
// fan-out topic, keeping each account's order. It is the redistributor
// Lambda's handler, kept apart from the Lambda's main so that the end-to-end
// test (e2e/) can run the same code against the local AWS emulator, which
// cannot run Lambda code.
//
// For a FIFO path every message keeps its message group (one per account) and
// de-duplication id. A batch from a FIFO queue holds messages in group order;
// when one publish fails, it and every later message of the same group are
// reported as failures (partial batch response) so that SQS redelivers them in
// order, while other groups go on. Nothing is acknowledged that was not
// accepted by the topic.
package redistribute

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// Publisher is the part of the SNS client the redistributor uses.
type Publisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Redistributor republishes SQS messages to a topic.
type Redistributor struct {
	// TopicARN is the fan-out topic (the function's TOPIC_ARN).
	TopicARN string
	// Client publishes to the topic.
	Client Publisher
}

// Handle publishes a batch from the SQS event source and reports the messages
// that must be retried.
func (r *Redistributor) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	failedGroups := map[string]bool{}
	for _, m := range ev.Records {
		group := m.Attributes["MessageGroupId"]
		if group != "" && failedGroups[group] {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			continue
		}
		if _, err := r.Client.Publish(ctx, publishInput(r.TopicARN, m)); err != nil {
			if group != "" {
				failedGroups[group] = true
			}
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

// publishInput carries the body and the FIFO identity of an SQS message over
// to the topic. The de-duplication id falls back to the SQS message id, which is
// stable across redeliveries of the same message.
func publishInput(topicARN string, m events.SQSMessage) *sns.PublishInput {
	in := &sns.PublishInput{TopicArn: &topicARN, Message: &m.Body}
	if group := m.Attributes["MessageGroupId"]; group != "" {
		dedup := m.Attributes["MessageDeduplicationId"]
		if dedup == "" {
			dedup = m.MessageId
		}
		in.MessageGroupId = &group
		in.MessageDeduplicationId = &dedup
	}
	return in
}
