package redistribute

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/google/go-cmp/cmp"
)

type fakeTopic struct {
	failIDs   map[string]bool // dedup ids whose publish fails
	published []string        // dedup ids accepted, in order
	groups    []string
}

func (f *fakeTopic) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	if f.failIDs[*in.MessageDeduplicationId] {
		return nil, errors.New("throttled")
	}
	f.published = append(f.published, *in.MessageDeduplicationId)
	f.groups = append(f.groups, *in.MessageGroupId)
	return &sns.PublishOutput{}, nil
}

func msg(id, group string) events.SQSMessage {
	return events.SQSMessage{MessageId: "m-" + id, Body: "{}", Attributes: map[string]string{"MessageGroupId": group, "MessageDeduplicationId": id}}
}

func TestFailedPublishHoldsBackTheRestOfItsGroupOnly(t *testing.T) {
	topic := &fakeTopic{failIDs: map[string]bool{"a2": true}}
	r := &Redistributor{TopicARN: "arn:aws:sns:ap-southeast-2:111111111111:t.fifo", Client: topic}
	ev := events.SQSEvent{Records: []events.SQSMessage{msg("a1", "acct-a"), msg("b1", "acct-b"), msg("a2", "acct-a"), msg("b2", "acct-b"), msg("a3", "acct-a")}}

	resp, err := r.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if diff := cmp.Diff([]string{"m-a2", "m-a3"}, failed); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a1", "b1", "b2"}, topic.published); diff != "" {
		t.Errorf("published (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"acct-a", "acct-b", "acct-b"}, topic.groups); diff != "" {
		t.Errorf("message groups (-want +got):\n%s", diff)
	}
}

func TestDeduplicationFallsBackToMessageID(t *testing.T) {
	in := publishInput("arn", events.SQSMessage{MessageId: "m-1", Body: "x", Attributes: map[string]string{"MessageGroupId": "acct"}})
	if got := *in.MessageDeduplicationId; got != "m-1" {
		t.Errorf("dedup id = %q, want the SQS message id m-1", got)
	}
	std := publishInput("arn", events.SQSMessage{MessageId: "m-2", Body: "x"})
	if std.MessageGroupId != nil || std.MessageDeduplicationId != nil {
		t.Errorf("standard message got FIFO attributes: %+v", std)
	}
}
