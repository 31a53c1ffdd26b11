package fanout

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/guard"
	"github.com/brokerage/platform/internal/keys"
	"github.com/brokerage/platform/problems"
	"github.com/brokerage/platform/regions"
)

// RegionalProps configures one region's half of the fan-out. Take them
// from the ingest half (Ingest.RegionalProps, or IngestProps.RegionalProps
// where the ingest is in another app), which decides Prefix, Subject,
// TopicRegion and FIFO.
type RegionalProps struct {
	// Prefix starts every physical name, as the ingest's. Default: none.
	Prefix string
	// Subject names what flows, as the ingest's. Default: DefaultSubject.
	Subject string
	// TopicRegion is the ingest's region, where the topic and the delivery
	// DLQs are. Required.
	TopicRegion string
	// FIFO as the ingest's: FIFO queues cannot subscribe to a standard topic,
	// and a standard queue on a FIFO topic loses per-group order.
	FIFO bool
	// RemovalPolicy applies to the queues, the key the construct makes and
	// the handlers' log groups. Default: RETAIN; then a Key given must be
	// retained too.
	RemovalPolicy awscdk.RemovalPolicy
	// Key encrypts every consumer queue, dead-letter queue and handler
	// table of the region; the construct lets SNS use it for the fan-out
	// topic only. It must be a key of the regional half's stack, not an
	// imported one: the "nothing lost" rules read its policy beside the
	// queues. Default: a new key with yearly rotation and an alias.
	Key awskms.Key
	// MaxReceiveCount is the consumers' MaxReceiveCount where theirs is 0,
	// as the ingest's, 1 to 1000. Default: DefaultMaxReceiveCount.
	MaxReceiveCount int
	// Alarms is the region's alarms construct: it watches every consumer
	// added, with the catalogue's alarms of its queues and handler.
	// Required: the "nothing lost" rules refuse a queue nobody watches.
	Alarms *alarms.Alarms
}

// Names are the fan-out's physical names, the defaults applied.
func (p *RegionalProps) Names() Names {
	return Names{Prefix: p.Prefix, Subject: cmp.Or(p.Subject, DefaultSubject), FIFO: p.FIFO}
}

// Regional is one region's consumer queues, subscribed across regions to
// the fan-out topic. Add consumers with AddConsumer.
//
// Example:
//
//	props := ingest.RegionalProps() // the same names and ordering
//	props.Alarms = londonAlarms
//	r := fanout.NewRegional(londonStack, "Fanout", props)
//	holdings := r.AddConsumer(&fanout.ConsumerProps{Name: "holdings", TimeoutSeconds: 60})
//	holdings.Queue.GrantConsumeMessages(holdingsRole)
type Regional struct {
	constructs.Construct
	// Key encrypts every consumer queue and DLQ of the region; SNS may use it
	// for the fan-out topic only.
	Key awskms.Key
	// Consumers in the order they were added.
	Consumers []*Consumer

	props         RegionalProps
	names         Names
	topicARN      *string
	snsPrincipals *[]awsiam.IPrincipal // SNSPrincipals, for the key's and every consumer queue's policy
	deliveryDLQ   *string              // the ARN of the region's delivery DLQ, in the topic's region
}

var consumerName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

func (p *RegionalProps) validate(scope constructs.Construct) error {
	l := problems.List{Subject: "fanout.RegionalProps"}
	ownKey(&l, "key", p.Key, scope, p.RemovalPolicy)
	if p.Alarms == nil {
		l.Add("alarms", nil, "the region's alarms construct (alarms.New): the guard refuses queues without alarms")
	}
	if !regions.Known(p.TopicRegion) {
		l.Add("topicRegion", p.TopicRegion, "the AWS region of the fan-out topic")
	}
	checkMaxReceiveCount(&l, "maxReceiveCount", p.MaxReceiveCount, fmt.Sprintf("the default %d", DefaultMaxReceiveCount))
	return l.Err()
}

// NewRegional builds a region's half of the fan-out, with no consumers yet.
// It panics with a *problems.Error listing every invalid prop.
func NewRegional(scope constructs.Construct, id string, props *RegionalProps) *Regional {
	if err := props.validate(scope); err != nil {
		panic(err)
	}
	p := *props
	p.RemovalPolicy = cmp.Or(p.RemovalPolicy, awscdk.RemovalPolicy_RETAIN)
	c := constructs.NewConstruct(scope, jsii.String(id))
	stack := awscdk.Stack_Of(scope)
	region := *stack.Region()
	r := &Regional{Construct: c, props: p, names: p.Names()}
	guard.Install(c)
	r.topicARN = arnIn(stack, "sns", p.TopicRegion, r.names.Topic())
	r.snsPrincipals = keys.ServicePrincipals(SNSPrincipals(p.TopicRegion, region)...)
	r.deliveryDLQ = arnIn(stack, "sqs", p.TopicRegion, r.names.DeliveryDLQ(region))
	r.Key = p.Key
	if r.Key == nil {
		r.Key = keys.New(c, "Key", r.names.keyAlias("consumers"), "Encrypts this region's "+r.names.words()+" consumer queues", p.RemovalPolicy)
	}
	keyForSNS(r.Key, r.topicARN, r.snsPrincipals)
	return r
}

