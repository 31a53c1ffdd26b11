package redistribute

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	topicARN   = "arn:aws:sns:ap-southeast-2:111111111111:executions.fifo"
	bodyMarker = "SECRET-BODY"
)

// fifo is message n of an account's group on the FIFO ingest queue.
func fifo(group string, n int) events.SQSMessage {
	id := group + "-" + strconv.Itoa(n)
	return events.SQSMessage{
		MessageId:  "m-" + id,
		Body:       `{"execution":"` + id + `","note":"` + bodyMarker + `"}`,
		Attributes: map[string]string{"MessageGroupId": group, "MessageDeduplicationId": id},
	}
}

func event(msgs ...events.SQSMessage) events.SQSEvent { return events.SQSEvent{Records: msgs} }

// fault is the answer to one attempt of an entry.
type fault struct {
	code   string
	sender bool
}

// fakeTopic is a FIFO topic. It answers each call with callErrs[call] when
// set, else per entry from entryFaults (keyed by de-duplication id, one per
// attempt; success afterwards). It checks what the topic would require of
// every call, and that no message is sent before its group's previous one was
// accepted.
type fakeTopic struct {
	t           *testing.T
	prev        map[string]string // dedup id -> previous dedup id of its group
	callErrs    []error
	entryFaults map[string][]fault
	onCall      func(ctx context.Context)

	mu        sync.Mutex
	calls     [][]types.PublishBatchRequestEntry
	deadlines []time.Time
	attempts  map[string]int
	published []string // dedup ids (message ids for standard messages), in order
	accepted  map[string]bool
}

func newFakeTopic(t *testing.T, evs ...events.SQSEvent) *fakeTopic {
	f := &fakeTopic{t: t, prev: map[string]string{}, attempts: map[string]int{}, accepted: map[string]bool{}, entryFaults: map[string][]fault{}}
	last := map[string]string{}
	for _, ev := range evs {
		for _, m := range ev.Records {
			g, d := m.Attributes["MessageGroupId"], m.Attributes["MessageDeduplicationId"]
			if g == "" || d == "" {
				continue
			}
			if p, ok := last[g]; ok {
				f.prev[d] = p
			}
			last[g] = d
		}
	}
	return f
}

func (f *fakeTopic) PublishBatch(ctx context.Context, in *sns.PublishBatchInput, _ ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.t
	call := len(f.calls)
	f.calls = append(f.calls, in.PublishBatchRequestEntries)
	dl, _ := ctx.Deadline()
	f.deadlines = append(f.deadlines, dl)
	if f.onCall != nil {
		f.onCall(ctx)
	}
	if aws.ToString(in.TopicArn) != topicARN {
		t.Errorf("call %d: topic %q", call, aws.ToString(in.TopicArn))
	}
	if n := len(in.PublishBatchRequestEntries); n == 0 || n > 10 {
		t.Errorf("call %d has %d entries, want 1 to 10", call, n)
	}
	ids, groups, size := map[string]bool{}, map[string]bool{}, 0
	for _, e := range in.PublishBatchRequestEntries {
		if ids[aws.ToString(e.Id)] {
			t.Errorf("call %d: entry id %q twice", call, aws.ToString(e.Id))
		}
		ids[aws.ToString(e.Id)] = true
		if g := aws.ToString(e.MessageGroupId); g != "" {
			if groups[g] {
				t.Errorf("call %d: two entries of group %s", call, g)
			}
			groups[g] = true
		}
		size += len(aws.ToString(e.Message))
		for name, a := range e.MessageAttributes {
			size += len(name) + len(aws.ToString(a.DataType)) + len(aws.ToString(a.StringValue)) + len(a.BinaryValue)
		}
		d := aws.ToString(e.MessageDeduplicationId)
		if p, ok := f.prev[d]; ok && !f.accepted[p] {
			t.Errorf("call %d: %s sent before %s was accepted", call, d, p)
		}
		if f.accepted[d] {
			t.Errorf("call %d: %s sent again after it was accepted", call, d)
		}
	}
	if size > 256*1024 {
		t.Errorf("call %d: payload %d bytes, over 256 KiB", call, size)
	}

	if call < len(f.callErrs) && f.callErrs[call] != nil {
		return nil, f.callErrs[call]
	}
	out := &sns.PublishBatchOutput{}
	for _, e := range in.PublishBatchRequestEntries {
		key := aws.ToString(e.MessageDeduplicationId)
		if key == "" {
			key = aws.ToString(e.Message)
		}
		n := f.attempts[key]
		f.attempts[key]++
		if faults := f.entryFaults[key]; n < len(faults) && faults[n].code != "" {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: &faults[n].code, SenderFault: faults[n].sender})
			continue
		}
		f.accepted[key] = true
		f.published = append(f.published, key)
		out.Successful = append(out.Successful, types.PublishBatchResultEntry{Id: e.Id, MessageId: new("sns-" + key)})
	}
	return out, nil
}

