// Package redistribute moves trade executions from the ingest queue to the
// fan-out topic, keeping each account's order. It is the redistributor
// Lambda's handler, kept apart from the Lambda's main so that the end-to-end
// test (e2e/) can run the same code against the local AWS emulator, which
// cannot run Lambda code.
//
// Every message keeps its message group (one per broker account) and its
// de-duplication id, both set by the broker on the FIFO ingest queue.
//
// Ordering. Messages are published with PublishBatch, which reports a result
// per entry and does not stop a message group when one of its entries fails:
// a later entry of the same group in the same call could be accepted while an
// earlier one is rejected, and the topic would then hold them out of order.
// So a call carries at most one entry per message group, the group's next
// unpublished message; the group's following message goes in a later call,
// and only once this one was accepted. Calls carry up to ten groups at a time,
// which keeps the number of calls close to one per ten messages.
//
// Retries. Throttling, server faults and transport errors are retried inside
// the invocation, with exponential backoff and full jitter, up to MaxAttempts
// per message and never past the invocation's deadline less DeadlineMargin.
// Anything else (authorization, a missing topic, an invalid parameter) stops
// the group at once. The SDK client itself should not retry (main sets one
// attempt), so that every attempt is counted and bounded here.
//
// De-duplication. A message the topic accepted is always acknowledged; when a
// group stops, its failing message and every later message of the group are
// reported in the partial batch response, in the original order, and the
// ingest queue delivers them again. A retry whose earlier attempt did take
// effect (a reset connection, a timeout) carries the same de-duplication id,
// which the topic drops as a duplicate within its five-minute window. The
// broker must therefore send a de-duplication id with every message: the
// ingest queue's content-based de-duplication is off, and falling back to the
// SQS message id would not match the broker's own retries of the same
// execution. A message without one is refused, as is one the topic would not
// deliver (over 256 KiB, or over 10 message attributes, which raw delivery to
// SQS discards).
//
// A stopped group stalls rather than being dead-lettered: the ingest queue has
// no redrive policy, because a dead-letter queue would let the group's later
// messages overtake the one moved aside. The ReceiveCount line below, and
// Lambda's own Errors for an invocation that dies, page when a group stays
// stuck.
//
// Each invocation writes two CloudWatch embedded-metric-format lines: first,
// before it publishes anything, ReceiveCount, the highest receive count of
// its messages, so that a batch that crashes the invocation every time still
// shows (an account stalled behind it is received again every visibility
// timeout, and a message received three times or more leaves SQS's own
// ApproximateAgeOfOldestMessage: SQS developer guide, "Available CloudWatch
// metrics for Amazon SQS"); then, at the end, Published, PublishFailures,
// HeldBack, PublishCalls and Retries. It also writes one JSON log line per
// message it could not publish. Logs never carry a message body.
package redistribute

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
	smithytime "github.com/aws/smithy-go/time"
	"github.com/brokerage/platform/lambda/internal/emf"
)

// Publisher is the part of the SNS client the redistributor uses.
type Publisher interface {
	PublishBatch(ctx context.Context, in *sns.PublishBatchInput, opts ...func(*sns.Options)) (*sns.PublishBatchOutput, error)
}

// Defaults for the Redistributor's zero fields.
const (
	// DefaultNamespace is the CloudWatch namespace of the metrics.
	DefaultNamespace = "Brokerage/Fanout"
	// DefaultMaxAttempts is the number of publish attempts per message.
	DefaultMaxAttempts = 8
	// DefaultBaseBackoff is the first backoff ceiling after a failed round.
	DefaultBaseBackoff = 50 * time.Millisecond
	// DefaultMaxBackoff caps the backoff ceiling.
	DefaultMaxBackoff = time.Second
	// DefaultDeadlineMargin is the time left before the invocation's deadline
	// within which no publish call starts.
	DefaultDeadlineMargin = 2 * time.Second
)

