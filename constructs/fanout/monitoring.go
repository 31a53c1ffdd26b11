package fanout

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/brokerage/platform/constructs/alarms"
)

// NotReachingAlarmName names the composite alarm (without the alarms'
// prefix) that goes off when messages entered the ingest but did not reach
// region: dashboards in any region show it by name.
func NotReachingAlarmName(region string) string { return "fanout-not-reaching-" + region }

// watch gives everything the ingest created the catalogue's alarms of its
// kind, and one composite alarm per destination region.
func (in *Ingest) watch(al *alarms.Alarms) {
	al.Watch(in.Queue, alarms.Target{Kind: alarms.KindIngestQueue, Label: "ingest", Metrics: alarms.QueueMetrics(*in.Queue.QueueName())})
	al.Watch(in.DeadLetterQueue, alarms.Target{Kind: alarms.KindDLQ, Label: "ingest-dlq", Metrics: alarms.QueueMetrics(*in.DeadLetterQueue.QueueName())})
	topic := alarms.TopicMetrics(*in.Topic.TopicName())
	al.Watch(in.Topic, alarms.Target{Kind: alarms.KindFanoutTopic, Label: "fanout-topic", Metrics: topic})
	lost := al.AlarmOn(alarms.KindFanoutTopic.Metric(topic, "NumberOfNotificationsFailedToRedriveToDlq"))
	words := in.props.Names().words()
	words = strings.ToUpper(words[:1]) + words[1:]
	for _, region := range in.props.DestinationRegions {
		q := in.DeliveryDLQs[region]
		parked := al.Watch(q, alarms.Target{Kind: alarms.KindDLQ, Label: "delivery-dlq-" + region, Metrics: alarms.QueueMetrics(*q.QueueName())})
		al.NewCompositeAlarm(q, "NotReaching", NotReachingAlarmName(region),
			words+" entered the ingest but did not reach "+region+": they are parked in that region's delivery DLQ (topic region) or could not even be parked. First check: the delivery DLQ, then the regional queues' policies and keys.",
			append(parked, lost))
	}
	fn := *in.Redistributor.FunctionName()
	al.Watch(in.Redistributor, alarms.Target{Kind: alarms.KindFunction, Label: "redistributor", Metrics: alarms.FunctionMetrics(fn), TimeoutSeconds: RedistributorTimeoutSeconds})
	al.Watch(in.Redistributor, alarms.Target{Kind: alarms.KindRedistributor, Label: "redistributor", Metrics: alarms.RedistributorMetrics(fn)})
}

// watch gives the consumer's queues, and its handler when it has one (as a
// function and as a consumer runtime), the catalogue's alarms of their
// kinds, and puts its lines on the alarms' dashboard.
func (c *Consumer) watch(al *alarms.Alarms) {
	al.Watch(c.Queue, alarms.Target{Kind: alarms.KindConsumerQueue, Label: c.Name, Metrics: alarms.QueueMetrics(*c.Queue.QueueName())})
	al.Watch(c.DeadLetterQueue, alarms.Target{Kind: alarms.KindDLQ, Label: c.Name + "-dlq", Metrics: alarms.QueueMetrics(*c.DeadLetterQueue.QueueName())})
	if c.Handler != nil {
		al.Watch(c.Handler, alarms.Target{Kind: alarms.KindFunction, Label: c.Name + "-handler", Metrics: alarms.FunctionMetrics(*c.Handler.FunctionName()), TimeoutSeconds: float64(c.TimeoutSeconds)})
		al.Watch(c.Handler, alarms.Target{Kind: alarms.KindConsumer, Label: c.Name + "-handler", Metrics: alarms.ConsumerMetrics(*c.Handler.FunctionName()), RedeliverySeconds: c.visibilitySeconds})
	}
	al.AddWidgets(c.Widgets()...)
}