// entriesPerCall lists, per call, the de-duplication ids sent.
func (f *fakeTopic) entriesPerCall() [][]string {
	var out [][]string
	for _, c := range f.calls {
		var ids []string
		for _, e := range c {
			ids = append(ids, aws.ToString(e.MessageDeduplicationId))
		}
		out = append(out, ids)
	}
	return out
}

// harness runs a Redistributor with captured logs, metrics and sleeps.
type harness struct {
	r      *Redistributor
	logs   bytes.Buffer
	emf    bytes.Buffer
	sleeps []time.Duration
}

func newHarness(topic Publisher) *harness {
	h := &harness{}
	h.r = &Redistributor{
		TopicARN:     topicARN,
		Client:       topic,
		Logger:       slog.New(slog.NewJSONHandler(&h.logs, nil)),
		Metrics:      &h.emf,
		FunctionName: "redistributor-test",
		Sleep: func(_ context.Context, d time.Duration) error {
			h.sleeps = append(h.sleeps, d)
			return nil
		},
	}
	return h
}

func (h *harness) handle(t *testing.T, ctx context.Context, ev events.SQSEvent) []string {
	t.Helper()
	resp, err := h.r.Handle(ctx, ev)
	if err != nil {
		t.Fatalf("Handle returned error %v; failures must be reported per message", err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}

type logLine map[string]any

func (h *harness) logLines(t *testing.T) []logLine {
	t.Helper()
	var lines []logLine
	for _, l := range strings.Split(strings.TrimSpace(h.logs.String()), "\n") {
		if l == "" {
			continue
		}
		if strings.Contains(l, bodyMarker) {
			t.Errorf("log line carries a message body: %s", l)
		}
		var m logLine
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

// failureLogs summarises the log lines as "level message_id reason error_code attempts".
func (h *harness) failureLogs(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, l := range h.logLines(t) {
		out = append(out, fmt.Sprintf("%v %v %v %v %v", l["level"], l["message_id"], l["reason"], l["error_code"], l["attempts"]))
	}
	return out
}

type counts struct{ Published, PublishFailures, HeldBack, PublishCalls, Retries int }

type emfLine struct {
	AWS struct {
		Timestamp         int64
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	} `json:"_aws"`
	FunctionName string
	counts
}

func (h *harness) metrics(t *testing.T) emfLine {
	t.Helper()
	_, last := h.metricLines(t)
	var m emfLine
	dec := json.NewDecoder(strings.NewReader(last))
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("metrics line %q: %v", last, err)
	}
	return m
}

// metricLines splits the metrics output into the ReceiveCount line written
// when the invocation starts ("" for an empty batch) and the outcome line
// written at its end.
func (h *harness) metricLines(t *testing.T) (received, outcome string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(h.emf.String(), "\n"), "\n")
	switch {
	case len(lines) == 1 && !strings.Contains(lines[0], MetricReceiveCount):
		return "", lines[0]
	case len(lines) == 2 && strings.Contains(lines[0], MetricReceiveCount) && !strings.Contains(lines[1], MetricReceiveCount):
		return lines[0], lines[1]
	}
	t.Fatalf("metrics output %q, want a ReceiveCount line (unless the batch is empty), then the outcome line", h.emf.String())
	return "", ""
}

func (h *harness) counts(t *testing.T) counts {
	t.Helper()
	return h.metrics(t).counts
}

func apiErr(status int, code string) error {
	return &smithy.OperationError{ServiceID: "SNS", OperationName: "PublishBatch", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      &smithy.GenericAPIError{Code: code, Message: "rejected"},
		},
		RequestID: "req-1",
	}}
}

func sendErr(err error) error {
	return &smithy.OperationError{ServiceID: "SNS", OperationName: "PublishBatch", Err: &smithyhttp.RequestSendError{Err: err}}
}