// EnvNamespace names the environment variable that sets the metrics
// namespace.
const EnvNamespace = "METRICS_NAMESPACE"

// Metric names of the embedded-metric-format line.
const (
	// MetricPublished counts messages the topic accepted.
	MetricPublished = "Published"
	// MetricPublishFailures counts messages that stopped their group: refused,
	// rejected by the topic, out of attempts, or cut off by the deadline after
	// an attempt.
	MetricPublishFailures = "PublishFailures"
	// MetricHeldBack counts messages not attempted because an earlier message
	// of their group failed or the deadline came near.
	MetricHeldBack = "HeldBack"
	// MetricPublishCalls counts PublishBatch calls.
	MetricPublishCalls = "PublishCalls"
	// MetricRetries counts entries sent again after a failed attempt.
	MetricRetries = "Retries"
	// MetricReceiveCount is the highest ApproximateReceiveCount of a batch's
	// messages, written when the invocation starts.
	MetricReceiveCount = "ReceiveCount"
)

// SNS PublishBatch limits.
const (
	maxBatchEntries    = 10
	maxPayloadBytes    = 256 * 1024 // per message and per call
	maxAttributesCount = 10         // raw delivery to SQS discards a message with more
)

// Reasons logged for a message that was not published.
const (
	reasonTooManyAttributes = "too_many_attributes"
	reasonTooLarge          = "too_large"
	reasonNoDedupID         = "missing_dedup_id"
	reasonNonRetryable      = "non_retryable"
	reasonAttempts          = "attempts_exhausted"
	reasonDeadline          = "deadline"
)

// Redistributor republishes SQS messages to a topic. The zero value of every
// field but TopicARN and Client has a default; a Redistributor is not changed
// by Handle and may serve concurrent invocations.
type Redistributor struct {
	// TopicARN is the fan-out topic (the function's TOPIC_ARN).
	TopicARN string
	// Client publishes to the topic.
	Client Publisher
	// Logger receives one line per message not published (default: JSON on
	// standard output).
	Logger *slog.Logger
	// Metrics receives one embedded-metric-format line per invocation
	// (default: standard output).
	Metrics io.Writer
	// Namespace is the metrics namespace (default DefaultNamespace).
	Namespace string
	// FunctionName is the value of the metrics' FunctionName dimension.
	FunctionName string
	// MaxAttempts is the number of publish attempts per message (default
	// DefaultMaxAttempts).
	MaxAttempts int
	// BaseBackoff and MaxBackoff bound the exponential backoff, with full
	// jitter, before a round that follows a retryable failure (defaults
	// DefaultBaseBackoff and DefaultMaxBackoff).
	BaseBackoff, MaxBackoff time.Duration
	// DeadlineMargin is the time before the context's deadline within which
	// no publish call starts; each call's context ends this long before the
	// deadline (default DefaultDeadlineMargin).
	DeadlineMargin time.Duration
	// Sleep waits d or until ctx is done (default: smithy-go's
	// SleepWithContext).
	Sleep func(ctx context.Context, d time.Duration) error

	now func() time.Time // tests move the clock
}

// Handle publishes a batch from the SQS event source and reports, as a partial
// batch response, the messages that must be delivered again. The error is
// always nil: a failure is reported per message.
func (r *Redistributor) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	run := r.newRun(ev.Records)
	run.received(ctx)
	run.publish(ctx)
	return run.finish(ctx), nil
}

// received writes the ReceiveCount line, before anything is published: a
// line already written reaches the log group even when the invocation then
// dies.
func (run *run) received(ctx context.Context) {
	highest := 0
	for _, rec := range run.records {
		if n, err := strconv.Atoi(rec.msg.Attributes["ApproximateReceiveCount"]); err == nil {
			highest = max(highest, n)
		}
	}
	if len(run.records) == 0 {
		return
	}
	run.writeMetrics(ctx, count(MetricReceiveCount, highest))
}

type outcome int

