//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/brokerage/platform/lambda/consumer"
)

// counting is a DynamoDB client that counts the calls and the items they
// read and write: the consumer's cost model.
type counting struct {
	consumer.DynamoAPI
	gets, puts, updates, deletes, transactions, transactItems atomic.Int64
}

func (c *counting) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.gets.Add(1)
	return c.DynamoAPI.GetItem(ctx, in, o...)
}

func (c *counting) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.puts.Add(1)
	return c.DynamoAPI.PutItem(ctx, in, o...)
}

func (c *counting) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.updates.Add(1)
	return c.DynamoAPI.UpdateItem(ctx, in, o...)
}

func (c *counting) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.deletes.Add(1)
	return c.DynamoAPI.DeleteItem(ctx, in, o...)
}

func (c *counting) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.transactions.Add(1)
	c.transactItems.Add(int64(len(in.TransactItems)))
	return c.DynamoAPI.TransactWriteItems(ctx, in, o...)
}

// claimsAlways is a store whose claim never refuses: the idempotency
// mechanism switched off.
type claimsAlways struct{ consumer.Store }

func (claimsAlways) Claim(context.Context, string, time.Time, time.Time) error { return nil }

// readTogether is a store whose deliveries all read the account's state
// before any goes on: n concurrent deliveries of one execution overlap,
// every time, as Lambda's can when a batch's visibility timeout runs out
// while it is being handled.
type readTogether struct {
	consumer.Store
	arrived  atomic.Int64
	n        int64
	released chan struct{}
}

func newReadTogether(s consumer.Store, n int) *readTogether {
	return &readTogether{Store: s, n: int64(n), released: make(chan struct{})}
}

func (r *readTogether) Account(ctx context.Context, account string) (consumer.AccountState, error) {
	st, err := r.Store.Account(ctx, account)
	if r.arrived.Add(1) == r.n {
		close(r.released)
	}
	<-r.released
	return st, err
}

// consumerRig is a holdings consumer on DynamoDB tables of moto: an
// idempotency table, a sequence table and the holdings table its handler
// updates in the same transaction.
type consumerRig struct {
	db                              *counting
	idempotency, sequence, holdings string
	now                             time.Time
	calls                           sync.Map // execution id -> handler invocations (*atomic.Int64)
	logs                            strings.Builder
	logMu                           sync.Mutex
}

func (r *consumerRig) Write(p []byte) (int, error) {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	return r.logs.Write(p)
}

func newConsumerRig(t *testing.T, ctx context.Context, c *cloud, region string) *consumerRig {
	t.Helper()
	db := dynamodb.NewFromConfig(c.cfg, func(o *dynamodb.Options) { o.Region = region })
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	r := &consumerRig{db: &counting{DynamoAPI: db}, idempotency: "idem-" + run, sequence: "seq-" + run, holdings: "holdings-" + run,
		now: time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)}
	for table, key := range map[string]string{r.idempotency: "id", r.sequence: "account", r.holdings: "account"} {
		if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName: aws.String(table), BillingMode: types.BillingModePayPerRequest,
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: types.ScalarAttributeTypeS}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(key), KeyType: types.KeyTypeHash}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// processor is the holdings consumer: each execution adds its quantity to
// the account's holdings and appends its sequence to the account's applied
// list, in the transaction that records it applied.
func (r *consumerRig) processor(store consumer.Store) *consumer.Processor {
	return consumer.New(store, func(ctx context.Context, e consumer.Execution) error {
		n, _ := r.calls.LoadOrStore(e.ID, &atomic.Int64{})
		n.(*atomic.Int64).Add(1)
		consumer.Write(ctx, types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(r.holdings), Key: map[string]types.AttributeValue{"account": &types.AttributeValueMemberS{Value: e.Account}},
			UpdateExpression: aws.String("ADD quantity :q SET applied = list_append(if_not_exists(applied, :empty), :seq)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":q": &types.AttributeValueMemberN{Value: "1"}, ":empty": &types.AttributeValueMemberL{},
				":seq": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberN{Value: fmt.Sprint(e.Sequence)}}},
			},
		}})
		return nil
	}, consumer.Options{Lease: time.Minute, Logs: r, Now: func() time.Time { return r.now }})
}

