//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/faultproxy"
	"github.com/brokerage/platform/lambda/redistributor/redistribute"
)

// lambdaAttributes are SQS message attributes as Lambda hands them to a
// function in an SQS event.
func lambdaAttributes(in map[string]sqstypes.MessageAttributeValue) map[string]events.SQSMessageAttribute {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]events.SQSMessageAttribute, len(in))
	for k, v := range in {
		out[k] = events.SQSMessageAttribute{StringValue: v.StringValue, BinaryValue: v.BinaryValue, DataType: aws.ToString(v.DataType)}
	}
	return out
}

// emulator re-creates one resource that moto's CloudFormation skipped through
// the service's API, with the template's properties, and describes what it did.
type emulator func(ctx context.Context, d *deployment, s *stack, r resource) (string, error)

// emulators, in the order CloudFormation creates them: every fan-out
// subscription DependsOn its queue's policy.
var emulators = []struct {
	typ string
	fn  emulator
}{
	{"AWS::SQS::QueuePolicy", emulateQueuePolicy},
	{"AWS::SNS::TopicPolicy", emulateTopicPolicy},
	{"AWS::SNS::Subscription", emulateSubscription},
}

func emulatorFor(typ string) emulator {
	for _, e := range emulators {
		if e.typ == typ {
			return e.fn
		}
	}
	return nil
}

// notNeeded says why delivery does not depend on a resource of a type that
// moto's CloudFormation skips or that is left out of the deployment, or ""
// if it may. The unit tests check these resources on the templates.
func notNeeded(typ string) string {
	switch {
	case strings.HasPrefix(typ, "AWS::CloudWatch::"):
		return "alarms and dashboards tell people how executions flow; delivery does not depend on them"
	case strings.HasPrefix(typ, "AWS::ApiGateway::"), strings.HasPrefix(typ, "AWS::WAFv2::"):
		return "the regional REST APIs and their web ACLs are not on the fan-out's path"
	}
	return ""
}

// onlyProperties fails on a property the emulation would silently drop.
func onlyProperties(r resource, known ...string) error {
	for p := range r.Properties {
		if !slices.Contains(known, p) {
			return fmt.Errorf("%s: property %s is not re-created by this test; extend its emulation", r.Metadata.Path, p)
		}
	}
	return nil
}

func policyJSON(ctx context.Context, d *deployment, s *stack, r resource) (string, error) {
	doc, err := d.resolve(ctx, s, r.Properties["PolicyDocument"])
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(doc)
	return string(b), err
}

// stringList is the strings of a resolved template list.
func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// emulateQueuePolicy sets the policy on each queue. moto stores it but does
// not enforce it: what it allows is checked on the templates by the unit tests.
func emulateQueuePolicy(ctx context.Context, d *deployment, s *stack, r resource) (string, error) {
	if err := onlyProperties(r, "Queues", "PolicyDocument"); err != nil {
		return "", err
	}
	policy, err := policyJSON(ctx, d, s, r)
	if err != nil {
		return "", err
	}
	queues, err := d.resolve(ctx, s, r.Properties["Queues"])
	if err != nil {
		return "", err
	}
	var names []string
	for _, physical := range stringList(queues) {
		name := path.Base(physical) // Ref of a queue is its URL
		url, err := d.cloud.queueURL(ctx, s.region, name)
		if err != nil {
			return "", err
		}
		if _, err := d.cloud.in(s.region).sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
			QueueUrl: &url, Attributes: map[string]string{string(sqstypes.QueueAttributeNamePolicy): policy},
		}); err != nil {
			return "", fmt.Errorf("policy of queue %s: %w", name, err)
		}
		names = append(names, name)
	}
	return "SetQueueAttributes Policy on " + strings.Join(names, ", "), nil
}