const (
	pending outcome = iota
	published
	failed
	heldBack
)

type record struct {
	msg     *events.SQSMessage
	entry   types.PublishBatchRequestEntry // Id set per call
	size    int
	refusal string // why it is never published, if it is not
	outcome outcome
}

type group struct {
	id       string
	recs     []int // record indices, in arrival order
	next     int   // index into recs of the message being published
	attempts int   // attempts of the message being published
	retrying bool  // its last attempt failed and may be retried
	lastCode string
	lastErr  string
	stopped  bool
}

func (g *group) live() bool { return !g.stopped && g.next < len(g.recs) }

type failure struct {
	code      string
	err       string // transport error text (API error messages are not logged)
	retryable bool
	deadline  bool
}

type run struct {
	cfg     Redistributor
	records []record
	groups  []*group

	calls, retries int
}

func (r *Redistributor) newRun(msgs []events.SQSMessage) *run {
	cfg := *r
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	cfg.Metrics = cmp.Or[io.Writer](cfg.Metrics, os.Stdout)
	cfg.Namespace = cmp.Or(cfg.Namespace, DefaultNamespace)
	cfg.MaxAttempts = cmp.Or(max(cfg.MaxAttempts, 0), DefaultMaxAttempts)
	cfg.BaseBackoff = cmp.Or(max(cfg.BaseBackoff, 0), DefaultBaseBackoff)
	cfg.MaxBackoff = cmp.Or(max(cfg.MaxBackoff, 0), DefaultMaxBackoff)
	cfg.DeadlineMargin = cmp.Or(max(cfg.DeadlineMargin, 0), DefaultDeadlineMargin)
	if cfg.Sleep == nil {
		cfg.Sleep = smithytime.SleepWithContext
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}

	run := &run{cfg: cfg, records: make([]record, len(msgs))}
	byID := map[string]*group{}
	for i := range msgs {
		m := &msgs[i]
		run.records[i] = newRecord(m)
		id := m.Attributes["MessageGroupId"]
		if id == "" {
			// A standard queue's message is its own group.
			run.groups = append(run.groups, &group{id: "", recs: []int{i}})
			continue
		}
		g := byID[id]
		if g == nil {
			g = &group{id: id}
			byID[id] = g
			run.groups = append(run.groups, g)
		}
		g.recs = append(g.recs, i)
	}
	return run
}

// newRecord builds the topic entry of an SQS message and checks it against
// what the topic accepts and delivers.
func newRecord(m *events.SQSMessage) record {
	rec := record{msg: m}
	e := &rec.entry
	e.Message = &m.Body
	rec.size = len(m.Body)
	if g := m.Attributes["MessageGroupId"]; g != "" {
		e.MessageGroupId = &g
		if d := m.Attributes["MessageDeduplicationId"]; d != "" {
			e.MessageDeduplicationId = &d
		} else {
			rec.refusal = reasonNoDedupID
		}
	}
	if len(m.MessageAttributes) > 0 {
		e.MessageAttributes = make(map[string]types.MessageAttributeValue, len(m.MessageAttributes))
		for name, a := range m.MessageAttributes {
			v := types.MessageAttributeValue{DataType: &a.DataType}
			rec.size += len(name) + len(a.DataType)
			if strings.HasPrefix(a.DataType, "Binary") {
				v.BinaryValue = a.BinaryValue
				rec.size += len(a.BinaryValue)
			} else if a.StringValue != nil {
				v.StringValue = a.StringValue
				rec.size += len(*a.StringValue)
			}
			e.MessageAttributes[name] = v
		}
	}
	switch {
	case rec.refusal != "":
	case len(m.MessageAttributes) > maxAttributesCount:
		rec.refusal = reasonTooManyAttributes
	case rec.size > maxPayloadBytes:
		rec.refusal = reasonTooLarge
	}
	return rec
}

