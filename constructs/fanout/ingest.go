// Package fanout redistributes the broker's trade executions from one ingest
// queue in the primary region to a queue per consumer in every region.
//
// # Design
//
//	broker accounts --SendMessage--> ingest queue (FIFO, CMK, TLS-only) --> ingest DLQ
//	                                   |
//	                      redistributor (Go Lambda, SQS event source,
//	                      partial batch failures, keeps group + dedup id)
//	                                   v
//	                      fan-out topic (SNS FIFO, CMK, TLS-only)
//	                 /------------------+------------------\
//	   cross-region SQS subscriptions, raw delivery, each with a redrive
//	   policy to a delivery DLQ per region (in the primary region)
//	                 v                  v                  v
//	       consumer queues per region (FIFO, CMK, TLS-only) --> consumer DLQs
//
// Why an SNS FIFO topic: it is the managed service that delivers one message
// to many SQS queues across regions while keeping order per message group and
// de-duplicating (SNS FIFO topics deliver to SQS FIFO queues; SNS supports
// cross-region delivery to SQS, with the regional service principal when an
// opt-in region is involved). A subscription's dead-letter queue must be in
// the subscription's account and region, so delivery DLQs live in the
// primary region, one per destination region.
//
// Why a small Go Lambda between the ingest queue and the topic rather than
// EventBridge Pipes: a pipe's SNS target takes no message group or
// de-duplication id, so an SNS FIFO target cannot keep each account's group;
// the function republishes every message with the group (account) and
// de-duplication id it arrived with, and reports partial batch failures so
// that a failed message and the rest of its group are retried in order while
// other accounts go on.
//
// # Ordering policy, per hop
//
//   - Ingest queue (FIFO): stalls rather than reorders. It has no redrive
//     policy: a dead-letter queue on a FIFO queue lets a group's later
//     messages overtake the one that moved, and a redrive appends it behind
//     them (SQS developer guide, "Using dead-letter queues":
//     https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
//     The broker's messages are opaque to the redistributor, so its failures
//     are transient (SNS, KMS, throttling), not poison: the group waits for
//     up to 14 days (the SQS maximum), the redistributor's ReceiveCount and
//     Errors alarms page, and the runbook says how to unblock it. The former
//     dead-letter queue stays (same logical ID and name) as the operators'
//     parking queue. On the standard path (no order promised) the ingest queue
//     keeps a dead-letter queue after MaxReceiveCount receives.
//   - Fan-out subscriptions: redrive to a delivery DLQ per destination region;
//     SNS retries delivery first, so a message there is a policy or key
//     failure, and the runbook redrives it only after the region's consumers
//     have caught up past it.
//   - Consumer queues: keep their DLQs; consumers must be idempotent on the
//     execution id and detect gaps by per-account sequence
//     (docs/broker-contract.md).
package fanout

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/awsrules"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/guard"
	"github.com/brokerage/platform/internal/keys"
	"github.com/brokerage/platform/internal/suppress"
	"github.com/brokerage/platform/problems"
	"github.com/brokerage/platform/regions"
	"github.com/brokerage/platform/valid"
)

// MetricsNamespace is the CloudWatch namespace of the redistributor's own
// metrics (embedded metric format, dimension FunctionName), which its
// alarms read.
const MetricsNamespace = alarms.RedistributorNamespace

// MetricPublishFailures is the redistributor's count of messages it could not
// publish (its group stopped): the same name as redistribute.MetricPublishFailures.
const MetricPublishFailures = "PublishFailures"

