package guard

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/brokerage/platform/internal/cfn"
	"github.com/brokerage/platform/internal/cfn/cfntest"
	"github.com/google/go-cmp/cmp"
)

// stack builds a Stack from a template written as JSON.
func stack(t *testing.T, name, region, template string) Stack {
	t.Helper()
	var tmpl cfn.Template
	if err := json.Unmarshal([]byte(template), &tmpl); err != nil {
		t.Fatalf("bad test template: %v", err)
	}
	return Stack{Name: name, Region: region, Template: tmpl}
}

// checkRule runs one rule over a compliant and a non-compliant app: the
// compliant one must pass, the other must fail on exactly the named resources.
func checkRule(t *testing.T, rule string, compliant, broken []Stack, wantIDs []string) {
	t.Helper()
	var r Rule
	for _, x := range Rules {
		if x.ID == rule {
			r = x
		}
	}
	if r.Check == nil {
		t.Fatalf("no rule %s", rule)
	}
	if got := r.Run(compliant); len(got) != 0 {
		t.Errorf("%s: compliant app has violations: %v", rule, got)
	}
	var got []string
	for _, v := range r.Run(broken) {
		got = append(got, v.LogicalID)
		if v.Rule != rule {
			t.Errorf("%s: violation of another rule: %v", rule, v)
		}
	}
	if diff := cmp.Diff(wantIDs, got); diff != "" {
		t.Errorf("%s: violations on the broken app (-want +got):\n%s", rule, diff)
	}
}

const keyAllowingSNS = `"Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [
	{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*"}]}}}`

func TestQueueHasDLQ(t *testing.T) {
	ok := []Stack{
		stack(t, "a", "eu-west-2", `{"Resources": {
			"Q": {"Type": "AWS::SQS::Queue", "Properties": {"RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["D", "Arn"]}}}},
			"D": {"Type": "AWS::SQS::Queue", "Properties": {}},
			"Sub": {"Type": "AWS::SNS::Subscription", "Properties": {"Protocol": "sqs", "RedrivePolicy": {"deadLetterTargetArn": "arn:aws:sqs:ap-southeast-2:1:delivery-dlq"}}}}}`),
		stack(t, "b", "ap-southeast-2", `{"Resources": {"X": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "delivery-dlq"}}}}`),
		// A FIFO queue that stalls instead of dead-lettering, and its parking queue, say so.
		stack(t, "c", "ap-southeast-2", `{"Resources": {
			"Stalls": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "ingest.fifo"}, "Metadata": {"brokerage:ordering": "stall"}},
			"Parking": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "ingest-parking.fifo"}, "Metadata": {"brokerage:ordering": "parking"}}}}`),
	}
	broken := []Stack{stack(t, "a", "eu-west-2", `{"Resources": {
		"Lonely": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "lonely"}},
		"Unknown": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "unknown"}, "Metadata": {"brokerage:ordering": "whatever"}},
		"StallsAndRedrives": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "both.fifo", "RedrivePolicy": {"deadLetterTargetArn": "arn:aws:sqs:eu-west-2:1:somewhere"}}, "Metadata": {"brokerage:ordering": "stall"}}}}`)}
	checkRule(t, "queue-has-dlq", ok, broken, []string{"Lonely", "StallsAndRedrives", "Unknown"})
}

func TestSubscriptionRedrive(t *testing.T) {
	ok := []Stack{stack(t, "a", "eu-west-2", `{"Resources": {
		"S": {"Type": "AWS::SNS::Subscription", "Properties": {"Protocol": "sqs", "RedrivePolicy": {"deadLetterTargetArn": "arn:aws:sqs:r:1:d"}}},
		"E": {"Type": "AWS::SNS::Subscription", "Properties": {"Protocol": "email"}}}}`)}
	broken := []Stack{stack(t, "a", "eu-west-2", `{"Resources": {"S": {"Type": "AWS::SNS::Subscription", "Properties": {"Protocol": "sqs"}}}}`)}
	checkRule(t, "subscription-redrive", ok, broken, []string{"S"})
}