// publish runs rounds of PublishBatch calls until every group has finished or
// stopped, or the deadline is near.
func (run *run) publish(ctx context.Context) {
	backoff := false
	for {
		live := run.live()
		if len(live) == 0 {
			return
		}
		if backoff && !run.backoff(ctx, live) {
			run.stopAll(ctx, live)
			return
		}
		if !run.timeLeft(ctx) {
			run.stopAll(ctx, live)
			return
		}
		batch := run.pick(ctx, live)
		if len(batch) == 0 {
			backoff = false // every candidate was refused
			continue
		}
		backoff = run.call(ctx, batch)
	}
}

func (run *run) live() []*group {
	var live []*group
	for _, g := range run.groups {
		if g.live() {
			live = append(live, g)
		}
	}
	return live
}

func (run *run) remaining(ctx context.Context) (d time.Duration, ok bool) {
	dl, ok := ctx.Deadline()
	if !ok {
		return 0, false
	}
	return dl.Sub(run.cfg.now()) - run.cfg.DeadlineMargin, true
}

func (run *run) timeLeft(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	d, ok := run.remaining(ctx)
	return !ok || d > 0
}

// backoff sleeps before a round that follows a retryable failure. It reports
// false, without sleeping, when the sleep would reach the deadline margin.
func (run *run) backoff(ctx context.Context, live []*group) bool {
	attempts := 1
	for _, g := range live {
		if g.retrying && g.attempts > attempts {
			attempts = g.attempts
		}
	}
	ceiling := run.cfg.MaxBackoff
	if shift := attempts - 1; shift < 30 {
		if c := run.cfg.BaseBackoff << shift; c > 0 && c < ceiling {
			ceiling = c
		}
	}
	d := time.Duration(rand.Int64N(int64(ceiling) + 1))
	if left, ok := run.remaining(ctx); ok && d >= left {
		return false
	}
	return run.cfg.Sleep(ctx, d) == nil
}

// pick chooses the next call's entries: each live group's next message, at
// most one per group, within the entry and payload limits. A refused message
// stops its group.
func (run *run) pick(ctx context.Context, live []*group) []*group {
	var batch []*group
	size := 0
	for _, g := range live {
		if len(batch) == maxBatchEntries {
			break
		}
		rec := &run.records[g.recs[g.next]]
		if rec.refusal != "" {
			run.stop(ctx, g, rec.refusal)
			continue
		}
		if len(batch) > 0 && size+rec.size > maxPayloadBytes {
			continue // a later call
		}
		size += rec.size
		batch = append(batch, g)
	}
	return batch
}

// call publishes one entry per group in batch and reports whether any entry
// failed in a way that is retried.
func (run *run) call(ctx context.Context, batch []*group) (retry bool) {
	in := &sns.PublishBatchInput{TopicArn: &run.cfg.TopicARN}
	ids := make(map[string]*group, len(batch))
	for i, g := range batch {
		e := run.records[g.recs[g.next]].entry
		id := strconv.Itoa(i)
		e.Id = &id
		ids[id] = g
		in.PublishBatchRequestEntries = append(in.PublishBatchRequestEntries, e)
		if g.attempts > 0 {
			run.retries++
		}
		g.attempts++
		g.retrying = false
	}

	callCtx, cancel := ctx, context.CancelFunc(func() {})
	if dl, ok := ctx.Deadline(); ok {
		callCtx, cancel = context.WithDeadline(ctx, dl.Add(-run.cfg.DeadlineMargin))
	}
	out, err := run.cfg.Client.PublishBatch(callCtx, in)
	cancel()
	run.calls++

	if err != nil {
		f := classifyCall(ctx, err)
		for _, g := range batch {
			retry = run.failed(ctx, g, f) || retry
		}
		return retry
	}
	for _, s := range out.Successful {
		if g := ids[aws.ToString(s.Id)]; g != nil {
			delete(ids, aws.ToString(s.Id))
			run.records[g.recs[g.next]].outcome = published
			g.next++
			g.attempts = 0
			g.lastCode, g.lastErr = "", ""
		}
	}
	for _, e := range out.Failed {
		if g := ids[aws.ToString(e.Id)]; g != nil {
			delete(ids, aws.ToString(e.Id))
			retry = run.failed(ctx, g, classifyEntry(e)) || retry
		}
	}
	// An entry the response does not mention is retried: nothing says it was
	// accepted, and its de-duplication id covers the case that it was.
	for i, g := range batch {
		if _, left := ids[strconv.Itoa(i)]; left {
			retry = run.failed(ctx, g, failure{code: "NoResult", retryable: true}) || retry
		}
	}
	return retry
}

