package alarms_test

import (
	"strings"
	"testing"

	"github.com/brokerage/platform/constructs/alarms"
	"github.com/google/go-cmp/cmp"
)

func TestCatalogueDecidesEveryRecommendedAlarm(t *testing.T) {
	if got := alarms.CheckCatalogue(alarms.References()); len(got) != 0 {
		t.Errorf("catalogue vs reference:\n%s", strings.Join(got, "\n"))
	}
}

func TestCatalogueCheckFailsOnAnUndecidedRecommendation(t *testing.T) {
	refs := append(alarms.References(), alarms.Reference{Namespace: "AWS/SQS", Metric: "NumberOfEmptyReceives", Dimensions: []string{"QueueName"}})
	got := alarms.CheckCatalogue(refs)
	want := []string{
		"consumer-queue: recommended alarm AWS/SQS NumberOfEmptyReceives[QueueName] is neither created nor exempted",
		"dead-letter-queue: recommended alarm AWS/SQS NumberOfEmptyReceives[QueueName] is neither created nor exempted",
		"ingest-queue: recommended alarm AWS/SQS NumberOfEmptyReceives[QueueName] is neither created nor exempted",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestEveryCatalogueAlarmHasOneSeverity(t *testing.T) {
	if got := alarms.CheckSeverities(); len(got) != 0 {
		t.Fatalf("catalogue severities:\n%s", strings.Join(got, "\n"))
	}
	ks := alarms.Catalogue[alarms.KindAPIStage]
	was := ks.Alarms[1].Severity
	ks.Alarms[1].Severity = ""
	defer func() { ks.Alarms[1].Severity = was }()
	want := []string{`api-stage: alarm 5XXError has severity "", want one of page, notify`}
	if diff := cmp.Diff(want, alarms.CheckSeverities()); diff != "" {
		t.Errorf("a Spec without a severity (-want +got):\n%s", diff)
	}
}
