//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/brokerage/platform/lambda/consumer"
	"github.com/brokerage/platform/lambda/consumer/trade"
	"github.com/brokerage/platform/stacks"
)

// referenceConsumer is a reference consumer's deployed function, its code
// run in-process on the deployed tables, fed from its queue by the test as
// its event source mapping (disabled in moto) would.
type referenceConsumer struct {
	db                           *dynamodb.Client
	idempotency, sequence, table string
	holdings                     bool // trade.Holdings; else trade.BuyingPower
	processor                    *consumer.Processor
	logs                         *lockedBuffer
	// fault makes the next invocation misbehave as a Lambda's can.
	fault fault
}

// fault is a way an invocation of a consumer goes wrong; the zero value is
// none.
type fault int

const (
	noFault fault = iota
	// crashAfterCommit: the handler commits, then the invocation dies
	// before the mapping deletes the batch: it comes back whole.
	crashAfterCommit
	// concurrentDuplicate: the batch's visibility timeout runs out while
	// the handler runs, and a second invocation receives it too: both run
	// at once, and the batch comes back.
	concurrentDuplicate
)

// newReferenceConsumer reads the function's environment, as its main does,
// and builds its handler on the region's deployed tables; nil for a
// function that is not a reference consumer.
func newReferenceConsumer(ctx context.Context, d *deployment, region, function string) (*referenceConsumer, error) {
	fn, err := d.cloud.in(region).lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: &function})
	if err != nil {
		return nil, fmt.Errorf("function %s: %w", function, err)
	}
	var env map[string]string
	if fn.Environment != nil {
		env = fn.Environment.Variables
	}
	r := &referenceConsumer{idempotency: env[consumer.EnvIdempotencyTable], sequence: env[consumer.EnvSequenceTable], logs: &lockedBuffer{}}
	// The reference consumers' code, by the name stacks.ReferenceConsumers
	// gives them; each function is told its table by its Table.Env.
	code := map[string]func(table string) consumer.Handler{"holdings": trade.Holdings, "buying-power": trade.BuyingPower}
	var handle consumer.Handler
	for name, ref := range stacks.ReferenceConsumers {
		if table := env[ref.Table.Env]; table != "" {
			if code[name] == nil {
				return nil, fmt.Errorf("function %s runs the reference consumer %s, which the test cannot run", function, name)
			}
			r.table, r.holdings, handle = table, name == "holdings", code[name](table)
		}
	}
	if handle == nil {
		return nil, nil
	}
	if r.idempotency == "" || r.sequence == "" {
		return nil, fmt.Errorf("function %s: its environment names no idempotency or sequence table: %v", function, env)
	}
	r.db = dynamodb.NewFromConfig(d.cloud.cfg, func(o *dynamodb.Options) { o.Region = region })
	r.processor = consumer.New(consumer.NewDynamoStore(r.db, r.idempotency, r.sequence), handle, consumer.Options{Logs: r.logs})
	return r, nil
}

// invoke receives one batch from url, as the event source mapping does, runs
// the processor on it, deletes what it applied (or found applied) and makes
// the rest visible again at once, standing in for the visibility timeout.
// It returns the messages deleted and how many failed.
func (r *referenceConsumer) invoke(ctx context.Context, client *sqs.Client, url string) ([]sqstypes.Message, int, error) {
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: &url, MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil || len(out.Messages) == 0 {
		return nil, 0, err
	}
	f := r.fault
	r.fault = noFault
	if f != noFault {
		return nil, len(out.Messages), r.misbehave(ctx, client, url, f, out.Messages)
	}
	resp, err := r.processor.Handle(ctx, lambdaEvent(out.Messages))
	if err != nil {
		return nil, 0, err
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	deleted, err := settle(ctx, client, url, out.Messages, failed)
	return deleted, len(failed), err
}

// state is what the consumer applied for account: its last sequence, and
// its position in symbol (holdings) or its cash (buying power).
func (r *referenceConsumer) state(ctx context.Context, account, symbol string) (last, value int64, err error) {
	seq, err := r.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &r.sequence, ConsistentRead: aws.Bool(true),
		Key: map[string]dbtypes.AttributeValue{"account": &dbtypes.AttributeValueMemberS{Value: account}}})
	if err != nil {
		return 0, 0, err
	}
	key := map[string]dbtypes.AttributeValue{"account": &dbtypes.AttributeValueMemberS{Value: account}}
	attr := "cash"
	if r.holdings {
		key["symbol"], attr = &dbtypes.AttributeValueMemberS{Value: symbol}, "quantity"
	}
	item, err := r.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &r.table, Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return 0, 0, err
	}
	return number(seq.Item["last"]), number(item.Item[attr]), nil
}

func number(v dbtypes.AttributeValue) int64 {
	n, ok := v.(*dbtypes.AttributeValueMemberN)
	if !ok {
		return 0
	}
	i, _ := strconv.ParseInt(n.Value, 10, 64)
	return i
}

// consume runs the consumer over its queue until a receive comes back
// empty or a batch leaves messages to retry (each receive counts towards
// the queue's maxReceiveCount), and returns what it deleted.
func (r *referenceConsumer) consume(ctx context.Context, client *sqs.Client, url string) ([]delivered, error) {
	var got []delivered
	for {
		deleted, failed, err := r.invoke(ctx, client, url)
		for _, m := range deleted {
			got = append(got, deliveredOf(m))
		}
		if err != nil || failed > 0 || len(deleted) == 0 {
			return got, err
		}
	}
}

// lambdaEvent is the SQS event Lambda hands the function for messages.
func lambdaEvent(messages []sqstypes.Message) events.SQSEvent {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(messages))}
	for i, m := range messages {
		ev.Records[i] = events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body), Attributes: m.Attributes, MessageAttributes: lambdaAttributes(m.MessageAttributes)}
	}
	return ev
}

// misbehave handles the received batch as fault f has it, and leaves every
// message of it in the queue, visible again.
func (r *referenceConsumer) misbehave(ctx context.Context, client *sqs.Client, url string, f fault, messages []sqstypes.Message) error {
	// settle with every message failed: all visible again, none deleted.
	visible := func(messages []sqstypes.Message) error {
		all := map[string]bool{}
		for _, m := range messages {
			all[aws.ToString(m.MessageId)] = true
		}
		_, err := settle(ctx, client, url, messages, all)
		return err
	}
	switch f {
	case crashAfterCommit:
		if _, err := r.processor.Handle(ctx, lambdaEvent(messages)); err != nil {
			return err
		}
		return visible(messages)
	case concurrentDuplicate:
		if err := visible(messages); err != nil {
			return err
		}
		again, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: &url, MaxNumberOfMessages: int32(len(messages)),
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			return err
		}
		if len(again.Messages) != len(messages) {
			return fmt.Errorf("received %d messages again, want the %d of the batch", len(again.Messages), len(messages))
		}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, batch := range [][]sqstypes.Message{messages, again.Messages} {
			wg.Go(func() { _, errs[i] = r.processor.Handle(ctx, lambdaEvent(batch)) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		return visible(again.Messages)
	}
	return fmt.Errorf("unknown fault %d", f)
}
