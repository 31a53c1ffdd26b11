package alarms

import (
	"maps"
	"slices"
	"strings"
)

// Kind is what a watched resource is for; it decides which alarms it gets.
type Kind string

// The kinds of resource the platform deploys that CloudWatch can watch.
const (
	KindIngestQueue   Kind = "ingest-queue"      // the senders' queue in the topic's region
	KindConsumerQueue Kind = "consumer-queue"    // a team's queue in a region
	KindDLQ           Kind = "dead-letter-queue" // any dead-letter queue
	KindFanoutTopic   Kind = "fanout-topic"      // the fan-out topic
	KindAlarmTopic    Kind = "alarm-topic"       // where alarms notify people
	KindFunction      Kind = "function"          // a Lambda function
	KindDistribution  Kind = "distribution"      // a CloudFront distribution
	KindSiteBucket    Kind = "site-bucket"       // a bucket CloudFront serves
	KindLogBucket     Kind = "log-bucket"        // a bucket only AWS log delivery writes to
	KindAPIStage      Kind = "api-stage"         // an API Gateway REST API stage
	KindRedistributor Kind = "redistributor"     // the fan-out's redistributor, by its own metrics
	KindConsumer      Kind = "consumer"          // a consumer Lambda of package lambda/consumer, by its own metrics
)

// Spec is one alarm a kind gets: a metric and when it is bad. Defaults follow
// the AWS recommended alarms (recommended-alarms.json) unless Note says why not.
type Spec struct {
	// Metric is the CloudWatch metric name, as in the reference.
	Metric     string
	Statistic  string // Average, Sum, Maximum, p90, ...
	Comparison string // CloudFormation's ComparisonOperator
	Threshold  float64
	// PeriodSeconds, DatapointsToAlarm of EvaluationPeriods: M of N to avoid flapping.
	PeriodSeconds     int
	DatapointsToAlarm int
	EvaluationPeriods int
	// TreatMissingData is explicit for every alarm: breaching where silence
	// itself is the failure (nothing flowing), notBreaching otherwise.
	TreatMissingData string
	// Arrivals makes this a DLQ arrival alarm: it fires on messages visible,
	// sent or received in a minute, so a DLQ drained between samples still alarms.
	Arrivals bool
	// PeriodOfRedelivery, for a metric written at each delivery of a
	// message that keeps coming back, sets the period to the target's
	// RedeliverySeconds rounded up to whole minutes, plus a minute: while
	// the message comes back, every period holds a datapoint.
	PeriodOfRedelivery bool
	// ThresholdOfTimeout, for Lambda Duration, sets the threshold to this share
	// of the function's timeout (in milliseconds).
	ThresholdOfTimeout float64
	// Meaning and FirstCheck make the runbook.
	Meaning    string
	FirstCheck string
	// Severity routes the alarm: SeverityPage wakes the on-call engineer,
	// SeverityNotify tells the team. Required: the catalogue's tests
	// refuse a Spec without one.
	Severity Severity
	// Beyond, for an alarm the AWS recommended alarms do not list, says why
	// it is created all the same; the catalogue's tests (against
	// recommended-alarms.json) accept it only with a reason. Default: "" (the alarm must be in the reference).
	Beyond string
}

// KindSpec is everything decided for a kind: how its resources name their
// metrics, the alarms it gets, and the reference alarms it does not get,
// with the reason.
type KindSpec struct {
	// Shape is the namespace and dimensions of the kind's metrics: a
	// Target's Metrics must be of it.
	Shape
	Alarms []Spec
	Exempt map[string]string // reference metric -> why it does not apply
}

