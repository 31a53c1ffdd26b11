//go:build e2e

// Package e2e is the end-to-end deploy test of the trade-execution fan-out.
// e2e/run.sh (`make e2e`) deploys the app with the real CDK CLI to moto's
// server mode, a local AWS emulator; this test then checks through the AWS
// SDK, against the same moto server, that what the app declares was deployed
// and that every execution the broker sends reaches every consumer queue in
// every region exactly once and in order per account, that the reference
// consumers apply each once, in sequence, and fill a gap when the late
// execution arrives, that a message a
// consumer keeps failing ends in that consumer's dead-letter queue, and that
// a batch whose invocation dies every time pages within 10 minutes (the
// deployed alarms' own definitions evaluated on the run's datapoints, by
// internal/metricmath: moto evaluates no alarm).
//
// moto is the AWS here. Where it falls short the test re-creates exactly what
// the synthesized templates declare, read from the cloud assembly:
//
//   - moto's CloudFormation skips some resource types and still completes the
//     stack. Those that delivery depends on (SNS subscriptions, queue and
//     topic policies) are created through the SNS and SQS APIs with the
//     template's properties, resolved against what moto deployed.
//   - moto cannot run Lambda code without Docker. The event source mappings
//     are disabled in moto, and the test polls their queues the way the
//     mappings would, calling the real handlers in-process: the
//     redistributor's (lambda/redistributor/redistribute) on the ingest
//     queue, the reference consumers' (lambda/consumer/trade) on their
//     queues in every region, on the deployed DynamoDB tables.
//
// The build tag keeps `go test ./...` from running it: it needs the deployed
// stacks that run.sh provides.
package e2e
