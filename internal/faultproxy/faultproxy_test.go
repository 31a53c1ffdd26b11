package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

const topicARN = "arn:aws:sns:us-east-1:123456789012:executions.fifo"

// upstream is a stand-in for the emulator: it counts the calls it gets per
// action and accepts every PublishBatch entry.
type upstream struct {
	mu    sync.Mutex
	calls map[string]int
	forms []url.Values
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	action := r.PostForm.Get("Action")
	u.mu.Lock()
	u.calls[action]++
	u.forms = append(u.forms, r.PostForm)
	u.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	switch action {
	case "PublishBatch":
		fmt.Fprintf(w, `<PublishBatchResponse xmlns="%s"><PublishBatchResult><Successful>`, snsNamespace)
		for _, id := range entryIDs(r.PostForm) {
			fmt.Fprintf(w, `<member><Id>%s</Id><MessageId>msg-%s</MessageId><SequenceNumber>1</SequenceNumber></member>`, id, id)
		}
		fmt.Fprint(w, `</Successful><Failed/></PublishBatchResult><ResponseMetadata><RequestId>up-1</RequestId></ResponseMetadata></PublishBatchResponse>`)
	case "Publish":
		fmt.Fprintf(w, `<PublishResponse xmlns="%s"><PublishResult><MessageId>msg-1</MessageId></PublishResult><ResponseMetadata><RequestId>up-2</RequestId></ResponseMetadata></PublishResponse>`, snsNamespace)
	default:
		http.Error(w, "unexpected action "+action, http.StatusBadRequest)
	}
}

func (u *upstream) count(action string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.calls[action]
}

type rig struct {
	up     *upstream
	proxy  *Proxy
	client *sns.Client
}

func newRig(t *testing.T) *rig {
	t.Helper()
	up := &upstream{calls: map[string]int{}}
	upSrv := httptest.NewServer(up)
	t.Cleanup(upSrv.Close)
	target, err := url.Parse(upSrv.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := New(target)
	proxySrv := httptest.NewServer(proxy)
	t.Cleanup(proxySrv.Close)
	client := sns.New(sns.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(proxySrv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
	})
	return &rig{up: up, proxy: proxy, client: client}
}

func (rg *rig) publishBatch(t *testing.T, n int) (*sns.PublishBatchOutput, error) {
	t.Helper()
	in := &sns.PublishBatchInput{TopicArn: aws.String(topicARN)}
	for i := range n {
		id := "e" + strconv.Itoa(i)
		in.PublishBatchRequestEntries = append(in.PublishBatchRequestEntries, types.PublishBatchRequestEntry{
			Id:                     aws.String(id),
			Message:                aws.String(`{"execution":"` + id + `"}`),
			MessageGroupId:         aws.String("acct-1"),
			MessageDeduplicationId: aws.String("dedup-" + id),
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return rg.client.PublishBatch(ctx, in)
}

func (rg *rig) publish(t *testing.T) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := rg.client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topicARN), Message: aws.String("m")})
	return err
}

func successfulIDs(out *sns.PublishBatchOutput) []string {
	var ids []string
	for _, s := range out.Successful {
		ids = append(ids, aws.ToString(s.Id))
	}
	return ids
}

func TestPassForwardsTheCallUntouched(t *testing.T) {
	rg := newRig(t)

	out, err := rg.publishBatch(t, 3)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"e0", "e1", "e2"}, successfulIDs(out)); diff != "" {
		t.Errorf("successful entries (-want +got):\n%s", diff)
	}
	if got := rg.up.count("PublishBatch"); got != 1 {
		t.Errorf("upstream got %d calls, want 1", got)
	}
	form := rg.up.forms[0]
	for key, want := range map[string]string{
		"TopicArn":                               topicARN,
		"PublishBatchRequestEntries.member.2.Id": "e1",
		"PublishBatchRequestEntries.member.3.MessageDeduplicationId": "dedup-e2",
		"PublishBatchRequestEntries.member.1.Message":                `{"execution":"e0"}`,
	} {
		if got := form.Get(key); got != want {
			t.Errorf("forwarded %s = %q, want %q", key, got, want)
		}
	}
	if c, f := rg.proxy.Calls("PublishBatch"), rg.proxy.Faults("PublishBatch"); c != 1 || f != 0 {
		t.Errorf("Calls, Faults = %d, %d; want 1, 0", c, f)
	}
}