func queueAlarms(ageSeconds float64, role string) []Spec {
	return []Spec{
		{Metric: "ApproximateAgeOfOldestMessage", Severity: SeverityPage, Statistic: "Maximum", Comparison: "GreaterThanOrEqualToThreshold", Threshold: ageSeconds, PeriodSeconds: 60, DatapointsToAlarm: 5, EvaluationPeriods: 5, TreatMissingData: "notBreaching",
			Meaning:    role + " is not keeping up: its oldest message is older than the threshold (seconds).",
			FirstCheck: "The consumer's errors and throttles, then whether one message group is stuck behind a failing message."},
		// FIFO and standard queues both allow 120,000 messages in flight
		// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-fifo.html).
		{Metric: "ApproximateNumberOfMessagesNotVisible", Severity: SeverityNotify, Statistic: "Average", Comparison: "GreaterThanOrEqualToThreshold", Threshold: 96000, PeriodSeconds: 60, DatapointsToAlarm: 15, EvaluationPeriods: 15, TreatMissingData: "notBreaching",
			Meaning:    role + " has many messages in flight: close to the in-flight quota (80% of 120,000), after which processing stalls.",
			FirstCheck: "Consumers that receive but do not delete: timeouts shorter than processing, or crashes after receive."},
		{Metric: "ApproximateNumberOfMessagesVisible", Severity: SeverityPage, Statistic: "Average", Comparison: "GreaterThanOrEqualToThreshold", Threshold: 10000, PeriodSeconds: 60, DatapointsToAlarm: 15, EvaluationPeriods: 15, TreatMissingData: "notBreaching",
			Meaning:    role + " backlog stays high for 15 minutes.",
			FirstCheck: "Consumer capacity (concurrency, batch size) against the arrival rate on the dashboard."},
		{Metric: "NumberOfMessagesSent", Severity: SeverityPage, Statistic: "Sum", Comparison: "LessThanOrEqualToThreshold", Threshold: 0, PeriodSeconds: 60, DatapointsToAlarm: 15, EvaluationPeriods: 15, TreatMissingData: "breaching",
			Meaning:    "Nothing reached " + strings.ToLower(role[:1]) + role[1:] + " for 15 minutes of a watched session: an outage (quiet outside the sessions its region watches).",
			FirstCheck: "Upstream: the ingest queue's sends (the senders), then the fan-out topic's deliveries and the delivery DLQs."},
	}
}

var sqsDLQExempt = map[string]string{
	"ApproximateAgeOfOldestMessage":         "a parked message is expected to age; the arrival alarm fires on the first one",
	"ApproximateNumberOfMessagesNotVisible": "nothing consumes a dead-letter queue in normal operation",
	"NumberOfMessagesSent":                  "a quiet dead-letter queue is the healthy state; arrivals are alarmed instead",
}

var snsCommonExempt = map[string]string{
	"NumberOfNotificationsFilteredOut-InvalidAttributes":  "no subscription has a filter policy",
	"NumberOfNotificationsFilteredOut-InvalidMessageBody": "no subscription has a filter policy",
	"SMSMonthToDateSpentUSD":                              "the platform sends no SMS",
	"SMSSuccessRate":                                      "the platform sends no SMS",
}

func merge(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}

