package stacks

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/constructs/api"
	"github.com/brokerage/platform/constructs/fanout"
	"github.com/brokerage/platform/regions"
)

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
		al.NewCompositeAlarm(q, "NotReaching", notReachingAlarm(region),
			"Trade executions entered the ingest but did not reach "+region+": they are parked in that region's delivery DLQ (primary region) or could not even be parked. First check: the delivery DLQ, then the regional queues' policies and keys.",
			append(parked, lost))
	}
	al.Watch(in.Redistributor, alarms.Target{Kind: alarms.KindFunction, Label: "redistributor", Dimension: in.Redistributor.FunctionName(), TimeoutSeconds: fanout.RedistributorTimeoutSeconds})
	al.Watch(in.Redistributor, alarms.Target{Kind: alarms.KindRedistributor, Label: "redistributor", Dimension: in.Redistributor.FunctionName()})
	// The account concurrency alarm is one per account and region: in
	// us-east-1 the edge stack creates it.
	if c.PrimaryRegion != regions.Edge {
		al.WatchAccountConcurrency(al.Construct)
	}
}

// notReachingAlarm names the composite alarm of executions that entered the
// ingest but did not reach region; the overview dashboard shows it by name.
func notReachingAlarm(region string) string { return "fanout-not-reaching-" + region }

// fanoutWidgets show the fan-out end to end for the global overview: what
// entered the ingest against what reached each region, per consumer, and what
// was parked. Every name is deterministic, so the widgets work from any region.
func fanoutWidgets(c *config.Config, fifo bool) []alarms.Widget {
	prefix := c.Prefix()
	sqs := func(queue, metric, stat, label, region string) alarms.MetricLine {
		return alarms.MetricLine{Namespace: "AWS/SQS", Metric: metric, Dimensions: []string{"QueueName", queue}, Stat: stat, Label: label, Region: region}
	}
	var widgets []alarms.Widget
	for _, cons := range c.Fanout.Consumers {
		lines := []alarms.MetricLine{sqs(fanout.IngestQueueName(prefix, fifo), "NumberOfMessagesSent", "Sum", "ingest", c.PrimaryRegion)}
		for _, r := range c.Regions {
			lines = append(lines, sqs(fanout.ConsumerQueueName(prefix, cons.Name, fifo), "NumberOfMessagesSent", "Sum", r.Name+" ("+r.Market+")", r.Name))
		}
		widgets = append(widgets, alarms.Graph("Fan-out flow to "+cons.Name+": executions in, per region", lines...))
	}
	var dlqLines []alarms.MetricLine
	for _, r := range c.RegionNames() {
		dlqLines = append(dlqLines, sqs(fanout.DeliveryDLQName(prefix, r, fifo), "ApproximateNumberOfMessagesVisible", "Maximum", r, c.PrimaryRegion))
	}
	widgets = append(widgets,
		alarms.Graph("Undelivered executions per region (delivery DLQs)", dlqLines...),
		alarms.Graph("Fan-out topic", []alarms.MetricLine{
			{Namespace: "AWS/SNS", Metric: "NumberOfMessagesPublished", Dimensions: []string{"TopicName", fanout.TopicName(prefix, fifo)}, Stat: "Sum", Label: "published", Region: c.PrimaryRegion},
			{Namespace: "AWS/SNS", Metric: "NumberOfNotificationsDelivered", Dimensions: []string{"TopicName", fanout.TopicName(prefix, fifo)}, Stat: "Sum", Label: "delivered", Region: c.PrimaryRegion},
			{Namespace: "AWS/SNS", Metric: "NumberOfNotificationsFailed", Dimensions: []string{"TopicName", fanout.TopicName(prefix, fifo)}, Stat: "Sum", Label: "failed", Region: c.PrimaryRegion},
		}...),
		alarms.Graph("Ingest queue", sqs(fanout.IngestQueueName(prefix, fifo), "ApproximateAgeOfOldestMessage", "Maximum", "age of oldest (s)", c.PrimaryRegion),
			sqs(fanout.IngestDLQName(prefix, fifo), "ApproximateNumberOfMessagesVisible", "Maximum", "in DLQ", c.PrimaryRegion)),
	)
	return widgets
}

// regionalDashboard shows one region's consumers.
func regionalDashboard(s awscdk.Stack, al *alarms.Alarms, reg *fanout.Regional, gateways map[string]*api.Gateway, prefix string, r config.Region, sessions []config.Session) {
	widgets := []alarms.Widget{al.AlarmStatus("Alarms in " + r.Name + " (" + r.Market + ")")}
	if len(sessions) > 0 {
		widgets = append(widgets, sessionsWidget(sessions))
	}
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
	for _, name := range sortedNames(gateways) {
		gw := gateways[name]
		line := func(metric, stat, label string) alarms.MetricLine {
			return alarms.MetricLine{Namespace: "AWS/ApiGateway", Metric: metric, Dimensions: []string{"ApiName", gw.Name, "Stage", gw.StageName}, Stat: stat, Label: label}
		}
		widgets = append(widgets,
			alarms.Graph("API "+name+": errors (share of requests)", line("4XXError", "Average", "4xx"), line("5XXError", "Average", "5xx")),
			alarms.Graph("API "+name+": latency (ms) and requests", line("Latency", "p99", "latency p99"), line("Count", "Sum", "requests")))
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

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
