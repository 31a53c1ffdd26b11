//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/brokerage/platform/config"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/faultproxy"
	"github.com/brokerage/platform/internal/metricmath"
	"github.com/brokerage/platform/lambda/redistributor/redistribute"
	"github.com/brokerage/platform/stacks"
)

// The broker's traffic: 1,000 executions for 50 accounts, sent in batches
// of ten (SendMessageBatch's most).
const (
	accounts    = 50
	perAccount  = 20
	brokerBatch = 10
)

// execution is what the broker sends: an account's execution with its
// sequence number within the account. Run tells this run's messages apart.
type execution struct {
	Account string `json:"account"`
	Seq     int    `json:"seq"`
	Run     string `json:"run"`
}

// tradeSymbol is what every test execution trades: quantity seq, amount
// 100 x seq (minor units), bought.
const tradeSymbol = "BHP"

// MarshalJSON is the body the broker sends: the execution with the fields
// of docs/broker-contract.md that the consumers read.
func (e execution) MarshalJSON() ([]byte, error) {
	type fields execution
	return json.Marshal(struct {
		fields
		ExecutionID string `json:"executionId"`
		Sequence    int    `json:"sequence"`
		Symbol      string `json:"symbol"`
		Side        string `json:"side"`
		Quantity    int    `json:"quantity"`
		Amount      int    `json:"amount"`
	}{fields(e), e.dedupID(), e.Seq, tradeSymbol, "buy", e.Seq, 100 * e.Seq})
}

// dedupID is unique per execution, as the broker's de-duplication ids are.
func (e execution) dedupID() string { return fmt.Sprintf("%s-%s-%d", e.Run, e.Account, e.Seq) }

// consumerQueue is one consumer's queue in one region: the configuration says
// it must exist and receive every execution.
type consumerQueue struct {
	region, name, url string
	// handler is the reference consumer the configuration runs on it, if
	// any; ref runs it, as deployed. The test reads the other queues itself.
	handler string
	ref     *referenceConsumer
}

func (q consumerQueue) String() string { return q.region + " " + q.name }

