package fanout

import (
	"fmt"
	"math"
	"reflect"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/brokerage/platform/problems"
)

// queueDecides are the fields of awssqs.QueueProps a consumer's QueueProps
// may not set, and what decides each.
var queueDecides = map[string]string{
	"QueueName":                 "unset: the fan-out names the queue (Names.ConsumerQueue), and its dashboards find it by that name",
	"Fifo":                      "unset: the queue is FIFO exactly when the fan-out is (RegionalProps.FIFO)",
	"ContentBasedDeduplication": "unset: the topic de-duplicates, and the queue follows the fan-out's ordering",
	"DeduplicationScope":        "unset: the queue follows the fan-out's ordering (per message group)",
	"FifoThroughputLimit":       "unset: the queue follows the fan-out's ordering (per message group)",
	"DeadLetterQueue":           "unset: the consumer's dead-letter queue is the construct's (ConsumerProps.MaxReceiveCount)",
	"Encryption":                "unset: the queue is encrypted with the region's consumer key (RegionalProps.Key)",
	"EncryptionMasterKey":       "unset: the queue is encrypted with the region's consumer key (RegionalProps.Key)",
	"EnforceSSL":                "unset: the queue accepts TLS only",
	"VisibilityTimeout":         "unset: the visibility timeout is six times ConsumerProps.TimeoutSeconds",
	"RemovalPolicy":             "unset: RegionalProps.RemovalPolicy applies to every queue of the region",
	// Shorter, a message could expire between its retries (SQS drops it
	// without moving it to the DLQ, and no alarm fires); as long as the
	// DLQ's, a message failing late expires from the DLQ on arrival, and
	// a redrive could outlive the handler's idempotency records.
	"RetentionPeriod": "unset: the queue keeps messages 4 days (QueueRetention), its dead-letter queue 14 (the SQS maximum) and a handler's records 15",
}

// topicDecides are the fields of awssns.TopicProps an ingest's TopicProps
// may not set, and what decides each.
var topicDecides = map[string]string{
	"TopicName":                 "unset: the fan-out names the topic (Names.Topic), and every region subscribes to it by that name",
	"Fifo":                      "unset: the topic is FIFO exactly when the fan-out is (IngestProps.FIFO)",
	"FifoThroughputScope":       "unset: the topic follows the fan-out's ordering (per message group)",
	"ContentBasedDeduplication": "unset: the redistributor gives every message its de-duplication id",
	"MasterKey":                 "unset: the topic is encrypted with the fan-out's topic key (IngestProps.TopicKey), which its delivery policies name",
	"EnforceSSL":                "unset: the topic accepts TLS only",
	"SignatureVersion":          "unset: the topic signs its messages with SHA256 (version 2)",
	"LoggingConfigs":            "unset: the topic logs failed SQS deliveries to its delivery-status log group (Ingest.DeliveryFailureLogs)",
}

// checkQueueProps adds a problem at field.<Name> for each value of q, the
// consumer queue's overrides, out of the range SQS accepts
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html),
// which aws-cdk-lib would otherwise refuse with a stack trace.
func checkQueueProps(l *problems.List, field string, q *awssqs.QueueProps) {
	if q == nil {
		return
	}
	seconds := func(name string, d awscdk.Duration, most float64) {
		if d != nil {
			if s := *d.ToSeconds(nil); s < 0 || s > most {
				l.Add(field+"."+name, fmt.Sprintf("%v s", s), fmt.Sprintf("0 to %v seconds", most))
			}
		}
	}
	seconds("DeliveryDelay", q.DeliveryDelay, 900)
	seconds("ReceiveMessageWaitTime", q.ReceiveMessageWaitTime, 20)
	if b := q.MaxMessageSizeBytes; b != nil && (*b < 1024 || *b > 1024*1024) {
		l.Add(field+".MaxMessageSizeBytes", *b, "1,024 to 1,048,576 bytes")
	}
}

// checkTopicProps adds a problem at field.<Name> for each value of t, the
// topic's overrides, that SNS refuses: an archive (message retention) is
// for FIFO topics only, of 1 to 365 whole days
// (https://docs.aws.amazon.com/sns/latest/dg/fifo-message-archiving-replay.html).
func checkTopicProps(l *problems.List, field string, t *awssns.TopicProps, fifo bool) {
	if t == nil || t.MessageRetentionPeriodInDays == nil {
		return
	}
	d := *t.MessageRetentionPeriodInDays
	switch {
	case !fifo:
		l.Add(field+".MessageRetentionPeriodInDays", d, "unset on a standard fan-out: SNS archives FIFO topics only")
	case d != math.Trunc(d) || d < 1 || d > 365:
		l.Add(field+".MessageRetentionPeriodInDays", d, "a whole number of days from 1 to 365")
	}
}

// refuseDecided adds a problem at field.<Name> for each field of over, a
// pointer to a props struct (nil: none), that is set and that decides
// lists.
func refuseDecided(l *problems.List, field string, over any, decides map[string]string) {
	v := reflect.ValueOf(over)
	if v.IsNil() {
		return
	}
	v = v.Elem()
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		if want, ok := decides[name]; ok && !f.IsZero() {
			var value any = "set"
			if f.Kind() == reflect.Pointer && f.Elem().Kind() != reflect.Struct {
				value = f.Elem().Interface()
			} else if f.Kind() == reflect.String {
				value = f.String()
			}
			l.Add(field+"."+name, value, want)
		}
	}
}

// override sets on base every field that over sets (over nil: none), as
// aws-cdk-lib's props are merged: what the caller gives wins.
func override[T any](base, over *T) {
	if over == nil {
		return
	}
	b, o := reflect.ValueOf(base).Elem(), reflect.ValueOf(over).Elem()
	for i := range o.NumField() {
		if !o.Field(i).IsZero() {
			b.Field(i).Set(o.Field(i))
		}
	}
}