// ConsumerProps describes a team's consumer of what the fan-out carries.
type ConsumerProps struct {
	// Name names the queues: lower-case letters, digits and hyphens, at most 40. Required.
	Name string
	// TimeoutSeconds is the longest the consumer takes for one batch, 1 to
	// 900 (its handler's timeout, when it has one). The visibility timeout
	// is six times this, as AWS recommends for a Lambda reading a queue.
	// Default: DefaultTimeoutSeconds.
	TimeoutSeconds int
	// MaxReceiveCount is how often a message may be received before it moves to
	// the DLQ, 1 to 1000. Default: the region's (RegionalProps.MaxReceiveCount).
	MaxReceiveCount int
	// Handler, when set, is a Go Lambda (provided.al2023, arm64, a
	// `bootstrap`; GoCode builds one) built on package lambda/consumer,
	// which the construct runs on the queue with partial batch failure
	// reporting, with an idempotency and a sequence table (DynamoDB on
	// demand, encrypted with the region's consumer key, point-in-time
	// recovery, kept as the queues are) and the runtime's alarms; give it
	// the team's own tables with Consumer.AddTable. Only on a FIFO
	// fan-out: the runtime keeps order by the message group. Default:
	// none; the team polls the queue itself.
	Handler awslambda.Code
	// Paused creates the handler's event source mapping disabled: the
	// handler reads nothing until a deployment without it. To move a live
	// queue from a team's reader to a handler, deploy it paused, seed its
	// sequence table, stop the reader, then unpause (docs/consumers.md).
	// Only with a Handler. Default: false, the handler reads the queue.
	Paused bool
	// QueueProps overrides the consumer queue's props: each field set here
	// replaces the construct's (long polling, a delivery delay, a message
	// size, a data key reuse period...). The fields the fan-out decides
	// (its names, ordering, dead-letter queue, encryption, visibility
	// timeout, retention and removal policy) are refused. Default: the
	// construct's props.
	QueueProps *awssqs.QueueProps
}

// DefaultTimeoutSeconds is a consumer's processing timeout when its props
// leave TimeoutSeconds 0: a visibility timeout of three minutes.
const DefaultTimeoutSeconds = 30

// ValidateConsumer returns every problem with c as a consumer of a region
// of these props at once, each at the prop's name with prefix before it
// (e.g. "fanout.consumers[3]." gives fanout.consumers[3].timeoutSeconds):
// c's own rules, and that a handler needs a FIFO fan-out, the consumer
// runtime keeping each account's order by its message group. That no
// other consumer of the region has its name is checked when it is added.
func (p *RegionalProps) ValidateConsumer(prefix string, c *ConsumerProps) error {
	l := problems.List{Subject: "configuration"}
	if !consumerName.MatchString(c.Name) {
		l.Add(prefix+"name", c.Name, "lower-case letters, digits and hyphens, starting with a letter, at most 40 characters")
	}
	if c.TimeoutSeconds < 0 || c.TimeoutSeconds > 900 {
		l.Add(prefix+"timeoutSeconds", c.TimeoutSeconds, fmt.Sprintf("a number of seconds from 1 to 900, or 0 for the default %d", DefaultTimeoutSeconds))
	}
	checkMaxReceiveCount(&l, prefix+"maxReceiveCount", c.MaxReceiveCount, "the fan-out's (RegionalProps.MaxReceiveCount, from the ingest's)")
	refuseDecided(&l, prefix+"queueProps", c.QueueProps, queueDecides)
	checkQueueProps(&l, prefix+"queueProps", c.QueueProps)
	if c.Paused && c.Handler == nil {
		l.Add(prefix+"paused", true, "false, or a consumer with a handler: only a handler's reading can be paused")
	}
	if c.Handler != nil && !p.FIFO {
		l.Add(prefix+"handler", "a handler", "a consumer without a handler on a standard (not FIFO) fan-out: the consumer runtime keeps each account's order by its message group")
	}
	return l.Err()
}

func (p *ConsumerProps) validate(r *Regional) error {
	l := problems.List{Subject: "fanout.ConsumerProps"}
	if slices.ContainsFunc(r.Consumers, func(c *Consumer) bool { return c.Name == p.Name }) {
		l.Add("name", p.Name, "a name no other consumer in the region has")
	}
	return problems.Join(l.Subject, r.props.ValidateConsumer("", p), l.Err())
}

