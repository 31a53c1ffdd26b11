package alarms_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/brokerage/platform/constructs/alarms"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/google/go-cmp/cmp"
)

// A dead-letter queue named by a subscription in another stack, by an ARN
// joined with the partition token (as without the project's feature flags),
// is still a dead-letter queue and needs a DLQ's alarms, not a working
// queue's.
func TestCoverageFindsDLQsNamedByJoinedARNs(t *testing.T) {
	stacks := []cfn.Stack{
		{Name: "app-dev-ap-southeast-2-ingest", Region: "ap-southeast-2", Template: cfn.Template{"Resources": map[string]any{
			"DeliveryDLQ": map[string]any{"Type": "AWS::SQS::Queue", "Properties": map[string]any{"QueueName": "app-dev-fanout-eu-west-2-dlq.fifo"}},
		}}},
		{Name: "app-dev-eu-west-2-regional", Region: "eu-west-2", Template: cfn.Template{"Resources": map[string]any{
			"Subscription": map[string]any{"Type": "AWS::SNS::Subscription", "Properties": map[string]any{
				"Protocol": "sqs",
				"RedrivePolicy": map[string]any{"deadLetterTargetArn": map[string]any{"Fn::Join": []any{"", []any{
					"arn:", map[string]any{"Ref": "AWS::Partition"}, ":sqs:ap-southeast-2:111111111111:app-dev-fanout-eu-west-2-dlq.fifo",
				}}}},
			}},
		}}},
	}
	var dlq int
	for _, f := range alarms.CheckCoverage(stacks) {
		if f.LogicalID == "DeliveryDLQ" && f.Kind != alarms.KindDLQ {
			t.Errorf("the delivery DLQ is not classified as a dead-letter queue: %v", f)
		}
		if f.LogicalID == "DeliveryDLQ" && f.Gap == alarms.GapMissingAlarm {
			dlq++
		}
	}
	if want := len(alarms.Catalogue[alarms.KindDLQ].Alarms); dlq != want {
		t.Errorf("the delivery DLQ misses %d alarms, want the %d of a dead-letter queue", dlq, want)
	}
}