// Widgets are the consumer's dashboard lines: arrivals against processing,
// the age of its oldest message against its DLQ's depth, and, for a
// handler, its errors against the longest gap it holds.
func (c *Consumer) Widgets() []awscloudwatch.IWidget {
	queue := alarms.QueueMetrics(c.regional.names.ConsumerQueue(c.Name))
	widgets := []awscloudwatch.IWidget{
		alarms.Graph(c.Name+": arrivals and processing", alarms.KindConsumerQueue.Metric(queue, "NumberOfMessagesSent").Line("arrived"),
			queue.Metric("NumberOfMessagesDeleted", "Sum").Line("processed")),
		alarms.Graph(c.Name+": age of oldest (s) and DLQ depth", alarms.KindConsumerQueue.Metric(queue, "ApproximateAgeOfOldestMessage").Line("age of oldest"),
			dlqDepth(c.regional.names.ConsumerDLQ(c.Name)).Line("in DLQ")),
	}
	if c.Handler != nil {
		fn := *c.Handler.FunctionName()
		widgets = append(widgets, alarms.Graph(c.Name+": handler errors and longest gap held (s)",
			alarms.KindFunction.Metric(alarms.FunctionMetrics(fn), "Errors").Line("errors"),
			alarms.KindConsumer.Metric(alarms.ConsumerMetrics(fn), "GapHeldSeconds").Line("gap held (s)")))
	}
	return widgets
}

// OverviewWidgets show a fan-out end to end from any region, by its
// deterministic names (p, the regional props every region shares): what
// entered the ingest against what reached each region, per consumer, what
// was parked, the topic and the ingest queue. labels name the regions'
// lines, by region, in the order of regions.
func OverviewWidgets(p *RegionalProps, consumers, regions []string, labels map[string]string) []awscloudwatch.IWidget {
	names, primary := p.Names(), p.TopicRegion
	ingest := alarms.QueueMetrics(names.IngestQueue())
	var widgets []awscloudwatch.IWidget
	for _, cons := range consumers {
		lines := []awscloudwatch.IMetric{alarms.KindIngestQueue.Metric(ingest, "NumberOfMessagesSent").LineIn("ingest", primary)}
		queue := alarms.QueueMetrics(names.ConsumerQueue(cons))
		for _, r := range regions {
			lines = append(lines, alarms.KindConsumerQueue.Metric(queue, "NumberOfMessagesSent").LineIn(labels[r], r))
		}
		widgets = append(widgets, alarms.Graph("Fan-out flow to "+cons+": "+names.words()+" in, per region", lines...))
	}
	var dlqLines []awscloudwatch.IMetric
	for _, r := range regions {
		dlqLines = append(dlqLines, dlqDepth(names.DeliveryDLQ(r)).LineIn(r, primary))
	}
	topic := alarms.TopicMetrics(names.Topic())
	topicLine := func(metric, label string) awscloudwatch.IMetric {
		return alarms.KindFanoutTopic.Metric(topic, metric).LineIn(label, primary)
	}
	return append(widgets,
		alarms.Graph("Undelivered "+names.words()+" per region (delivery DLQs)", dlqLines...),
		alarms.Graph("Fan-out topic", topicLine("NumberOfMessagesPublished", "published"),
			topicLine("NumberOfNotificationsDelivered", "delivered"), topicLine("NumberOfNotificationsFailed", "failed")),
		alarms.Graph("Ingest queue", alarms.KindIngestQueue.Metric(ingest, "ApproximateAgeOfOldestMessage").LineIn("age of oldest (s)", primary),
			dlqDepth(names.IngestDLQ()).LineIn("in DLQ", primary)),
	)
}

// dlqDepth is a dead-letter queue's visible messages, as its arrival alarm
// reads them.
func dlqDepth(queue string) alarms.Metric {
	return alarms.KindDLQ.Metric(alarms.QueueMetrics(queue), "ApproximateNumberOfMessagesVisible")
}