// Consumer is one team's queues in one region.
type Consumer struct {
	// Name is the consumer's name.
	Name string
	// TimeoutSeconds is the consumer's processing timeout.
	TimeoutSeconds int
	// Queue receives every trade execution.
	Queue awssqs.Queue
	// DeadLetterQueue holds what the consumer failed MaxReceiveCount times.
	DeadLetterQueue awssqs.Queue
	// Subscription subscribes Queue to the topic, with raw delivery and a
	// redrive policy to the region's delivery DLQ in the topic's region.
	Subscription awssns.CfnSubscription
	// Handler is the attached function, if ConsumerProps.Handler was set.
	Handler awslambda.Function
	// IdempotencyTable (key "id", TTL "expiresAt") and SequenceTable (key
	// "account") are the handler's records, if it has one.
	IdempotencyTable, SequenceTable awsdynamodb.Table

	regional *Regional
	scope    constructs.Construct
	env      map[string]*string // the handler's environment
	// visibilitySeconds is the queue's visibility timeout: how often a
	// held message comes back.
	visibilitySeconds float64
}

// AddConsumer gives a team a queue and DLQ in this region, subscribed to the
// fan-out topic. It panics with a *problems.Error listing every invalid prop.
func (r *Regional) AddConsumer(props *ConsumerProps) *Consumer {
	if err := props.validate(r); err != nil {
		panic(err)
	}
	p := r.props
	d := *props // the defaults applied
	d.MaxReceiveCount = cmp.Or(d.MaxReceiveCount, p.MaxReceiveCount, DefaultMaxReceiveCount)
	d.TimeoutSeconds = cmp.Or(d.TimeoutSeconds, DefaultTimeoutSeconds)
	props = &d
	scope := constructs.NewConstruct(r.Construct, jsii.String(props.Name))
	cons := &Consumer{Name: props.Name, TimeoutSeconds: props.TimeoutSeconds, regional: r, scope: scope, visibilitySeconds: float64(6 * props.TimeoutSeconds)}
	cons.DeadLetterQueue = newQueue(scope, "DeadLetterQueue", queueSpec{name: r.names.ConsumerDLQ(props.Name), fifo: p.FIFO, key: r.Key, removal: p.RemovalPolicy})
	cons.Queue = newQueue(scope, "Queue", queueSpec{
		name: r.names.ConsumerQueue(props.Name), fifo: p.FIFO, key: r.Key, removal: p.RemovalPolicy,
		visibilitySeconds: cons.visibilitySeconds, deadLetter: cons.DeadLetterQueue, maxReceiveCount: float64(props.MaxReceiveCount),
		overrides: props.QueueProps,
	})
	queueARN := cons.Queue.QueueArn() // the policy and the subscription name it
	policy := allowSNS(cons.Queue, queueARN, r.topicARN, r.snsPrincipals)
	cons.Subscription = awssns.NewCfnSubscription(scope, jsii.String("Subscription"), &awssns.CfnSubscriptionProps{
		Protocol:           jsii.String("sqs"),
		TopicArn:           r.topicARN,
		Endpoint:           queueARN,
		Region:             jsii.String(p.TopicRegion),
		RawMessageDelivery: jsii.Bool(true),
		RedrivePolicy:      map[string]any{"deadLetterTargetArn": r.deliveryDLQ},
	})
	// The subscription is only confirmed once the queue policy lets SNS in.
	cons.Subscription.Node().AddDependency(policy)

	if props.Handler != nil {
		r.runHandler(scope, cons, props)
	}
	cons.watch(p.Alarms)
	r.Consumers = append(r.Consumers, cons)
	return cons
}

// MetricAgeOfOldestMessage is the queue's oldest message age (seconds):
// rising means the consumer is not keeping up. By default (opts nil or
// unset) what the consumer queue's age alarm evaluates.
func (c *Consumer) MetricAgeOfOldestMessage(opts *awscloudwatch.MetricOptions) awscloudwatch.IMetric {
	return c.Queue.MetricApproximateAgeOfOldestMessage(alarms.KindConsumerQueue.MetricOptions("ApproximateAgeOfOldestMessage", opts))
}

// MetricVisibleMessages is the queue's backlog. By default what the
// consumer queue's backlog alarm evaluates.
func (c *Consumer) MetricVisibleMessages(opts *awscloudwatch.MetricOptions) awscloudwatch.IMetric {
	return c.Queue.MetricApproximateNumberOfMessagesVisible(alarms.KindConsumerQueue.MetricOptions("ApproximateNumberOfMessagesVisible", opts))
}

// MetricDLQVisibleMessages is the DLQ's depth. A message moved to a DLQ by
// redrive is not counted by the DLQ's NumberOfMessagesSent, so the
// per-minute maximum of its depth is the arrival signal its alarm reads
// (with what was sent and received); that is the default.
func (c *Consumer) MetricDLQVisibleMessages(opts *awscloudwatch.MetricOptions) awscloudwatch.IMetric {
	return dlqVisibleMessages(c.DeadLetterQueue, opts)
}