func (r *consumerRig) store() consumer.Store {
	return consumer.NewDynamoStore(r.db, r.idempotency, r.sequence)
}

func sqsMessage(account string, seq int) events.SQSMessage {
	id := fmt.Sprintf("%s-%d", account, seq)
	return events.SQSMessage{MessageId: "m-" + id, Body: fmt.Sprintf(`{"executionId":%q,"sequence":%d}`, id, seq),
		Attributes: map[string]string{"MessageGroupId": account, "MessageDeduplicationId": id}}
}

// holdingsOf reads each account's quantity and applied sequences.
func (r *consumerRig) holdingsOf(t *testing.T, ctx context.Context) map[string][]string {
	t.Helper()
	out, err := r.db.DynamoAPI.(*dynamodb.Client).Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(r.holdings)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, item := range out.Items {
		account := item["account"].(*types.AttributeValueMemberS).Value
		for _, v := range item["applied"].(*types.AttributeValueMemberL).Value {
			got[account] = append(got[account], v.(*types.AttributeValueMemberN).Value)
		}
	}
	return got
}

// TestConsumerOnDynamoDB runs the consumer runtime against DynamoDB (moto)
// the way SQS FIFO feeds it: 1,000 executions of 50 accounts in batches of
// 10, each account's messages in order, a failed message and the rest of
// its group redelivered. Along the way: one execution held back (a gap)
// until late, a Lambda that dies after committing and before the messages
// are deleted (every message of that batch redelivered), a claim left by a
// Lambda that died mid-effect, concurrent deliveries of one execution, and
// an operator's redrive of old executions. Every account's holdings must
// equal its executions applied exactly once, in sequence.
func TestConsumerOnDynamoDB(t *testing.T) {
	ctx := t.Context()
	port := os.Getenv("MOTO_PORT")
	if port == "" {
		t.Fatal("MOTO_PORT is not set: run this test with `make e2e`")
	}
	c, err := newCloud(ctx, "http://localhost:"+port)
	if err != nil {
		t.Fatal(err)
	}
	const accounts, perAccount = 50, 20
	r := newConsumerRig(t, ctx, c, "eu-west-2")
	p := r.processor(r.store())

	// SQS FIFO as the consumer sees it: one queue per group, in order.
	queues := make([][]events.SQSMessage, accounts)
	for a := range accounts {
		for s := 1; s <= perAccount; s++ {
			if a == 7 && s == 5 {
				continue // the gap: account-07's 5th execution arrives late
			}
			queues[a] = append(queues[a], sqsMessage(fmt.Sprintf("account-%02d", a), s))
		}
	}
	// A claim left by a Lambda that died applying account-03's 2nd.
	if err := r.store().Claim(ctx, "account-03-2", r.now, r.now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	batches, rounds, gapReleased, crashed := 0, 0, false, false
	for ; ; rounds++ {
		pending := 0
		for _, q := range queues {
			pending += len(q)
		}
		if pending == 0 && gapReleased {
			break
		}
		if rounds > 500 {
			t.Fatalf("not drained after %d rounds: %d pending", rounds, pending)
		}
		if rounds == 80 && !gapReleased {
			queues[7] = append([]events.SQSMessage{sqsMessage("account-07", 5)}, queues[7]...)
			// Ahead of it the account's later executions were held, in order.
			gapReleased = true
		}
		r.now = r.now.Add(10 * time.Second) // the claim above expires after 6 rounds
		// One batch: up to 10 messages, taken group by group, each group's
		// first messages in order (SQS FIFO's delivery of several groups).
		var ev events.SQSEvent
		taken := map[int]int{}
		for _, a := range rng.Perm(accounts) {
			for taken[a] < len(queues[a]) && taken[a] < 3 && len(ev.Records) < 10 {
				ev.Records = append(ev.Records, queues[a][taken[a]])
				taken[a]++
			}
		}
		if len(ev.Records) == 0 {
			continue
		}
		batches++
		resp, err := p.Handle(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		if !crashed && batches == 20 {
			crashed = true // the Lambda died after its commits: nothing is deleted
			continue
		}
		failed := map[string]bool{}
		for _, f := range resp.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
		for a, n := range taken {
			var keep []events.SQSMessage
			for _, m := range queues[a][:n] {
				if failed[m.MessageId] {
					keep = append(keep, m)
				}
			}
			queues[a] = append(keep, queues[a][n:]...)
		}
	}
	// An operator redrives old executions, long after SQS's 5-minute window.
	r.now = r.now.Add(24 * time.Hour)
	if resp, _ := p.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{sqsMessage("account-01", 1), sqsMessage("account-01", 2), sqsMessage("account-49", 20)}}); len(resp.BatchItemFailures) != 0 {
		t.Errorf("redriven duplicates failed: %v", resp.BatchItemFailures)
	}
	// Concurrent deliveries of one new execution each, 8 at once, all
	// past the sequence check before any claims: only the claim decides.
	for a := range 5 {
		together := r.processor(newReadTogether(r.store(), 8))
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				together.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{sqsMessage(fmt.Sprintf("account-%02d", a), perAccount+1)}})
			})
		}
		wg.Wait()
	}

	want := map[string][]string{}
	for a := range accounts {
		account := fmt.Sprintf("account-%02d", a)
		n := perAccount
		if a < 5 {
			n++
		}
		for s := 1; s <= n; s++ {
			want[account] = append(want[account], fmt.Sprint(s))
		}
	}
	got := r.holdingsOf(t, ctx)
	for account, seqs := range want {
		if strings.Join(got[account], ",") != strings.Join(seqs, ",") {
			t.Errorf("%s applied %v, want each of 1..%d once, in order", account, got[account], len(seqs))
		}
	}
	r.calls.Range(func(id, n any) bool {
		if n.(*atomic.Int64).Load() != 1 {
			t.Errorf("%s applied %d times", id, n.(*atomic.Int64).Load())
		}
		return true
	})
	logs := r.logs.String()
	if !strings.Contains(logs, `"msg":"gap held","account":"account-07","expected":5`) {
		t.Errorf("the gap of account-07 was not logged as held")
	}
	if held := strings.Count(logs, `"GapHeldSeconds"`); held == 0 {
		t.Errorf("the held gap was not measured")
	}

	executions := float64(accounts*perAccount + 5)
	gets, puts, items := float64(r.db.gets.Load()), float64(r.db.puts.Load()), float64(r.db.transactItems.Load())
	t.Logf("cost: %.0f executions in %d batches (%d rounds, with the retries the faults cause): %d GetItem, %d PutItem, %d UpdateItem, %d DeleteItem, %d TransactWriteItems of %d items",
		executions, batches, rounds, r.db.gets.Load(), r.db.puts.Load(), r.db.updates.Load(), r.db.deletes.Load(), r.db.transactions.Load(), r.db.transactItems.Load())
	// DynamoDB on demand: a strongly consistent read of up to 4 KB is one
	// read unit; a write of up to 1 KB one write unit, two inside a
	// transaction.
	perExec := (puts + 2*items) / executions
	t.Logf("per execution: %.2f reads, %.2f write units (%.2f conditional puts, %.2f transaction items); at 3,000 executions/s: %.0f reads/s, %.0f write units/s",
		gets/executions, perExec, puts/executions, items/executions, 3000*gets/executions, 3000*perExec)

	t.Run("switched off: without the claim a concurrent duplicate is applied twice", func(t *testing.T) {
		off := newConsumerRig(t, ctx, c, "eu-west-2")
		const deliveries = 8
		p := off.processor(claimsAlways{newReadTogether(off.store(), deliveries)})
		var wg sync.WaitGroup
		for range deliveries {
			wg.Go(func() { p.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{sqsMessage("account-00", 1)}}) })
		}
		wg.Wait()
		n, _ := off.calls.Load("account-00-1")
		if n == nil || n.(*atomic.Int64).Load() < 2 {
			t.Fatalf("without the claim, %d overlapping deliveries ran the handler %v times, want more than once", deliveries, n)
		}
		t.Logf("without the claim, the handler ran %d times for one execution: an effect outside the transaction (an e-mail) would repeat", n.(*atomic.Int64).Load())
	})
}
