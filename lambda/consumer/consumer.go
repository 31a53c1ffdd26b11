// Package consumer turns the fan-out's at-least-once, per-account ordered
// delivery into effects applied exactly once, in each account's sequence.
// A consumer Lambda on a consumer queue of the fan-out writes
//
//	func apply(ctx context.Context, e consumer.Execution) error { ... }
//
//	func main() {
//		p := consumer.New(consumer.NewDynamoStore(dynamodb.NewFromConfig(cfg), idempotencyTable, sequenceTable), apply, consumer.Options{})
//		lambda.Start(p.Handle)
//	}
//
// and Processor.Handle, the SQS event source's handler (with
// ReportBatchItemFailures), guarantees:
//
//   - At most once per execution id: a conditional write claims the
//     execution before apply runs; a concurrent delivery of the same
//     execution finds the claim and is retried later, when it finds the
//     execution applied. A claim whose Lambda died expires after
//     Options.Lease, so a crash mid-effect is retried. Writes apply adds
//     with Write commit in one DynamoDB transaction with the claim's
//     completion and the account's sequence: for them, exactly once.
//   - In sequence per account: an execution is applied only when its
//     sequence follows the account's last applied one. After a failure the
//     rest of the account's messages in the batch are reported failed (FIFO
//     semantics): nothing overtakes.
//   - Gaps are held: an execution whose sequence skips one is not applied;
//     it and the rest of its account's messages are reported failed, one
//     JSON line is logged and the GapHeldSeconds metric written, until the
//     missing execution arrives (docs/consumers.md says how an operator
//     releases a sequence number known to be lost).
//   - An execution's body is never logged.
//
// The design follows Powertools for AWS Lambda's idempotency utility (a
// record per key, IN_PROGRESS with an expiring lease, then COMPLETED),
// which has no Go version and knows nothing of per-account order.
package consumer

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/brokerage/platform/lambda/internal/emf"
)

// Execution is one trade execution as the broker sent it.
type Execution struct {
	// ID is the execution id: the message's de-duplication id, or the
	// body's executionId.
	ID string
	// Account is the broker account it belongs to: its message group.
	Account string
	// Sequence is the account's sequence number of the execution: 1 for its
	// first, one more for each next (docs/broker-contract.md).
	Sequence int64
	// Body is the execution as the broker sent it (JSON). Never logged.
	Body []byte
}

// Handler applies one execution. A nil error means applied; it is then
// never called again for the execution's id. Writes added with Write
// commit with that decision, atomically.
type Handler func(ctx context.Context, e Execution) error

// Options tune a Processor. Every field has a default.
type Options struct {
	// Lease is how long a claim holds an execution while Handler runs:
	// after it, a delivery may claim it again (the Lambda died). Default:
	// the function's remaining time when the batch starts, or 15 minutes.
	Lease time.Duration
	// Retention is how long an applied execution's record is kept (its
	// DynamoDB TTL): a redelivery of it after that is applied again.
	// Default: DefaultRetention, so that a redrive from the DLQ is still caught.
	Retention time.Duration
	// Namespace of the metrics (embedded metric format). Default:
	// DefaultNamespace.
	Namespace string
	// Logs receives one JSON line per held gap and per failure. Default:
	// standard output, where Lambda collects it.
	Logs io.Writer
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// DefaultRetention is how long an applied execution's record is kept by
// default: 19 days, a day past the longest a message lives in a FIFO
// consumer queue and its dead-letter queue. The queue keeps it 4 days and
// the DLQ 14, and "for FIFO queues, the enqueue timestamp resets when the
// message is moved to a dead-letter queue"
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html).
const DefaultRetention = 19 * 24 * time.Hour

// Processor applies the executions of SQS batches through a Store.
type Processor struct {
	store  Store
	handle Handler
	opts   Options
	log    *slog.Logger
}

// New is a Processor that records what it applied in store and applies
// executions with handle.
func New(store Store, handle Handler, opts Options) *Processor {
	opts.Retention = cmp.Or(opts.Retention, DefaultRetention)
	opts.Namespace = cmp.Or(opts.Namespace, DefaultNamespace)
	opts.Logs = cmp.Or[io.Writer](opts.Logs, os.Stdout)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Processor{store: store, handle: handle, opts: opts, log: slog.New(slog.NewJSONHandler(opts.Logs, nil))}
}

// Handle processes one SQS batch and reports the messages to retry: the
// SQS event source's handler, with ReportBatchItemFailures on.
func (p *Processor) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	lease := p.opts.Lease
	if lease == 0 {
		lease = 15 * time.Minute
		if deadline, ok := ctx.Deadline(); ok {
			lease = time.Until(deadline)
		}
	}
	// Accounts do not wait for each other; within one, order is kept.
	held := map[string]bool{}
	last := map[string]int64{}
	gaps := map[string]time.Time{} // accounts read with a held gap: since when
	for _, rec := range bySequence(ev.Records) {
		account := rec.msg.Attributes["MessageGroupId"]
		if held[account] {
			// A held account's later messages fail unprocessed.
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.msg.MessageId})
			continue
		}
		if err := p.process(ctx, rec, account, lease, last, gaps); err != nil {
			held[account] = true
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.msg.MessageId})
		}
	}
	return resp, nil
}

// record is one SQS message of a batch, read once: its execution, or why
// it cannot be read (then it is never applied).
type record struct {
	msg  events.SQSMessage
	exec Execution
	err  error
}