// A logical ID names a resource of its own stack only: a queue that is
// another queue's dead-letter queue in one stack does not make the queue
// of the same logical ID in another stack one, nor does an alarm action
// make another stack's topic of the same ID an alarm topic, nor does an
// alarm on a queue cover another stack's queue of the same ID.
func TestCoverageReadsLogicalIDsPerStack(t *testing.T) {
	queue := map[string]any{"Type": "AWS::SQS::Queue", "Properties": map[string]any{}}
	topic := map[string]any{"Type": "AWS::SNS::Topic", "Properties": map[string]any{}}
	stacks := []cfn.Stack{
		{Name: "a", Region: "eu-west-2", Template: cfn.Template{"Resources": map[string]any{
			"Queue": queue, "Topic": topic,
			"Work":  map[string]any{"Type": "AWS::SQS::Queue", "Properties": map[string]any{"RedrivePolicy": map[string]any{"deadLetterTargetArn": map[string]any{"Fn::GetAtt": []any{"Queue", "Arn"}}}}},
			"Alarm": map[string]any{"Type": "AWS::CloudWatch::Alarm", "Properties": map[string]any{"AlarmActions": []any{map[string]any{"Ref": "Topic"}}}},
			"AgeAlarm": map[string]any{"Type": "AWS::CloudWatch::Alarm", "Properties": map[string]any{
				"Namespace": "AWS/SQS", "MetricName": "ApproximateAgeOfOldestMessage",
				"Dimensions": []any{map[string]any{"Name": "QueueName", "Value": map[string]any{"Fn::GetAtt": []any{"Queue", "QueueName"}}}},
			}},
		}}},
		{Name: "b", Region: "eu-west-2", Template: cfn.Template{"Resources": map[string]any{"Queue": queue, "Topic": topic}}},
	}
	want := map[string]alarms.Kind{"a/Queue": alarms.KindDLQ, "a/Topic": alarms.KindAlarmTopic, "b/Queue": alarms.KindConsumerQueue, "b/Topic": alarms.KindFanoutTopic}
	got := map[string]alarms.Kind{}
	ageMissedInB := false
	for _, f := range alarms.CheckCoverage(stacks) {
		if _, ok := want[f.Stack+"/"+f.LogicalID]; ok && f.Gap == alarms.GapMissingAlarm {
			got[f.Stack+"/"+f.LogicalID] = f.Kind
			ageMissedInB = ageMissedInB || f.Stack == "b" && f.Metric == "ApproximateAgeOfOldestMessage"
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kinds of the resources without alarms (-want +got):\n%s", diff)
	}
	if !ageMissedInB {
		t.Error("stack a's age alarm on its Queue covers stack b's Queue")
	}
}

// An alarm the AWS recommended alarms do not list is accepted only with the
// reason it is created (Spec.Beyond).
func TestCatalogueAcceptsAnAlarmBeyondTheReferenceOnlyWithAReason(t *testing.T) {
	ks := alarms.Catalogue[alarms.KindRedistributor]
	if got := alarms.CheckCatalogue(alarms.References()); len(got) != 0 {
		t.Fatalf("catalogue vs reference:\n%s", strings.Join(got, "\n"))
	}
	reason := ks.Alarms[0].Beyond
	ks.Alarms[0].Beyond = ""
	defer func() { ks.Alarms[0].Beyond = reason }()
	want := "redistributor: alarm ReceiveCount is not in the reference and says not why it is created (Beyond)"
	if got := strings.Join(alarms.CheckCatalogue(alarms.References()), "\n"); got != want {
		t.Errorf("without a reason:\n got %q\nwant %q", got, want)
	}
}

// An alarm covers a resource only for the metric it evaluates on that
// resource, in the kind's namespace: not for the same metric name in
// another namespace, nor for a metric that one of its queries evaluates on
// another resource.
func TestCoverageMatchesAlarmsByNamespaceMetricAndDimensions(t *testing.T) {
	metric := func(namespace, name, queue string) map[string]any {
		return map[string]any{"Namespace": namespace, "MetricName": name, "Dimensions": []any{
			map[string]any{"Name": "QueueName", "Value": map[string]any{"Fn::GetAtt": []any{queue, "QueueName"}}},
		}}
	}
	alarm := func(props map[string]any) map[string]any {
		props["AlarmActions"] = []any{map[string]any{"Ref": "Topic"}}
		props["OKActions"] = props["AlarmActions"]
		return map[string]any{"Type": "AWS::CloudWatch::Alarm", "Properties": props}
	}
	stack := cfn.Stack{Name: "app-dev-eu-west-2-regional", Region: "eu-west-2", Template: cfn.Template{"Resources": map[string]any{
		"Q":         map[string]any{"Type": "AWS::SQS::Queue", "Properties": map[string]any{}},
		"Other":     map[string]any{"Type": "AWS::SQS::Queue", "Properties": map[string]any{}},
		"Age":       alarm(metric("AWS/SQS", "ApproximateAgeOfOldestMessage", "Q")),
		"Elsewhere": alarm(metric("Custom/SQS", "ApproximateNumberOfMessagesVisible", "Q")),
		"Mixed": alarm(map[string]any{"Metrics": []any{
			map[string]any{"Id": "sent", "MetricStat": map[string]any{"Metric": metric("AWS/SQS", "NumberOfMessagesSent", "Other")}},
			map[string]any{"Id": "flight", "MetricStat": map[string]any{"Metric": metric("AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "Q")}},
		}}),
	}}}
	var got []string
	for _, f := range alarms.CheckCoverage([]cfn.Stack{stack}) {
		if f.LogicalID == "Q" {
			got = append(got, f.Metric)
		}
	}
	want := []string{"ApproximateNumberOfMessagesVisible", "NumberOfMessagesSent"}
	if !slices.Equal(got, want) {
		t.Errorf("alarms Q misses: %v, want %v", got, want)
	}
}

// A REST API stage's alarms must watch that stage: alarms on another stage
// of the same API do not cover it.
func TestCoverageWantsTheAlarmsOfTheAPIStageItself(t *testing.T) {
	template := func(alarmedStage string) cfn.Template {
		res := map[string]any{
			"Api":   map[string]any{"Type": "AWS::ApiGateway::RestApi", "Properties": map[string]any{"Name": "app-dev-api-public"}},
			"Stage": map[string]any{"Type": "AWS::ApiGateway::Stage", "Properties": map[string]any{"RestApiId": map[string]any{"Ref": "Api"}, "StageName": "v2"}},
		}
		for _, s := range alarms.Catalogue[alarms.KindAPIStage].Alarms {
			res["Alarm"+s.Metric] = map[string]any{"Type": "AWS::CloudWatch::Alarm", "Properties": map[string]any{
				"Namespace": "AWS/ApiGateway", "MetricName": s.Metric, "Dimensions": []any{
					map[string]any{"Name": "ApiName", "Value": "app-dev-api-public"},
					map[string]any{"Name": "Stage", "Value": alarmedStage},
				},
				"AlarmActions": []any{"arn:aws:sns:eu-west-2:111111111111:app-dev-alarms"}, "OKActions": []any{"arn:aws:sns:eu-west-2:111111111111:app-dev-alarms"},
			}}
		}
		return cfn.Template{"Resources": res}
	}
	missing := func(alarmedStage string) []string {
		var out []string
		for _, f := range alarms.CheckCoverage([]cfn.Stack{{Name: "s", Region: "eu-west-2", Template: template(alarmedStage)}}) {
			if f.Gap == alarms.GapMissingAlarm && f.LogicalID == "Stage" {
				out = append(out, f.Metric)
			}
		}
		return out
	}
	if got := missing("v2"); len(got) != 0 {
		t.Errorf("the stage's own alarms do not cover it: missing %v", got)
	}
	if got, want := len(missing("v1")), len(alarms.Catalogue[alarms.KindAPIStage].Alarms); got != want {
		t.Errorf("alarms on stage v1 cover stage v2: %d missing, want %d", got, want)
	}
}
