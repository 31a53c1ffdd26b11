package consumer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
)

// memory is a Store with DynamoStore's conditions, in memory.
type memory struct {
	mu       sync.Mutex
	claims   map[string]claim
	accounts map[string]AccountState
	writes   []string // committed Write items, by their table name
}

type claim struct {
	completed  bool
	leaseUntil time.Time
}

func newMemory() *memory {
	return &memory{claims: map[string]claim{}, accounts: map[string]AccountState{}}
}

func (m *memory) Account(_ context.Context, account string) (AccountState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.accounts[account], nil
}

func (m *memory) HoldGap(_ context.Context, account string, now time.Time) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.accounts[account]
	if a.GapSince.IsZero() {
		a.GapSince = now
	}
	m.accounts[account] = a
	return a.GapSince, nil
}

func (m *memory) Claim(_ context.Context, id string, now, leaseUntil time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch c, ok := m.claims[id]; {
	case ok && c.completed:
		return ErrApplied
	case ok && !c.leaseUntil.Before(now):
		return ErrInProgress
	}
	m.claims[id] = claim{leaseUntil: leaseUntil}
	return nil
}

func (m *memory) Release(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.claims, id)
	return nil
}

func (m *memory) Commit(_ context.Context, id, account string, seq int64, _ time.Time, writes []types.TransactWriteItem) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.claims[id]; !ok || c.completed {
		return errors.New("transaction cancelled: the claim is not held")
	}
	if a := m.accounts[account]; a.Last != seq-1 {
		return errors.New("transaction cancelled: the account's sequence moved")
	}
	m.claims[id] = claim{completed: true}
	m.accounts[account] = AccountState{Last: seq}
	for _, w := range writes {
		m.writes = append(m.writes, *w.Put.TableName)
	}
	return nil
}

const secret = "SECRET-BODY-FIELD"

// msg is an execution of account with sequence seq, id "<account>-<seq>".
func msg(account string, seq int64) events.SQSMessage {
	id := fmt.Sprintf("%s-%d", account, seq)
	return events.SQSMessage{
		MessageId:  "m-" + id,
		Body:       fmt.Sprintf(`{"executionId":%q,"sequence":%d,"note":%q}`, id, seq, secret),
		Attributes: map[string]string{"MessageGroupId": account, "MessageDeduplicationId": id},
	}
}

func batch(msgs ...events.SQSMessage) events.SQSEvent { return events.SQSEvent{Records: msgs} }

// harness runs a Processor whose handler records what it applied and
// fails the executions listed in fail.
type harness struct {
	store   *memory
	p       *Processor
	now     time.Time
	logs    bytes.Buffer
	applied []string
	fail    map[string]bool
}

func newHarness() *harness {
	h := &harness{store: newMemory(), now: time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC), fail: map[string]bool{}}
	h.p = New(h.store, func(ctx context.Context, e Execution) error {
		if h.fail[e.ID] {
			return errors.New("downstream refused")
		}
		h.applied = append(h.applied, e.ID)
		Write(ctx, types.TransactWriteItem{Put: &types.Put{TableName: aws.String("holdings")}})
		return nil
	}, Options{Lease: time.Minute, Logs: &h.logs, Now: func() time.Time { return h.now }})
	return h
}

func (h *harness) run(t *testing.T, ev events.SQSEvent) []string {
	t.Helper()
	resp, err := h.p.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}

func TestAppliesEachAccountInSequenceOnce(t *testing.T) {
	h := newHarness()
	failed := h.run(t, batch(msg("A", 1), msg("B", 1), msg("A", 2), msg("B", 2), msg("A", 3)))
	if len(failed) != 0 {
		t.Fatalf("failed %v", failed)
	}
	if diff := cmp.Diff([]string{"A-1", "B-1", "A-2", "B-2", "A-3"}, h.applied); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(5, len(h.store.writes)); diff != "" {
		t.Errorf("committed writes (-want +got):\n%s", diff)
	}
}

// An operator's redrive (or any delivery after SQS's 5-minute
// de-duplication window) changes nothing.
func TestALateDuplicateChangesNothing(t *testing.T) {
	h := newHarness()
	h.run(t, batch(msg("A", 1), msg("A", 2)))
	h.now = h.now.Add(2 * time.Hour)
	if failed := h.run(t, batch(msg("A", 1), msg("A", 2))); len(failed) != 0 {
		t.Errorf("failed %v", failed)
	}
	if diff := cmp.Diff([]string{"A-1", "A-2"}, h.applied); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
}