func TestFanout(t *testing.T) {
	ctx := t.Context()
	port := os.Getenv("MOTO_PORT")
	if port == "" {
		t.Fatal("MOTO_PORT is not set: run this test with `make e2e`, which deploys the app to a local moto server first")
	}
	cfg := loadConfig(t, getenv("E2E_CONFIG", "../build/e2e/config.json"))
	cloud, err := newCloud(ctx, "http://localhost:"+port)
	if err != nil {
		t.Fatal(err)
	}
	deployed, err := loadAssembly(getenv("E2E_ASSEMBLY", "../cdk.out.e2e"))
	if err != nil {
		t.Fatal(err)
	}
	d := &deployment{cloud: cloud, stacks: deployed}
	var leftOut map[string]map[string]string
	if err := readJSON(getenv("E2E_LEFT_OUT", "../cdk.out.e2e-deploy/left-out.json"), &leftOut); err != nil {
		t.Fatal(err)
	}

	if !t.Run("deployed", func(t *testing.T) { checkDeployed(t, d, leftOut) }) {
		t.FailNow()
	}
	var red *redistributor
	var refs map[string]*referenceConsumer
	if !t.Run("emulated", func(t *testing.T) { red, refs = emulate(t, d, cfg) }) {
		t.FailNow()
	}
	queues := consumerQueues(t, d, cfg)
	for i, q := range queues {
		queues[i].ref = refs[q.String()]
	}
	prefix := cfg.Prefix()
	ingest, err := cloud.queueURL(ctx, cfg.PrimaryRegion, stacks.IngestProps(cfg).Names().IngestQueue())
	if err != nil {
		t.Fatal(err)
	}
	ingestSQS := cloud.in(cfg.PrimaryRegion).sqs
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	defer red.server.Close()
	f := &flow{cloud: cloud, queues: queues, ingest: ingest, ingestSQS: ingestSQS, red: red}

	t.Run("every execution reaches every consumer queue once, in order per account", func(t *testing.T) {
		// Accounts interleave, as they do at the broker: per-account order
		// is only meaningful when other groups' messages come in between.
		execs := interleaved(run, "", accounts, perAccount)
		got, calls := f.run(t, execs, nil)
		t.Logf("SNS: %d PublishBatch calls for %d executions, %.0f per 1,000 executions", calls, len(execs), perThousand(calls, len(execs)))
		for i, q := range queues {
			checkDelivered(t, q, got[i], execs)
		}
		checkApplied(t, queues, execs)
		if per := perThousand(calls, len(execs)); per > 110 {
			t.Errorf("got %.0f PublishBatch calls per 1,000 executions, want at most 110", per)
		}
		if failures := f.metric(t, redistribute.MetricPublishFailures); failures != 0 {
			t.Errorf("redistributor reported %d publish failures on the happy path, want 0", failures)
		}
	})

	t.Run("nothing is left in any queue or parked in a dead-letter queue", func(t *testing.T) {
		checkEmpty(t, d)
	})

	// Faults injected between the redistributor and SNS. After each: every
	// execution reached every consumer queue, once, in order per account,
	// nothing is left or parked, and what failed was logged and counted.
	faults := []struct {
		name   string
		execs  []execution
		inject func(batch int)
		told   func(t *testing.T, logs string, retries, failures int)
	}{
		{
			name:  "throttling, 500 and 503 from SNS for a second are retried inside the invocation",
			execs: interleaved(run, "throttled-", 10, 10),
			inject: func(batch int) {
				if batch == 2 {
					red.proxy.FailFor("PublishBatch", faultproxy.Throttle, time.Second)
				}
				if batch == 5 {
					red.proxy.Script("PublishBatch", faultproxy.ServerError, faultproxy.Unavailable)
				}
			},
			told: retried("the throttled calls"),
		},
		{
			name:  "a connection reset after SNS accepted a batch re-publishes it without a duplicate",
			execs: interleaved(run, "reset-", 10, 10),
			inject: func(batch int) {
				if batch == 3 {
					red.proxy.Script("PublishBatch", faultproxy.ResetAfterForward, faultproxy.ResetAfterForward)
				}
			},
			told: retried("the reset calls"),
		},
		{
			name: "a redistributor that dies after 3 publishes of a batch and restarts",
			// One broker batch with several executions per account, so that a
			// batch takes several rounds of one entry per account.
			execs: interleaved(run, "crash-", 3, 4)[:10],
			inject: func(batch int) {
				if batch == 0 {
					red.crashAfter = 3
				}
			},
			// A dying process is told by Lambda's own Errors alarm, which
			// the in-process stand-in cannot raise.
		},
		{
			name:  "every entry refused by SNS until the attempts run out: the accounts stall, then resume in order",
			execs: interleaved(run, "refused-", 10, 10),
			inject: func(batch int) {
				if batch == 4 {
					refusals := make([]faultproxy.Fault, 8)
					for i := range refusals {
						refusals[i] = faultproxy.FailEntries
					}
					red.proxy.Script("PublishBatch", refusals...)
				}
			},
			told: func(t *testing.T, logs string, retries, failures int) {
				if failures == 0 {
					t.Errorf("got 0 publish failures in the redistributor's metrics, want the refused entries counted")
				}
				lines := strings.Count(logs, `"error_code":"InternalError"`)
				if lines == 0 {
					t.Errorf("the redistributor logged no line with the AWS error code; log:\n%.2000s", logs)
				}
				if strings.Contains(logs, `\"run\"`) || strings.Contains(logs, `"seq"`) {
					t.Errorf("the redistributor's log holds message bodies; log:\n%.2000s", logs)
				}
				t.Logf("%d failure lines with the AWS error code in the redistributor's log", lines)
			},
		},
	}
	for _, fault := range faults {
		t.Run(fault.name, func(t *testing.T) {
			red.proxy.Reset()
			red.logs.take()
			red.metrics.take()
			got, calls := f.run(t, fault.execs, fault.inject)
			for i, q := range queues {
				checkDelivered(t, q, got[i], fault.execs)
			}
			checkApplied(t, queues, fault.execs)
			checkEmpty(t, d)
			logs := red.logs.take()
			retries, failures := f.metric(t, redistribute.MetricRetries), f.metric(t, redistribute.MetricPublishFailures)
			if fault.told != nil {
				fault.told(t, logs, retries, failures)
			}
			t.Logf("SNS: %d PublishBatch calls (%d faults injected) for %d executions, %.0f per 1,000; %d entry retries, %d publish failures reported",
				calls, red.proxy.Faults("PublishBatch"), len(fault.execs), perThousand(calls, len(fault.execs)), retries, failures)
		})
	}

	// A batch whose invocation dies every time (a crash, a timeout) stalls
	// its accounts: the ingest queue keeps their order and has no DLQ. moto
	// evaluates no alarm, so the test runs the invocations on a simulated
	// clock, one visibility timeout apart as Lambda retries them, collects
	// the datapoints the alarms would read (Lambda's Errors, one per dead
	// invocation; the ReceiveCount the redistributor wrote before it died),
	// and evaluates the deployed alarms' own definitions on them.
	t.Run("a batch whose invocation dies every time pages within 10 minutes", func(t *testing.T) {
		red.proxy.Reset()
		red.logs.take()
		execs := interleaved(run, "dies-", 2, 3)
		if err := send(ctx, ingestSQS, ingest, execs); err != nil {
			t.Fatal(err)
		}
		ingestStack, queue := d.resourceNamed(t, "QueueName", stacks.IngestProps(cfg).Names().IngestQueue())
		visibility := time.Duration(queue.Properties["VisibilityTimeout"].(float64)) * time.Second
		start := time.Date(2027, 3, 15, 14, 0, 30, 0, time.UTC) // any instant: the simulated clock
		var died, received []point
		red.dieBeforePublishing = true
		for at := start; at.Sub(start) <= 10*time.Minute; at = at.Add(visibility) {
			red.metrics.take()
			if _, n, err := red.invoke(ctx); err != nil || n == 0 {
				t.Fatalf("invocation at %v: received %d, error %v; want the stalled batch again", at.Sub(start), n, err)
			}
			died = append(died, point{At: at, Value: 1})
			received = append(received, point{At: at, Value: float64(f.metric(t, redistribute.MetricReceiveCount))})
		}
		red.dieBeforePublishing = false
		data := metricmath.Data{
			"Errors":       bucket(died, time.Minute, "Sum"),
			"ReceiveCount": bucket(received, 5*time.Minute, "Maximum"),
		}
		paged := false
		for _, metric := range []string{"Errors", "ReceiveCount"} {
			_, alarm := d.resourceNamed(t, "AlarmName", prefix+"-redistributor-"+metric)
			at, ok, err := metricmath.Alarm{Props: alarm.Properties}.FirstAlarm(data, start, start.Add(10*time.Minute+time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				paged = true
				t.Logf("%s (%s) pages %v after the first invocation died", alarm.Properties["AlarmName"], ingestStack, at.Sub(start))
			}
		}
		if !paged {
			t.Errorf("no page within 10 minutes of a batch that dies every time; receive counts %v, errors %v", received, died)
		}
		// Without the window that spans two retries, Errors could not see it.
		_, errs := d.resourceNamed(t, "AlarmName", prefix+"-redistributor-Errors")
		consecutive := maps.Clone(errs.Properties)
		consecutive["DatapointsToAlarm"], consecutive["EvaluationPeriods"] = 3.0, 3.0
		if _, ok, _ := (metricmath.Alarm{Props: consecutive}).FirstAlarm(data, start, start.Add(10*time.Minute)); ok {
			t.Errorf("an Errors alarm of 3 failing minutes in a row fired on invocations %v apart; the test no longer shows why the window spans two retries", visibility)
		}
		// Once the invocations live again, the accounts resume in order.
		got := make([][]delivered, len(queues))
		if _, _, err := red.drain(ctx); err != nil {
			t.Fatal(err)
		}
		if err := consumeAll(ctx, cloud, queues, got, 1); err != nil {
			t.Fatal(err)
		}
		for i, q := range queues {
			checkDelivered(t, q, got[i], execs)
		}
		checkApplied(t, queues, execs)
		checkEmpty(t, d)
	})

	t.Run("a late execution fills its account's gap in every region's reference consumers", func(t *testing.T) {
		red.proxy.Reset()
		execs := interleaved(run, "late-", 3, 5)
		var first, late []execution
		for _, e := range execs {
			if e.Account == "late-account-02" && e.Seq == 3 {
				late = append(late, e)
			} else {
				first = append(first, e)
			}
		}
		got := make([][]delivered, len(queues))
		for round, batch := range [][]execution{first, late, nil} {
			if err := send(ctx, ingestSQS, ingest, batch); err != nil {
				t.Fatal(err)
			}
			if acked, _, err := red.drain(ctx); err != nil || acked != len(batch) {
				t.Fatalf("round %d: redistributor published %d, error %v; want %d, nil", round+1, acked, err, len(batch))
			}
			if err := consumeAll(ctx, cloud, queues, got, 0); err != nil {
				t.Fatal(err)
			}
		}
		checkApplied(t, queues, execs)
		for i, q := range queues {
			if q.ref == nil {
				continue
			}
			logs := q.ref.logs.peek()
			if !strings.Contains(logs, `"msg":"gap held","account":"late-account-02","expected":3,"got":4`) || !strings.Contains(logs, `"msg":"gap released","account":"late-account-02","sequence":3`) {
				t.Errorf("%s: the gap of late-account-02 was not held and released in its logs:\n%s", q, logs)
			}
			if len(got[i]) != len(execs) {
				t.Errorf("%s: applied or skipped %d messages, want each of the %d once", q, len(got[i]), len(execs))
			}
		}
		checkEmpty(t, d)
	})

	t.Run("a batch committed and redelivered, handled twice at once, or redriven after the window changes nothing in any region", func(t *testing.T) {
		red.proxy.Reset()
		execs := interleaved(run, "again-", 2, 3)
		got := make([][]delivered, len(queues))
		round := func(what string, batch []execution, f fault) {
			t.Helper()
			if err := send(ctx, ingestSQS, ingest, batch); err != nil {
				t.Fatal(err)
			}
			if acked, _, err := red.drain(ctx); err != nil || acked != len(batch) {
				t.Fatalf("%s: redistributor published %d, error %v; want %d, nil", what, acked, err, len(batch))
			}
			for i := range queues {
				if queues[i].ref != nil {
					queues[i].ref.fault = f
				}
			}
			// The faulty invocation, then the batch again, as Lambda
			// retries it.
			for range 2 {
				if err := consumeAll(ctx, cloud, queues, got, 0); err != nil {
					t.Fatal(err)
				}
			}
		}
		var first, third []execution
		for _, e := range execs {
			if e.Seq < 3 {
				first = append(first, e)
			} else {
				third = append(third, e)
			}
		}
		round("committed, then redelivered", first, crashAfterCommit)
		round("handled twice at once", third, concurrentDuplicate)
		// An operator's redrive after the de-duplication window: the same
		// executions again, accepted by the queue under new ids.
		for _, q := range queues {
			if q.ref == nil {
				continue
			}
			for _, e := range execs {
				body, _ := json.Marshal(e)
				if _, err := cloud.in(q.region).sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &q.url, MessageBody: aws.String(string(body)),
					MessageGroupId: aws.String(e.Account), MessageDeduplicationId: aws.String(e.dedupID() + "-redriven")}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := consumeAll(ctx, cloud, queues, got, 0); err != nil {
			t.Fatal(err)
		}
		checkApplied(t, queues, execs)
		for _, q := range queues {
			if q.ref != nil && !strings.Contains(q.ref.logs.peek(), `"Duplicates":1`) {
				t.Errorf("%s: no duplicate counted", q)
			}
		}
		checkEmpty(t, d)
	})

	t.Run("a message a consumer keeps failing ends in its dead-letter queue", func(t *testing.T) {
		red.proxy.Reset()
		poison := execution{Account: "poison", Seq: 1, Run: run}
		if err := send(ctx, ingestSQS, ingest, []execution{poison}); err != nil {
			t.Fatal(err)
		}
		if acked, _, err := red.drain(ctx); err != nil || acked != 1 {
			t.Fatalf("redistributor: got %d published, error %v; want 1, nil", acked, err)
		}
		for _, q := range queues {
			checkPoison(t, d, q, poison)
		}
	})
}

// checkApplied checks that every region's reference consumers applied each
// execution once, in its account's sequence: the account's last applied
// sequence is its last execution's, and its position (holdings) or cash
// (buying power) is the sum of its executions' quantities or amounts.
func checkApplied(t *testing.T, queues []consumerQueue, execs []execution) {
	t.Helper()
	want := map[string][2]int64{} // account -> last sequence, sum of sequences
	for _, e := range execs {
		w := want[e.Account]
		want[e.Account] = [2]int64{max(w[0], int64(e.Seq)), w[1] + int64(e.Seq)}
	}
	checked := 0
	for _, q := range queues {
		if q.handler == "" {
			continue
		}
		if q.ref == nil {
			t.Errorf("%s: the configuration runs %s on it, but no deployed function reads it", q, q.handler)
			continue
		}
		checked++
		for _, account := range sortedKeys(want) {
			last, value, err := q.ref.state(t.Context(), account, tradeSymbol)
			if err != nil {
				t.Fatal(err)
			}
			wantValue := want[account][1] // quantity seq, bought
			if !q.ref.holdings {
				wantValue = -100 * want[account][1] // amount 100 x seq, paid
			}
			if last != want[account][0] || value != wantValue {
				t.Errorf("%s: %s applied up to sequence %d with %d, want %d with %d", q, account, last, value, want[account][0], wantValue)
			}
		}
	}
	if checked == 0 {
		t.Error("the configuration runs no reference consumer: nothing to check")
	}
}

// retried checks that the redistributor retried what failed inside its
// invocations.
func retried(what string) func(t *testing.T, logs string, retries, failures int) {
	return func(t *testing.T, _ string, retries, _ int) {
		if retries == 0 {
			t.Errorf("got 0 retries in the redistributor's metrics, want %s retried", what)
		}
	}
}

// interleaved is n executions for each of accounts accounts, in the order a
// busy broker sends them: each account's next execution after every other
// account's.
func interleaved(run, prefix string, accounts, n int) []execution {
	var execs []execution
	for seq := 1; seq <= n; seq++ {
		for a := 1; a <= accounts; a++ {
			execs = append(execs, execution{Account: fmt.Sprintf("%saccount-%02d", prefix, a), Seq: seq, Run: run})
		}
	}
	// Keep each account's executions together where there are few accounts,
	// so that a broker batch holds several executions of one account.
	if accounts < brokerBatch {
		slices.SortStableFunc(execs, func(a, b execution) int { return strings.Compare(a.Account, b.Account) })
	}
	return execs
}

func perThousand(calls, execs int) float64 { return float64(calls) * 1000 / float64(execs) }

// flow is the deployed fan-out with the redistributor standing in for the
// Lambda, as the test drives it.
type flow struct {
	cloud     *cloud
	queues    []consumerQueue
	ingest    string
	ingestSQS *sqs.Client
	red       *redistributor
}

// run sends the executions through the deployed path and returns what each
// consumer queue received and how many PublishBatch calls reached the proxy.
// inject, when set, runs before the redistributor drains each broker batch.
//
// moto makes each SendMessage to a FIFO queue cost time in proportion to the
// queue's depth (it recounts every message several times per send), so 1,000
// messages sent ahead of their consumers take tens of minutes. Its
// DeleteMessage also rebuilds a queue's message list without the lock
// SendMessage takes, so a message sent while the same queue is being deleted
// from can be lost. The path therefore runs in lockstep, one broker batch at a
// time: the broker sends ten, the redistributor empties the ingest queue, then
// every consumer empties its queue. Queues stay short and no queue is written
// while it is deleted from; it is one of the interleavings production sees.
func (f *flow) run(t *testing.T, execs []execution, inject func(batch int)) ([][]delivered, int) {
	t.Helper()
	ctx := t.Context()
	callsBefore := f.red.proxy.Calls("PublishBatch")
	got := make([][]delivered, len(f.queues))
	var acked, batches int
	var sending, redistributing, consuming time.Duration
	for i := 0; i < len(execs); i += brokerBatch {
		start := time.Now()
		if err := send(ctx, f.ingestSQS, f.ingest, execs[i:min(i+brokerBatch, len(execs))]); err != nil {
			t.Fatal(err)
		}
		if inject != nil {
			inject(i / brokerBatch)
		}
		sent := time.Now()
		n, b, err := f.red.drain(ctx)
		if err != nil {
			t.Fatal(err)
		}
		acked, batches = acked+n, batches+b
		redistributed := time.Now()
		if err := consumeAll(ctx, f.cloud, f.queues, got, 0); err != nil {
			t.Fatal(err)
		}
		sending += sent.Sub(start)
		redistributing += redistributed.Sub(sent)
		consuming += time.Since(redistributed)
	}
	if acked != len(execs) {
		t.Errorf("redistributor: got %d messages published and deleted from the ingest queue, want %d", acked, len(execs))
	}
	// Whatever has not arrived by now gets a few seconds more: delivery is
	// synchronous in moto, so this costs time only when the test fails.
	for wait := 0; wait < 3 && slices.ContainsFunc(got, func(g []delivered) bool { return len(g) < len(execs) }); wait++ {
		if err := consumeAll(ctx, f.cloud, f.queues, got, 1); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d executions, %d at a time: the broker sent them in %v, the redistributor published them in %d batches in %v, %d consumer queues received them in %v",
		len(execs), brokerBatch, sending.Round(time.Millisecond), batches, redistributing.Round(time.Millisecond), len(f.queues), consuming.Round(time.Millisecond))
	return got, f.red.proxy.Calls("PublishBatch") - callsBefore
}

// metric sums one of the redistributor's embedded metrics over the
// invocations since the last call.
func (f *flow) metric(t *testing.T, name string) int {
	t.Helper()
	sum := 0
	for _, line := range strings.Split(strings.TrimSpace(f.red.metrics.peek()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		if v, ok := m[name].(float64); ok {
			sum += int(v)
		}
	}
	return sum
}

func getenv(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func loadConfig(t *testing.T, file string) *config.Config {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(data, file)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Fanout.Ordering != config.OrderingFIFO {
		t.Fatalf("%s: fanout.ordering is %q; this test proves the FIFO path (order per account, exactly once)", file, cfg.Fanout.Ordering)
	}
	return cfg
}

// checkDeployed compares each template with what moto's CloudFormation
// deployed and accounts for every resource it did not.
func checkDeployed(t *testing.T, d *deployment, leftOut map[string]map[string]string) {
	const (
		emulated = "skipped by moto, re-created by this test"
		unneeded = "skipped by moto, not needed for delivery"
		removed  = "left out of the deployed copy by e2e/deployable.py"
	)
	var total, totalDeployed int
	unneededWhy := map[string]bool{}
	for _, s := range d.stacks {
		if err := d.cloud.loadDeployed(t.Context(), s); err != nil {
			t.Fatal(err)
		}
		notDeployed := map[string]map[string]int{} // why -> type -> count
		reasons := map[string]bool{}
		for id, r := range s.resources {
			if dep, ok := s.deployed[id]; ok {
				if dep.ResourceStatus != cfntypes.ResourceStatusCreateComplete {
					t.Errorf("%s: got status %s, want %s", r.Metadata.Path, dep.ResourceStatus, cfntypes.ResourceStatusCreateComplete)
				}
				continue
			}
			var why string
			switch reason := leftOut[s.name][id]; {
			case reason != "":
				why = removed
				reasons[r.Type+": "+reason] = true
				if notNeeded(r.Type) == "" {
					t.Errorf("%s (%s) was left out of the deployment (%s), and delivery may depend on it", r.Metadata.Path, r.Type, reason)
				}
			case emulatorFor(r.Type) != nil:
				why = emulated
			case notNeeded(r.Type) != "":
				why = unneeded
				unneededWhy[notNeeded(r.Type)] = true
			default:
				t.Errorf("%s (%s): moto did not deploy it, and this test neither re-creates it nor knows that delivery can do without it", r.Metadata.Path, r.Type)
				continue
			}
			if notDeployed[why] == nil {
				notDeployed[why] = map[string]int{}
			}
			notDeployed[why][r.Type]++
		}
		t.Logf("%s (%s): %d resources in the template, %d deployed by moto, %d not (moto lists %d rows without a logical id)",
			s.name, s.region, len(s.resources), len(s.deployed), len(s.resources)-len(s.deployed), s.unnamed)
		for _, why := range []string{emulated, unneeded, removed} {
			if n := notDeployed[why]; n != nil {
				t.Logf("    %s: %s", why, countTypes(n))
			}
		}
		for _, reason := range sortedKeys(reasons) {
			t.Logf("        %s", reason)
		}
		total += len(s.resources)
		totalDeployed += len(s.deployed)
	}
	t.Logf("all stacks: %d resources, %d deployed by moto, %d not; not needed for delivery because", total, totalDeployed, total-totalDeployed)
	for _, why := range sortedKeys(unneededWhy) {
		t.Logf("    %s", why)
	}
}

func countTypes(n map[string]int) string {
	var parts []string
	for _, typ := range sortedKeys(n) {
		parts = append(parts, fmt.Sprintf("%d %s", n[typ], typ))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// emulate re-creates what moto skipped that delivery depends on, and takes
// over the redistributor's event source mapping.
func emulate(t *testing.T, d *deployment, cfg *config.Config) (*redistributor, map[string]*referenceConsumer) {
	ctx := t.Context()
	refs := map[string]*referenceConsumer{} // by region and queue name
	n := 0
	for _, e := range emulators {
		for _, s := range d.stacks {
			for _, id := range s.ids(e.typ) {
				if _, ok := s.deployed[id]; ok {
					continue // moto deployed it itself
				}
				r := s.resources[id]
				what, err := e.fn(ctx, d, s, r)
				if err != nil {
					t.Errorf("%s: %v", r.Metadata.Path, err)
					continue
				}
				n++
				t.Logf("emulated %s %s: %s", e.typ, r.Metadata.Path, what)
			}
		}
	}
	t.Logf("emulated %d resources that moto's CloudFormation skipped", n)

	// The redistributor is the function fed by the ingest queue.
	want := stacks.IngestProps(cfg).Names().IngestQueue()
	var red *redistributor
	for _, s := range d.stacks {
		for _, id := range s.ids("AWS::Lambda::EventSourceMapping") {
			source, err := d.resolve(ctx, s, s.resources[id].Properties["EventSourceArn"])
			if err != nil {
				t.Fatalf("%s: %v", s.resources[id].Metadata.Path, err)
			}
			if arn, _ := source.(string); cfn.ARNName(arn) != want {
				// A consumer's handler: moto would run it in Docker on
				// every delivery, fail, and dead-letter the executions.
				// The test reads the queue itself (consumer runtime:
				// TestConsumerOnDynamoDB).
				uuid := aws.ToString(s.deployed[id].PhysicalResourceId)
				if _, err := d.cloud.in(s.region).lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: &uuid, Enabled: aws.Bool(false)}); err != nil {
					t.Fatalf("disabling %s: %v", s.resources[id].Metadata.Path, err)
				}
				function, err := d.resolve(ctx, s, s.resources[id].Properties["FunctionName"])
				if err != nil {
					t.Fatalf("%s: %v", s.resources[id].Metadata.Path, err)
				}
				ref, err := newReferenceConsumer(ctx, d, s.region, function.(string))
				if err != nil {
					t.Fatal(err)
				}
				if ref == nil {
					t.Fatalf("%s feeds %v, which is no reference consumer", s.resources[id].Metadata.Path, function)
				}
				refs[s.region+" "+cfn.ARNName(arn)] = ref
				t.Logf("emulated AWS::Lambda::EventSourceMapping %s: disabled in moto (UUID %s); the test feeds %s to %v, its code (package trade) run in-process on the region's deployed tables", s.resources[id].Metadata.Path, uuid, cfn.ARNName(arn), function)
				continue
			}
			if red != nil {
				t.Fatalf("more than one function is fed by %s", want)
			}
			var notes []string
			if red, notes, err = newRedistributor(ctx, d, s, id); err != nil {
				t.Fatal(err)
			}
			for _, note := range notes {
				t.Logf("emulated %s", note)
			}
		}
	}
	if red == nil {
		t.Fatalf("no event source mapping reads %s: nothing redistributes the executions", want)
	}
	return red, refs
}

// consumerQueues are the queues the configuration says every execution must
// reach: each consumer's, in each region. They are named by the app's naming
// rules, not read from the templates, so a consumer or region the app stopped
// deploying or subscribing fails the test.
func consumerQueues(t *testing.T, d *deployment, cfg *config.Config) []consumerQueue {
	var out []consumerQueue
	for _, region := range cfg.RegionNames() {
		for _, c := range cfg.Fanout.Consumers {
			q := consumerQueue{region: region, name: stacks.IngestProps(cfg).Names().ConsumerQueue(c.Name), handler: c.Handler}
			url, err := d.cloud.queueURL(t.Context(), region, q.name)
			if err != nil {
				t.Errorf("consumer %s in %s: %v", c.Name, region, err)
				continue
			}
			q.url = url
			out = append(out, q)
		}
	}
	if len(out) == 0 {
		t.Fatal("no consumer queue deployed")
	}
	return out
}

// send sends executions in order, in batches, each in its account's message
// group with its own de-duplication id, as the broker does.
func send(ctx context.Context, client *sqs.Client, url string, execs []execution) error {
	for i := 0; i < len(execs); i += brokerBatch {
		var entries []sqstypes.SendMessageBatchRequestEntry
		for j, e := range execs[i:min(i+brokerBatch, len(execs))] {
			body, err := json.Marshal(e)
			if err != nil {
				return err
			}
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{
				Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(string(body)),
				MessageGroupId: aws.String(e.Account), MessageDeduplicationId: aws.String(e.dedupID()),
				MessageAttributes: map[string]sqstypes.MessageAttributeValue{schemaAttribute: {DataType: aws.String("String"), StringValue: aws.String(schemaVersion)}},
			})
		}
		out, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
		if err != nil {
			return fmt.Errorf("sending to the ingest queue: %w", err)
		}
		if len(out.Failed) > 0 {
			return fmt.Errorf("sending to the ingest queue: %s", aws.ToString(out.Failed[0].Message))
		}
	}
	return nil
}

// delivered is a message as a consumer received it.
type delivered struct {
	execution
	group  string // its MessageGroupId
	schema string // its schema message attribute, which the broker sets
	body   string
	valid  bool // the body is an execution
}

// schemaAttribute is a message attribute the broker sends with every
// execution; it must reach the consumers with the body.
const schemaAttribute, schemaVersion = "schema", "trade-execution/v1"

// deliveredOf is what a consumer received in m.
func deliveredOf(m sqstypes.Message) delivered {
	d := delivered{body: aws.ToString(m.Body), group: m.Attributes[string(sqstypes.MessageSystemAttributeNameMessageGroupId)], schema: aws.ToString(m.MessageAttributes[schemaAttribute].StringValue)}
	d.valid = json.Unmarshal([]byte(d.body), &d.execution) == nil && d.Account != ""
	return d
}

// consume receives and deletes what is in a queue until a receive comes
// back empty, waiting up to wait seconds for each, as a consumer polls.
func consume(ctx context.Context, client *sqs.Client, url string, wait int32) ([]delivered, error) {
	var got []delivered
	for {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: wait,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameMessageGroupId},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil || len(out.Messages) == 0 {
			return got, err
		}
		var done []sqstypes.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			got = append(got, deliveredOf(m))
			done = append(done, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
		del, err := client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: done})
		if err != nil {
			return got, err
		}
		if len(del.Failed) > 0 {
			return got, fmt.Errorf("delete: %s", aws.ToString(del.Failed[0].Message))
		}
	}
}

// consumeAll runs every queue's consumer at once, appending what each
// received to got[i]. Each queue is read by its own consumer only.
func consumeAll(ctx context.Context, c *cloud, queues []consumerQueue, got [][]delivered, wait int32) error {
	errs := make([]error, len(queues))
	var wg sync.WaitGroup
	for i, q := range queues {
		wg.Go(func() {
			var more []delivered
			if q.ref != nil {
				more, errs[i] = q.ref.consume(ctx, c.in(q.region).sqs, q.url)
			} else {
				more, errs[i] = consume(ctx, c.in(q.region).sqs, q.url, wait)
			}
			got[i] = append(got[i], more...)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("%s: %w", queues[i], err)
		}
	}
	return nil
}

// checkDelivered checks that a queue got every execution exactly once, in
// its account's message group, in order per account.
func checkDelivered(t *testing.T, q consumerQueue, got []delivered, execs []execution) {
	t.Helper()
	count := map[string]int{}
	var unexpected []string
	for _, g := range got {
		if !g.valid || g.Run != execs[0].Run {
			unexpected = append(unexpected, g.body)
			continue
		}
		count[g.dedupID()]++
	}
	var missing []string
	duplicates := 0
	for _, e := range execs {
		switch n := count[e.dedupID()]; {
		case n == 0:
			missing = append(missing, fmt.Sprintf("%s #%d", e.Account, e.Seq))
		case n > 1:
			duplicates += n - 1
		}
	}
	ok := true
	if len(missing) > 0 || duplicates > 0 || len(unexpected) > 0 {
		ok = false
		t.Errorf("%s: got %d distinct executions, want %d: %d missing%s, %d duplicates, %d unexpected messages%s",
			q, len(execs)-len(missing), len(execs), len(missing), example(missing), duplicates, len(unexpected), example(unexpected))
	}

	last := map[string]int{}
	var disorder []string
	var groups, attrs []string
	for _, g := range got {
		if !g.valid {
			continue
		}
		if g.Seq <= last[g.Account] {
			disorder = append(disorder, fmt.Sprintf("account %s: #%d after #%d", g.Account, g.Seq, last[g.Account]))
		}
		last[g.Account] = g.Seq
		if g.schema != schemaVersion {
			attrs = append(attrs, fmt.Sprintf("%s #%d with %s=%q", g.Account, g.Seq, schemaAttribute, g.schema))
		}
		if g.group != g.Account {
			groups = append(groups, fmt.Sprintf("%s #%d in group %q", g.Account, g.Seq, g.group))
		}
	}
	if len(disorder) > 0 {
		ok = false
		t.Errorf("%s: got %d executions out of order%s, want sequence numbers strictly increasing per account", q, len(disorder), example(disorder))
	}
	if len(attrs) > 0 {
		ok = false
		t.Errorf("%s: got %d executions without the broker's message attribute%s, want %s=%q on every one", q, len(attrs), example(attrs), schemaAttribute, schemaVersion)
	}
	if len(groups) > 0 {
		ok = false
		t.Errorf("%s: got %d executions outside their account's message group%s, want MessageGroupId = account", q, len(groups), example(groups))
	}
	if ok {
		t.Logf("%s: all %d executions, each once, in order for each of %d accounts", q, len(execs), len(last))
	}
}

// example is the first of a list, for an error message.
func example(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return fmt.Sprintf(" (first: %.200s)", list[0])
}

// checkEmpty checks that every queue of every stack is empty: nothing left
// behind in the ingest or consumer queues, nothing parked in the ingest DLQ,
// a delivery DLQ or a consumer DLQ.
func checkEmpty(t *testing.T, d *deployment) {
	n := 0
	for _, s := range d.stacks {
		for _, id := range s.ids("AWS::SQS::Queue") {
			name := path.Base(aws.ToString(s.deployed[id].PhysicalResourceId))
			attrs, err := d.cloud.queueAttributes(t.Context(), s.region, name,
				sqstypes.QueueAttributeNameApproximateNumberOfMessages,
				sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
				sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed)
			if err != nil {
				t.Error(err)
				continue
			}
			for attr, v := range attrs {
				if v != "0" {
					t.Errorf("%s %s: got %s %s, want 0", s.region, name, attr, v)
				}
			}
			n++
		}
	}
	t.Logf("%d queues empty: the ingest queue, its DLQ, the delivery DLQs and every consumer queue and DLQ", n)
}

// checkPoison receives the poison message from a consumer queue without
// deleting it maxReceiveCount times, as a failing consumer would, and checks
// that it then moves to the queue's dead-letter queue. Both come from the
// template's RedrivePolicy, which is also compared with the deployed queue's.
func checkPoison(t *testing.T, d *deployment, q consumerQueue, poison execution) {
	t.Helper()
	ctx := t.Context()
	maxReceive, dlqARN, err := redrivePolicy(ctx, d, q)
	if err != nil {
		t.Error(err)
		return
	}
	client := d.cloud.in(q.region).sqs
	receive := func(url string, wait int32) (*sqstypes.Message, error) {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 1, WaitTimeSeconds: wait})
		if err != nil || len(out.Messages) == 0 {
			return nil, err
		}
		return &out.Messages[0], nil
	}
	want, err := json.Marshal(poison)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= maxReceive; i++ {
		m, err := receive(q.url, 1)
		if err != nil || m == nil || aws.ToString(m.Body) != string(want) {
			t.Errorf("%s: receive %d of %d: got %s, want the poison message %s", q, i, maxReceive, describe(m, err), want)
			return
		}
		// The consumer fails it: rather than wait out the visibility
		// timeout (six times the consumer's timeout), make it visible now.
		if _, err := client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &q.url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
			t.Fatal(err)
		}
	}
	// The receive after the last allowed one moves it to the DLQ.
	if m, err := receive(q.url, 0); err != nil || m != nil {
		t.Errorf("%s: receive %d: got %s, want nothing: the message moved to the DLQ", q, maxReceive+1, describe(m, err))
		return
	}
	dlqURL, err := d.cloud.queueURL(ctx, cfn.ARNRegion(dlqARN), cfn.ARNName(dlqARN))
	if err != nil {
		t.Error(err)
		return
	}
	m, err := receive(dlqURL, 1)
	if err != nil || m == nil || aws.ToString(m.Body) != string(want) {
		t.Errorf("%s: got %s in %s, want the poison message %s", q, describe(m, err), cfn.ARNName(dlqARN), want)
		return
	}
	if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &dlqURL, ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Error(err)
	}
	t.Logf("%s: received %d times without being deleted (maxReceiveCount %d), then found in %s", q, maxReceive, maxReceive, cfn.ARNName(dlqARN))
}