func TestThrottleIsThrottlingToTheSDK(t *testing.T) {
	rg := newRig(t)
	rg.proxy.Script("PublishBatch", Throttle)

	_, err := rg.publishBatch(t, 2)

	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "Throttling" {
		t.Fatalf("error %v, want an API error with code Throttling", err)
	}
	if got := retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err); got != aws.TrueTernary {
		t.Errorf("SDK throttle check = %v, want true", got)
	}
	if got := statusCode(err); got != http.StatusBadRequest {
		t.Errorf("status %d, want 400", got)
	}
	if got := rg.up.count("PublishBatch"); got != 0 {
		t.Errorf("a throttled call reached upstream (%d calls)", got)
	}
	// The script is used up: the next call passes.
	if _, err := rg.publishBatch(t, 2); err != nil {
		t.Errorf("second call: %v", err)
	}
}

func TestServerFaults(t *testing.T) {
	tests := []struct {
		fault  Fault
		status int
		code   string
	}{
		{ServerError, 500, "InternalError"},
		{Unavailable, 503, "ServiceUnavailable"},
	}
	for _, tc := range tests {
		t.Run(tc.fault.String(), func(t *testing.T) {
			rg := newRig(t)
			rg.proxy.Script("PublishBatch", tc.fault)

			_, err := rg.publishBatch(t, 1)

			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.code {
				t.Fatalf("error %v, want an API error with code %s", err, tc.code)
			}
			if got := statusCode(err); got != tc.status {
				t.Errorf("status %d, want %d", got, tc.status)
			}
			if got := retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err); got != aws.TrueTernary {
				t.Errorf("SDK retryable check = %v, want true", got)
			}
			if got := rg.up.count("PublishBatch"); got != 0 {
				t.Errorf("the failed call reached upstream (%d calls)", got)
			}
		})
	}
}

func TestResetAfterForwardTakesEffectButDropsTheAnswer(t *testing.T) {
	rg := newRig(t)
	rg.proxy.Script("PublishBatch", ResetAfterForward)

	out, err := rg.publishBatch(t, 2)

	if err == nil {
		t.Fatalf("got output %+v, want a transport error", out)
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		t.Errorf("error %v is an API error, want a transport error", err)
	}
	if statusCode(err) != 0 {
		t.Errorf("error %v carries an HTTP response, want none", err)
	}
	if got := (retry.RetryableConnectionError{}).IsErrorRetryable(err); got != aws.TrueTernary {
		t.Errorf("SDK connection-error check of %v = %v, want true", err, got)
	}
	if got := rg.up.count("PublishBatch"); got != 1 {
		t.Errorf("upstream got %d calls, want 1: the call must take effect", got)
	}
	if f := rg.proxy.Faults("PublishBatch"); f != 1 {
		t.Errorf("Faults = %d, want 1", f)
	}
}

