package fanout

// HopPolicy is the ordering policy of one hop of the fan-out: what happens to
// a message that keeps failing there, and how an operator clears it without
// reordering an account's executions. The runbook is generated from Policies.
type HopPolicy struct {
	Hop       string
	OnFailure string
	Tells     string
	Unblock   []string
}

// Policies is every hop's ordering policy, in the order a message travels.
var Policies = []HopPolicy{
	{
		Hop: "Ingest queue (FIFO, primary region)",
		OnFailure: "Stalls: the failing execution and every later one of its account stay in the queue, in order, and are retried every " +
			"120 s (the visibility timeout) until published. No dead-letter queue: one would let the account's later executions overtake the " +
			"failing one, and a redrive would append it behind them. Other accounts go on. (On the standard path, which promises no order, " +
			"the queue keeps a dead-letter queue.) The queue keeps messages 14 days, the SQS maximum; an execution over 256 KiB, more than SNS " +
			"publishes, is refused at the broker's SendMessage instead of stalling its account.",
		Tells: "The redistributor's ReceiveCount alarm (an execution received a third time: written when each invocation starts, so it " +
			"shows invocations that die too), its Errors alarm (2 of 5 minutes, two retries), its PublishFailures alarm (2 of 5 minutes with a " +
			"failure), the ingest queue's ApproximateAgeOfOldestMessage alarm (5 minutes over 60 s; SQS leaves a message received three " +
			"times out of that metric), and one JSON line per failed message in the redistributor's log group.",
		Unblock: []string{
			"Read the failure in the redistributor's log group (CloudWatch Logs Insights: `filter level = \"ERROR\" | fields message_id, group, dedup_id, error_code, reason`).",
			"A transient or fixable cause (throttling, a KMS key policy, a deleted or re-created topic): fix it. The account resumes by itself on the next receive; do nothing to the queue.",
			"A message that can never be published (reason `refused`: more than 10 attributes, over 256 KiB, no de-duplication id; a breach of docs/broker-contract.md): disable the redistributor's event source mapping (`aws lambda update-event-source-mapping --uuid <uuid> --no-enabled`), receive from the ingest queue until you hold that message id, send a copy to the parking queue `<app>-<stage>-trade-executions-ingest-dlq.fifo` with the same message group and de-duplication id, delete it from the ingest queue with its receipt handle, make every other message you received visible again (`change-message-visibility --visibility-timeout 0`), and re-enable the mapping. Tell the broker: the account's consumers see a gap in its sequence until the execution is sent again, corrected.",
		},
	},
	{
		Hop: "Fan-out subscriptions (SNS FIFO to each region's consumer queues)",
		OnFailure: "SNS retries delivery, then moves the message to the delivery DLQ of that region (`<app>-<stage>-fanout-<region>-dlq.fifo`, " +
			"primary region). The reason is in the topic's delivery-status log group `sns/<region>/<account>/<topic>/Failure`.",
		Tells: "The delivery DLQ's arrival alarm, the composite `fanout-not-reaching-<region>` alarm and the topic's NumberOfNotificationsFailed alarm.",
		Unblock: []string{
			"Fix the cause named in the delivery-status log (the region's queue policy or key policy, an opt-in region's SNS principal).",
			"Send each parked message to that region's consumer queues with its message group and de-duplication id (`aws sqs send-message --message-group-id <group> --message-deduplication-id <id>`), oldest first. Do not re-publish to the topic: that delivers again to every other region, outside the 5-minute de-duplication window.",
			"Consumers apply executions by per-account sequence and ignore one they have seen (docs/broker-contract.md), so a late execution fills its gap without reordering.",
		},
	},
	{
		Hop: "Consumer queues (each region)",
		OnFailure: "After the consumer's maxReceiveCount receives the message moves to the consumer's DLQ (`<queue>-dlq.fifo`), and the " +
			"account's later executions go on: consumers detect the gap by the account's sequence.",
		Tells: "The consumer DLQ's arrival alarm (one message is enough).",
		Unblock: []string{
			"Fix the consumer (its log group names the failing message id).",
			"Redrive with `aws sqs start-message-move-task --source-arn <dlq-arn> --destination-arn <queue-arn>`: the execution arrives after newer ones of its account, which the consumer's per-account sequence handling puts back in order (idempotent on the execution id).",
		},
	},
}