// Catalogue is every kind's alarm decisions. The coverage test checks it
// against the reference file, so a reference alarm nobody decided on fails.
var Catalogue = map[Kind]KindSpec{
	KindIngestQueue:   {Shape: sqsQueue, Alarms: queueAlarms(60, "The ingest queue"), Exempt: map[string]string{}},
	KindConsumerQueue: {Shape: sqsQueue, Alarms: queueAlarms(300, "A consumer queue"), Exempt: map[string]string{}},
	KindDLQ: {Shape: sqsQueue, Exempt: sqsDLQExempt, Alarms: []Spec{
		{Metric: "ApproximateNumberOfMessagesVisible", Severity: SeverityPage, Arrivals: true, Statistic: "Maximum", Comparison: "GreaterThanThreshold", Threshold: 0, PeriodSeconds: 60, DatapointsToAlarm: 1, EvaluationPeriods: 1, TreatMissingData: "notBreaching",
			Meaning:    "A message reached a dead-letter queue: it was not processed or not delivered. One is enough: nothing may go missing.",
			FirstCheck: "The message's body and attributes in the DLQ, then the consumer's (or redistributor's) logs for its id; redrive once fixed."},
	}},
	KindFanoutTopic: {Shape: snsTopic, Exempt: snsCommonExempt, Alarms: []Spec{
		{Metric: "NumberOfMessagesPublished", Severity: SeverityPage, Statistic: "Sum", Comparison: "LessThanThreshold", Threshold: 1, PeriodSeconds: 60, DatapointsToAlarm: 15, EvaluationPeriods: 15, TreatMissingData: "breaching",
			Meaning: "Nothing was published to the fan-out topic for 15 minutes of a watched session.", FirstCheck: "The ingest queue's age and the redistributor's errors."},
		{Metric: "NumberOfNotificationsDelivered", Severity: SeverityPage, Statistic: "Sum", Comparison: "LessThanThreshold", Threshold: 1, PeriodSeconds: 60, DatapointsToAlarm: 15, EvaluationPeriods: 15, TreatMissingData: "breaching",
			Meaning: "The fan-out topic delivered nothing for 15 minutes of a watched session.", FirstCheck: "Subscriptions (confirmed?), queue and key policies of the regional queues."},
		{Metric: "NumberOfNotificationsFailed", Severity: SeverityNotify, Statistic: "Sum", Comparison: "GreaterThanThreshold", Threshold: 0, PeriodSeconds: 60, DatapointsToAlarm: 1, EvaluationPeriods: 1, TreatMissingData: "notBreaching",
			Meaning: "The fan-out topic failed to deliver to a region's queue.", FirstCheck: "The topic's delivery-status log group sns/<region>/<account>/<topic>/Failure (primary region) for the reason per message, the delivery DLQ of the region, and the regional queue's policy and key policy."},
		{Metric: "NumberOfNotificationsRedrivenToDlq", Severity: SeverityPage, Statistic: "Sum", Comparison: "GreaterThanThreshold", Threshold: 0, PeriodSeconds: 60, DatapointsToAlarm: 1, EvaluationPeriods: 1, TreatMissingData: "notBreaching",
			Meaning: "Messages were parked in a delivery DLQ: a region did not get them.", FirstCheck: "Which delivery DLQ has messages (one per region), then that region's queue."},
		{Metric: "NumberOfNotificationsFailedToRedriveToDlq", Severity: SeverityPage, Statistic: "Sum", Comparison: "GreaterThanThreshold", Threshold: 0, PeriodSeconds: 60, DatapointsToAlarm: 1, EvaluationPeriods: 1, TreatMissingData: "notBreaching",
			Meaning: "SNS could not even park undeliverable messages: they are lost.", FirstCheck: "The delivery DLQs' queue policy and the topic key's policy."},
	}},
	KindAlarmTopic: {Shape: snsTopic, Exempt: merge(snsCommonExempt, map[string]string{
		"NumberOfMessagesPublished":                 "a quiet alarm topic is the healthy state",
		"NumberOfNotificationsDelivered":            "a quiet alarm topic is the healthy state",
		"NumberOfNotificationsRedrivenToDlq":        "e-mail and https subscriptions have no DLQ; failures are alarmed",
		"NumberOfNotificationsFailedToRedriveToDlq": "e-mail and https subscriptions have no DLQ; failures are alarmed",
	}), Alarms: []Spec{
		{Metric: "NumberOfNotificationsFailed", Severity: SeverityNotify, Statistic: "Sum", Comparison: "GreaterThanThreshold", Threshold: 0, PeriodSeconds: 60, DatapointsToAlarm: 1, EvaluationPeriods: 1, TreatMissingData: "notBreaching",
			Meaning: "Alarm notifications are not reaching people (an unconfirmed or bouncing e-mail, a failing pager endpoint).", FirstCheck: "The topic's subscriptions: pending confirmation, or the pager endpoint's status."},
	}},
	KindFunction: {Shape: lambdaFunction, Exempt: map[string]string{
		"memory_utilization": "Lambda Insights is not enabled on these functions",
	}, Alarms: []Spec{
		// A batch that crashes its invocation comes back once per
		// visibility timeout (the ingest queue's: 120 s), so failing
		// minutes are at least two apart: 2 of 5 sees two retries, where
		// 3 consecutive minutes never would.
		{Metric: "Errors", Severity: SeverityPage, Statistic: "Sum", Comparison: "GreaterThanThreshold", Threshold: 0, PeriodSeconds: 60, DatapointsToAlarm: 2, EvaluationPeriods: 5, TreatMissingData: "notBreaching",
			Meaning: "The function failed in 2 of the last 5 minutes: its messages are retried (each retry after the queue's visibility timeout) and, behind a FIFO queue, hold back their message group.", FirstCheck: "The function's log group for the error, then its permissions (KMS, SNS)."},
		{Metric: "Throttles", Severity: SeverityPage, Statistic: "Sum", Comparison: "GreaterThanOrEqualToThreshold", Threshold: 1, PeriodSeconds: 60, DatapointsToAlarm: 5, EvaluationPeriods: 5, TreatMissingData: "notBreaching",
			Meaning: "The function is throttled: the region's concurrency is exhausted.", FirstCheck: "ClaimedAccountConcurrency in the region and other functions' concurrency."},
		{Metric: "Duration", Severity: SeverityNotify, Statistic: "p90", Comparison: "GreaterThanThreshold", ThresholdOfTimeout: 0.8, PeriodSeconds: 60, DatapointsToAlarm: 15, EvaluationPeriods: 15, TreatMissingData: "notBreaching",
			Meaning: "The function's p90 duration is above 80% of its timeout: close to timing out.", FirstCheck: "Slow downstream calls (SNS publish latency) in the function's traces."},
		{Metric: "ConcurrentExecutions", Severity: SeverityNotify, Statistic: "Maximum", Comparison: "GreaterThanThreshold", Threshold: 800, PeriodSeconds: 60, DatapointsToAlarm: 10, EvaluationPeriods: 10, TreatMissingData: "notBreaching",
			Meaning: "The function uses more than 80% of the default account concurrency (1,000).", FirstCheck: "A backlog surge on its queue, and whether the account quota should be raised."},
	}},
	KindDistribution: {Shape: distribution, Exempt: map[string]string{}, Alarms: []Spec{
		{Metric: "4xxErrorRate", Severity: SeverityNotify, Statistic: "Average", Comparison: "GreaterThanThreshold", Threshold: 5, PeriodSeconds: 60, DatapointsToAlarm: 15, EvaluationPeriods: 15, TreatMissingData: "notBreaching",
			Meaning:    "More than 5% of the web platform's viewer requests are refused (4xx) for 15 minutes: the site's own links, the WAF or the origin's access are broken.",
			FirstCheck: "CloudFront's standard logs (cloudfront/ in the log bucket) for the refused paths, then the WAF's blocked requests and the bucket policy's OAC statement.",
			Beyond:     "it replaces the site bucket's 4xxErrors alarm: it counts what viewers get, after the SPA fallback has answered client-side routes with index.html"},
		{Metric: "5xxErrorRate", Severity: SeverityNotify, Statistic: "Average", Comparison: "GreaterThanThreshold", Threshold: 5, PeriodSeconds: 60, DatapointsToAlarm: 5, EvaluationPeriods: 5, TreatMissingData: "notBreaching",
			Meaning: "More than 5% of the web platform's requests fail with a 5xx for 5 minutes.", FirstCheck: "The origin bucket's 5xx alarm and CloudFront's error logs in the log bucket (cloudfront/)."},
		{Metric: "OriginLatency", Severity: SeverityNotify, Statistic: "p90", Comparison: "GreaterThanThreshold", Threshold: 2000, PeriodSeconds: 60, DatapointsToAlarm: 5, EvaluationPeriods: 5, TreatMissingData: "notBreaching",
			Meaning: "The origin (S3) takes more than 2 s at p90 to answer CloudFront misses.", FirstCheck: "Cache hit rate (a deploy that invalidated too much) and S3's own health in us-east-1."},
	}},
	KindSiteBucket: {Shape: s3Bucket, Exempt: map[string]string{
		// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-403-permission-denied.html
		"4xxErrors": "with Origin Access Control S3 answers 403 for every key that does not exist, so each deep link into the single-page app (a client-side route) counts as a 4xx; the distribution's 4xxErrorRate alarm watches what viewers get instead",
	}, Alarms: []Spec{
		{Metric: "5xxErrors", Severity: SeverityNotify, Statistic: "Average", Comparison: "GreaterThanThreshold", Threshold: 0.05, PeriodSeconds: 60, DatapointsToAlarm: 15, EvaluationPeriods: 15, TreatMissingData: "notBreaching",
			Meaning: "More than 5% of requests to the site bucket fail (5xx) for 15 minutes.", FirstCheck: "The AWS Health Dashboard for S3 in us-east-1."},
	}},
	// REST APIs publish no metric of their own for throttled (429)
	// requests: they count in 4XXError, whose Average is the share of 4xx
	// among all requests (Count)
	// (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html).
	// So the 4xx share is the throttling alarm, and pages.
	KindAPIStage: {Shape: apiStage, Exempt: map[string]string{}, Alarms: []Spec{
		{Metric: "4XXError", Severity: SeverityPage, Statistic: "Average", Comparison: "GreaterThanThreshold", Threshold: 0.05, PeriodSeconds: 60, DatapointsToAlarm: 5, EvaluationPeriods: 5, TreatMissingData: "notBreaching",
			Meaning: "More than 5% of the gateway's requests fail with a 4xx for 5 minutes: clients are refused (throttling: 429, auth, validation). At the open this is the throttling alarm.", FirstCheck: "The access logs' status: 429s mean the stage's or a usage plan's throttle is too low for the open's load; 401/403 an expired signing key or the authorizer."},
		{Metric: "5XXError", Severity: SeverityPage, Statistic: "Average", Comparison: "GreaterThanThreshold", Threshold: 0.05, PeriodSeconds: 60, DatapointsToAlarm: 3, EvaluationPeriods: 3, TreatMissingData: "notBreaching",
			Meaning: "More than 5% of the gateway's requests fail with a 5xx for 3 minutes: a backend is failing.", FirstCheck: "Which base path fails in the access logs, then that service's health."},
		{Metric: "Count", Severity: SeverityPage, Statistic: "SampleCount", Comparison: "LessThanThreshold", Threshold: 1, PeriodSeconds: 60, DatapointsToAlarm: 10, EvaluationPeriods: 10, TreatMissingData: "breaching",
			Meaning: "The gateway received no request for 10 minutes of a watched session: an outage (DNS, WAF, client).", FirstCheck: "The WAF's blocked requests and the domain's DNS records."},
		{Metric: "Latency", Severity: SeverityNotify, Statistic: "p90", Comparison: "GreaterThanOrEqualToThreshold", Threshold: 2500, PeriodSeconds: 60, DatapointsToAlarm: 5, EvaluationPeriods: 5, TreatMissingData: "notBreaching",
			Meaning: "p90 latency seen by clients is 2.5 s or more for 5 minutes.", FirstCheck: "IntegrationLatency against Latency: the backend or the gateway (authorizer)."},
	}},
	KindRedistributor: {Shape: redistributor, Exempt: map[string]string{}, Alarms: []Spec{
		// Written when an invocation starts, so it shows a batch whose
		// invocations die every time; a 5-minute period holds at least two
		// retries (120 s apart), so the alarm stays in ALARM while the
		// account is stuck.
		{Metric: "ReceiveCount", Severity: SeverityPage, Statistic: "Maximum", Comparison: "GreaterThanOrEqualToThreshold", Threshold: 3, PeriodSeconds: 300, DatapointsToAlarm: 1, EvaluationPeriods: 1, TreatMissingData: "notBreaching",
			Meaning:    "The redistributor received a message for the third time or more: its message group is stalled (the ingest queue keeps the group's order and has no dead-letter queue), whether the invocations fail or die.",
			FirstCheck: "The redistributor's Errors and PublishFailures, its log group (a crash, a timeout, a refused message), then the runbook's ordering policy for the ingest queue: fix the cause, or park the message to release the group.",
			Beyond:     "SQS's own ApproximateAgeOfOldestMessage leaves out a message received three times or more (SQS developer guide, \"Available CloudWatch metrics for Amazon SQS\"), so the age alarm cannot see a stalled group; the receive count the redistributor sees can"},
		{Metric: "PublishFailures", Severity: SeverityPage, Statistic: "Sum", Comparison: "GreaterThanThreshold", Threshold: 0, PeriodSeconds: 60, DatapointsToAlarm: 2, EvaluationPeriods: 5, TreatMissingData: "notBreaching",
			Meaning:    "The redistributor could not publish messages to the fan-out topic, after its retries, in 2 of 5 minutes: each such message holds back its group's later ones, in order, in the ingest queue until it is published. A single transient failure that the next attempt clears does not alarm.",
			FirstCheck: "The redistributor's log group: one JSON line per failed message with its message id, message group, de-duplication id and AWS error code (a KMS denial, throttling, a deleted topic). Then the runbook's ordering policy for the ingest queue.",
			Beyond:     "the redistributor's own metric (embedded metric format): AWS recommends no alarm for it, and without it a publish failure would show only later, as the ingest queue's age"},
		// SNS publishes no throttling metric of its own: AWS/SNS counts
		// messages published, notifications delivered, failed, filtered out
		// and redriven, and publish size, but not a refused Publish
		// (https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html).
		// A throttled PublishBatch shows only to the caller, which the
		// redistributor retries and counts as Retries.
		{Metric: "Retries", Severity: SeverityPage, Statistic: "Sum", Comparison: "GreaterThanOrEqualToThreshold", Threshold: 50, PeriodSeconds: 60, DatapointsToAlarm: 3, EvaluationPeriods: 5, TreatMissingData: "notBreaching",
			Meaning:    "The redistributor re-sent 50 or more entries a minute in 3 of 5 minutes: SNS throttles or fails its PublishBatch calls (a busy open), and messages slow down before they fail.",
			FirstCheck: "The redistributor's log group for the error codes (Throttling, KMSThrottling, 5xx), then the SNS and KMS request quotas of the primary region in Service Quotas.",
			Beyond:     "SNS has no metric for throttled publishes; the redistributor's own count of retried entries is the only signal before messages fail"},
	}},
	KindConsumer: {Shape: consumerRuntime, Exempt: map[string]string{}, Alarms: []Spec{
		// Written at every delivery of a held account, with how long it
		// has been held; a held delivery comes back once per visibility
		// timeout, so a period that spans one holds a datapoint while the
		// account is held (the alarm stays in ALARM and pages once), and
		// none after its release (missing data: OK). Another account's
		// release does not clear it.
		{Metric: "GapHeldSeconds", Severity: SeverityPage, Statistic: "Maximum", Comparison: "GreaterThanOrEqualToThreshold", Threshold: 900, PeriodSeconds: 60, PeriodOfRedelivery: true, DatapointsToAlarm: 1, EvaluationPeriods: 1, TreatMissingData: "notBreaching",
			Meaning:    "An account's executions have waited 15 minutes or more for a missing sequence number: the consumer applies nothing more of that account (its state is stale) until the missing execution arrives.",
			FirstCheck: "The consumer's log group: the \"gap held\" lines name the account, the sequence expected and the one that arrived. Then the fan-out's DLQs for the missing execution; if the sender confirms it lost, release the sequence number (docs/consumers.md, \"Releasing a sequence number known to be lost\").",
			Beyond:     "the consumer runtime's own metric (embedded metric format): AWS recommends no alarm for it, and a held account shows nowhere else (its messages are received and returned, so the queue's age alarm sees them only later, and its DLQ only after the receive limit)"},
	}},
	KindLogBucket: {Shape: s3Bucket, Exempt: map[string]string{
		"4xxErrors": "only AWS log delivery writes to it and nobody reads it in normal operation; no request metrics are configured",
		"5xxErrors": "only AWS log delivery writes to it and retries on failure; no request metrics are configured",
	}},
}