func TestCMKPermitsWriters(t *testing.T) {
	ok := []Stack{stack(t, "a", "eu-west-2", `{"Resources": {`+keyAllowingSNS+`,
		"Q": {"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}}},
		"P": {"Type": "AWS::SQS::QueuePolicy", "Properties": {"Queues": [{"Ref": "Q"}], "PolicyDocument": {"Statement": [
			{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sqs:*"},
			{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage"}]}}}}}`)}
	broken := []Stack{stack(t, "a", "eu-west-2", `{"Resources": {`+keyAllowingSNS+`,
		"Managed": {"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": "alias/aws/sqs"}},
		"T": {"Type": "AWS::SNS::Topic", "Properties": {}},
		"Q": {"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}}},
		"P": {"Type": "AWS::SQS::QueuePolicy", "Properties": {"Queues": [{"Ref": "Q"}], "PolicyDocument": {"Statement": [
			{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "sqs:SendMessage"}]}}}}}`)}
	checkRule(t, "cmk-permits-writers", ok, broken, []string{"Managed", "T", "Q"})

	// A Deny on what writers and readers need, which the guard cannot
	// evaluate (a condition on the principal's account takes SNS's right
	// away), fails a key that encrypts a queue; one on deleting the key,
	// or on a key no queue uses, does not.
	denying := func(deny string) string {
		return `{"Resources": {
		"Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [
			{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*"},
			` + deny + `]}}},
		"Q": {"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}}},
		"Unused": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}}}}}`
	}
	ok = []Stack{stack(t, "a", "eu-west-2", denying(`{"Sid": "NoDeletion", "Effect": "Deny", "Principal": "*", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}`))}
	broken = []Stack{
		stack(t, "a", "eu-west-2", denying(`{"Sid": "OwnAccountOnly", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "111111111111"}}}`)),
		stack(t, "b", "eu-west-2", denying(`{"Sid": "OnlyAdmin", "Effect": "Deny", "Principal": "*", "NotAction": ["kms:Describe*"], "Resource": "*"}`)),
	}
	checkRule(t, "cmk-permits-writers", ok, broken, []string{"Key", "Key"})
}

func TestFIFOConsistent(t *testing.T) {
	ok := []Stack{stack(t, "a", "eu-west-2", `{"Resources": {
		"Q": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": true, "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["D", "Arn"]}}}},
		"D": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": true}},
		"S": {"Type": "AWS::SNS::Subscription", "Properties": {"Protocol": "sqs", "TopicArn": "arn:aws:sns:r:1:t.fifo", "Endpoint": {"Fn::GetAtt": ["Q", "Arn"]}, "RedrivePolicy": {"deadLetterTargetArn": "arn:aws:sqs:r:1:d.fifo"}}}}}`)}
	broken := []Stack{stack(t, "a", "eu-west-2", `{"Resources": {
		"Q": {"Type": "AWS::SQS::Queue", "Properties": {"RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["D", "Arn"]}}}},
		"D": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": true}},
		"S": {"Type": "AWS::SNS::Subscription", "Properties": {"Protocol": "sqs", "TopicArn": "arn:aws:sns:r:1:t.fifo", "Endpoint": {"Fn::GetAtt": ["Q", "Arn"]}}},
		"S2": {"Type": "AWS::SNS::Subscription", "Properties": {"Protocol": "sqs", "TopicArn": "arn:aws:sns:r:1:t.fifo", "Endpoint": {"Fn::GetAtt": ["D", "Arn"]}, "RedrivePolicy": {"deadLetterTargetArn": "arn:aws:sqs:r:1:standard-dlq"}}}}}`)}
	checkRule(t, "fifo-consistent", ok, broken, []string{"Q", "S", "S2"})
}