// IngestProps configures the topic-region half of the fan-out. Every prop
// but BrokerAccounts and DestinationRegions has a default.
type IngestProps struct {
	// Prefix starts every physical name, e.g. "brokerage-prod". Default:
	// none. Set it when an account and region hold more than one fan-out
	// (two stages, say): the names are physical so that the regional
	// halves can find the topic by ARN (Names).
	Prefix string
	// Subject names what flows, in physical names and descriptions, e.g.
	// "trade-executions". Default: DefaultSubject.
	Subject string
	// BrokerAccounts may send to the ingest queue (12-digit ids). At least one.
	BrokerAccounts []string
	// BrokerRoles are the IAM roles of the broker accounts that send (role
	// ARNs; a * in the name matches several): the queue and key policies
	// name the accounts with an aws:PrincipalArn condition on these roles,
	// so that the role need not exist when the policy is written. Required
	// unless TrustBrokerAccounts.
	BrokerRoles []string
	// TrustBrokerAccounts lets any principal of the broker accounts send,
	// as the accounts' own IAM policies allow: an explicit choice, instead
	// of BrokerRoles. Default: false.
	TrustBrokerAccounts bool
	// FIFO orders per message group (the broker sets one group per account)
	// and de-duplicates end to end. Default: false (standard queues and topic).
	FIFO bool
	// MaxReceiveCount is how often the redistributor may fail a message before
	// it moves to the ingest DLQ, 1 to 1000, on the standard path only: the
	// FIFO ingest queue stalls instead (see the package's ordering policy);
	// and the consumers' default (RegionalProps). Default:
	// DefaultMaxReceiveCount.
	MaxReceiveCount int
	// DestinationRegions get a delivery dead-letter queue each, for what the
	// topic could not deliver there. At least one.
	DestinationRegions []string
	// RedistributorCode is the redistributor's Lambda code. Default:
	// RedistributorCode(), built from this module's lambda/redistributor.
	RedistributorCode awslambda.Code
	// RemovalPolicy applies to the queues, the keys the construct makes
	// and the topic, and to the redistributor's and the delivery-status
	// log groups. Default: RETAIN; then a Key or TopicKey given must be
	// retained too.
	RemovalPolicy awscdk.RemovalPolicy
	// Key encrypts the ingest queue and its dead-letter queue; the
	// construct adds the brokers' use of it through SQS to its policy. It
	// must be a key of the ingest's stack, not an imported one: the
	// "nothing lost" rules read its policy beside the queues. Default: a
	// new key with yearly rotation and an alias.
	Key awskms.Key
	// TopicKey encrypts the topic and its delivery dead-letter queues; the
	// construct lets SNS use it for this topic only. A key of the
	// ingest's stack, as Key. Default: a new key.
	TopicKey awskms.Key
	// TopicProps overrides the fan-out topic's props: each field set here
	// replaces the construct's (a display name, a FIFO topic's archive
	// for replay, MessageRetentionPeriodInDays, active tracing). The
	// fields the fan-out decides (its name, ordering, key, TLS, signature
	// and delivery-status logging) are refused. Default: the construct's
	// props.
	TopicProps *awssns.TopicProps
	// Alarms is the region's alarms construct: it watches everything the
	// ingest creates with the catalogue's alarms of its kind, and gets a
	// composite alarm per destination region that goes off when messages
	// entered but did not reach it (NotReachingAlarmName). Required: the
	// "nothing lost" rules refuse a queue nobody watches.
	Alarms *alarms.Alarms
}

// Names are the fan-out's physical names, the defaults applied.
func (p *IngestProps) Names() Names {
	return Names{Prefix: p.Prefix, Subject: cmp.Or(p.Subject, DefaultSubject), FIFO: p.FIFO}
}

// RegionalProps are the props of a regional half that subscribes to this
// ingest's topic in topicRegion (the ingest stack's region): the same
// names, ordering, removal policy and MaxReceiveCount.
func (p *IngestProps) RegionalProps(topicRegion string) *RegionalProps {
	return &RegionalProps{Prefix: p.Prefix, Subject: p.Subject, TopicRegion: topicRegion, FIFO: p.FIFO, RemovalPolicy: p.RemovalPolicy, MaxReceiveCount: p.MaxReceiveCount}
}

// DefaultMaxReceiveCount is how often a message is received, when props
// leave MaxReceiveCount 0, before it moves to its dead-letter queue.
const DefaultMaxReceiveCount = 5