// failed records a failed attempt of g's next message; it stops the group
// unless the failure is retried, and reports whether it is.
func (run *run) failed(ctx context.Context, g *group, f failure) bool {
	g.lastCode, g.lastErr = f.code, f.err
	switch {
	case f.deadline:
		g.retrying = true // stopped by the deadline check that follows
		return true
	case !f.retryable:
		run.stop(ctx, g, reasonNonRetryable)
		return false
	case g.attempts >= run.cfg.MaxAttempts:
		run.stop(ctx, g, reasonAttempts)
		return false
	}
	g.retrying = true
	return true
}

// stop ends g: its next message failed and its later messages are held back.
func (run *run) stop(ctx context.Context, g *group, reason string) {
	g.stopped = true
	rec := &run.records[g.recs[g.next]]
	rec.outcome = failed
	for _, i := range g.recs[g.next+1:] {
		run.records[i].outcome = heldBack
	}
	run.log(ctx, slog.LevelError, "message not published", rec, g, reason, len(g.recs)-g.next-1)
}

// stopAll ends the live groups when the deadline is near. A group whose next
// message was attempted stops as a failure; a group not yet attempted is held
// back whole, and its first message is logged.
func (run *run) stopAll(ctx context.Context, live []*group) {
	for _, g := range live {
		if g.attempts > 0 {
			run.stop(ctx, g, reasonDeadline)
			continue
		}
		g.stopped = true
		for _, i := range g.recs[g.next:] {
			run.records[i].outcome = heldBack
		}
		rec := &run.records[g.recs[g.next]]
		run.log(ctx, slog.LevelWarn, "message held back", rec, g, reasonDeadline, len(g.recs)-g.next-1)
	}
}

func (run *run) log(ctx context.Context, level slog.Level, msg string, rec *record, g *group, reason string, later int) {
	attrs := []slog.Attr{
		slog.String("message_id", rec.msg.MessageId),
		slog.String("group", g.id),
		slog.String("dedup_id", rec.msg.Attributes["MessageDeduplicationId"]),
		slog.String("error_code", g.lastCode),
		slog.String("reason", reason),
		slog.Int("attempts", g.attempts),
		slog.Int("held_back", later),
	}
	if g.lastErr != "" {
		attrs = append(attrs, slog.String("error", g.lastErr))
	}
	run.cfg.Logger.LogAttrs(ctx, level, msg, attrs...)
}

// finish writes the metrics line and builds the partial batch response.
func (run *run) finish(ctx context.Context) events.SQSEventResponse {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	var n struct{ published, failures, heldBack int }
	for _, rec := range run.records {
		switch rec.outcome {
		case published:
			n.published++
			continue
		case failed:
			n.failures++
		default:
			n.heldBack++
		}
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.msg.MessageId})
	}
	run.writeMetrics(ctx, count(MetricPublished, n.published), count(MetricPublishFailures, n.failures),
		count(MetricHeldBack, n.heldBack), count(MetricPublishCalls, run.calls), count(MetricRetries, run.retries))
	return resp
}

// count is a metric of n events.
func count(name string, n int) emf.Metric {
	return emf.Metric{Name: name, Value: float64(n), Unit: "Count"}
}