// AccountConcurrency is the one account-level Lambda alarm, created once per
// region that runs functions.
var AccountConcurrency = Spec{
	Metric: "ClaimedAccountConcurrency", Severity: SeverityNotify, Statistic: "Maximum", Comparison: "GreaterThanThreshold", Threshold: 800, PeriodSeconds: 60, DatapointsToAlarm: 10, EvaluationPeriods: 10, TreatMissingData: "notBreaching",
	Meaning: "The region's claimed Lambda concurrency is above 80% of the default quota (1,000).", FirstCheck: "Which functions use it (ConcurrentExecutions per function)."}

// Kinds lists the catalogue's kinds, sorted.
func Kinds() []Kind {
	return slices.Sorted(maps.Keys(Catalogue))
}

// OverrideKey names an alarm in config overrides: "<kind>/<metric>".
func OverrideKey(k Kind, metric string) string { return string(k) + "/" + metric }

// Severity is who an alarm wakes: each alarm has exactly one, and each
// severity has its own alarm topic per region.
type Severity string

// The severities. Page: something is lost, stalled or refused now (a
// dead-letter arrival, executions not reaching a region, a failing
// redistributor or function, 5xx from an API, throttling, a growing
// backlog, nothing arriving during a trading session). Notify: everything
// else.
const (
	SeverityPage   Severity = "page"
	SeverityNotify Severity = "notify"
)

// Severities lists the severities, most urgent first.
var Severities = []Severity{SeverityPage, SeverityNotify}

// Idle reports whether the alarm means "nothing arrived": missing data is
// breaching, so it fires whenever nothing flows, which outside trading
// sessions is the normal state. With Props.Sessions, an idle alarm's own
// expression keeps it quiet outside them (sessions.go).
func (s Spec) Idle() bool { return s.TreatMissingData == "breaching" }

func joinSeverities() string {
	names := make([]string, len(Severities))
	for i, s := range Severities {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