// Validate returns every problem with the broker-facing values at once,
// each at the prop's name with prefix before it ("fanout." gives
// fanout.brokerAccounts[0]): the accounts (12 digits, each once, as many
// as one queue policy takes: awsrules.BrokerAccounts), the roles (IAM
// role ARNs of those accounts, or the explicit trust of the whole
// accounts) and MaxReceiveCount.
func (p *IngestProps) Validate(prefix string) error {
	l := problems.List{Subject: "configuration"}
	if len(p.BrokerAccounts) == 0 {
		l.Add(prefix+"brokerAccounts", "[]", "at least one 12-digit AWS account id")
	}
	if want := awsrules.BrokerAccounts(len(p.BrokerAccounts)); want != "" {
		l.Add(prefix+"brokerAccounts", fmt.Sprintf("%d accounts", len(p.BrokerAccounts)), want)
	}
	accounts := map[string]bool{}
	for i, a := range p.BrokerAccounts {
		l.Distinct(accounts, fmt.Sprintf("%sbrokerAccounts[%d]", prefix, i), a, valid.AccountID(a),
			"a 12-digit AWS account id", "each account listed once")
	}
	switch {
	case len(p.BrokerRoles) == 0 && !p.TrustBrokerAccounts:
		l.Add(prefix+"brokerRoles", "[]", "the broker's sending roles (IAM role ARNs), or trustBrokerAccounts: true to let any principal of the broker accounts send")
	case len(p.BrokerRoles) > 0 && p.TrustBrokerAccounts:
		l.Add(prefix+"trustBrokerAccounts", true, "false when brokerRoles names the sending roles (one or the other)")
	}
	for i, r := range p.BrokerRoles {
		a, err := arn.Parse(r)
		if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") || a.Region != "" || !valid.Partition(a.Partition) {
			l.Add(fmt.Sprintf("%sbrokerRoles[%d]", prefix, i), r, "an IAM role ARN such as arn:aws:iam::222222222222:role/execution-publisher")
		} else if !accounts[a.AccountID] {
			l.Add(fmt.Sprintf("%sbrokerRoles[%d]", prefix, i), r, "a role of one of the broker accounts ("+strings.Join(p.BrokerAccounts, ", ")+")")
		}
	}
	checkMaxReceiveCount(&l, prefix+"maxReceiveCount", p.MaxReceiveCount, fmt.Sprintf("the default %d", DefaultMaxReceiveCount))
	return l.Err()
}

func (p *IngestProps) validate(scope constructs.Construct) error {
	l := problems.List{Subject: "fanout.IngestProps"}
	ownKey(&l, "key", p.Key, scope, p.RemovalPolicy)
	ownKey(&l, "topicKey", p.TopicKey, scope, p.RemovalPolicy)
	if p.Alarms == nil {
		l.Add("alarms", nil, "the region's alarms construct (alarms.New): the guard refuses queues without alarms")
	}
	if len(p.DestinationRegions) == 0 {
		l.Add("destinationRegions", "[]", "at least one region")
	}
	for i, r := range p.DestinationRegions {
		if !regions.Known(r) {
			l.Add(fmt.Sprintf("destinationRegions[%d]", i), r, "an AWS region name")
		}
	}
	refuseDecided(&l, "topicProps", p.TopicProps, topicDecides)
	checkTopicProps(&l, "topicProps", p.TopicProps, p.FIFO)
	return problems.Join(l.Subject, p.Validate(""), l.Err())
}

// deliveryStatusLogging logs the topic's failed SQS deliveries (the reason a
// cross-region KMS or queue-policy denial leaves nowhere else) to a log group
// created here with a retention, under the name SNS writes to, through a role
// that may write only there. SNS documents the role's permissions and the
// group's name in
// https://docs.aws.amazon.com/sns/latest/dg/topics-attrib-prereq.html.
func (in *Ingest) deliveryStatusLogging(topicName string, removal awscdk.RemovalPolicy) *awssns.LoggingConfig {
	scope, stack, region, account := in.Construct, in.stack, in.region, *in.stack.Account()
	base := "sns/" + region + "/" + account + "/" + topicName
	in.DeliveryFailureLogs = awslogs.NewLogGroup(scope, jsii.String("DeliveryFailureLogs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String(base + "/Failure"),
		Retention:     awslogs.RetentionDays_THREE_MONTHS,
		RemovalPolicy: removal,
	})
	suppress.Checkov(in.DeliveryFailureLogs, "CKV_AWS_158", "SNS writes delivery status (message ids, status codes, reasons), never message bodies; CloudWatch Logs encrypts at rest with its own keys.")
	role := awsiam.NewRole(scope, jsii.String("DeliveryStatusRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("sns.amazonaws.com"), nil),
		Description: jsii.String("Lets SNS log the fan-out topic's failed SQS deliveries"),
	})
	groups := stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: jsii.String(base + "*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: &[]*string{groups},
	}))
	suppress.Nag(role, "AwsSolutions-IAM5", "SNS creates one log stream per delivery attempt at run time; the grant covers only this topic's delivery-status log groups.",
		"Resource::"+cfn.NagName(stack.Resolve(groups)))
	return &awssns.LoggingConfig{Protocol: awssns.LoggingProtocol_SQS, FailureFeedbackRole: role}
}