func TestFailedEntryHoldsBackTheRestOfItsGroupOnly(t *testing.T) {
	ev := event(fifo("a", 1), fifo("b", 1), fifo("a", 2), fifo("b", 2), fifo("a", 3), fifo("c", 1))
	topic := newFakeTopic(t, ev)
	topic.entryFaults["a-2"] = []fault{{code: "AuthorizationError", sender: true}}
	h := newHarness(topic)

	failed := h.handle(t, context.Background(), ev)

	if diff := cmp.Diff([]string{"m-a-2", "m-a-3"}, failed); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a-1", "b-1", "c-1", "b-2"}, topic.published); diff != "" {
		t.Errorf("published (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(counts{Published: 4, PublishFailures: 1, HeldBack: 1, PublishCalls: 2}, h.counts(t)); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}

func TestCallsCarryOneEntryPerGroupWithinLimits(t *testing.T) {
	big := func(group string, n, kib int) events.SQSMessage {
		m := fifo(group, n)
		m.Body = strings.Repeat("x", kib*1024)
		return m
	}
	tests := []struct {
		name string
		ev   events.SQSEvent
		want [][]string // dedup ids per call
	}{
		{
			name: "one group goes one message per call",
			ev:   event(fifo("a", 1), fifo("a", 2), fifo("a", 3)),
			want: [][]string{{"a-1"}, {"a-2"}, {"a-3"}},
		},
		{
			name: "interleaved groups share calls, each group's next message only",
			ev:   event(fifo("a", 1), fifo("a", 2), fifo("b", 1), fifo("a", 3), fifo("b", 2), fifo("c", 1)),
			want: [][]string{{"a-1", "b-1", "c-1"}, {"a-2", "b-2"}, {"a-3"}},
		},
		{
			name: "at most ten entries",
			ev: func() events.SQSEvent {
				var ev events.SQSEvent
				for i := range 12 {
					ev.Records = append(ev.Records, fifo("g"+strconv.Itoa(i), 1))
				}
				return ev
			}(),
			want: [][]string{{"g0-1", "g1-1", "g2-1", "g3-1", "g4-1", "g5-1", "g6-1", "g7-1", "g8-1", "g9-1"}, {"g10-1", "g11-1"}},
		},
		{
			name: "at most 256 KiB per call",
			ev:   event(big("a", 1, 100), big("b", 1, 100), big("c", 1, 100), fifo("d", 1), big("e", 1, 200)),
			want: [][]string{{"a-1", "b-1", "d-1"}, {"c-1"}, {"e-1"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			topic := newFakeTopic(t, tc.ev)
			h := newHarness(topic)
			if failed := h.handle(t, context.Background(), tc.ev); len(failed) != 0 {
				t.Errorf("failures %v, want none", failed)
			}
			if diff := cmp.Diff(tc.want, topic.entriesPerCall()); diff != "" {
				t.Errorf("entries per call (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWholeCallFailureIsRetried(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"Throttling", apiErr(400, "Throttling")},
		{"Throttled", apiErr(400, "Throttled")},
		{"KMSThrottling", apiErr(400, "KMSThrottling")},
		{"TooManyRequests", apiErr(429, "TooManyRequestsException")},
		{"InternalError", apiErr(500, "InternalError")},
		{"ServiceUnavailable", apiErr(503, "ServiceUnavailable")},
		{"502 without a code", apiErr(502, "")},
		{"connection reset", sendErr(&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET})},
		{"EOF", sendErr(io.EOF)},
		{"unexpected EOF reading the response", &smithy.OperationError{ServiceID: "SNS", OperationName: "PublishBatch", Err: &smithy.DeserializationError{Err: io.ErrUnexpectedEOF}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := event(fifo("a", 1), fifo("b", 1), fifo("a", 2), fifo("b", 2))
			topic := newFakeTopic(t, ev)
			topic.callErrs = []error{tc.err, tc.err}
			h := newHarness(topic)

			if failed := h.handle(t, context.Background(), ev); len(failed) != 0 {
				t.Errorf("failures %v, want none", failed)
			}
			if diff := cmp.Diff([]string{"a-1", "b-1", "a-2", "b-2"}, topic.published); diff != "" {
				t.Errorf("published (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(counts{Published: 4, PublishCalls: 4, Retries: 4}, h.counts(t)); diff != "" {
				t.Errorf("metrics (-want +got):\n%s", diff)
			}
			if len(h.sleeps) != 2 {
				t.Errorf("slept %d times, want a backoff before each of the 2 retried rounds", len(h.sleeps))
			}
			for i, d := range h.sleeps {
				if ceiling := DefaultBaseBackoff << i; d < 0 || d > ceiling {
					t.Errorf("backoff %d = %v, want within [0, %v]", i, d, ceiling)
				}
			}
			if logs := h.failureLogs(t); len(logs) != 0 {
				t.Errorf("failure log lines %v, want none", logs)
			}
		})
	}
}

func TestFailedEntryIsRetriedInOrder(t *testing.T) {
	tests := []struct {
		name  string
		fault fault
	}{
		{"InternalError", fault{code: "InternalError"}},
		{"server fault with another code", fault{code: "SomethingBroke"}},
		{"ServiceUnavailable", fault{code: "ServiceUnavailable"}},
		{"Throttled as sender fault", fault{code: "Throttled", sender: true}},
		{"KMSThrottling as sender fault", fault{code: "KMSThrottling", sender: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := event(fifo("a", 1), fifo("a", 2), fifo("b", 1), fifo("a", 3), fifo("b", 2))
			topic := newFakeTopic(t, ev)
			topic.entryFaults["a-1"] = []fault{tc.fault, tc.fault}
			h := newHarness(topic)

			if failed := h.handle(t, context.Background(), ev); len(failed) != 0 {
				t.Errorf("failures %v, want none", failed)
			}
			// a-2 is never sent before a-1 was accepted (fakeTopic checks it).
			want := [][]string{{"a-1", "b-1"}, {"a-1", "b-2"}, {"a-1"}, {"a-2"}, {"a-3"}}
			if diff := cmp.Diff(want, topic.entriesPerCall()); diff != "" {
				t.Errorf("entries per call (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(counts{Published: 5, PublishCalls: 5, Retries: 2}, h.counts(t)); diff != "" {
				t.Errorf("metrics (-want +got):\n%s", diff)
			}
			if len(h.sleeps) != 2 {
				t.Errorf("slept %d times, want 2", len(h.sleeps))
			}
		})
	}
}

func TestNonRetryableErrorStopsTheGroupAtOnce(t *testing.T) {
	tests := []struct {
		name string
		// a-1's single attempt fails with this entry fault, or the whole
		// call (carrying a-1 and b-1) with callErr.
		entry   *fault
		callErr error
		code    string
	}{
		{name: "AuthorizationError entry", entry: &fault{code: "AuthorizationError", sender: true}, code: "AuthorizationError"},
		{name: "KMSAccessDenied entry", entry: &fault{code: "KMSAccessDenied", sender: true}, code: "KMSAccessDenied"},
		{name: "KMSAccessDenied entry marked server fault", entry: &fault{code: "KMSAccessDenied"}, code: "KMSAccessDenied"},
		{name: "InvalidParameter entry", entry: &fault{code: "InvalidParameter", sender: true}, code: "InvalidParameter"},
		{name: "unknown sender fault entry", entry: &fault{code: "Whatever", sender: true}, code: "Whatever"},
		{name: "AuthorizationError call", callErr: apiErr(403, "AuthorizationError"), code: "AuthorizationError"},
		{name: "NotFound call", callErr: apiErr(404, "NotFound"), code: "NotFound"},
		{name: "InvalidParameter call", callErr: apiErr(400, "InvalidParameter"), code: "InvalidParameter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := event(fifo("a", 1), fifo("a", 2), fifo("b", 1), fifo("b", 2))
			topic := newFakeTopic(t, ev)
			topic.callErrs = []error{tc.callErr}
			want := struct {
				failed, published, logs []string
				counts                  counts
			}{
				failed:    []string{"m-a-1", "m-a-2"},
				published: []string{"b-1", "b-2"},
				logs:      []string{"ERROR m-a-1 non_retryable " + tc.code + " 1"},
				counts:    counts{Published: 2, PublishFailures: 1, HeldBack: 1, PublishCalls: 2},
			}
			if tc.entry != nil {
				topic.entryFaults["a-1"] = []fault{*tc.entry}
			} else {
				want.failed = []string{"m-a-1", "m-a-2", "m-b-1", "m-b-2"}
				want.published = nil
				want.logs = append(want.logs, "ERROR m-b-1 non_retryable "+tc.code+" 1")
				want.counts = counts{PublishFailures: 2, HeldBack: 2, PublishCalls: 1}
			}
			h := newHarness(topic)

			failed := h.handle(t, context.Background(), ev)

			if diff := cmp.Diff(want.failed, failed); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want.published, topic.published); diff != "" {
				t.Errorf("published (-want +got):\n%s", diff)
			}
			sent := 0
			for _, c := range topic.entriesPerCall() {
				sent += strings.Count(strings.Join(c, " ")+" ", "a-1 ")
			}
			if sent != 1 {
				t.Errorf("a-1 sent %d times in calls %v, want once", sent, topic.entriesPerCall())
			}
			if len(h.sleeps) != 0 {
				t.Errorf("slept %v after a non-retryable failure", h.sleeps)
			}
			if diff := cmp.Diff(want.logs, h.failureLogs(t)); diff != "" {
				t.Errorf("log lines (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want.counts, h.counts(t)); diff != "" {
				t.Errorf("metrics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExhaustedAttemptsStopTheGroup(t *testing.T) {
	ev := event(fifo("a", 1), fifo("b", 1), fifo("a", 2), fifo("b", 2), fifo("b", 3))
	topic := newFakeTopic(t, ev)
	for range 10 {
		topic.entryFaults["a-1"] = append(topic.entryFaults["a-1"], fault{code: "InternalError"})
	}
	h := newHarness(topic)
	h.r.MaxAttempts = 4
	h.r.BaseBackoff = 10 * time.Millisecond
	h.r.MaxBackoff = 25 * time.Millisecond

	failed := h.handle(t, context.Background(), ev)

	if diff := cmp.Diff([]string{"m-a-1", "m-a-2"}, failed); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"b-1", "b-2", "b-3"}, topic.published); diff != "" {
		t.Errorf("published (-want +got):\n%s", diff)
	}
	if got := topic.attempts["a-1"]; got != 4 {
		t.Errorf("a-1 attempted %d times, want MaxAttempts 4", got)
	}
	if diff := cmp.Diff(counts{Published: 3, PublishFailures: 1, HeldBack: 1, PublishCalls: 4, Retries: 3}, h.counts(t)); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ERROR m-a-1 attempts_exhausted InternalError 4"}, h.failureLogs(t)); diff != "" {
		t.Errorf("log lines (-want +got):\n%s", diff)
	}
	ceilings := []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 25 * time.Millisecond}
	if len(h.sleeps) != len(ceilings) {
		t.Fatalf("sleeps %v, want %d", h.sleeps, len(ceilings))
	}
	for i, d := range h.sleeps {
		if d < 0 || d > ceilings[i] {
			t.Errorf("backoff %d = %v, want within [0, %v]", i, d, ceilings[i])
		}
	}
}

func TestDeadline(t *testing.T) {
	start := time.Now()
	const margin = 2 * time.Second
	tests := []struct {
		name       string
		left       time.Duration // before the context's deadline
		entryFault map[string][]fault
		wantCalls  [][]string
		wantFailed []string
		wantLogs   []string
		want       counts
	}{
		{
			name:       "no call starts inside the margin",
			left:       margin - time.Millisecond,
			wantFailed: []string{"m-a-1", "m-b-1", "m-a-2", "m-b-2", "m-a-3"},
			wantLogs:   []string{"WARN m-a-1 deadline  0", "WARN m-b-1 deadline  0"},
			want:       counts{HeldBack: 5},
		},
		{
			name:       "calls stop when the margin is reached",
			left:       margin + 1500*time.Millisecond, // room for two calls of a second each
			wantCalls:  [][]string{{"a-1", "b-1"}, {"a-2", "b-2"}},
			wantFailed: []string{"m-a-3"},
			wantLogs:   []string{"WARN m-a-3 deadline  0"},
			want:       counts{Published: 4, HeldBack: 1, PublishCalls: 2},
		},
		{
			name:       "a message waiting for a retry fails, the rest is held back",
			left:       margin + 500*time.Millisecond,
			entryFault: map[string][]fault{"a-1": {{code: "Throttled", sender: true}}},
			wantCalls:  [][]string{{"a-1", "b-1"}},
			wantFailed: []string{"m-a-1", "m-a-2", "m-b-2", "m-a-3"},
			wantLogs:   []string{"ERROR m-a-1 deadline Throttled 1", "WARN m-b-2 deadline  0"},
			want:       counts{Published: 1, PublishFailures: 1, HeldBack: 3, PublishCalls: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := event(fifo("a", 1), fifo("b", 1), fifo("a", 2), fifo("b", 2), fifo("a", 3))
			topic := newFakeTopic(t, ev)
			topic.entryFaults = tc.entryFault
			if topic.entryFaults == nil {
				topic.entryFaults = map[string][]fault{}
			}
			now := start
			topic.onCall = func(context.Context) { now = now.Add(time.Second) } // each call takes a second
			h := newHarness(topic)
			h.r.now = func() time.Time { return now }
			h.r.DeadlineMargin = margin
			deadline := start.Add(tc.left)
			ctx, cancel := context.WithDeadline(context.Background(), deadline)
			defer cancel()

			failed := h.handle(t, ctx, ev)

			if diff := cmp.Diff(tc.wantCalls, topic.entriesPerCall()); diff != "" {
				t.Errorf("entries per call (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantFailed, failed); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantLogs, h.failureLogs(t)); diff != "" {
				t.Errorf("log lines (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, h.counts(t)); diff != "" {
				t.Errorf("metrics (-want +got):\n%s", diff)
			}
			for i, dl := range topic.deadlines {
				if want := deadline.Add(-margin); !dl.Equal(want) {
					t.Errorf("call %d context deadline %v, want the invocation's deadline less the margin, %v", i, dl, want)
				}
			}
		})
	}
}

func TestAttributesAreCarriedOver(t *testing.T) {
	side := "BUY"
	qty := "100.5"
	tier := "2"
	m := fifo("acct-7", 1)
	m.MessageAttributes = map[string]events.SQSMessageAttribute{
		"side":      {DataType: "String", StringValue: &side},
		"quantity":  {DataType: "Number", StringValue: &qty},
		"signature": {DataType: "Binary", BinaryValue: []byte{0, 1, 2, 255}},
		"tier":      {DataType: "Number.int", StringValue: &tier},
	}
	standard := events.SQSMessage{MessageId: "m-std", Body: "standard body"}
	ev := event(m, standard)
	topic := newFakeTopic(t, ev)
	h := newHarness(topic)

	if failed := h.handle(t, context.Background(), ev); len(failed) != 0 {
		t.Fatalf("failures %v, want none", failed)
	}
	want := [][]types.PublishBatchRequestEntry{{
		{
			Id:                     new("0"),
			Message:                new(m.Body),
			MessageGroupId:         new("acct-7"),
			MessageDeduplicationId: new("acct-7-1"),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"side":      {DataType: new("String"), StringValue: new("BUY")},
				"quantity":  {DataType: new("Number"), StringValue: new("100.5")},
				"signature": {DataType: new("Binary"), BinaryValue: []byte{0, 1, 2, 255}},
				"tier":      {DataType: new("Number.int"), StringValue: new("2")},
			},
		},
		{Id: new("1"), Message: new("standard body")},
	}}
	opts := cmpopts.IgnoreUnexported(types.PublishBatchRequestEntry{}, types.MessageAttributeValue{})
	if diff := cmp.Diff(want, topic.calls, opts); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

func TestRefusedMessages(t *testing.T) {
	attrs := func(n int) map[string]events.SQSMessageAttribute {
		out := map[string]events.SQSMessageAttribute{}
		for i := range n {
			out["a"+strconv.Itoa(i)] = events.SQSMessageAttribute{DataType: "String", StringValue: new("v")}
		}
		return out
	}
	tests := []struct {
		name       string
		change     func(m *events.SQSMessage)
		wantReason string // "" when the message is published
	}{
		{"eleven attributes", func(m *events.SQSMessage) { m.MessageAttributes = attrs(11) }, "too_many_attributes"},
		{"ten attributes are fine", func(m *events.SQSMessage) { m.MessageAttributes = attrs(10) }, ""},
		{"no de-duplication id", func(m *events.SQSMessage) { delete(m.Attributes, "MessageDeduplicationId") }, "missing_dedup_id"},
		{"body over 256 KiB", func(m *events.SQSMessage) { m.Body = strings.Repeat(bodyMarker, 256*1024/len(bodyMarker)+1) }, "too_large"},
		{"body of 256 KiB is fine", func(m *events.SQSMessage) { m.Body = strings.Repeat("x", 256*1024) }, ""},
		{"attributes take it over 256 KiB", func(m *events.SQSMessage) {
			m.Body = strings.Repeat("x", 256*1024-10)
			m.MessageAttributes = map[string]events.SQSMessageAttribute{"k": {DataType: "String", StringValue: new("0123456789")}}
		}, "too_large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a1 := fifo("a", 1)
			tc.change(&a1)
			ev := event(a1, fifo("b", 1), fifo("a", 2))
			topic := newFakeTopic(t, ev)
			h := newHarness(topic)

			failed := h.handle(t, context.Background(), ev)

			if tc.wantReason == "" {
				if len(failed) != 0 || len(topic.published) != 3 {
					t.Errorf("failures %v, published %v; want all three published", failed, topic.published)
				}
				return
			}
			if diff := cmp.Diff([]string{"m-a-1", "m-a-2"}, failed); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"b-1"}, topic.published); diff != "" {
				t.Errorf("published (-want +got):\n%s", diff)
			}
			if n := topic.attempts["a-1"]; n != 0 {
				t.Errorf("refused message sent %d times", n)
			}
			lines := h.logLines(t)
			if len(lines) != 1 {
				t.Fatalf("log lines %v, want 1", lines)
			}
			got := lines[0]
			want := logLine{"level": "ERROR", "message_id": "m-a-1", "group": "a", "reason": tc.wantReason, "attempts": 0.0, "held_back": 1.0}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("log %s = %v, want %v", k, got[k], v)
				}
			}
			for _, k := range []string{"dedup_id", "error_code"} {
				if _, ok := got[k]; !ok {
					t.Errorf("log line has no %s: %v", k, got)
				}
			}
			if diff := cmp.Diff(counts{Published: 1, PublishFailures: 1, HeldBack: 1, PublishCalls: 1}, h.counts(t)); diff != "" {
				t.Errorf("metrics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMetricsLine(t *testing.T) {
	for _, ns := range []string{"", "Brokerage/Fanout-Staging"} {
		t.Run("namespace "+ns, func(t *testing.T) {
			ev := event(fifo("a", 1), fifo("a", 2), fifo("b", 1))
			topic := newFakeTopic(t, ev)
			topic.entryFaults["a-1"] = []fault{{code: "InternalError"}, {code: "InvalidParameter", sender: true}}
			h := newHarness(topic)
			h.r.Namespace = ns
			before := time.Now().UnixMilli()

			h.handle(t, context.Background(), ev)

			m := h.metrics(t)
			wantNS := ns
			if ns == "" {
				wantNS = DefaultNamespace
			}
			d := m.AWS.CloudWatchMetrics
			if len(d) != 1 {
				t.Fatalf("CloudWatchMetrics %+v, want one directive", d)
			}
			if d[0].Namespace != wantNS {
				t.Errorf("namespace %q, want %q", d[0].Namespace, wantNS)
			}
			if diff := cmp.Diff([][]string{{"FunctionName"}}, d[0].Dimensions); diff != "" {
				t.Errorf("dimensions (-want +got):\n%s", diff)
			}
			wantMetrics := []struct{ Name, Unit string }{
				{MetricPublished, "Count"}, {MetricPublishFailures, "Count"}, {MetricHeldBack, "Count"},
				{MetricPublishCalls, "Count"}, {MetricRetries, "Count"},
			}
			if diff := cmp.Diff(wantMetrics, d[0].Metrics); diff != "" {
				t.Errorf("metrics (-want +got):\n%s", diff)
			}
			if m.FunctionName != "redistributor-test" {
				t.Errorf("FunctionName %q", m.FunctionName)
			}
			if m.AWS.Timestamp < before || m.AWS.Timestamp > time.Now().UnixMilli() {
				t.Errorf("Timestamp %d is not the time of the invocation in milliseconds", m.AWS.Timestamp)
			}
			if diff := cmp.Diff(counts{Published: 1, PublishFailures: 1, HeldBack: 1, PublishCalls: 2, Retries: 1}, m.counts); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			// Every metric named in the directive has its value at the top level.
			var raw map[string]any
			_, outcome := h.metricLines(t)
			if err := json.Unmarshal([]byte(outcome), &raw); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{MetricPublished, MetricPublishFailures, MetricHeldBack, MetricPublishCalls, MetricRetries, "FunctionName"} {
				if _, ok := raw[name]; !ok {
					t.Errorf("no top-level %s in %s", name, h.emf.String())
				}
			}
		})
	}
}

func TestOneMetricsLineForAnEmptyBatch(t *testing.T) {
	h := newHarness(newFakeTopic(t))
	if failed := h.handle(t, context.Background(), events.SQSEvent{}); len(failed) != 0 {
		t.Errorf("failures %v", failed)
	}
	if diff := cmp.Diff(counts{}, h.counts(t)); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

func TestCallsPerThousandMessages(t *testing.T) {
	const accounts, perAccount, batchSize = 50, 20, 10
	var all []events.SQSMessage
	for n := 1; n <= perAccount; n++ {
		for a := range accounts {
			all = append(all, fifo("acct-"+strconv.Itoa(a), n))
		}
	}
	var evs []events.SQSEvent
	for i := 0; i < len(all); i += batchSize {
		evs = append(evs, event(all[i:i+batchSize]...))
	}
	topic := newFakeTopic(t, evs...)
	for _, ev := range evs {
		h := newHarness(topic)
		if failed := h.handle(t, context.Background(), ev); len(failed) != 0 {
			t.Fatalf("failures %v", failed)
		}
	}
	if len(topic.published) != len(all) {
		t.Errorf("published %d of %d", len(topic.published), len(all))
	}
	if calls := len(topic.calls); calls > 110 {
		t.Errorf("%d PublishBatch calls for %d messages, want at most 110", calls, len(all))
	}
}

func TestClassifyCall(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want failure
	}{
		{"throttling", nil, apiErr(400, "Throttling"), failure{code: "Throttling", retryable: true}},
		{"429 without a code", nil, apiErr(429, ""), failure{code: "Throttling", retryable: true}},
		{"internal error", nil, apiErr(500, "InternalError"), failure{code: "InternalError", retryable: true}},
		{"503", nil, apiErr(503, ""), failure{code: "HTTP503", retryable: true}},
		{"authorization", nil, apiErr(403, "AuthorizationError"), failure{code: "AuthorizationError"}},
		{"KMS access denied", nil, apiErr(400, "KMSAccessDenied"), failure{code: "KMSAccessDenied"}},
		{"not found", nil, apiErr(404, "NotFound"), failure{code: "NotFound"}},
		{"connection reset", nil, sendErr(&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), failure{code: "Transport", retryable: true}},
		{"EOF", nil, sendErr(io.EOF), failure{code: "Transport", retryable: true}},
		{"call timeout", nil, fmt.Errorf("send: %w", context.DeadlineExceeded), failure{code: "Transport", retryable: true}},
		{"invocation over", canceled, sendErr(context.Canceled), failure{code: "Deadline", deadline: true}},
		{"anything else", nil, errors.New("serialization failed"), failure{code: "Error"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			got := classifyCall(ctx, tc.err)
			got.err = ""
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(failure{})); diff != "" {
				t.Errorf("classifyCall(%v) (-want +got):\n%s", tc.err, diff)
			}
		})
	}
}

func TestDefaultSleepHonoursTheContext(t *testing.T) {
	sleep := (&Redistributor{}).newRun(nil).cfg.Sleep
	if err := sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("sleep: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleep on a done context = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("sleep on a done context took %v", d)
	}
}

// ReceiveCount, the batch's highest receive count, is written before the
// first publish: an invocation that dies while publishing has told it.
func TestReceiveCountIsWrittenBeforePublishing(t *testing.T) {
	a1, a2, b1 := fifo("a", 1), fifo("a", 2), fifo("b", 1)
	a1.Attributes["ApproximateReceiveCount"] = "4"
	a2.Attributes["ApproximateReceiveCount"] = "4"
	b1.Attributes["ApproximateReceiveCount"] = "1"
	ev := event(a1, a2, b1)
	h := newHarness(nil)
	var atFirstCall string
	h.r.Client = publisherFunc(func(ctx context.Context, in *sns.PublishBatchInput, _ ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
		if atFirstCall == "" {
			atFirstCall = h.emf.String()
		}
		return nil, context.Canceled // the invocation dies
	})
	h.handle(t, context.Background(), ev)
	var line struct {
		ReceiveCount int
		AWS          struct {
			CloudWatchMetrics []struct{ Metrics []struct{ Name string } }
		} `json:"_aws"`
	}
	if err := json.Unmarshal([]byte(atFirstCall), &line); err != nil {
		t.Fatalf("metrics before the first publish %q: %v", atFirstCall, err)
	}
	if line.ReceiveCount != 4 || len(line.AWS.CloudWatchMetrics) != 1 || line.AWS.CloudWatchMetrics[0].Metrics[0].Name != MetricReceiveCount {
		t.Errorf("before the first publish the metrics say %s, want ReceiveCount 4 as an embedded metric", atFirstCall)
	}
}

type publisherFunc func(ctx context.Context, in *sns.PublishBatchInput, opts ...func(*sns.Options)) (*sns.PublishBatchOutput, error)

func (f publisherFunc) PublishBatch(ctx context.Context, in *sns.PublishBatchInput, opts ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	return f(ctx, in, opts...)
}