// emulateTopicPolicy sets the policy on each topic, in the topic's region.
func emulateTopicPolicy(ctx context.Context, d *deployment, s *stack, r resource) (string, error) {
	if err := onlyProperties(r, "Topics", "PolicyDocument"); err != nil {
		return "", err
	}
	policy, err := policyJSON(ctx, d, s, r)
	if err != nil {
		return "", err
	}
	topics, err := d.resolve(ctx, s, r.Properties["Topics"])
	if err != nil {
		return "", err
	}
	var names []string
	for _, arn := range stringList(topics) {
		if _, err := d.cloud.in(cfn.ARNRegion(arn)).sns.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{
			TopicArn: aws.String(arn), AttributeName: aws.String("Policy"), AttributeValue: &policy,
		}); err != nil {
			return "", fmt.Errorf("policy of topic %s: %w", arn, err)
		}
		names = append(names, cfn.ARNName(arn))
	}
	return "SetTopicAttributes Policy on " + strings.Join(names, ", "), nil
}

// subscriptionAttributes are the AWS::SNS::Subscription properties that are
// subscription attributes in the SNS API.
var subscriptionAttributes = []string{"DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy", "ReplayPolicy", "SubscriptionRoleArn"}

// emulateSubscription subscribes the endpoint to the topic in the
// subscription's Region (the topic's: a cross-region subscription is created
// where the topic is), with every attribute the template sets.
func emulateSubscription(ctx context.Context, d *deployment, s *stack, r resource) (string, error) {
	if err := onlyProperties(r, append([]string{"Protocol", "TopicArn", "Endpoint", "Region"}, subscriptionAttributes...)...); err != nil {
		return "", err
	}
	resolved, err := d.resolve(ctx, s, r.Properties)
	if err != nil {
		return "", err
	}
	props := resolved.(map[string]any)
	region := s.region
	if v, ok := props["Region"].(string); ok {
		region = v
	}
	attrs := map[string]string{}
	for _, name := range subscriptionAttributes {
		v, ok := props[name]
		if !ok {
			continue
		}
		switch v := v.(type) {
		case string:
			attrs[name] = v
		case bool:
			attrs[name] = strconv.FormatBool(v)
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return "", err
			}
			attrs[name] = string(b)
		}
	}
	// moto delivers raw whenever RawMessageDelivery is set at all, even to
	// "false"; false is SNS's default, so it is left unset.
	if attrs["RawMessageDelivery"] == "false" {
		delete(attrs, "RawMessageDelivery")
	}
	protocol, _ := props["Protocol"].(string)
	topic, _ := props["TopicArn"].(string)
	endpoint, _ := props["Endpoint"].(string)
	if _, err := d.cloud.in(region).sns.Subscribe(ctx, &sns.SubscribeInput{
		Protocol: &protocol, TopicArn: &topic, Endpoint: &endpoint, Attributes: attrs, ReturnSubscriptionArn: true,
	}); err != nil {
		return "", fmt.Errorf("subscribe %s to %s: %w", endpoint, topic, err)
	}
	what := fmt.Sprintf("Subscribe in %s: %s %s to %s", region, protocol, endpoint, topic)
	for _, k := range sortedKeys(attrs) {
		what += ", " + k + "=" + attrs[k]
	}
	return what, nil
}

// redistributor stands in for the redistributor Lambda and its SQS event
// source mapping: it polls the ingest queue as the mapping does (batch size
// and partial batch responses from the template), runs the real handler and
// deletes what the handler did not report as failed.
type redistributor struct {
	sqs            *sqs.Client
	queueURL       string
	queueARN       string
	region         string
	batchSize      int32
	reportFailures bool
	timeout        time.Duration // the function's, from the template: each invocation's deadline
	handler        *redistribute.Redistributor
	// proxy sits between the handler's SNS client and moto: it counts the
	// calls and injects faults.
	proxy  *faultproxy.Proxy
	server *httptest.Server
	// logs and metrics collect what the handler writes to its log group:
	// JSON failure lines and embedded-metric-format lines.
	logs, metrics *lockedBuffer
	// crashAfter, when above 0, makes the next invocation die after that many
	// PublishBatch calls: its response is lost, as when the process dies.
	crashAfter int
	// dieBeforePublishing makes every invocation die before its first
	// PublishBatch reaches the topic, until it is unset.
	dieBeforePublishing bool
}

// lockedBuffer is a bytes.Buffer the handler writes to and the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// peek returns what was written since the last take, and keeps it.
func (b *lockedBuffer) peek() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// take returns what was written since the last take.
func (b *lockedBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	b.buf.Reset()
	return s
}

// crashingPublisher stands in for a process that dies after n PublishBatch
// calls: the calls reach the topic, then the invocation's context ends.
type crashingPublisher struct {
	redistribute.Publisher
	n      int
	cancel context.CancelFunc
}