// bySequence reads the batch's messages and puts each account's in the
// order of their sequence numbers, in the places the account's messages
// had. A late execution comes behind the account's later ones that its gap
// holds (the queue keeps the order it received them in); in the same batch
// it is applied first, and they after it. A message that cannot be read
// goes last in its account: it can never be applied.
func bySequence(msgs []events.SQSMessage) []record {
	read := make([]record, len(msgs))
	places := map[string][]int{} // each account's places in the batch
	for i, m := range msgs {
		account := m.Attributes["MessageGroupId"]
		read[i].msg = m
		read[i].exec, read[i].err = parse(m, account)
		places[account] = append(places[account], i)
	}
	sequence := func(i int) int64 {
		if read[i].err != nil {
			return math.MaxInt64
		}
		return read[i].exec.Sequence
	}
	sorted := make([]record, len(read))
	for _, at := range places {
		bySeq := slices.Clone(at)
		slices.SortStableFunc(bySeq, func(i, j int) int { return cmp.Compare(sequence(i), sequence(j)) })
		for k, i := range at {
			sorted[i] = read[bySeq[k]]
		}
	}
	return sorted
}

// process applies one record, or says why not: every error holds the
// record's account for the rest of the batch.
func (p *Processor) process(ctx context.Context, rec record, account string, lease time.Duration, last map[string]int64, gaps map[string]time.Time) error {
	e := rec.exec
	if rec.err != nil {
		p.log.Error("unreadable execution", "message_id", rec.msg.MessageId, "account", account, "reason", rec.err.Error())
		return rec.err
	}
	prev, ok := last[account]
	if !ok {
		acct, err := p.store.Account(ctx, account)
		if err != nil {
			p.log.Error("reading the account's sequence failed", "message_id", rec.msg.MessageId, "account", account, "error", err.Error())
			return err
		}
		prev = acct.Last
		if !acct.GapSince.IsZero() {
			gaps[account] = acct.GapSince
		}
	}
	switch {
	case e.Sequence <= prev:
		p.metric("Duplicates", 1, "Count")
		last[account] = prev
		return nil
	case e.Sequence > prev+1:
		since, err := p.store.HoldGap(ctx, account, p.opts.Now())
		if err != nil {
			return err
		}
		held := p.opts.Now().Sub(since)
		p.log.Warn("gap held", "account", account, "expected", prev+1, "got", e.Sequence, "execution_id", e.ID, "held_seconds", int64(held.Seconds()))
		p.metric("GapHeldSeconds", held.Seconds(), "Seconds")
		return fmt.Errorf("account %s: sequence %d arrived, %d expected", account, e.Sequence, prev+1)
	}
	now := p.opts.Now()
	switch err := p.store.Claim(ctx, e.ID, now, now.Add(lease)); {
	case errors.Is(err, ErrApplied):
		// Applied, its sequence advanced in the same transaction: a
		// delivery that raced the one that applied it.
		p.metric("Duplicates", 1, "Count")
		last[account] = e.Sequence
		return nil
	case err != nil:
		p.log.Warn("execution not claimed", "account", account, "execution_id", e.ID, "reason", err.Error())
		return err
	}
	tx := &transaction{}
	if err := p.handle(context.WithValue(ctx, txKey{}, tx), e); err != nil {
		p.log.Error("execution not applied", "account", account, "execution_id", e.ID, "error", err.Error())
		if rerr := p.store.Release(ctx, e.ID); rerr != nil {
			p.log.Error("claim not released; it expires with its lease", "execution_id", e.ID, "error", rerr.Error())
		}
		return err
	}
	if err := p.store.Commit(ctx, e.ID, account, e.Sequence, now.Add(p.opts.Retention), tx.writes); err != nil {
		p.log.Error("execution applied but not committed; retried after its lease", "account", account, "execution_id", e.ID, "error", err.Error())
		return err
	}
	p.metric("Applied", 1, "Count")
	last[account] = e.Sequence
	if since, ok := gaps[account]; ok {
		// The missing execution arrived: the commit cleared the gap.
		delete(gaps, account)
		p.log.Info("gap released", "account", account, "sequence", e.Sequence, "held_seconds", int64(now.Sub(since).Seconds()))
	}
	return nil
}

// body is what the consumer reads of an execution's body.
type body struct {
	ExecutionID string          `json:"executionId"`
	Sequence    json.RawMessage `json:"sequence"`
}

// parse reads an execution from an SQS record of account's group.
func parse(rec events.SQSMessage, account string) (Execution, error) {
	var b body
	if err := json.Unmarshal([]byte(rec.Body), &b); err != nil {
		return Execution{}, errors.New("the body is not a JSON object")
	}
	seq, err := strconv.ParseInt(string(b.Sequence), 10, 64)
	if err != nil || seq < 1 {
		return Execution{}, errors.New("the body's sequence is not a whole number from 1")
	}
	id := cmp.Or(rec.Attributes["MessageDeduplicationId"], b.ExecutionID)
	if id == "" || account == "" {
		return Execution{}, errors.New("no execution id (de-duplication id or executionId) or no account (message group)")
	}
	return Execution{ID: id, Account: account, Sequence: seq, Body: []byte(rec.Body)}, nil
}

// metric writes one value in CloudWatch's embedded metric format.
func (p *Processor) metric(name string, value float64, unit string) {
	line, _ := emf.Line(p.opts.Namespace, os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), p.opts.Now(), emf.Metric{Name: name, Value: value, Unit: unit})
	p.opts.Logs.Write(line)
}

type txKey struct{}

type transaction struct{ writes []types.TransactWriteItem }

// Write adds a DynamoDB write to the transaction that records the
// execution Handler is applying as applied: both happen, or neither. Call
// it from Handler only. DynamoDB takes 100 items per transaction, two of
// which are the consumer's own.
func Write(ctx context.Context, w types.TransactWriteItem) {
	tx, ok := ctx.Value(txKey{}).(*transaction)
	if !ok {
		panic("consumer.Write called outside a Handler")
	}
	tx.writes = append(tx.writes, w)
}