// A failure holds the rest of its account's messages, never overtaken;
// other accounts go on.
func TestAFailureHoldsTheRestOfItsAccountOnly(t *testing.T) {
	h := newHarness()
	h.fail["A-2"] = true
	failed := h.run(t, batch(msg("A", 1), msg("A", 2), msg("B", 1), msg("A", 3), msg("B", 2)))
	if diff := cmp.Diff([]string{"m-A-2", "m-A-3"}, failed); diff != "" {
		t.Errorf("failed (-want +got):\n%s", diff)
	}
	delete(h.fail, "A-2")
	if failed := h.run(t, batch(msg("A", 2), msg("A", 3))); len(failed) != 0 {
		t.Errorf("retry failed %v", failed)
	}
	if diff := cmp.Diff([]string{"A-1", "B-1", "B-2", "A-2", "A-3"}, h.applied); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
}

// A sequence that skips one holds the account, logs one line and writes
// the held time, until the missing execution arrives.
func TestAGapIsHeldUntilTheMissingExecutionArrives(t *testing.T) {
	h := newHarness()
	h.run(t, batch(msg("A", 1)))
	if diff := cmp.Diff([]string{"m-A-3", "m-A-4"}, h.run(t, batch(msg("A", 3), msg("A", 4)))); diff != "" {
		t.Errorf("failed (-want +got):\n%s", diff)
	}
	h.now = h.now.Add(10 * time.Minute)
	h.run(t, batch(msg("A", 3), msg("A", 4)))
	logs := h.logs.String()
	if !strings.Contains(logs, `"msg":"gap held","account":"A","expected":2,"got":3`) || !strings.Contains(logs, `"held_seconds":600`) || !strings.Contains(logs, `"GapHeldSeconds":600`) {
		t.Errorf("logs %s\nwant the gap held 600 s, logged and measured", logs)
	}
	if failed := h.run(t, batch(msg("A", 2), msg("A", 3), msg("A", 4))); len(failed) != 0 {
		t.Errorf("after the late execution, failed %v", failed)
	}
	if diff := cmp.Diff([]string{"A-1", "A-2", "A-3", "A-4"}, h.applied); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	if a := h.store.accounts["A"]; !a.GapSince.IsZero() || a.Last != 4 {
		t.Errorf("account %+v, want last 4 and no gap", a)
	}
	// The release is logged; nothing more is measured, so the gap alarm
	// returns to OK.
	released := h.logs.String()[len(logs):]
	if !strings.Contains(released, `"msg":"gap released","account":"A","sequence":2,"held_seconds":600`) || strings.Contains(released, `"GapHeldSeconds"`) {
		t.Errorf("logs after the late execution %s\nwant the release logged, and no GapHeldSeconds", released)
	}
}

// Start refuses to run without the tables' names, saying which variables
// name them.
func TestStartNeedsTheTablesFromTheEnvironment(t *testing.T) {
	t.Setenv(EnvIdempotencyTable, "idempotency")
	t.Setenv(EnvSequenceTable, "")
	_, err := fromEnvironment(t.Context(), nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "IDEMPOTENCY_TABLE and SEQUENCE_TABLE must name") {
		t.Errorf("without SEQUENCE_TABLE: %v", err)
	}
	t.Setenv(EnvSequenceTable, "sequence")
	t.Setenv(EnvNamespace, "Team/Holdings")
	t.Setenv("AWS_REGION", "eu-west-2")
	p, err := fromEnvironment(t.Context(), nil, Options{})
	if err != nil || p.opts.Namespace != "Team/Holdings" {
		t.Errorf("with both tables: %v, namespace %q", err, p.opts.Namespace)
	}
}

// A team's table comes from the variable the construct sets; without it
// the Lambda refuses to run, naming the variable.
func TestTableNameComesFromTheEnvironment(t *testing.T) {
	t.Setenv("HOLDINGS_TABLE", "")
	if _, err := tableName("HOLDINGS_TABLE"); err == nil || !strings.Contains(err.Error(), "HOLDINGS_TABLE must name") {
		t.Errorf("unset: %v", err)
	}
	t.Setenv("HOLDINGS_TABLE", "holdings")
	if table, err := tableName("HOLDINGS_TABLE"); table != "holdings" || err != nil {
		t.Errorf("set: %q, %v", table, err)
	}
}

