package alarms_test

import (
	"fmt"
	"testing"

	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/google/go-cmp/cmp"
)

// A kind's metric is what its alarm evaluates: the catalogue's statistic
// and period, the resource's dimensions first, then the kind's fixed ones.
func TestKindMetricIsWhatTheAlarmEvaluates(t *testing.T) {
	got := alarms.KindDistribution.Metric(alarms.DistributionMetrics("E1"), "OriginLatency")
	want := alarms.Metric{Namespace: "AWS/CloudFront", Name: "OriginLatency", Dimensions: []string{"DistributionId", "E1", "Region", "Global"}, Statistic: "p90", PeriodSeconds: 60}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("distribution OriginLatency (-want +got):\n%s", diff)
	}
	got = alarms.KindAPIStage.Metric(alarms.APIStageMetrics("brokerage-dev-public", "v2"), "Count")
	want = alarms.Metric{Namespace: "AWS/ApiGateway", Name: "Count", Dimensions: []string{"ApiName", "brokerage-dev-public", "Stage", "v2"}, Statistic: "SampleCount", PeriodSeconds: 60}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("API stage Count (-want +got):\n%s", diff)
	}
}

// A metric the kind has no alarm on, or metrics of another shape, are
// refused rather than graphed or alarmed as nothing.
func TestKindMetricRefusesUnknownMetricsAndOtherShapes(t *testing.T) {
	for name, f := range map[string]func(){
		"no such alarm": func() { alarms.KindDLQ.Metric(alarms.QueueMetrics("q"), "NumberOfMessagesSent") },
		"topic as DLQ":  func() { alarms.KindDLQ.Metric(alarms.TopicMetrics("t"), "ApproximateNumberOfMessagesVisible") },
		"bucket without its filter": func() {
			alarms.KindSiteBucket.Metric(alarms.Source{Namespace: "AWS/S3", Dimensions: []string{"BucketName", "b"}}, "5xxErrors")
		},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}

// A graph line carries the metric's identity, its label, region and period
// (written only when it is not CloudWatch's default five minutes, which
// the widget then draws it at).
func TestGraphLinesAreTheMetrics(t *testing.T) {
	queue := alarms.QueueMetrics("orders")
	slow := queue.Metric("NumberOfMessagesDeleted", "Sum")
	slow.PeriodSeconds = 300
	w := cfntest.Widgets(cfntest.StackIn(cfn.NewApp(t.TempDir()), "uk", "eu-west-2"), alarms.Graph("t", alarms.KindDLQ.Metric(queue, "ApproximateNumberOfMessagesVisible").LineIn("in DLQ", "eu-west-2"), slow.Line("processed")))
	got := fmt.Sprint(w[0].(map[string]any)["properties"].(map[string]any)["metrics"])
	want := "[[AWS/SQS ApproximateNumberOfMessagesVisible QueueName orders map[label:in DLQ period:60 region:eu-west-2 stat:Maximum]] " +
		"[AWS/SQS NumberOfMessagesDeleted QueueName orders map[label:processed stat:Sum]]]"
	if got != want {
		t.Errorf("lines:\n got %s\nwant %s", got, want)
	}
}