// describe is a received message (or its absence) for an error message.
func describe(m *sqstypes.Message, err error) string {
	switch {
	case err != nil:
		return "error " + err.Error()
	case m == nil:
		return "no message"
	default:
		return "message " + aws.ToString(m.Body)
	}
}

// redrivePolicy is a consumer queue's RedrivePolicy from its template, which
// must be what moto deployed.
func redrivePolicy(ctx context.Context, d *deployment, q consumerQueue) (int, string, error) {
	for _, s := range d.stacks {
		if s.region != q.region {
			continue
		}
		for _, id := range s.ids("AWS::SQS::Queue") {
			r := s.resources[id]
			if r.Properties["QueueName"] != q.name {
				continue
			}
			resolved, err := d.resolve(ctx, s, r.Properties["RedrivePolicy"])
			if err != nil {
				return 0, "", err
			}
			policy, _ := resolved.(map[string]any)
			maxReceive, _ := policy["maxReceiveCount"].(float64)
			dlq, _ := policy["deadLetterTargetArn"].(string)
			if maxReceive < 1 || dlq == "" {
				return 0, "", fmt.Errorf("%s: RedrivePolicy %v has no maxReceiveCount or deadLetterTargetArn", r.Metadata.Path, r.Properties["RedrivePolicy"])
			}
			attrs, err := d.cloud.queueAttributes(ctx, q.region, q.name, sqstypes.QueueAttributeNameRedrivePolicy)
			if err != nil {
				return 0, "", err
			}
			var deployed struct {
				MaxReceiveCount     int    `json:"maxReceiveCount"`
				DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			}
			if err := json.Unmarshal([]byte(attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)]), &deployed); err != nil {
				return 0, "", fmt.Errorf("%s: deployed RedrivePolicy: %w", q, err)
			}
			if deployed.MaxReceiveCount != int(maxReceive) || deployed.DeadLetterTargetArn != dlq {
				return 0, "", fmt.Errorf("%s: got deployed RedrivePolicy %+v, want the template's maxReceiveCount %d, deadLetterTargetArn %s", q, deployed, int(maxReceive), dlq)
			}
			return int(maxReceive), dlq, nil
		}
	}
	return 0, "", fmt.Errorf("%s: no template declares it", q)
}

// point is one value the test saw a metric take at an instant (one
// invocation's count, one log line's value).
type point struct {
	At    time.Time
	Value float64
}

// bucket aggregates points into datapoints of period, aligned as
// CloudWatch aligns them, with statistic Sum or Maximum.
func bucket(points []point, period time.Duration, statistic string) map[time.Time]float64 {
	out := map[time.Time]float64{}
	for _, p := range points {
		k := p.At.Truncate(period).UTC()
		v, ok := out[k]
		switch {
		case !ok:
			out[k] = p.Value
		case statistic == "Sum":
			out[k] = v + p.Value
		case statistic == "Maximum":
			out[k] = max(v, p.Value)
		default:
			panic("bucket: statistic " + statistic)
		}
	}
	return out
}