// Ingest is the primary-region half of the fan-out: the queue the broker
// sends to, the redistributor and the topic every region subscribes to.
//
// Example:
//
//	ingest := fanout.NewIngest(stack, "Fanout", &fanout.IngestProps{
//		BrokerAccounts:     []string{"222222222222"},
//		FIFO:               true,
//		DestinationRegions: []string{"ap-southeast-2", "eu-west-2"},
//		Alarms:             al,
//	})
//	regional := fanout.NewRegional(londonStack, "Fanout", ingest.RegionalProps())
type Ingest struct {
	constructs.Construct
	// Key encrypts the ingest queue and its DLQ; broker accounts may use it through SQS only.
	Key awskms.Key
	// Queue receives the broker's trade executions.
	Queue awssqs.Queue
	// DeadLetterQueue holds executions the redistributor failed MaxReceiveCount
	// times on the standard path; on the FIFO path nothing redrives into it and
	// it is the operators' parking queue for a message taken out of a stalled group.
	DeadLetterQueue awssqs.Queue
	// DeliveryFailureLogs receives the topic's delivery-status log for SQS
	// deliveries that failed (SNS names it sns/<region>/<account>/<topic>/Failure).
	DeliveryFailureLogs awslogs.LogGroup
	// TopicKey encrypts the topic and the delivery DLQs; SNS may use it for this topic only.
	TopicKey awskms.Key
	// Topic fans every execution out to the regions.
	Topic awssns.Topic
	// Redistributor moves messages from Queue to Topic.
	Redistributor awslambda.Function
	// DeliveryDLQs, by destination region, hold what the topic could not deliver.
	DeliveryDLQs map[string]awssqs.Queue
	// FIFO is true when the path keeps per-account order.
	FIFO bool

	props  IngestProps
	stack  awscdk.Stack
	region string
}

// RegionalProps are the props of a regional half that subscribes to this
// ingest's topic (IngestProps.RegionalProps in the ingest's region).
func (in *Ingest) RegionalProps() *RegionalProps { return in.props.RegionalProps(in.region) }

// NewIngest builds the ingest half. It panics with a *problems.Error listing
// every invalid prop.
func NewIngest(scope constructs.Construct, id string, props *IngestProps) *Ingest {
	if err := props.validate(scope); err != nil {
		panic(err)
	}
	p := *props
	p.MaxReceiveCount = cmp.Or(p.MaxReceiveCount, DefaultMaxReceiveCount)
	p.RemovalPolicy = cmp.Or(p.RemovalPolicy, awscdk.RemovalPolicy_RETAIN)
	if p.RedistributorCode == nil {
		p.RedistributorCode = RedistributorCode()
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	in := &Ingest{Construct: c, FIFO: p.FIFO, DeliveryDLQs: map[string]awssqs.Queue{}, props: *props, stack: awscdk.Stack_Of(scope)}
	in.region = *in.stack.Region()
	guard.Install(c)
	names := p.Names()
	in.addQueues(&p, names)
	in.allowBrokers(&p)
	in.addTopic(&p, names)
	in.addRedistributor(p.RedistributorCode, p.RemovalPolicy, names.words())
	in.watch(p.Alarms)
	return in
}

// addQueues creates the ingest queue, its key and Ingest.DeadLetterQueue.
func (in *Ingest) addQueues(p *IngestProps, names Names) {
	in.Key = p.Key
	if in.Key == nil {
		in.Key = keys.New(in.Construct, "Key", names.keyAlias("ingest"), "Encrypts the "+names.words()+" ingest queue and its dead-letter queue", p.RemovalPolicy)
	}
	dlq := queueSpec{name: names.IngestDLQ(), fifo: p.FIFO, key: in.Key, removal: p.RemovalPolicy}
	// An execution larger than SNS publishes (MaxExecutionBytes) is refused at
	// the broker's SendMessage rather than accepted and then stalling its account.
	queue := queueSpec{name: names.IngestQueue(), fifo: p.FIFO, key: in.Key, removal: p.RemovalPolicy, visibilitySeconds: IngestVisibilitySeconds,
		maxMessageBytes: MaxExecutionBytes}
	if p.FIFO {
		dlq.ordering, queue.ordering = cfn.OrderingParking, cfn.OrderingStall
	}
	in.DeadLetterQueue = newQueue(in.Construct, "DeadLetterQueue", dlq)
	if !p.FIFO {
		queue.deadLetter, queue.maxReceiveCount = in.DeadLetterQueue, float64(p.MaxReceiveCount)
	}
	in.Queue = newQueue(in.Construct, "Queue", queue)
}

// allowBrokers lets the broker's sending roles (or, by explicit choice, the
// whole broker accounts) send to the ingest queue, and use its key through
// SQS only. The roles are an aws:PrincipalArn condition on the accounts
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn):
// a role named as a principal must exist when the policy is written.
func (in *Ingest) allowBrokers(p *IngestProps) {
	brokers := make([]awsiam.IPrincipal, len(p.BrokerAccounts))
	for i, a := range p.BrokerAccounts {
		brokers[i] = awsiam.NewAccountPrincipal(jsii.String(a))
	}
	send := map[string]any{}
	kms := map[string]any{"StringEquals": map[string]any{"kms:ViaService": "sqs." + in.region + ".amazonaws.com"}}
	if len(p.BrokerRoles) > 0 {
		roles := map[string]any{"aws:PrincipalArn": p.BrokerRoles}
		send["ArnLike"], kms["ArnLike"] = roles, roles
	}
	in.Queue.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowBrokerSend"),
		Principals: &brokers,
		Actions:    jsii.Strings("sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"),
		Resources:  &[]*string{in.Queue.QueueArn()},
		Conditions: &send,
	}))
	in.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowBrokerSendThroughSQS"),
		Principals: &brokers,
		Actions:    jsii.Strings("kms:GenerateDataKey*", "kms:Decrypt"),
		Resources:  jsii.Strings("*"),
		Conditions: &kms,
	}), nil)
}

