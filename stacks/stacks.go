// Package stacks composes the constructs into per-region stacks. It decides
// which construct goes in which stack and how stacks depend on each other; it
// holds no resource logic of its own.
//
// Stack names are <app>-<stage>-<region>-<role>, so that
// `cdk deploy 'brokerage-prod-eu-west-2-*'` deploys one region.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/fanout"
	"github.com/brokerage/platform/constructs/guard"
)

// Roles of the stacks.
const (
	RoleIngest   = "ingest"   // primary region: broker ingest, redistribution, fan-out topic
	RoleRegional = "regional" // every region: consumer queues
)

// PlatformProps configures the whole platform.
type PlatformProps struct {
	// Config is a validated configuration.
	Config *config.Config
	// Regions selects whose stacks are constructed; nil constructs every
	// region's. The CLI synthesizes whatever the app constructs, so selection
	// happens here.
	Regions []string
	// RedistributorCode is the compiled redistributor Lambda.
	RedistributorCode awslambda.Code
}

// Platform holds the constructed stacks.
type Platform struct {
	// Stacks in construction order.
	Stacks []awscdk.Stack
	// Ingest is the primary region's ingest stack, nil when not selected.
	Ingest awscdk.Stack
	// Regional stacks by region, for the selected regions.
	Regional map[string]awscdk.Stack
}

// StackName is the name of a region's stack with the given role.
func StackName(c *config.Config, region, role string) string {
	return c.App + "-" + c.Stage + "-" + region + "-" + role
}