// writeMetrics writes one CloudWatch embedded-metric-format line with the
// counts, in the order given.
func (run *run) writeMetrics(ctx context.Context, counts ...emf.Metric) {
	line, err := emf.Line(run.cfg.Namespace, run.cfg.FunctionName, run.cfg.now(), counts...)
	if err == nil {
		_, err = run.cfg.Metrics.Write(line)
	}
	if err != nil {
		run.cfg.Logger.LogAttrs(ctx, slog.LevelError, "metrics not written", slog.String("error", err.Error()))
	}
}

// Error codes retried whatever their fault.
var throttleCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "Throttled": true, "ThrottledException": true,
	"RequestThrottled": true, "RequestThrottledException": true, "TooManyRequestsException": true,
	"RequestLimitExceeded": true, "KMSThrottling": true, "KMSThrottlingException": true,
	"SlowDown": true,
}

// Error codes of a server fault, retried.
var serverCodes = map[string]bool{
	"InternalError": true, "InternalFailure": true, "InternalServerError": true,
	"ServiceUnavailable": true, "ServiceUnavailableException": true,
	"RequestTimeout": true, "RequestTimeoutException": true,
	"KMSInternal": true, "KMSInternalException": true, "KMSInternalError": true,
}

// Error codes that no retry can fix, even when reported as a server fault.
var permanentCodes = map[string]bool{
	"AuthorizationError": true, "AccessDenied": true, "AccessDeniedException": true,
	"InvalidClientTokenId": true, "UnrecognizedClientException": true, "ExpiredToken": true,
	"NotFound": true, "ResourceNotFound": true, "InvalidParameter": true, "ParameterValueInvalid": true,
	"ValidationException": true, "InvalidSecurity": true, "InvalidState": true,
	"KMSAccessDenied": true, "KMSDisabled": true, "KMSInvalidState": true, "KMSNotFound": true,
	"KMSOptInRequired": true, "BatchRequestTooLong": true, "TooManyEntriesInBatchRequest": true,
	"BatchEntryIdsNotDistinct": true, "InvalidBatchEntryId": true, "EmptyBatchRequest": true,
}

func classifyEntry(e types.BatchResultErrorEntry) failure {
	code := aws.ToString(e.Code)
	switch {
	case throttleCodes[code], serverCodes[code]:
		return failure{code: code, retryable: true}
	case permanentCodes[code]:
		return failure{code: code}
	}
	return failure{code: code, retryable: !e.SenderFault}
}

func classifyCall(ctx context.Context, err error) failure {
	var code string
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	status := 0
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		status = respErr.HTTPStatusCode()
	}
	switch {
	case throttleCodes[code], status == 429:
		return failure{code: cmp.Or(code, "Throttling"), retryable: true}
	case permanentCodes[code]:
		return failure{code: code}
	case serverCodes[code], status >= 500:
		return failure{code: cmp.Or(code, "HTTP"+strconv.Itoa(status)), retryable: true}
	case apiErr != nil && apiErr.ErrorFault() == smithy.FaultServer:
		return failure{code: code, retryable: true}
	case code != "" || status != 0:
		return failure{code: cmp.Or(code, "HTTP"+strconv.Itoa(status))}
	case ctx.Err() != nil:
		return failure{code: "Deadline", err: err.Error(), deadline: true}
	case transient(err):
		return failure{code: "Transport", err: err.Error(), retryable: true}
	}
	return failure{code: "Error", err: err.Error()}
}

// transient reports a network or transport error: the request may or may not
// have reached the topic, and sending it again is safe.
func transient(err error) bool {
	var conn interface{ ConnectionError() bool }
	if errors.As(err, &conn) && conn.ConnectionError() {
		return true
	}
	var timeout interface{ Timeout() bool }
	if errors.As(err, &timeout) && timeout.Timeout() {
		return true
	}
	var netErr *net.OpError
	return errors.As(err, &netErr) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "connection reset")
}