// An unreadable record goes last in its account: the readable ones before
// it in the queue are applied.
func TestAnUnreadableRecordDoesNotOvertakeItsAccount(t *testing.T) {
	for _, body := range []string{`{"sequence":0}`, `{"sequence":-3}`, `not json`} {
		h := newHarness()
		bad := msg("A", 3)
		bad.Body = body
		failed := h.run(t, batch(msg("A", 1), msg("A", 2), bad))
		if diff := cmp.Diff([]string{bad.MessageId}, failed); diff != "" {
			t.Errorf("body %s: failed (-want +got):\n%s", body, diff)
		}
		if diff := cmp.Diff([]string{"A-1", "A-2"}, h.applied); diff != "" {
			t.Errorf("body %s: applied (-want +got):\n%s", body, diff)
		}
	}
}

// The late execution comes behind the ones its gap held, in the queue's
// order: in one batch it is applied first, and they after it.
func TestALateExecutionBehindItsGapIsAppliedFirst(t *testing.T) {
	h := newHarness()
	h.run(t, batch(msg("A", 1), msg("B", 1)))
	if failed := h.run(t, batch(msg("A", 3), msg("B", 2), msg("A", 4), msg("A", 2))); len(failed) != 0 {
		t.Errorf("failed %v, want none: the batch holds the missing execution", failed)
	}
	if diff := cmp.Diff([]string{"A-1", "B-1", "A-2", "B-2", "A-3", "A-4"}, h.applied); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
}

// A delivery that finds another's claim does not apply the execution; once
// the other committed, it finds it applied.
func TestAConcurrentDuplicateIsNotAppliedTwice(t *testing.T) {
	h := newHarness()
	if err := h.store.Claim(context.Background(), "A-1", h.now, h.now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"m-A-1"}, h.run(t, batch(msg("A", 1)))); diff != "" {
		t.Errorf("failed (-want +got):\n%s", diff)
	}
	if len(h.applied) != 0 {
		t.Errorf("applied %v while another delivery held the claim", h.applied)
	}
	if err := h.store.Commit(context.Background(), "A-1", "A", 1, h.now, nil); err != nil {
		t.Fatal(err)
	}
	if failed := h.run(t, batch(msg("A", 1))); len(failed) != 0 || len(h.applied) != 0 {
		t.Errorf("failed %v, applied %v: want the duplicate skipped", failed, h.applied)
	}
}

// A delivery whose Lambda died after claiming (mid-effect, before the
// commit and the delete) is retried once its lease has expired.
func TestACrashMidEffectIsRetriedAfterItsLease(t *testing.T) {
	h := newHarness()
	if err := h.store.Claim(context.Background(), "A-1", h.now, h.now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	h.now = h.now.Add(30 * time.Second)
	if diff := cmp.Diff([]string{"m-A-1"}, h.run(t, batch(msg("A", 1)))); diff != "" {
		t.Errorf("inside the lease, failed (-want +got):\n%s", diff)
	}
	h.now = h.now.Add(time.Minute)
	if failed := h.run(t, batch(msg("A", 1))); len(failed) != 0 {
		t.Errorf("after the lease, failed %v", failed)
	}
	if diff := cmp.Diff([]string{"A-1"}, h.applied); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
}

// A handler's failure releases the claim and commits none of its writes.
func TestAFailedExecutionCommitsNothing(t *testing.T) {
	h := newHarness()
	h.fail["A-1"] = true
	h.run(t, batch(msg("A", 1)))
	if len(h.store.writes) != 0 || len(h.store.claims) != 0 {
		t.Errorf("writes %v, claims %v: want none", h.store.writes, h.store.claims)
	}
}

// No line the consumer writes holds an execution's body, whatever happens.
func TestTheBodyIsNeverLogged(t *testing.T) {
	h := newHarness()
	h.fail["A-2"] = true
	bad := msg("B", 1)
	bad.Body = `{"sequence":"one","note":"` + secret + `"}`
	h.run(t, batch(msg("A", 1), msg("A", 2), msg("C", 5), bad))
	if h.logs.Len() == 0 || strings.Contains(h.logs.String(), secret) {
		t.Errorf("logs %q: want lines, none with the body", h.logs.String())
	}
}

func TestUnreadableExecutionsHoldTheirAccount(t *testing.T) {
	h := newHarness()
	for _, body := range []string{`not json`, `{"sequence":0}`, `{"sequence":1.5}`, `{}`} {
		m := msg("A", 1)
		m.Body = body
		failed := h.run(t, batch(m, msg("A", 2)))
		slices.Sort(failed)
		if diff := cmp.Diff([]string{m.MessageId, "m-A-2"}, failed); diff != "" {
			t.Errorf("body %s: failed (-want +got):\n%s", body, diff)
		}
	}
}