// NewPlatform constructs the selected regions' stacks.
func NewPlatform(app awscdk.App, props *PlatformProps) *Platform {
	c := props.Config
	selected := map[string]bool{}
	for _, r := range props.Regions {
		selected[r] = true
	}
	if props.Regions == nil {
		for _, r := range c.RegionNames() {
			selected[r] = true
		}
	}
	prefix := c.App + "-" + c.Stage
	removal := awscdk.RemovalPolicy_DESTROY
	if c.IsProd() {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	fifo := c.Fanout.Ordering == config.OrderingFIFO
	p := &Platform{Regional: map[string]awscdk.Stack{}}
	// The "nothing lost" rules run inside every synthesis of the platform.
	awscdk.Validations_Of(app).AddPlugins(guard.NewPlugin())

	newStack := func(region, role, description string) awscdk.Stack {
		s := awscdk.NewStack(app, jsii.String(StackName(c, region, role)), &awscdk.StackProps{
			Env:                   &awscdk.Environment{Account: jsii.String(c.Account), Region: jsii.String(region)},
			Description:           jsii.String(description),
			TerminationProtection: jsii.Bool(c.IsProd()),
			Tags:                  &map[string]*string{"app": jsii.String(c.App), "stage": jsii.String(c.Stage)},
		})
		p.Stacks = append(p.Stacks, s)
		return s
	}

	alarmProps := func(topicARN *string) *alarms.Props {
		return &alarms.Props{Prefix: prefix, Emails: c.Alarms.Emails, PagerURL: c.Alarms.PagerURL, Overrides: AlarmOverrides(c), TopicARN: topicARN, RemovalPolicy: removal}
	}

	if selected[c.PrimaryRegion] {
		s := newStack(c.PrimaryRegion, RoleIngest, "Trade-execution ingest from the broker and fan-out to every region")
		al := alarms.New(s, "Alarms", alarmProps(nil))
		in := fanout.NewIngest(s, "Fanout", &fanout.IngestProps{
			Prefix:             prefix,
			BrokerAccounts:     c.Fanout.BrokerAccounts,
			FIFO:               fifo,
			MaxReceiveCount:    c.Fanout.MaxReceiveCount,
			DestinationRegions: c.RegionNames(),
			RedistributorCode:  props.RedistributorCode,
			RemovalPolicy:      removal,
		})
		watchIngest(al, in, c)
		p.Ingest = s
	}

	for _, r := range c.Regions {
		if !selected[r.Name] {
			continue
		}
		s := newStack(r.Name, RoleRegional, "Trade-execution consumers for "+r.Market)
		// One alarm topic per region: the primary region's is the ingest
		// stack's, which deploys first.
		var reuse *string
		if r.Name == c.PrimaryRegion && p.Ingest != nil {
			reuse = s.FormatArn(&awscdk.ArnComponents{Service: jsii.String("sns"), Resource: jsii.String(alarms.TopicName(prefix))})
		}
		al := alarms.New(s, "Alarms", alarmProps(reuse))
		reg := fanout.NewRegional(s, "Fanout", &fanout.RegionalProps{Prefix: prefix, TopicRegion: c.PrimaryRegion, FIFO: fifo, RemovalPolicy: removal})
		for _, cons := range c.Fanout.Consumers {
			watchConsumer(al, reg.AddConsumer(&fanout.ConsumerProps{Name: cons.Name, TimeoutSeconds: cons.TimeoutSeconds, MaxReceiveCount: cons.EffectiveMaxReceiveCount(c.Fanout)}))
		}
		regionalDashboard(s, al, reg, prefix, r)
		// The subscriptions name the topic and the delivery DLQs by ARN: the
		// ingest stack deploys first, and is destroyed last.
		if p.Ingest != nil {
			s.AddStackDependency(p.Ingest, jsii.String("subscribes to the fan-out topic"))
		}
		p.Regional[r.Name] = s
	}
	return p
}

// AlarmOverrides converts the configuration's alarm overrides.
func AlarmOverrides(c *config.Config) map[string]alarms.Override {
	out := map[string]alarms.Override{}
	for k, o := range c.Alarms.Overrides {
		out[k] = alarms.Override{Threshold: o.Threshold, DatapointsToAlarm: o.DatapointsToAlarm, EvaluationPeriods: o.EvaluationPeriods}
	}
	return out
}

// watchIngest alarms the ingest half, adds one composite alarm per
// destination region ("executions entered but did not reach <region>") and
// the global overview dashboard.
func watchIngest(al *alarms.Alarms, in *fanout.Ingest, c *config.Config) {
	al.Watch(in.Queue, alarms.Target{Kind: alarms.KindIngestQueue, Label: "ingest", Dimension: in.Queue.QueueName()})
	al.Watch(in.DeadLetterQueue, alarms.Target{Kind: alarms.KindDLQ, Label: "ingest-dlq", Dimension: in.DeadLetterQueue.QueueName()})
	topicAlarms := al.Watch(in.Topic, alarms.Target{Kind: alarms.KindFanoutTopic, Label: "fanout-topic", Dimension: in.Topic.TopicName()})
	var lost awscloudwatch.CfnAlarm
	for _, a := range topicAlarms {
		if *a.MetricName() == "NumberOfNotificationsFailedToRedriveToDlq" {
			lost = a
		}
	}
	for _, region := range c.RegionNames() {
		q := in.DeliveryDLQs[region]
		parked := al.Watch(q, alarms.Target{Kind: alarms.KindDLQ, Label: "delivery-dlq-" + region, Dimension: q.QueueName()})
		al.NewCompositeAlarm(q, "NotReaching", "fanout-not-reaching-"+region,
			"Trade executions entered the ingest but did not reach "+region+": they are parked in that region's delivery DLQ (primary region) or could not even be parked. First check: the delivery DLQ, then the regional queues' policies and keys.",
			append(parked, lost))
	}
	al.Watch(in.Redistributor, alarms.Target{Kind: alarms.KindFunction, Label: "redistributor", Dimension: in.Redistributor.FunctionName(), TimeoutSeconds: fanout.RedistributorTimeoutSeconds})
	al.WatchAccountConcurrency(al.Construct)

	prefix := c.App + "-" + c.Stage
	sqs := func(queue, metric, stat, label, region string) alarms.MetricLine {
		return alarms.MetricLine{Namespace: "AWS/SQS", Metric: metric, Dimensions: []string{"QueueName", queue}, Stat: stat, Label: label, Region: region}
	}
	fifo := in.FIFO
	widgets := []alarms.Widget{al.AlarmStatus("Fan-out alarms")}
	for _, cons := range c.Fanout.Consumers {
		lines := []alarms.MetricLine{sqs(fanout.IngestQueueName(prefix, fifo), "NumberOfMessagesSent", "Sum", "ingest", "")}
		for _, r := range c.Regions {
			lines = append(lines, sqs(fanout.ConsumerQueueName(prefix, cons.Name, fifo), "NumberOfMessagesSent", "Sum", r.Name+" ("+r.Market+")", r.Name))
		}
		widgets = append(widgets, alarms.Graph("Fan-out flow to "+cons.Name+": executions in, per region", lines...))
	}
	var dlqLines []alarms.MetricLine
	for _, r := range c.RegionNames() {
		dlqLines = append(dlqLines, sqs(fanout.DeliveryDLQName(prefix, r, fifo), "ApproximateNumberOfMessagesVisible", "Maximum", r, ""))
	}
	widgets = append(widgets,
		alarms.Graph("Undelivered executions per region (delivery DLQs)", dlqLines...),
		alarms.Graph("Fan-out topic", []alarms.MetricLine{
			{Namespace: "AWS/SNS", Metric: "NumberOfMessagesPublished", Dimensions: []string{"TopicName", fanout.TopicName(prefix, fifo)}, Stat: "Sum", Label: "published"},
			{Namespace: "AWS/SNS", Metric: "NumberOfNotificationsDelivered", Dimensions: []string{"TopicName", fanout.TopicName(prefix, fifo)}, Stat: "Sum", Label: "delivered"},
			{Namespace: "AWS/SNS", Metric: "NumberOfNotificationsFailed", Dimensions: []string{"TopicName", fanout.TopicName(prefix, fifo)}, Stat: "Sum", Label: "failed"},
		}...),
		alarms.Graph("Ingest queue", sqs(fanout.IngestQueueName(prefix, fifo), "ApproximateAgeOfOldestMessage", "Maximum", "age of oldest (s)", ""),
			sqs(fanout.IngestDLQName(prefix, fifo), "ApproximateNumberOfMessagesVisible", "Maximum", "in DLQ", "")),
	)
	alarms.NewDashboard(al.Construct, "Overview", prefix+"-overview", widgets)
}

// regionalDashboard shows one region's consumers.
func regionalDashboard(s awscdk.Stack, al *alarms.Alarms, reg *fanout.Regional, prefix string, r config.Region) {
	widgets := []alarms.Widget{al.AlarmStatus("Alarms in " + r.Name + " (" + r.Market + ")")}
	fifo := reg.FIFO()
	for _, cons := range reg.Consumers {
		name := fanout.ConsumerQueueName(prefix, cons.Name, fifo)
		dlq := fanout.ConsumerDLQName(prefix, cons.Name, fifo)
		line := func(queue, metric, stat, label string) alarms.MetricLine {
			return alarms.MetricLine{Namespace: "AWS/SQS", Metric: metric, Dimensions: []string{"QueueName", queue}, Stat: stat, Label: label}
		}
		widgets = append(widgets,
			alarms.Graph(cons.Name+": arrivals and processing", line(name, "NumberOfMessagesSent", "Sum", "arrived"), line(name, "NumberOfMessagesDeleted", "Sum", "processed")),
			alarms.Graph(cons.Name+": age of oldest (s) and DLQ depth", line(name, "ApproximateAgeOfOldestMessage", "Maximum", "age of oldest"), line(dlq, "ApproximateNumberOfMessagesVisible", "Maximum", "in DLQ")),
		)
	}
	alarms.NewDashboard(s, "Dashboard", prefix+"-"+r.Name, widgets)
}

func watchConsumer(al *alarms.Alarms, c *fanout.Consumer) {
	al.Watch(c.Queue, alarms.Target{Kind: alarms.KindConsumerQueue, Label: c.Name, Dimension: c.Queue.QueueName()})
	al.Watch(c.DeadLetterQueue, alarms.Target{Kind: alarms.KindDLQ, Label: c.Name + "-dlq", Dimension: c.DeadLetterQueue.QueueName()})
	if c.Handler != nil {
		al.Watch(c.Handler, alarms.Target{Kind: alarms.KindFunction, Label: c.Name + "-handler", Dimension: c.Handler.FunctionName(), TimeoutSeconds: float64(c.TimeoutSeconds)})
	}
}