func (c *crashingPublisher) PublishBatch(ctx context.Context, in *sns.PublishBatchInput, opts ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	if c.Publisher == nil { // dies before the call leaves
		c.cancel()
		return nil, ctx.Err()
	}
	out, err := c.Publisher.PublishBatch(ctx, in, opts...)
	if c.n--; c.n <= 0 {
		c.cancel()
	}
	return out, err
}

// newRedistributor takes over from the deployed event source mapping. moto
// would otherwise, on every SendMessage to the ingest queue, receive a batch
// for the function and try to run it in Docker; that fails, the batch goes
// back to the queue with its receive count raised, and after maxReceiveCount
// sends the executions land in the ingest DLQ. So the mapping is disabled
// first, the way an operator pauses one.
func newRedistributor(ctx context.Context, d *deployment, s *stack, mappingID string) (*redistributor, []string, error) {
	m := s.resources[mappingID]
	if err := onlyProperties(m, "FunctionName", "EventSourceArn", "BatchSize", "FunctionResponseTypes", "MaximumBatchingWindowInSeconds", "ScalingConfig"); err != nil {
		return nil, nil, err
	}
	resolved, err := d.resolve(ctx, s, m.Properties)
	if err != nil {
		return nil, nil, err
	}
	props := resolved.(map[string]any)
	function, _ := props["FunctionName"].(string)
	queueARN, _ := props["EventSourceArn"].(string)
	batch := 10.0 // Lambda's default for SQS
	if v, ok := props["BatchSize"].(float64); ok {
		batch = v
	}
	reportFailures := slices.Contains(stringList(props["FunctionResponseTypes"]), "ReportBatchItemFailures")

	cl := d.cloud.in(s.region)
	uuid := aws.ToString(s.deployed[mappingID].PhysicalResourceId)
	if _, err := cl.lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: &uuid, Enabled: aws.Bool(false)}); err != nil {
		return nil, nil, fmt.Errorf("disabling event source mapping %s: %w", uuid, err)
	}
	// The handler gets what the deployed function gets: main reads TOPIC_ARN.
	fn, err := cl.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: &function})
	if err != nil {
		return nil, nil, fmt.Errorf("function %s: %w", function, err)
	}
	var topicARN string
	if fn.Environment != nil {
		topicARN = fn.Environment.Variables["TOPIC_ARN"]
	}
	if topicARN == "" {
		return nil, nil, fmt.Errorf("function %s has no TOPIC_ARN in its environment", function)
	}
	ingestURL, err := d.cloud.queueURL(ctx, cfn.ARNRegion(queueARN), cfn.ARNName(queueARN))
	if err != nil {
		return nil, nil, err
	}
	timeout := 3 * time.Second // Lambda's default
	if fn.Timeout != nil {
		timeout = time.Duration(*fn.Timeout) * time.Second
	}
	// The handler's SNS client goes through the fault proxy, configured as
	// the function's main configures it: no SDK retries, the handler retries.
	target, err := url.Parse(d.cloud.endpoint)
	if err != nil {
		return nil, nil, err
	}
	proxy := faultproxy.New(target)
	server := httptest.NewServer(proxy)
	client := sns.NewFromConfig(d.cloud.cfg, func(o *sns.Options) {
		o.Region = s.region
		o.BaseEndpoint = aws.String(server.URL)
		o.RetryMaxAttempts = 1
	})
	logs, metrics := &lockedBuffer{}, &lockedBuffer{}
	r := &redistributor{
		sqs: d.cloud.in(cfn.ARNRegion(queueARN)).sqs, queueURL: ingestURL, queueARN: queueARN, region: s.region,
		batchSize: int32(batch), reportFailures: reportFailures, timeout: timeout,
		proxy: proxy, server: server, logs: logs, metrics: metrics,
		handler: &redistribute.Redistributor{
			TopicARN: topicARN, Client: client, FunctionName: function,
			Logger: slog.New(slog.NewJSONHandler(logs, nil)), Metrics: metrics,
		},
	}
	// The function's own construct path, for the report.
	fnPath := function
	if ref, ok := m.Properties["FunctionName"].(map[string]any); ok {
		if id, ok := ref["Ref"].(string); ok {
			fnPath = s.resources[id].Metadata.Path
		}
	}
	notes := []string{
		fmt.Sprintf("AWS::Lambda::EventSourceMapping %s: disabled in moto (UUID %s); the test polls %s instead, BatchSize %d, ReportBatchItemFailures %t",
			m.Metadata.Path, uuid, cfn.ARNName(queueARN), r.batchSize, reportFailures),
		fmt.Sprintf("AWS::Lambda::Function %s: deployed by moto as %s, its code run in-process (redistribute.Redistributor, TOPIC_ARN=%s, deadline %v), its SNS calls through a fault-injecting proxy on %s",
			fnPath, function, topicARN, timeout, server.URL),
	}
	return r, notes, nil
}

