package stacks

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
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
	al.Watch(in.Queue, alarms.Target{Kind: alarms.KindIngestQueue, Label: "ingest", Metrics: alarms.QueueMetrics(*in.Queue.QueueName())})
	al.Watch(in.DeadLetterQueue, alarms.Target{Kind: alarms.KindDLQ, Label: "ingest-dlq", Metrics: alarms.QueueMetrics(*in.DeadLetterQueue.QueueName())})
	topic := alarms.TopicMetrics(*in.Topic.TopicName())
	al.Watch(in.Topic, alarms.Target{Kind: alarms.KindFanoutTopic, Label: "fanout-topic", Metrics: topic})
	lost := al.AlarmOn(alarms.KindFanoutTopic.Metric(topic, "NumberOfNotificationsFailedToRedriveToDlq"))
	for _, region := range c.RegionNames() {
		q := in.DeliveryDLQs[region]
		parked := al.Watch(q, alarms.Target{Kind: alarms.KindDLQ, Label: "delivery-dlq-" + region, Metrics: alarms.QueueMetrics(*q.QueueName())})
		al.NewCompositeAlarm(q, "NotReaching", notReachingAlarm(region),
			"Trade executions entered the ingest but did not reach "+region+": they are parked in that region's delivery DLQ (primary region) or could not even be parked. First check: the delivery DLQ, then the regional queues' policies and keys.",
			append(parked, lost))
	}
	fn := *in.Redistributor.FunctionName()
	al.Watch(in.Redistributor, alarms.Target{Kind: alarms.KindFunction, Label: "redistributor", Metrics: alarms.FunctionMetrics(fn), TimeoutSeconds: fanout.RedistributorTimeoutSeconds})
	al.Watch(in.Redistributor, alarms.Target{Kind: alarms.KindRedistributor, Label: "redistributor", Metrics: alarms.RedistributorMetrics(fn)})
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
	prefix, primary := c.Prefix(), c.PrimaryRegion
	ingest := alarms.QueueMetrics(fanout.IngestQueueName(prefix, fifo))
	var widgets []alarms.Widget
	for _, cons := range c.Fanout.Consumers {
		lines := []alarms.MetricLine{alarms.KindIngestQueue.Metric(ingest, "NumberOfMessagesSent").Line("ingest").In(primary)}
		queue := alarms.QueueMetrics(fanout.ConsumerQueueName(prefix, cons.Name, fifo))
		for _, r := range c.Regions {
			lines = append(lines, alarms.KindConsumerQueue.Metric(queue, "NumberOfMessagesSent").Line(r.Name+" ("+r.Market+")").In(r.Name))
		}
		widgets = append(widgets, alarms.Graph("Fan-out flow to "+cons.Name+": executions in, per region", lines...))
	}
	var dlqLines []alarms.MetricLine
	for _, r := range c.RegionNames() {
		dlqLines = append(dlqLines, dlqDepth(fanout.DeliveryDLQName(prefix, r, fifo)).Line(r).In(primary))
	}
	topic := alarms.TopicMetrics(fanout.TopicName(prefix, fifo))
	topicLine := func(metric, label string) alarms.MetricLine {
		return alarms.KindFanoutTopic.Metric(topic, metric).Line(label).In(primary)
	}
	return append(widgets,
		alarms.Graph("Undelivered executions per region (delivery DLQs)", dlqLines...),
		alarms.Graph("Fan-out topic", topicLine("NumberOfMessagesPublished", "published"),
			topicLine("NumberOfNotificationsDelivered", "delivered"), topicLine("NumberOfNotificationsFailed", "failed")),
		alarms.Graph("Ingest queue", alarms.KindIngestQueue.Metric(ingest, "ApproximateAgeOfOldestMessage").Line("age of oldest (s)").In(primary),
			dlqDepth(fanout.IngestDLQName(prefix, fifo)).Line("in DLQ").In(primary)),
	)
}

// dlqDepth is the dead-letter queue's visible messages, as its arrival
// alarm reads them.
func dlqDepth(queue string) alarms.Metric {
	return alarms.KindDLQ.Metric(alarms.QueueMetrics(queue), "ApproximateNumberOfMessagesVisible")
}

// regionalDashboard shows one region's consumers.
func regionalDashboard(s awscdk.Stack, al *alarms.Alarms, reg *fanout.Regional, gateways map[string]*api.Gateway, prefix string, r config.Region, sessions []config.Session) {
	widgets := al.AlarmStatus("Alarms in " + r.Name + " (" + r.Market + ")")
	if len(sessions) > 0 {
		widgets = append(widgets, sessionsWidget(sessions))
	}
	fifo := reg.FIFO()
	for _, cons := range reg.Consumers {
		queue := alarms.QueueMetrics(fanout.ConsumerQueueName(prefix, cons.Name, fifo))
		widgets = append(widgets,
			alarms.Graph(cons.Name+": arrivals and processing", alarms.KindConsumerQueue.Metric(queue, "NumberOfMessagesSent").Line("arrived"),
				queue.Metric("NumberOfMessagesDeleted", "Sum").Line("processed")),
			alarms.Graph(cons.Name+": age of oldest (s) and DLQ depth", alarms.KindConsumerQueue.Metric(queue, "ApproximateAgeOfOldestMessage").Line("age of oldest"),
				dlqDepth(fanout.ConsumerDLQName(prefix, cons.Name, fifo)).Line("in DLQ")),
		)
	}
	for _, name := range sortedNames(gateways) {
		widgets = append(widgets, gatewayWidgets(name, gateways[name])...)
	}
	alarms.NewDashboard(s, "Dashboard", prefix+"-"+r.Name, widgets)
}

// gatewayWidgets show the stage of gw, the gateway configured as name: its
// errors, latency and requests.
func gatewayWidgets(name string, gw *api.Gateway) []alarms.Widget {
	stage := gw.Metrics()
	return []alarms.Widget{
		alarms.Graph("API "+name+": errors (share of requests)", alarms.KindAPIStage.Metric(stage, "4XXError").Line("4xx"), alarms.KindAPIStage.Metric(stage, "5XXError").Line("5xx")),
		alarms.Graph("API "+name+": latency (ms) and requests", api.LatencyP99(stage).Line("latency p99"), stage.Metric("Count", "Sum").Line("requests")),
	}
}

func watchConsumer(al *alarms.Alarms, c *fanout.Consumer) {
	al.Watch(c.Queue, alarms.Target{Kind: alarms.KindConsumerQueue, Label: c.Name, Metrics: alarms.QueueMetrics(*c.Queue.QueueName())})
	al.Watch(c.DeadLetterQueue, alarms.Target{Kind: alarms.KindDLQ, Label: c.Name + "-dlq", Metrics: alarms.QueueMetrics(*c.DeadLetterQueue.QueueName())})
	if c.Handler != nil {
		al.Watch(c.Handler, alarms.Target{Kind: alarms.KindFunction, Label: c.Name + "-handler", Metrics: alarms.FunctionMetrics(*c.Handler.FunctionName()), TimeoutSeconds: float64(c.TimeoutSeconds)})
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