// addTopic creates the fan-out topic with its key and delivery-status log,
// and a delivery dead-letter queue per destination region that only the
// topic may write to.
func (in *Ingest) addTopic(p *IngestProps, names Names) {
	topicName := names.Topic()
	topicARN := arnIn(in.stack, "sns", in.region, topicName)
	in.TopicKey = p.TopicKey
	if in.TopicKey == nil {
		in.TopicKey = keys.New(in.Construct, "TopicKey", names.keyAlias("fanout"), "Encrypts the "+names.words()+" fan-out topic and its delivery dead-letter queues", p.RemovalPolicy)
	}
	topicProps := &awssns.TopicProps{
		TopicName:        jsii.String(topicName),
		MasterKey:        in.TopicKey,
		EnforceSSL:       jsii.Bool(true),
		SignatureVersion: jsii.String("2"),
		LoggingConfigs:   &[]*awssns.LoggingConfig{in.deliveryStatusLogging(topicName, p.RemovalPolicy)},
	}
	if p.FIFO {
		topicProps.Fifo = jsii.Bool(true)
		topicProps.FifoThroughputScope = awssns.FifoThroughputScope_MESSAGE_GROUP
	}
	override(topicProps, p.TopicProps)
	in.Topic = awssns.NewTopic(in.Construct, jsii.String("Topic"), topicProps)
	// The topic's ARN is what every region subscribes to: keep it through a
	// stack deletion in prod like the queues.
	in.Topic.ApplyRemovalPolicy(p.RemovalPolicy)
	in.denyForeignSubscriptions(names, topicARN)

	writers := keys.ServicePrincipals(SNSPrincipals(in.region, in.region)...) // the key's and every delivery DLQ's policy
	keyForSNS(in.TopicKey, topicARN, writers)
	for _, r := range p.DestinationRegions {
		dlq := newQueue(in.Construct, "DeliveryDLQ-"+r, queueSpec{name: names.DeliveryDLQ(r), fifo: p.FIFO, key: in.TopicKey, removal: p.RemovalPolicy,
			unreferencedDLQ: "Dead-letter queue of the fan-out subscriptions to " + r + ", named by ARN in their redrive policy in the regional stack, which cdk-nag cannot see from this stack."})
		allowSNS(dlq, dlq.QueueArn(), topicARN, writers)
		in.DeliveryDLQs[r] = dlq
	}
}