// drain runs the handler over the ingest queue until it is empty, and
// returns how many messages it acknowledged and how many batches it ran.
func (r *redistributor) drain(ctx context.Context) (acknowledged, batches int, err error) {
	for {
		n, received, err := r.invoke(ctx)
		if err != nil || received == 0 {
			return acknowledged, batches, err
		}
		acknowledged, batches = acknowledged+n, batches+1
	}
}

// invoke receives one batch from the ingest queue, as the event source
// mapping does, and runs the handler on it: it deletes what the handler
// published, and makes the rest visible again at once, standing in for the
// visibility timeout running out. It returns how many messages it
// acknowledged and how many it received (0: the queue is empty).
func (r *redistributor) invoke(ctx context.Context) (acknowledged, received int, err error) {
	out, err := r.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    &r.queueURL,
		MaxNumberOfMessages:         r.batchSize,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil || len(out.Messages) == 0 {
		return 0, 0, err
	}
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(out.Messages))}
	for i, m := range out.Messages {
		ev.Records[i] = events.SQSMessage{
			MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
			Md5OfBody: aws.ToString(m.MD5OfBody), Attributes: m.Attributes, MessageAttributes: lambdaAttributes(m.MessageAttributes),
			EventSource: "aws:sqs", EventSourceARN: r.queueARN, AWSRegion: r.region,
		}
	}
	// Each invocation has the function's deadline, as in Lambda.
	ictx, cancel := context.WithTimeout(ctx, r.timeout)
	handler := *r.handler
	crashed := r.crashAfter > 0 || r.dieBeforePublishing
	switch {
	case r.dieBeforePublishing:
		handler.Client = &crashingPublisher{Publisher: nil, n: 0, cancel: cancel}
	case r.crashAfter > 0:
		handler.Client = &crashingPublisher{Publisher: handler.Client, n: r.crashAfter, cancel: cancel}
		r.crashAfter = 0
	}
	resp, herr := handler.Handle(ictx, ev)
	cancel()
	// As Lambda does: an error fails the whole batch; the response's
	// failures count only when the mapping asks for them. A process that
	// died sent no response at all.
	failed := map[string]bool{}
	for _, m := range ev.Records {
		failed[m.MessageId] = herr != nil || crashed
	}
	if herr == nil && !crashed && r.reportFailures {
		for _, f := range resp.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
	}
	deleted, err := settle(ctx, r.sqs, r.queueURL, out.Messages, failed)
	return len(deleted), len(out.Messages), err
}

// settle ends an invocation as the event source mapping does: it deletes
// the messages that did not fail and returns them; a failed one Lambda
// leaves invisible until the queue's visibility timeout runs out, which
// settle makes visible again now instead of waiting.
func settle(ctx context.Context, client *sqs.Client, url string, messages []sqstypes.Message, failed map[string]bool) ([]sqstypes.Message, error) {
	var done []sqstypes.DeleteMessageBatchRequestEntry
	var deleted []sqstypes.Message
	for i, m := range messages {
		if failed[aws.ToString(m.MessageId)] {
			if _, err := client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
				return nil, err
			}
			continue
		}
		done = append(done, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		deleted = append(deleted, m)
	}
	if len(done) > 0 {
		del, err := client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: done})
		if err != nil {
			return nil, err
		}
		if len(del.Failed) > 0 {
			return nil, fmt.Errorf("deleting from %s: %s", url, aws.ToString(del.Failed[0].Message))
		}
	}
	return deleted, nil
}