func TestOptInPrincipal(t *testing.T) {
	policy := func(source, principals string) string {
		return `{"Resources": {"P": {"Type": "AWS::SQS::QueuePolicy", "Properties": {"PolicyDocument": {"Statement": [
			{"Effect": "Allow", "Principal": {"Service": ` + principals + `}, "Action": "sqs:SendMessage",
			 "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:` + source + `:1:t.fifo"}}}]}}}}}`
	}
	ok := []Stack{
		stack(t, "melbourne", "ap-southeast-4", policy("ap-southeast-2", `["sns.amazonaws.com", "sns.ap-southeast-4.amazonaws.com"]`)),
		stack(t, "london", "eu-west-2", policy("ap-southeast-2", `"sns.amazonaws.com"`)),
		stack(t, "london", "eu-west-2", policy("ap-southeast-4", `["sns.amazonaws.com", "sns.ap-southeast-4.amazonaws.com"]`)),
	}
	// The queue's region, the topic's, and both at once (reported once).
	broken := []Stack{
		stack(t, "melbourne", "ap-southeast-4", policy("ap-southeast-2", `"sns.amazonaws.com"`)),
		stack(t, "london", "eu-west-2", policy("ap-southeast-4", `"sns.amazonaws.com"`)),
		stack(t, "melbourne", "ap-southeast-4", policy("ap-southeast-4", `"sns.amazonaws.com"`)),
	}
	checkRule(t, "opt-in-principal", ok, broken, []string{"P", "P", "P"})
}

func TestQueueAlarmed(t *testing.T) {
	ok := []Stack{stack(t, "a", "eu-west-2", `{"Resources": {}}`)}
	broken := []Stack{stack(t, "a", "eu-west-2", `{"Resources": {
		"D": {"Type": "AWS::SQS::Queue", "Properties": {}},
		"Q": {"Type": "AWS::SQS::Queue", "Properties": {"RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["D", "Arn"]}}}}}}`)}
	var got []string
	for _, v := range queueAlarmed(broken) {
		got = append(got, v.LogicalID)
	}
	// Four working-queue alarms, one DLQ arrival alarm.
	if diff := cmp.Diff([]string{"D", "Q", "Q", "Q", "Q"}, got); diff != "" {
		t.Errorf("violations on the queues' logical IDs (-want +got):\n%s", diff)
	}
	if v := queueAlarmed(ok); len(v) != 0 {
		t.Errorf("compliant app: %v", v)
	}
}

// A queue without a DLQ in a real app makes synthesis itself fail.
func TestPluginFailsSynthesis(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	app := cfn.NewApp(out)
	s := cfntest.StackIn(app, "broken", "eu-west-2")
	awssqs.NewQueue(s, jsii.String("NoDLQ"), &awssqs.QueueProps{QueueName: jsii.String("no-dlq")})
	awscdk.Validations_Of(app).AddPlugins(NewPlugin())
	asm, violations := cfn.SynthOrViolations(app, out)
	if asm != nil {
		t.Fatal("synthesis succeeded, want it to fail validation")
	}
	joined := strings.Join(violations, "\n")
	for _, want := range []string{"queue has no redrive policy", "not encrypted with a customer-managed key"} {
		if !strings.Contains(joined, want) {
			t.Errorf("violations do not mention %q:\n%s", want, joined)
		}
	}
}

// The plugin judges each stack in its own region, read from the assembly: a
// queue in an opt-in region that trusts only the global SNS principal fails.
func TestPluginKnowsStackRegions(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	app := cfn.NewApp(out)
	for _, region := range []string{"eu-west-2", "ap-southeast-4"} {
		s := awscdk.NewStack(app, jsii.String("in-"+region), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String(region)}})
		q := awssqs.NewQueue(s, jsii.String("Queue"), nil)
		q.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("sns.amazonaws.com"), nil)},
			Actions:    jsii.Strings("sqs:SendMessage"),
			Resources:  &[]*string{q.QueueArn()},
			Conditions: &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": "arn:aws:sns:eu-west-2:111111111111:topic"}},
		}))
	}
	awscdk.Validations_Of(app).AddPlugins(NewPlugin())
	_, violations := cfn.SynthOrViolations(app, out)
	var optIn []string
	for _, v := range violations {
		if strings.Contains(v, "opt-in region") {
			optIn = append(optIn, v)
		}
	}
	if len(optIn) != 1 || !strings.Contains(optIn[0], "opt-in region ap-southeast-4") {
		t.Errorf("opt-in violations: got %q, want one, for the stack in ap-southeast-4", optIn)
	}
}
