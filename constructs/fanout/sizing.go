package fanout

// The redistributor's sizing, written as the arithmetic that chooses it.
//
// De-duplication: SNS FIFO topics and SQS FIFO queues drop a message whose
// de-duplication id they accepted less than 5 minutes earlier
// (https://docs.aws.amazon.com/sns/latest/dg/fifo-message-dedup.html). A
// message the redistributor published in an invocation that then died (a
// crash, a timeout) is received again after the ingest queue's visibility
// timeout and published again; that second publish is harmless only inside
// the window. The handler acknowledges every message it published and stops
// starting calls 2 s before its deadline, so a re-publish needs an invocation
// that dies after publishing. Two such deaths in a row re-publish the message
// at the latest Redeliveries x visibility + timeout seconds after the first
// publish: 2 x 120 + 20 = 260 s, inside the 300 s window.
//
// Visibility: Lambda asks for a source queue visibility timeout of at least
// six times the function timeout, so that a throttled batch can be retried
// (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
//
// Concurrency: for a FIFO source Lambda runs one batch per active message
// group, up to 1,000 at once, unless the event source has a maximum
// concurrency (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html).
// A market-open burst has one group per account, so without a cap the
// redistributor could take the region's whole Lambda concurrency and exceed
// the topic's publish quota. An invocation sends at most one PublishBatch of
// 10 messages at a time, and a call takes at least ~0.1 s, so one invocation
// publishes at most 100 messages a second; 30 invocations stay within 3,000
// messages a second, the lowest publish quota SNS documents for a FIFO topic
// (topic-scope throughput; the topic's message-group scope raises it to the
// region's high-throughput quota, 9,000 to 30,000 a second:
// https://docs.aws.amazon.com/general/latest/gr/sns.html,
// https://docs.aws.amazon.com/sns/latest/dg/fifo-high-throughput.html).
const (
	// DeduplicationWindowSeconds is SNS and SQS FIFO's de-duplication window.
	DeduplicationWindowSeconds = 300
	// Redeliveries is how many invocations in a row may die after publishing
	// a message before its next publish would fall outside the window.
	Redeliveries = 2
	// RedistributorTimeoutSeconds bounds one invocation of the redistributor.
	RedistributorTimeoutSeconds = 20
	// IngestVisibilitySeconds is the ingest queue's visibility timeout: six
	// times the function timeout, as Lambda asks.
	IngestVisibilitySeconds = 6 * RedistributorTimeoutSeconds
	// SNSFIFOMessagesPerSecond is the lowest documented publish quota of an
	// SNS FIFO topic.
	SNSFIFOMessagesPerSecond = 3000
	// MessagesPerCall is PublishBatch's most entries in one call.
	MessagesPerCall = 10
	// MinCallMilliseconds is the shortest a PublishBatch round trip is taken to be.
	MinCallMilliseconds = 100
	// RedistributorMaxConcurrency caps the event source's concurrent batches.
	RedistributorMaxConcurrency = SNSFIFOMessagesPerSecond * MinCallMilliseconds / (MessagesPerCall * 1000)
	// MaxExecutionBytes caps a message on the ingest queue at what SNS
	// publishes (256 KiB, https://docs.aws.amazon.com/sns/latest/api/API_Publish.html),
	// below SQS's own 1 MiB.
	MaxExecutionBytes = 256 * 1024
)
