package awsrules

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ruleCase runs a rule on a compliant and on a violating input: the first
// must give "", the second a message containing every wanted fragment.
type ruleCase struct {
	rule      string
	compliant func() string
	violating func() string
	wants     []string
}

func checkRule(t *testing.T, tc ruleCase) {
	t.Helper()
	if got := tc.compliant(); got != "" {
		t.Errorf("%s: compliant input refused: %s", tc.rule, got)
	}
	got := tc.violating()
	if got == "" {
		t.Fatalf("%s: violating input accepted", tc.rule)
	}
	for _, w := range tc.wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: message %q does not mention %q", tc.rule, got, w)
		}
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func TestRules(t *testing.T) {
	for _, tc := range []ruleCase{
		{"sns-fifo-subscriptions", func() string { return SNSFIFOSubscriptions(25, 4) }, func() string { return SNSFIFOSubscriptions(3, 40) },
			[]string{"3 regions x 40 consumers need 120 subscriptions", "SNS FIFO topics take 100", "at most 33 consumers"}},
		{"sns-fifo-subscriptions (assembly)", func() string { return SNSFIFOTopicSubscriptions(100) }, func() string { return SNSFIFOTopicSubscriptions(101) }, []string{"101"}},
		{"sns-opt-in-forwarding", func() string { return SNSOptInForwarding("ap-southeast-2", "me-central-1") }, func() string { return SNSOptInForwarding("af-south-1", "me-central-1") },
			[]string{"af-south-1", "me-central-1", "opt-in"}},
		{"sqs-policy-quotas principals", func() string { return first(SQSPolicy(50, 20, 8192)) }, func() string { return first(SQSPolicy(60, 1, 100)) }, []string{"50 principals", "60"}},
		{"sqs-policy-quotas statements", func() string { return first(SQSPolicy(1, 20, 100)) }, func() string { return first(SQSPolicy(1, 21, 100)) }, []string{"20 statements", "21"}},
		{"sqs-policy-quotas bytes", func() string { return first(SQSPolicy(1, 1, 8192)) }, func() string { return first(SQSPolicy(1, 1, 8193)) }, []string{"8192 bytes", "8193"}},
		{"sqs-policy-quotas broker accounts", func() string { return BrokerAccounts(49) }, func() string { return BrokerAccounts(50) }, []string{"at most 49 broker accounts", "50 listed"}},
		{"stack-resources", func() string { return StackResourceCount(500) }, func() string { return StackResourceCount(501) }, []string{"500", "501"}},
		{"apigateway-policy-length", func() string { return RestAPIPolicy(8192) }, func() string { return RestAPIPolicy(8193) }, []string{"8192 characters", "8193"}},
		{"dynamic-references", func() string { return TemplateDynamicReferences(60) }, func() string { return TemplateDynamicReferences(61) }, []string{"at most 60 dynamic references", "(61)"}},
		{"stack-description", func() string { return StackDescription(strings.Repeat("x", 1024)) }, func() string { return StackDescription(strings.Repeat("é", 600)) }, []string{"1024 bytes", "1200"}},
		{"alarm-name-length", func() string { return AlarmName(strings.Repeat("a", 255)) }, func() string { return AlarmName(strings.Repeat("a", 256)) }, []string{"1 to 255", "256"}},
		{"alarm-datapoints", func() string { return AlarmDatapoints(3, 3) }, func() string { return AlarmDatapoints(5, 3) }, []string{"evaluate 3 periods and need 5"}},
		{"alarm-evaluation-range", func() string { return AlarmEvaluationRange(300, 288) }, func() string { return AlarmEvaluationRange(300, 289) }, []string{"1 to 288", "86400 s"}},
		{"alarm-evaluation-range hourly", func() string { return AlarmEvaluationRange(3600, 168) }, func() string { return AlarmEvaluationRange(3600, 169) }, []string{"1 to 168", "604800 s"}},
		{"apigateway-whole-numbers", func() string { return WholeNumber(400, "a burst") }, func() string { return WholeNumber(2.5, "a burst") }, []string{"whole number", "a burst"}},
		{"waf-metric-name", func() string { return WAFMetricName("brokerage-dev-public") }, func() string { return WAFMetricName("brokerage-dev-my api") }, []string{"no spaces", "my api"}},
		{"cloudfront-csp-length", func() string { return ContentSecurityPolicy(strings.Repeat("a", 1783)) }, func() string { return ContentSecurityPolicy(strings.Repeat("a", 1784)) }, []string{"1783", "1784"}},
		{"arn-format cognito", func() string {
			return ARN("arn:aws:cognito-idp:eu-west-2:111111111111:userpool/eu-west-2_abc", "cognito-idp", "userpool/")
		}, func() string { return ARN("arn:aws:cognito-idp:eu-west-2:111111111111:", "cognito-idp", "userpool/") }, []string{"userpool/<id>"}},
		{"arn-format lambda", func() string {
			return ARN("arn:aws:lambda:eu-west-2:111111111111:function:auth", "lambda", "function:")
		}, func() string { return ARN("arn:aws:lambda:", "lambda", "function:") }, []string{"not an ARN"}},
		{"arn-format partition", func() string {
			return ARN("arn:aws-cn:lambda:cn-north-1:111111111111:function:auth", "lambda", "function:")
		}, func() string {
			return ARN("arn:azure:lambda:eu-west-2:111111111111:function:auth", "lambda", "function:")
		}, []string{"no AWS partition", "azure"}},
	} {
		t.Run(tc.rule, func(t *testing.T) { checkRule(t, tc) })
	}
}