// denyForeignSubscriptions lets nothing subscribe to the topic but the
// fan-out's own queues in its account (names starting with its prefix, in
// any region), over SQS: anyone else subscribed would read every message. The
// Subscribe request's sns:Endpoint and sns:Protocol condition keys
// (https://docs.aws.amazon.com/sns/latest/dg/sns-using-identity-based-policies.html);
// two statements, as either mismatch must deny.
func (in *Ingest) denyForeignSubscriptions(names Names, topicARN *string) {
	queues := in.stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("sqs"), Region: jsii.String("*"), Resource: jsii.String(strings.TrimPrefix(names.Prefix+"-*", "-"))})
	anyone := &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()}
	for _, d := range []struct {
		sid, operator, key string
		value              any
	}{
		{"DenySubscriptionsButThePlatformsQueues", "StringNotLike", "sns:Endpoint", queues},
		{"DenySubscriptionsButSQS", "StringNotEquals", "sns:Protocol", "sqs"},
	} {
		in.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String(d.sid), Effect: awsiam.Effect_DENY, Principals: anyone,
			Actions: jsii.Strings("sns:Subscribe"), Resources: &[]*string{topicARN},
			Conditions: &map[string]any{d.operator: map[string]any{d.key: d.value}},
		}))
	}
}

// addRedistributor creates the function that moves the ingest queue's
// messages to the topic, sized by the constants of sizing.go.
func (in *Ingest) addRedistributor(code awslambda.Code, removal awscdk.RemovalPolicy, subject string) {
	in.Redistributor = newQueueFunction(in.Construct, queueFunction{
		id:             "Redistributor",
		description:    "Republishes " + subject + " from the ingest queue to the fan-out topic, keeping each group's order",
		code:           code,
		timeoutSeconds: RedistributorTimeoutSeconds,
		environment:    map[string]*string{"TOPIC_ARN": in.Topic.TopicArn(), "METRICS_NAMESPACE": jsii.String(MetricsNamespace)}, // the handler's redistribute.EnvNamespace
		source:         in.Queue,
		maxConcurrency: RedistributorMaxConcurrency,
		removal:        removal,
	})
	in.Topic.GrantPublish(in.Redistributor)
	suppress.Nag(in.Redistributor.Role(), "AwsSolutions-IAM5", "Publishing to a KMS-encrypted topic needs kms:GenerateDataKey* on the topic's key (granted on that key only).", "Action::kms:GenerateDataKey*")
}

// MetricAgeOfOldestMessage is the ingest queue's oldest message age
// (seconds): rising means messages are not leaving the topic's region. By
// default (opts nil or unset) what the ingest queue's age alarm evaluates.
func (in *Ingest) MetricAgeOfOldestMessage(opts *awscloudwatch.MetricOptions) awscloudwatch.IMetric {
	return in.Queue.MetricApproximateAgeOfOldestMessage(alarms.KindIngestQueue.MetricOptions("ApproximateAgeOfOldestMessage", opts))
}

// MetricPublishFailures counts the messages the redistributor could not
// publish: each stops its group until it is published (the redistributor's
// embedded metrics). By default what the redistributor's PublishFailures
// alarm evaluates.
func (in *Ingest) MetricPublishFailures(opts *awscloudwatch.MetricOptions) awscloudwatch.IMetric {
	m := alarms.KindRedistributor.Metric(alarms.RedistributorMetrics(*in.Redistributor.FunctionName()), MetricPublishFailures)
	return m.CDK().With(alarms.KindRedistributor.MetricOptions(MetricPublishFailures, opts))
}

// MetricMessagesReceived counts the messages the senders sent. By default
// what the ingest queue's NumberOfMessagesSent alarm evaluates.
func (in *Ingest) MetricMessagesReceived(opts *awscloudwatch.MetricOptions) awscloudwatch.IMetric {
	return in.Queue.MetricNumberOfMessagesSent(alarms.KindIngestQueue.MetricOptions("NumberOfMessagesSent", opts))
}

// MetricDLQVisibleMessages is the ingest DLQ's depth. By default the
// maximum per minute, what its arrival alarm reads.
func (in *Ingest) MetricDLQVisibleMessages(opts *awscloudwatch.MetricOptions) awscloudwatch.IMetric {
	return dlqVisibleMessages(in.DeadLetterQueue, opts)
}

// MetricDeliveryFailures counts messages the topic failed to deliver to any
// subscription (AWS/SNS NumberOfNotificationsFailed). By default what the
// fan-out topic's NumberOfNotificationsFailed alarm evaluates.
func (in *Ingest) MetricDeliveryFailures(opts *awscloudwatch.MetricOptions) awscloudwatch.IMetric {
	return in.Topic.MetricNumberOfNotificationsFailed(alarms.KindFanoutTopic.MetricOptions("NumberOfNotificationsFailed", opts))
}