func TestFailEntriesFailsEveryEntryAsAServerFault(t *testing.T) {
	rg := newRig(t)
	rg.proxy.Script("PublishBatch", FailEntries)

	out, err := rg.publishBatch(t, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 0 {
		t.Errorf("successful entries %v, want none", successfulIDs(out))
	}
	var got []types.BatchResultErrorEntry
	for _, f := range out.Failed {
		f.Message = nil
		got = append(got, f)
	}
	want := []types.BatchResultErrorEntry{
		{Id: aws.String("e0"), Code: aws.String("InternalError")},
		{Id: aws.String("e1"), Code: aws.String("InternalError")},
		{Id: aws.String("e2"), Code: aws.String("InternalError")},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(types.BatchResultErrorEntry{})); diff != "" {
		t.Errorf("failed entries (-want +got):\n%s", diff)
	}
	if got := rg.up.count("PublishBatch"); got != 0 {
		t.Errorf("upstream got %d calls, want 0", got)
	}
}

func TestFailForExpires(t *testing.T) {
	rg := newRig(t)
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rg.proxy.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	rg.proxy.FailFor("PublishBatch", Unavailable, time.Minute)

	for i := range 2 {
		if _, err := rg.publishBatch(t, 1); statusCode(err) != 503 {
			t.Errorf("call %d inside the window: error %v, want 503", i, err)
		}
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if _, err := rg.publishBatch(t, 1); err != nil {
		t.Errorf("call after the window: %v", err)
	}
	if c, f, u := rg.proxy.Calls("PublishBatch"), rg.proxy.Faults("PublishBatch"), rg.up.count("PublishBatch"); c != 3 || f != 2 || u != 1 {
		t.Errorf("Calls, Faults, upstream = %d, %d, %d; want 3, 2, 1", c, f, u)
	}
}

func TestScriptRunsInOrderAndOnlyForItsAction(t *testing.T) {
	rg := newRig(t)
	rg.proxy.Script("PublishBatch", Throttle, Pass, ServerError)
	rg.proxy.FailFor("PublishBatch", Unavailable, time.Hour) // after the script

	if err := rg.publish(t); err != nil {
		t.Errorf("Publish, another action, got %v; want it passed through", err)
	}
	var got []int
	for range 4 {
		_, err := rg.publishBatch(t, 1)
		got = append(got, statusCode(err))
	}
	if diff := cmp.Diff([]int{400, 0, 500, 503}, got); diff != "" {
		t.Errorf("status per call (-want +got):\n%s", diff)
	}
	counts := []int{rg.proxy.Calls("PublishBatch"), rg.proxy.Faults("PublishBatch"), rg.proxy.Calls("Publish"), rg.proxy.Faults("Publish"), rg.up.count("Publish")}
	if diff := cmp.Diff([]int{4, 3, 1, 0, 1}, counts); diff != "" {
		t.Errorf("PublishBatch calls, faults, Publish calls, faults, upstream (-want +got):\n%s", diff)
	}

	rg.proxy.Reset()
	if _, err := rg.publishBatch(t, 1); err != nil {
		t.Errorf("after Reset: %v", err)
	}
	if c, f := rg.proxy.Calls("PublishBatch"), rg.proxy.Faults("PublishBatch"); c != 1 || f != 0 {
		t.Errorf("after Reset: Calls, Faults = %d, %d; want 1, 0", c, f)
	}
}

func TestConcurrentCalls(t *testing.T) {
	rg := newRig(t)
	const n = 20
	faults := make([]Fault, n/2)
	for i := range faults {
		faults[i] = Throttle
	}
	rg.proxy.Script("PublishBatch", faults...)

	var wg sync.WaitGroup
	var mu sync.Mutex
	throttled := 0
	for range n {
		wg.Go(func() {
			_, err := rg.publishBatch(t, 1)
			if statusCode(err) == 400 {
				mu.Lock()
				throttled++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	got := []int{throttled, rg.proxy.Calls("PublishBatch"), rg.proxy.Faults("PublishBatch"), rg.up.count("PublishBatch")}
	if diff := cmp.Diff([]int{n / 2, n, n / 2, n / 2}, got); diff != "" {
		t.Errorf("throttled, calls, faults, upstream (-want +got):\n%s", diff)
	}
}

func TestFailEntriesOnAnotherActionIsAServerError(t *testing.T) {
	rg := newRig(t)
	rg.proxy.Script("Publish", FailEntries)
	if err := rg.publish(t); statusCode(err) != 500 {
		t.Errorf("error %v, want 500", err)
	}
}

func statusCode(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