func TestCollisions(t *testing.T) {
	names := []Name{
		{Kind: KindQueue, Account: "1", Region: "eu-west-2", Name: "p-holdings-dlq.fifo", Owner: "fanout.consumers[1].name"},
		{Kind: KindQueue, Account: "1", Region: "eu-west-2", Name: "p-holdings-dlq.fifo", Owner: "fanout.consumers[3].name"},
		{Kind: KindQueue, Account: "1", Region: "sa-east-1", Name: "p-holdings-dlq.fifo", Owner: "other region"},
		{Kind: KindQueue, Account: "2", Region: "eu-west-2", Name: "p-holdings-dlq.fifo", Owner: "other account"},
		{Kind: KindDashboard, Account: "1", Region: "eu-west-2", Name: "d", Owner: "a"},
		{Kind: KindDashboard, Account: "1", Region: "us-east-1", Name: "d", Owner: "b"},
		{Kind: KindWebACL, Account: "1", Region: "us-east-1", Scope: "REGIONAL", Name: "w", Owner: "c"},
		{Kind: KindWebACL, Account: "1", Region: "us-east-1", Scope: "CLOUDFRONT", Name: "w", Owner: "d"},
	}
	want := []Collision{
		{Namespace: KindDashboard + " in account 1", Name: "d", Owners: []string{"a", "b"}},
		{Namespace: KindQueue + " in 1/eu-west-2", Name: "p-holdings-dlq.fifo", Owners: []string{"fanout.consumers[1].name", "fanout.consumers[3].name"}},
	}
	got := Collisions(names)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Collisions (-want +got):\n%s", diff)
	}
	if msg := got[1].Want(); !strings.Contains(msg, `the queue "p-holdings-dlq.fifo" is taken by fanout.consumers[1].name already`) {
		t.Errorf("message %q does not name the queue and its first owner", msg)
	}
	if got := Collisions(names[:1]); got != nil {
		t.Errorf("one name: %v, want no collision", got)
	}
}

// Every rule cites an AWS document.
func TestRulesCiteSources(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules {
		if seen[r.ID] || r.Rule == "" || !strings.HasPrefix(r.Source, "https://") {
			t.Errorf("rule %+v: want a unique id, a sentence and an https source", r)
		}
		seen[r.ID] = true
	}
}
