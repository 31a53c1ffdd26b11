package fanout

import (
	"fmt"

	"github.com/brokerage/platform/problems"
)

// The rules of the redistributor's sizing (sizing.go), which the tests
// hold the constants and the template to.

// Sizing is the redistributor's timing and concurrency.
type Sizing struct {
	TimeoutSeconds, VisibilitySeconds, MaxConcurrency int
}

// DefaultSizing is what NewIngest builds.
var DefaultSizing = Sizing{RedistributorTimeoutSeconds, IngestVisibilitySeconds, RedistributorMaxConcurrency}

// RepublishHorizonSeconds is the latest a message is published again after
// its first publish when Redeliveries invocations in a row die after
// publishing it.
func (s Sizing) RepublishHorizonSeconds() int {
	return Redeliveries*s.VisibilitySeconds + s.TimeoutSeconds
}

// Check reports every way the sizing breaks a rule of sizing.go.
func (s Sizing) Check() error {
	l := problems.List{Subject: "fanout.Sizing"}
	if s.VisibilitySeconds < 6*s.TimeoutSeconds {
		l.Add("VisibilitySeconds", s.VisibilitySeconds, fmt.Sprintf("at least 6 x the function timeout (%d s), as Lambda asks of an SQS source", s.TimeoutSeconds))
	}
	if h := s.RepublishHorizonSeconds(); h >= DeduplicationWindowSeconds {
		l.Add("VisibilitySeconds", s.VisibilitySeconds, fmt.Sprintf("%d x visibility + timeout (%d s) under the %d s de-duplication window, so that a re-publish after %d dead invocations is still de-duplicated", Redeliveries, h, DeduplicationWindowSeconds, Redeliveries))
	}
	perInvocation := MessagesPerCall * 1000 / MinCallMilliseconds
	if s.MaxConcurrency < 2 || s.MaxConcurrency*perInvocation > SNSFIFOMessagesPerSecond {
		l.Add("MaxConcurrency", s.MaxConcurrency, fmt.Sprintf("2 (Lambda's least) to %d: %d invocations x %d messages a second within the topic's %d", SNSFIFOMessagesPerSecond/perInvocation, s.MaxConcurrency, perInvocation, SNSFIFOMessagesPerSecond))
	}
	return l.Err()
}
