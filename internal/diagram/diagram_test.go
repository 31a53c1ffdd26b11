package diagram_test

import (
	"strings"
	"testing"

	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/diagram"
)

// Stacks are drawn in the region of their environment, and a subscription
// to a topic of another region is drawn from that region's ingest stack,
// also when the app name has a hyphen.
func TestOverviewGroupsStacksOfAHyphenatedAppByRegion(t *testing.T) {
	ingest, regional := "my-broker-dev-ap-southeast-2-ingest", "my-broker-dev-eu-west-2-regional"
	a := &cfn.Assembly{Stacks: []cfn.Stack{
		{Name: ingest, Region: "ap-southeast-2", Template: cfn.Template{"Resources": map[string]any{"Topic": map[string]any{"Type": "AWS::SNS::Topic"}}}},
		{Name: regional, Region: "eu-west-2", Template: cfn.Template{"Resources": map[string]any{"Subscription": map[string]any{"Type": "AWS::SNS::Subscription", "Properties": map[string]any{
			"Protocol": "sqs", "TopicArn": "arn:aws:sns:ap-southeast-2:111111111111:my-broker-dev-trade-executions",
		}}}}},
	}}
	got := diagram.Overview(a)
	for _, want := range []string{
		`subgraph "cluster_ap-southeast-2" {` + "\n    label=\"ap-southeast-2\";\n    \"" + ingest + `"`,
		`subgraph "cluster_eu-west-2" {` + "\n    label=\"eu-west-2\";\n    \"" + regional + `"`,
		`"` + ingest + `" -> "` + regional + `" [label="trade executions"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("overview lacks %q:\n%s", want, got)
		}
	}
}
