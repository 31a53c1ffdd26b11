package redistribute

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/brokerage/platform/internal/faultproxy"
	"github.com/google/go-cmp/cmp"
)

// snsStandIn accepts every PublishBatch entry and records the
// de-duplication ids in the order it accepted them.
type snsStandIn struct {
	mu        sync.Mutex
	published []string
}

func (s *snsStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("Action") != "PublishBatch" {
		http.Error(w, "unexpected request", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprint(w, `<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful>`)
	for n := 1; ; n++ {
		prefix := "PublishBatchRequestEntries.member." + strconv.Itoa(n) + "."
		id := r.PostForm.Get(prefix + "Id")
		if id == "" {
			break
		}
		s.published = append(s.published, r.PostForm.Get(prefix+"MessageDeduplicationId"))
		fmt.Fprintf(w, `<member><Id>%s</Id><MessageId>m%d</MessageId></member>`, id, len(s.published))
	}
	fmt.Fprint(w, `</Successful><Failed/></PublishBatchResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishBatchResponse>`)
}

// TestSDKErrorsAreClassified runs the handler with the real SNS client
// against injected faults, so that the classification is checked on the
// errors the SDK really returns.
func TestSDKErrorsAreClassified(t *testing.T) {
	tests := []struct {
		name      string
		faults    []faultproxy.Fault
		published []string // de-duplication ids the topic accepted, in order
		failed    []string
	}{
		{"throttled call", []faultproxy.Fault{faultproxy.Throttle}, []string{"a-1", "b-1", "a-2"}, nil},
		{"unavailable", []faultproxy.Fault{faultproxy.Unavailable, faultproxy.ServerError}, []string{"a-1", "b-1", "a-2"}, nil},
		{"entries failed", []faultproxy.Fault{faultproxy.FailEntries}, []string{"a-1", "b-1", "a-2"}, nil},
		// The first call took effect; its retry is a duplicate the topic drops
		// by de-duplication id.
		{"reset after the call took effect", []faultproxy.Fault{faultproxy.ResetAfterForward}, []string{"a-1", "b-1", "a-1", "b-1", "a-2"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			topic := &snsStandIn{}
			up := httptest.NewServer(topic)
			defer up.Close()
			target, _ := url.Parse(up.URL)
			proxy := faultproxy.New(target)
			proxy.Script("PublishBatch", tc.faults...)
			srv := httptest.NewServer(proxy)
			defer srv.Close()
			client := sns.New(sns.Options{
				Region:           "ap-southeast-2",
				BaseEndpoint:     aws.String(srv.URL),
				Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
				RetryMaxAttempts: 1,
			})
			h := newHarness(client)

			failed := h.handle(t, context.Background(), events.SQSEvent{Records: []events.SQSMessage{fifo("a", 1), fifo("b", 1), fifo("a", 2)}})

			if diff := cmp.Diff(tc.failed, failed); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.published, topic.published); diff != "" {
				t.Errorf("accepted by the topic (-want +got):\n%s", diff)
			}
			if got := h.counts(t).Retries; got != 2*len(tc.faults) {
				t.Errorf("Retries = %d, want %d", got, 2*len(tc.faults))
			}
		})
	}
}
